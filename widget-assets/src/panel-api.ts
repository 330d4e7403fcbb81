/**
 * The contract between the loader and the lazily imported panel module
 * (`dist/panel.js`). Types only: nothing here ends up in either bundle.
 */

import type { RuntimeConfig } from "./config";

export interface PanelContext {
  config: RuntimeConfig;
  /** How long to wait for the ChatKit script to define `<openai-chatkit>`. */
  scriptTimeoutMs: number;
}

export interface PanelHandle {
  /** Removes the panel's content; the host element stays. */
  unmount(): void;
}

export type MountPanel = (host: HTMLElement, context: PanelContext) => PanelHandle;

export interface PanelModule {
  mount: MountPanel;
}
