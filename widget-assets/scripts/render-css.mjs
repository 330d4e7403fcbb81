// Renders templates/widget.css.j2 the way the CLI does for the plain
// `{{ name }}` substitutions it may use, failing on anything else (unknown
// names, tags, comments), like minijinja's strict undefined.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const TEMPLATE_PATH = join(here, "..", "..", "templates", "widget.css.j2");
export const SAMPLE_CONTEXT_PATH = join(here, "..", "test", "fixtures", "css-context.json");

export function renderCss(template, context) {
  const out = template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name) => {
    if (!Object.hasOwn(context, name)) throw new Error(`widget.css.j2 uses unknown variable ${name}`);
    return String(context[name]);
  });
  const leftover = out.match(/\{\{|\{%|\{#/);
  if (leftover) throw new Error(`widget.css.j2 has template syntax other than {{ name }}: ${leftover[0]}`);
  // minijinja drops the template's final newline (keep_trailing_newline is off).
  return out.endsWith("\n") ? out.slice(0, -1) : out;
}

export function renderSample() {
  return renderCss(readFileSync(TEMPLATE_PATH, "utf8"), JSON.parse(readFileSync(SAMPLE_CONTEXT_PATH, "utf8")));
}
