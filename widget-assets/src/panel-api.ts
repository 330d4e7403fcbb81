/**
 * The contract between the loader and the lazily imported panel module
 * (`dist/panel.js`). Types only: nothing here ends up in either bundle.
 */

import type { RuntimeConfig } from "./config";

/** The runtime config's two parts as the loader has them (config.ts). */
export interface RawConfig {
  /** The page config, checked only as far as the loader needs. */
  config: unknown;
  /** The site module's default export, not checked. */
  site: unknown;
}

/** What the loader hands to `mount`: the config's two parts and the loader's own settings. */
export interface MountContext extends RawConfig {
  /**
   * How long to wait for the ChatKit script to define `<openai-chatkit>`: the tests' shorter
   * wait; the loader leaves it out (10 s, `SCRIPT_TIMEOUT_MS` in panel.tsx).
   */
  scriptTimeoutMs?: number;
  /** Closes the panel and returns focus to the toggle (the close button calls it). */
  close: () => void;
}

/** The panel's context once the panel module has validated the whole config. */
export interface PanelContext extends Omit<MountContext, "config" | "site"> {
  config: RuntimeConfig;
}

export interface PanelHandle {
  /** Removes the panel's content (frame included); the host element stays. */
  unmount(): void;
}

export type MountPanel = (host: HTMLElement, context: MountContext) => PanelHandle;

export interface PanelModule {
  mount: MountPanel;
}
