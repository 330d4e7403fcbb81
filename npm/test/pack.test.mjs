import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const npmDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const packScript = path.join(npmDir, "scripts", "pack.mjs");

test("a platform package is packed with the binary, executable, and the folder stays binary-free", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cki-pack-"));
  const binary = path.join(tmp, "built-binary");
  fs.writeFileSync(binary, "#!/bin/sh\necho fake\n", { mode: 0o644 });
  const out = execFileSync(process.execPath, [packScript, "platform", "linux-arm64-gnu", binary, path.join(tmp, "out")], {
    encoding: "utf8",
  });
  const tarball = out.trim();
  assert.equal(path.basename(tarball), `chatkit-inject-linux-arm64-gnu-${JSON.parse(fs.readFileSync(path.join(npmDir, "platforms", "linux-arm64-gnu", "package.json"))).version}.tgz`);
  const listing = execFileSync("tar", ["tvzf", tarball], { encoding: "utf8" });
  assert.match(listing, /^-rwxr-xr-x .* package\/chatkit-inject$/m);
  assert.match(listing, /package\/package\.json$/m);
  assert.match(listing, /package\/README\.md$/m);
  assert.deepEqual(fs.readdirSync(path.join(npmDir, "platforms", "linux-arm64-gnu")).sort(), ["README.md", "package.json"]);
});

test("packing refuses an unknown platform or a missing binary", () => {
  const run = (...args) => execFileSync(process.execPath, [packScript, ...args], { encoding: "utf8", stdio: "pipe" });
  assert.throws(() => run("platform", "linux-riscv64-gnu", packScript, os.tmpdir()), /no package npm\/platforms\/linux-riscv64-gnu/);
  assert.throws(() => run("platform", "linux-x64-gnu", "/nonexistent/binary", os.tmpdir()), /ENOENT/);
  assert.throws(() => run("bogus"), /usage: pack\.mjs/);
});
