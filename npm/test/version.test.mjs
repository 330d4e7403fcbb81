import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { check, set, cargoVersion } from "../scripts/version.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function copyTree() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cki-version-"));
  for (const f of ["Cargo.toml", "Cargo.lock"]) fs.copyFileSync(path.join(repo, f), path.join(root, f));
  fs.cpSync(path.join(repo, "npm", "chatkit-inject", "package.json"), path.join(root, "npm", "chatkit-inject", "package.json"), { recursive: true });
  for (const d of fs.readdirSync(path.join(repo, "npm", "platforms"))) {
    fs.cpSync(path.join(repo, "npm", "platforms", d, "package.json"), path.join(root, "npm", "platforms", d, "package.json"));
  }
  return root;
}

const readJson = (f) => JSON.parse(fs.readFileSync(f, "utf8"));

test("the repository's versions agree with Cargo.toml", () => {
  assert.deepEqual(check(repo), []);
});

test("a package, an optional dependency or a tag that disagrees is named", () => {
  const root = copyTree();
  const v = cargoVersion(root);
  const plat = path.join(root, "npm", "platforms", "darwin-x64", "package.json");
  fs.writeFileSync(plat, JSON.stringify({ ...readJson(plat), version: "9.9.9" }));
  const launcher = path.join(root, "npm", "chatkit-inject", "package.json");
  const l = readJson(launcher);
  l.optionalDependencies["@chatkit-inject/linux-x64-gnu"] = "^0.0.1";
  fs.writeFileSync(launcher, JSON.stringify(l));
  assert.deepEqual(check(root, "v9.9.9"), [
    `tag v9.9.9: Cargo.toml says ${v}`,
    `npm/chatkit-inject/package.json: optionalDependencies @chatkit-inject/linux-x64-gnu ^0.0.1, want ${v}`,
    `npm/platforms/darwin-x64/package.json: version 9.9.9, want ${v}`,
  ]);
});

test("a platform folder missing from optionalDependencies is named", () => {
  const root = copyTree();
  fs.mkdirSync(path.join(root, "npm", "platforms", "linux-riscv64-gnu"));
  fs.writeFileSync(
    path.join(root, "npm", "platforms", "linux-riscv64-gnu", "package.json"),
    JSON.stringify({ name: "@chatkit-inject/linux-riscv64-gnu", version: cargoVersion(root) }),
  );
  const problems = check(root);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /optionalDependencies .* differ from npm\/platforms/);
});

test("--set writes one version everywhere, Cargo.lock included, and check then passes", () => {
  const root = copyTree();
  set(root, "1.2.3-rc.1");
  assert.equal(cargoVersion(root), "1.2.3-rc.1");
  assert.deepEqual(check(root, "v1.2.3-rc.1"), []);
  assert.match(fs.readFileSync(path.join(root, "Cargo.lock"), "utf8"), /name = "chatkit-inject"\nversion = "1.2.3-rc.1"/);
  // Only the crate's own version line changed in Cargo.toml (dependencies keep theirs).
  const before = fs.readFileSync(path.join(repo, "Cargo.toml"), "utf8").split("\n");
  const after = fs.readFileSync(path.join(root, "Cargo.toml"), "utf8").split("\n");
  assert.equal(before.filter((line, i) => line !== after[i]).length, 1);
  assert.throws(() => set(root, "latest"), /not a version/);
});
