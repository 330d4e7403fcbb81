/**
 * Loading the ChatKit web component script (a classic `<script>`), with a
 * timeout on `customElements.whenDefined`. A failed load removes its element,
 * so calling again retries from scratch.
 */

import { ScriptLoadError } from "./errors";

export const CHATKIT_ELEMENT = "openai-chatkit";

export function loadElementScript(doc: Document, url: string, timeoutMs: number): Promise<void> {
  const registry = doc.defaultView?.customElements;
  if (!registry) return Promise.reject(new ScriptLoadError("blocked", url));
  if (registry.get(CHATKIT_ELEMENT)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = doc.createElement("script");
    script.src = url;
    script.async = true;
    const timer = setTimeout(() => fail("timeout"), timeoutMs);
    function fail(reason: "blocked" | "timeout"): void {
      clearTimeout(timer);
      script.remove();
      reject(new ScriptLoadError(reason, url));
    }
    script.onerror = () => fail("blocked");
    void registry.whenDefined(CHATKIT_ELEMENT).then(() => {
      clearTimeout(timer);
      resolve();
    });
    doc.head.appendChild(script);
  });
}
