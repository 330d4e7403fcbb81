#!/usr/bin/env node
// Packs the npm packages into tarballs (the binary is copied in here, never committed).
//
//   node npm/scripts/pack.mjs launcher OUT_DIR
//   node npm/scripts/pack.mjs platform NAME BINARY OUT_DIR   e.g. linux-x64-gnu target/release/chatkit-inject
//
// Prints the path of each tarball written.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const npmDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

function pack(dir, outDir) {
  fs.mkdirSync(outDir, { recursive: true });
  const out = execFileSync(npm, ["pack", "--json", "--pack-destination", path.resolve(outDir)], {
    cwd: dir,
    encoding: "utf8",
    shell: process.platform === "win32",
  });
  const [{ filename }] = JSON.parse(out);
  // Scoped names come out as "scope-name-1.0.0.tgz" in the destination.
  const tarball = path.join(path.resolve(outDir), filename.replace(/^@/, "").replace("/", "-"));
  console.log(tarball);
  return tarball;
}

export function packPlatform(name, binary, outDir) {
  const src = path.join(npmDir, "platforms", name);
  if (!fs.existsSync(path.join(src, "package.json"))) throw new Error(`no package npm/platforms/${name}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(src, "package.json"), "utf8"));
  const [binName] = manifest.files;
  if (!fs.statSync(binary).isFile()) throw new Error(`${binary} is not a file`);
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), `chatkit-inject-${name}-`));
  try {
    for (const f of ["package.json", "README.md"]) fs.copyFileSync(path.join(src, f), path.join(stage, f));
    fs.copyFileSync(binary, path.join(stage, binName));
    fs.chmodSync(path.join(stage, binName), 0o755);
    return pack(stage, outDir);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

export function packLauncher(outDir) {
  return pack(path.join(npmDir, "chatkit-inject"), outDir);
}

const [what, ...rest] = process.argv.slice(2);
if (what === "launcher" && rest.length === 1) packLauncher(rest[0]);
else if (what === "platform" && rest.length === 3) packPlatform(...rest);
else {
  console.error("usage: pack.mjs launcher OUT_DIR | pack.mjs platform NAME BINARY OUT_DIR");
  process.exit(2);
}
