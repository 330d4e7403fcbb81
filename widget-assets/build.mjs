// Bundles the widget runtime with esbuild: dist/loader.js (classic script, IIFE)
// and dist/panel.js (ES module). Minified and deterministic: the same sources
// and lockfile give the same bytes.
//
//   node build.mjs             write dist/
//   node build.mjs --check     build into a temp folder, fail if it differs from dist/
//   node build.mjs --react     build the panel with React 19 instead of preact/compat,
//                              into a temp folder, and print its size (for comparison)

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { minify } from "terser";

const root = dirname(fileURLToPath(import.meta.url));
const args = new Set(process.argv.slice(2));
const check = args.has("--check");
const withReact = args.has("--react");

const PREACT_ALIASES = { react: "preact/compat", "react-dom": "preact/compat" };

const common = {
  absWorkingDir: root,
  bundle: true,
  minify: true,
  target: ["es2020", "chrome91", "firefox90", "safari15"],
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
};

// The loader runs on every page: no "use strict" prologue (13 B). Strict mode would only turn
// mistakes TypeScript already rejects (undeclared names, writes to read-only properties) into
// run-time errors; the loader's code behaves the same in both modes.
const LOADER = { tsconfigRaw: { compilerOptions: { alwaysStrict: false } } };

// The loader is bundled by esbuild, then compressed again by terser: several passes over the
// whole bundle, its top level treated as its own scope (it is: the output is wrapped in a
// function below), find what esbuild's one pass leaves (about 150 B gzip). No unsafe
// option that changes what a value prints as (booleans stay booleans: aria-expanded is written
// from one). Deterministic like esbuild.
const LOADER_TERSER = {
  ecma: 2020,
  toplevel: true,
  compress: { passes: 3, pure_getters: true, unsafe_arrows: true },
  mangle: { toplevel: true },
  format: { comments: false },
};

export async function build(outdir, { react = false } = {}) {
  const loader = await esbuild.build({
    ...common,
    ...LOADER,
    entryPoints: ["src/loader-entry.ts"],
    format: "iife",
    write: false,
    outfile: join(outdir, "loader.js"),
  });
  const { code } = await minify(loader.outputFiles[0].text, LOADER_TERSER);
  // terser unwraps esbuild's IIFE into top-level `var`s (it was told the top level is its own):
  // wrapped again, so that a classic script declares no global on the page.
  writeFileSync(join(outdir, "loader.js"), `(()=>{${code}})();\n`);
  await esbuild.build({
    ...common,
    entryPoints: ["src/panel.tsx"],
    format: "esm",
    jsx: "automatic",
    alias: react ? {} : PREACT_ALIASES,
    outfile: join(outdir, "panel.js"),
  });
}

const FILES = ["loader.js", "panel.js"];
const dist = join(root, "dist");

if (check || withReact) {
  const tmp = mkdtempSync(join(tmpdir(), "chatkit-inject-dist-"));
  try {
    await build(tmp, { react: withReact });
    if (withReact) {
      const bytes = readFileSync(join(tmp, "panel.js"));
      console.log(`panel.js with React 19: ${bytes.length} B, ${gzipSync(bytes, { level: 9 }).length} B gzip -9`);
    } else {
      const stale = FILES.filter((f) => {
        let committed;
        try {
          committed = readFileSync(join(dist, f));
        } catch {
          return true;
        }
        return !committed.equals(readFileSync(join(tmp, f)));
      });
      if (stale.length > 0) {
        console.error(`dist/ is out of date (${stale.join(", ")}): run \`npm run build\` and commit dist/`);
        process.exitCode = 1;
      } else {
        console.log("dist/ matches the sources");
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
} else {
  await build(dist);
  for (const f of FILES) console.log(`dist/${f}: ${readFileSync(join(dist, f)).length} B`);
}
