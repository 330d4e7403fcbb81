// Unit tests run in jsdom, with react aliased to preact/compat exactly as in
// the shipped panel bundle (see build.mjs).
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: [
      { find: /^react-dom(\/.*)?$/, replacement: "preact/compat$1" },
      { find: /^react(\/.*)?$/, replacement: "preact/compat$1" },
    ],
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    setupFiles: ["src/testing/setup.ts"],
    // Bundle @openai/chatkit-react through vite so the preact alias applies to it too.
    server: { deps: { inline: ["@openai/chatkit-react"] } },
  },
});
