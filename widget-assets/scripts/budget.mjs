// Size budget (gzip -9): what every page pays before the first open (the injected markup with its
// runtime config, loader.js and widget.css, each compressed on its own as it travels) and what the
// first open pays (the panel module). Fails when either is over. Every built-in language is
// measured, and the heaviest page must be within the budget too, not only an English one. Also
// prints where the bytes go: loader.js by source module, widget.css by rule, the config by key.
//
//   node scripts/budget.mjs            the budget (CI)
//   node scripts/budget.mjs --quiet    without the breakdown

import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { renderCss, renderSample, SAMPLE_CONTEXT_PATH, TEMPLATE_PATH } from "./render-css.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const gz = (text) => gzipSync(typeof text === "string" ? Buffer.from(text) : text, { level: 9 }).length;
const quiet = process.argv.includes("--quiet");

const loaderBytes = readFileSync(join(root, "dist", "loader.js"));
const loader = gz(loaderBytes);
const cssText = renderSample();
const css = gz(cssText);
const panel = gz(readFileSync(join(root, "dist", "panel.js")));

// The markup the CLI injects (docs/architecture.md, "Injected markup"), with the runtime config of
// a page in each built-in language, as the CLI writes it (src/runtime_config.rs): the sample
// config (English text set in [widget]: greeting, two prompts; no [theme] key, so no theme)
// with the language's built-in title, `locale`, and in `strings` what the loader shows before the
// panel module exists (retry, offline, unreachable), where it differs from English. Every other
// string of the language is in the panel module. Non-ASCII characters are \u escapes, as the CLI
// writes them (escape_for_script). The <link> (in <head>) and the body markup are gzipped
// together, on their own: an upper bound of what they add to the page's own gzip.
const LOADER_KEYS = ["retry", "offline", "unreachable"];
const escape = (json) =>
  json.replace(/[<>&\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
const markup = (config) =>
  '<link rel="stylesheet" href="/chatkit/widget.1a2b3c4d.css" data-chatkit-inject>' +
  `<script type="application/json" id="chatkit-inject-config" data-chatkit-inject>${escape(JSON.stringify(config))}</script>` +
  '<script src="/chatkit/loader.1a2b3c4d.js" defer data-chatkit-inject></script>';
const table = JSON.parse(readFileSync(join(root, "..", "templates", "strings.json"), "utf8"));
const sample = JSON.parse(readFileSync(join(root, "test", "fixtures", "runtime-config.json"), "utf8"));
const pageConfig = (lang, base = sample) => {
  if (lang === "en") return base;
  const t = table[lang];
  const strings = Object.fromEntries(LOADER_KEYS.filter((k) => t[k] !== table.en[k]).map((k) => [k, t[k]]));
  const page = { ...base, title: t.title, locale: lang };
  if (Object.keys(strings).length > 0) page.strings = strings;
  return page;
};
const perLanguage = Object.keys(table).map((lang) => [lang, gz(markup(pageConfig(lang)))]);
const english = perLanguage.find(([lang]) => lang === "en")[1];
const [heaviest, heaviestMarkup] = perLanguage.reduce((a, b) => (b[1] > a[1] ? b : a));
// The largest config a maintainer realistically writes: every [theme] key set (the runtime config
// carries them as they are, the CSS fixes both colour modes), with a brand font and its fallbacks
// (a font override names the brand's font; without one the panel reads the page's own).
const THEME = {
  accent: "#2e8555",
  accentDark: "#25c2a0",
  fontFamily: '"Source Sans 3", system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
  radius: "round",
};
const themedCss = gz(
  renderCss(readFileSync(TEMPLATE_PATH, "utf8"), {
    ...JSON.parse(readFileSync(SAMPLE_CONTEXT_PATH, "utf8")),
    accent: THEME.accent,
    accent_dark: THEME.accentDark,
    accent_fixed: true,
    accent_dark_fixed: true,
  }),
);
const themed = Object.keys(table).map((lang) => [lang, gz(markup(pageConfig(lang, { ...sample, theme: THEME })))]);
const [themedHeaviest, themedMarkup] = themed.reduce((a, b) => (b[1] > a[1] ? b : a));

// Issue #13 aims at 3072 B before the first open; what the widget alone could take out is out
// (README, "Budget", says what else it takes). The limit was 3840 B, just above the heaviest page;
// it is raised by what "Ask about this" from the start costs (the loader's listener for the first
// selection of page text, ~210 B gzip, the "few hundred bytes" issue #12 allows for it), to just
// above the heaviest page with every [theme] key set, and stays under the product's original
// per-page rule of 4096 B.
const PAGE_LIMIT = 4016;
const budgets = [
  { name: "English page (markup + loader.js + widget.css)", size: english + loader + css, limit: PAGE_LIMIT },
  { name: `heaviest page, ${heaviest} (markup + loader.js + widget.css)`, size: heaviestMarkup + loader + css, limit: PAGE_LIMIT },
  {
    name: `heaviest page with every [theme] key set, ${themedHeaviest} (markup + loader.js + widget.css)`,
    size: themedMarkup + loader + themedCss,
    limit: PAGE_LIMIT,
  },
  { name: "first open (panel.js)", size: panel, limit: 60 * 1024 },
];

async function breakdown() {
  // loader.js by source module: minified bytes from esbuild's metafile, and the gzip size prorated
  // by them (an estimate: gzip does not split by module).
  const built = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ["src/loader-entry.ts"],
    bundle: true,
    minify: true,
    format: "iife",
    target: ["es2020", "chrome91", "firefox90", "safari15"],
    write: false,
    metafile: true,
    outfile: "loader.js",
  });
  const inputs = Object.entries(built.metafile.outputs["loader.js"].inputs)
    .map(([file, { bytesInOutput }]) => ({ file: relative("src", file), bytes: bytesInOutput }))
    .filter((m) => m.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  console.log(`\nloader.js by module (minified B, and its prorated share of the ${loader} B gzip):`);
  const text = new TextDecoder().decode(built.outputFiles[0].contents);
  for (const { file, bytes } of inputs) {
    console.log(`  ${file.padEnd(20)} ${String(bytes).padStart(5)} B  ~${Math.round((bytes / text.length) * loader)} B gzip`);
  }
  const lines = cssText.split("\n").filter(Boolean);
  console.log(`\nwidget.css by rule (gzip B the rule adds to the ${css} B):`);
  for (let i = 0; i < lines.length; i++) {
    const without = lines.filter((_, j) => j !== i).join("\n");
    console.log(`  ${String(css - gz(without)).padStart(4)} B  ${lines[i].slice(0, 90)}${lines[i].length > 90 ? "…" : ""}`);
  }
  console.log(`\nEnglish markup by config key (gzip B the key adds to the ${english} B):`);
  for (const key of Object.keys(sample)) {
    const { [key]: _dropped, ...rest } = sample;
    console.log(`  ${String(english - gz(markup(rest))).padStart(4)} B  ${key}`);
  }
  const themedEnglish = themed.find(([lang]) => lang === "en")[1];
  console.log(
    `\nwith every [theme] key set (theme in the config, both colour modes fixed in the CSS): English ` +
      `${themedEnglish + loader + themedCss} B, heaviest ${themedMarkup + loader + themedCss} B`,
  );
}

console.log(`loader.js ${loader} B, widget.css ${css} B, markup (English) ${english} B (gzip -9)`);
console.log(
  `per language, markup: ${perLanguage.map(([l, n]) => `${l} ${n}`).join(", ")} B; ` +
    `per page: ${perLanguage.map(([l, n]) => `${l} ${loader + css + n}`).join(", ")} B`,
);
if (!quiet) await breakdown();
let over = false;
console.log("");
for (const { name, size, limit } of budgets) {
  const ok = size <= limit;
  over ||= !ok;
  console.log(`${ok ? "ok  " : "OVER"} ${name}: ${size} B of ${limit} B`);
}
if (over) process.exitCode = 1;
