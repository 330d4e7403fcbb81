// Renders templates/widget.css.j2 the way the CLI's minijinja does, for the small subset the
// template may use, failing on anything else (unknown names, other tags, comments, filters),
// like minijinja's strict undefined:
//   {{ name }}   {{ name|join(",") }}
//   {% if name %}  {% if name == "text" %}  {% if name != "text" %}  {% else %}  {% endif %}
// Truthiness as in Jinja: false, "", 0 and [] are false.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const TEMPLATE_PATH = join(here, "..", "..", "templates", "widget.css.j2");
export const SAMPLE_CONTEXT_PATH = join(here, "..", "test", "fixtures", "css-context.json");

const TAG = /\{\{(.*?)\}\}|\{%(.*?)%\}|\{#/gs;

function lookup(context, name) {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`widget.css.j2: unsupported expression ${name}`);
  if (!Object.hasOwn(context, name)) throw new Error(`widget.css.j2 uses unknown variable ${name}`);
  return context[name];
}

function truthy(value) {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

function test(context, expr) {
  const cmp = expr.match(/^(\w+) (==|!=) "([^"\\]*)"$/);
  if (cmp) return (lookup(context, cmp[1]) === cmp[3]) === (cmp[2] === "==");
  return truthy(lookup(context, expr));
}

function value(context, expr) {
  const join = expr.match(/^(\w+)\|join\("([^"\\]*)"\)$/);
  if (join) {
    const list = lookup(context, join[1]);
    if (!Array.isArray(list)) throw new Error(`widget.css.j2: join of a non-list ${join[1]}`);
    return list.join(join[2]);
  }
  return String(lookup(context, expr));
}

export function renderCss(template, context) {
  let out = "";
  let at = 0;
  // One entry per open {% if %}: whether its current branch is emitted.
  const stack = [];
  const emitting = () => stack.every((s) => s.on);
  for (const m of template.matchAll(TAG)) {
    if (emitting()) out += template.slice(at, m.index);
    at = m.index + m[0].length;
    if (m[0] === "{#") throw new Error("widget.css.j2: comments are not supported");
    if (m[1] !== undefined) {
      if (emitting()) out += value(context, m[1].trim());
      continue;
    }
    const tag = m[2].trim();
    if (tag.startsWith("if ")) {
      // Evaluated even when not emitting, so an unknown name always fails (as minijinja would
      // when that branch runs).
      const on = test(context, tag.slice(3).trim());
      stack.push({ on, done: on });
    } else if (tag === "else") {
      const top = stack.at(-1);
      if (!top) throw new Error("widget.css.j2: else without if");
      top.on = !top.done;
      top.done = true;
    } else if (tag === "endif") {
      if (!stack.pop()) throw new Error("widget.css.j2: endif without if");
    } else {
      throw new Error(`widget.css.j2: unsupported tag {% ${tag} %}`);
    }
  }
  if (stack.length > 0) throw new Error("widget.css.j2: unclosed if");
  if (emitting()) out += template.slice(at);
  if (/\{\{|\{%|\{#/.test(out)) throw new Error("widget.css.j2: template syntax left in the output");
  // minijinja drops the template's final newline (keep_trailing_newline is off).
  return out.endsWith("\n") ? out.slice(0, -1) : out;
}

export function renderSample() {
  return renderCss(readFileSync(TEMPLATE_PATH, "utf8"), JSON.parse(readFileSync(SAMPLE_CONTEXT_PATH, "utf8")));
}
