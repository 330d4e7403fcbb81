// Size budget (gzip -9): what every page pays (loader + widget CSS + runtime
// config, each compressed on its own as it travels) and what the first open
// pays (the panel module). Fails when either is over.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { renderSample } from "./render-css.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

const loader = gz(readFileSync(join(root, "dist", "loader.js")));
const css = gz(Buffer.from(renderSample()));
const config = gz(readFileSync(join(root, "test", "fixtures", "runtime-config.json")));
const panel = gz(readFileSync(join(root, "dist", "panel.js")));

// Every page: 4096 B until issue #10, which added what every page needs to sit on top of
// customised sites: the placement script (lifting the toggle clear of a site's own fixed
// elements, ~560 B with its second look a second after a DOM change), the corner/RTL/
// replaces/phone-sheet CSS (~70 B) and the per-language string fallbacks and their
// validation (~150 B). Translations add nothing to English pages (a page carries only its
// own language's strings).
const budgets = [
  { name: "every page (loader.js + widget.css + config)", size: loader + css + config, limit: 4864 },
  { name: "first open (panel.js)", size: panel, limit: 60 * 1024 },
];

console.log(`loader.js ${loader} B, widget.css ${css} B, runtime config ${config} B (gzip -9)`);

// For the record (not a limit): a page in another language carries its own strings in the
// config (title, greeting, placeholder, and `strings` for the keys that differ from English).
const table = JSON.parse(readFileSync(join(root, "..", "templates", "strings.json"), "utf8"));
const sample = JSON.parse(readFileSync(join(root, "test", "fixtures", "runtime-config.json"), "utf8"));
const perLanguage = Object.entries(table).map(([lang, t]) => {
  const strings = Object.fromEntries(
    Object.entries(t).filter(([k, v]) => !["title", "greeting", "placeholder"].includes(k) && v !== table.en[k]),
  );
  const localized = { ...sample, title: t.title, greeting: t.greeting, placeholder: t.placeholder };
  if (Object.keys(strings).length > 0) localized.strings = strings;
  return [lang, gz(Buffer.from(JSON.stringify(localized)))];
});
const [heaviest, heaviestConfig] = perLanguage.reduce((a, b) => (b[1] > a[1] ? b : a));
console.log(
  `per language, runtime config: ${perLanguage.map(([l, n]) => `${l} ${n}`).join(", ")} B; ` +
    `heaviest page (${heaviest}): ${loader + css + heaviestConfig} B`,
);
let over = false;
for (const { name, size, limit } of budgets) {
  const ok = size <= limit;
  over ||= !ok;
  console.log(`${ok ? "ok  " : "OVER"} ${name}: ${size} B of ${limit} B`);
}
if (over) process.exitCode = 1;
