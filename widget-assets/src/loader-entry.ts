/**
 * Entry of `dist/loader.js` (a classic deferred script): starts the loader
 * once the document is parsed.
 */

import { startLoader } from "./loader";
import { sessionStore } from "./storage";

function boot(): void {
  startLoader({
    doc: document,
    store: sessionStore(),
    importModule: (url) => import(/* @vite-ignore */ url),
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
