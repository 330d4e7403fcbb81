// Size budget (gzip -9): what every page pays before the first open (loader + widget CSS +
// runtime config, each compressed on its own as it travels) and what the first open pays (the
// panel module). Fails when either is over. Every built-in language is measured, and the
// heaviest page must be within the budget too, not only an English one.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { renderSample } from "./render-css.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

const loader = gz(readFileSync(join(root, "dist", "loader.js")));
const css = gz(Buffer.from(renderSample()));
const panel = gz(readFileSync(join(root, "dist", "panel.js")));

// The runtime config of a page in each built-in language, as the CLI writes it
// (src/runtime_config.rs): the sample config (English text set in [widget]: greeting,
// placeholder, prompts) with the language's built-in title, `locale`, and in `strings` what the
// loader shows before the panel module exists (retry, offline, unreachable), where it differs
// from English. Every other string of the language is in the panel module. Non-ASCII
// characters are \u escapes, as the CLI writes them (escape_for_script).
const LOADER_KEYS = ["retry", "offline", "unreachable"];
const escape = (json) =>
  json.replace(/[<>&\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
const table = JSON.parse(readFileSync(join(root, "..", "templates", "strings.json"), "utf8"));
const sample = JSON.parse(readFileSync(join(root, "test", "fixtures", "runtime-config.json"), "utf8"));
const perLanguage = Object.entries(table).map(([lang, t]) => {
  if (lang === "en") return [lang, gz(Buffer.from(escape(JSON.stringify(sample))))];
  const strings = Object.fromEntries(LOADER_KEYS.filter((k) => t[k] !== table.en[k]).map((k) => [k, t[k]]));
  const page = { ...sample, title: t.title, locale: lang };
  if (Object.keys(strings).length > 0) page.strings = strings;
  return [lang, gz(Buffer.from(escape(JSON.stringify(page))))];
});
const config = perLanguage.find(([lang]) => lang === "en")[1];
const [heaviest, heaviestConfig] = perLanguage.reduce((a, b) => (b[1] > a[1] ? b : a));

// 4 KB before the first open (issue #3), on every page: the panel's frame, its CSS, its
// Escape-free behaviour and the built-in translations are in the panel module (see README).
const PAGE_LIMIT = 4096;
const budgets = [
  { name: "English page (loader.js + widget.css + config)", size: loader + css + config, limit: PAGE_LIMIT },
  { name: `heaviest page, ${heaviest} (loader.js + widget.css + config)`, size: loader + css + heaviestConfig, limit: PAGE_LIMIT },
  { name: "first open (panel.js)", size: panel, limit: 60 * 1024 },
];

console.log(`loader.js ${loader} B, widget.css ${css} B, runtime config ${config} B (gzip -9)`);
console.log(
  `per language, runtime config: ${perLanguage.map(([l, n]) => `${l} ${n}`).join(", ")} B; ` +
    `per page: ${perLanguage.map(([l, n]) => `${l} ${loader + css + n}`).join(", ")} B`,
);
let over = false;
for (const { name, size, limit } of budgets) {
  const ok = size <= limit;
  over ||= !ok;
  console.log(`${ok ? "ok  " : "OVER"} ${name}: ${size} B of ${limit} B`);
}
if (over) process.exitCode = 1;
