// Prints the measurements recorded by the end-to-end tests (artifacts/metrics.json) as a
// Markdown table: median, minimum and maximum of each figure, in milliseconds.
//
//   node metrics.mjs [path/to/metrics.json]

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const file = process.argv[2] ?? path.join(here, "artifacts", "metrics.json");

const LABELS = {
  "toggle-visible": "Toggle visible after navigation start",
  "session": "Session request (first open, round trip)",
  "open-to-ready": "First open to ChatKit ready",
  "first-word": "Send to first streamed word",
  "reply-complete": "Send to complete reply",
  "retry-to-reply": "Reply stopped halfway: Retry to complete reply",
  "html-502-open-to-ready": "Two HTML 502s on the session endpoint: first open to ChatKit ready",
  "html-502-send-to-reply": "Two HTML 502s on /chatkit: send to complete reply",
  "chat-failure-visible": "/chatkit failing for good (500): send to the error message",
  "idle-send-to-reply": "Token expired while idle: send to complete reply (with the refresh)",
};

let data;
try {
  data = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.error(`no metrics in ${file}: run tests/e2e/run first (${error.message})`);
  process.exit(1);
}

const byName = new Map();
for (const sample of data.samples) {
  if (!byName.has(sample.name)) byName.set(sample.name, []);
  byName.get(sample.name).push(sample.ms);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (ms) => `${Math.round(ms)} ms`;
const order = [...Object.keys(LABELS), ...[...byName.keys()].filter((k) => !(k in LABELS)).sort()];
console.log("| measurement | median | min | max | samples |");
console.log("|---|---:|---:|---:|---:|");
for (const name of order) {
  const values = byName.get(name);
  if (!values) continue;
  console.log(
    `| ${LABELS[name] ?? name} | ${fmt(median(values))} | ${fmt(Math.min(...values))} | ${fmt(Math.max(...values))} | ${values.length} |`,
  );
}
