/**
 * A stand-in `<openai-chatkit>` for jsdom: records every `setOptions` call and
 * lets tests fire ChatKit's events.
 */

import type { ChatKitOptions } from "@openai/chatkit";

export class FakeChatKit extends HTMLElement {
  static instances: FakeChatKit[] = [];
  readonly calls: ChatKitOptions[] = [];
  /** What `sendUserMessage` was called with. */
  readonly sent: Array<{ text?: string }> = [];

  connectedCallback(): void {
    FakeChatKit.instances.push(this);
  }

  setOptions(options: ChatKitOptions): void {
    this.calls.push(options);
  }

  get options(): ChatKitOptions {
    const last = this.calls.at(-1);
    if (!last) throw new Error("setOptions was never called");
    return last;
  }

  /** What `setComposerValue` and `focusComposer` were called with, in order. */
  readonly composer: Array<{ setValue: string } | "focus"> = [];

  setComposerValue(params: { text?: string }): Promise<void> {
    this.composer.push({ setValue: params.text ?? "" });
    return Promise.resolve();
  }

  focusComposer(): Promise<void> {
    this.composer.push("focus");
    return Promise.resolve();
  }

  sendUserMessage(params: { text?: string }): Promise<void> {
    this.sent.push(params);
    return Promise.resolve();
  }

  emit(name: string, detail?: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }
}

export function defineFakeChatKit(): void {
  if (!customElements.get("openai-chatkit")) customElements.define("openai-chatkit", FakeChatKit);
}

/** The ChatKit element currently in the document. */
export function currentChatKit(): FakeChatKit {
  const element = document.querySelector("openai-chatkit");
  if (!(element instanceof FakeChatKit)) throw new Error("no <openai-chatkit> mounted");
  return element;
}
