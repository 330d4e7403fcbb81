/**
 * Entry of `dist/loader.js`, a classic script the CLI injects with `defer`: it runs once the
 * document is parsed (before DOMContentLoaded), so it starts the loader at once.
 */

import { startLoader } from "./loader";
import { sessionStore } from "./storage";

startLoader({
  doc: document,
  store: sessionStore(),
  importModule: (url) => import(/* @vite-ignore */ url),
});
