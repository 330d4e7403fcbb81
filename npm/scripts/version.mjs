#!/usr/bin/env node
// One version for everything: Cargo.toml's [package] version is the source; the npm packages
// (the launcher, its optionalDependencies, every platform package) must carry the same one.
//
//   node npm/scripts/version.mjs                 check; exit 1 naming every file that disagrees
//   node npm/scripts/version.mjs --tag v1.2.3    also check a release tag against it
//   node npm/scripts/version.mjs --set 1.2.3     write 1.2.3 into Cargo.toml, Cargo.lock, packages

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export function cargoVersion(root) {
  const text = fs.readFileSync(path.join(root, "Cargo.toml"), "utf8");
  const pkg = text.split(/^\[/m).find((s) => s.startsWith("package]"));
  const m = pkg && pkg.match(/^version\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error("Cargo.toml: no [package] version");
  return m[1];
}

export function packageFiles(root) {
  const platforms = path.join(root, "npm", "platforms");
  return [
    path.join(root, "npm", "chatkit-inject", "package.json"),
    ...fs
      .readdirSync(platforms)
      .sort()
      .map((d) => path.join(platforms, d, "package.json"))
      .filter((f) => fs.existsSync(f)),
  ];
}

/** Every disagreement with Cargo.toml's version, as "file: what" lines (empty when all agree). */
export function check(root, tag) {
  const want = cargoVersion(root);
  const problems = [];
  const rel = (f) => path.relative(root, f);
  if (tag !== undefined && tag.replace(/^v/, "") !== want) {
    problems.push(`tag ${tag}: Cargo.toml says ${want}`);
  }
  const platformNames = [];
  for (const file of packageFiles(root)) {
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    if (pkg.version !== want) problems.push(`${rel(file)}: version ${pkg.version}, want ${want}`);
    if (pkg.name.startsWith("@chatkit-inject/")) platformNames.push(pkg.name);
    for (const [dep, range] of Object.entries(pkg.optionalDependencies || {})) {
      if (range !== want) problems.push(`${rel(file)}: optionalDependencies ${dep} ${range}, want ${want}`);
    }
  }
  const launcher = JSON.parse(fs.readFileSync(packageFiles(root)[0], "utf8"));
  const optional = Object.keys(launcher.optionalDependencies || {}).sort();
  if (optional.join() !== platformNames.sort().join()) {
    problems.push(
      `npm/chatkit-inject/package.json: optionalDependencies [${optional}] differ from npm/platforms [${platformNames}]`,
    );
  }
  return problems;
}

export function set(root, version) {
  if (!SEMVER.test(version)) throw new Error(`not a version: ${version}`);
  const cargo = path.join(root, "Cargo.toml");
  const text = fs.readFileSync(cargo, "utf8");
  const start = text.search(/^\[package\]/m);
  const after = text.slice(start).replace(/^version\s*=\s*"[^"]*"/m, `version = "${version}"`);
  fs.writeFileSync(cargo, text.slice(0, start) + after);
  const lock = path.join(root, "Cargo.lock");
  if (fs.existsSync(lock)) {
    const l = fs.readFileSync(lock, "utf8");
    fs.writeFileSync(
      lock,
      l.replace(/(\[\[package\]\]\nname = "chatkit-inject"\nversion = )"[^"]*"/, `$1"${version}"`),
    );
  }
  for (const file of packageFiles(root)) {
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    pkg.version = version;
    for (const dep of Object.keys(pkg.optionalDependencies || {})) pkg.optionalDependencies[dep] = version;
    fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
  }
}

function main(argv) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
  const i = argv.indexOf("--set");
  if (i >= 0) {
    set(root, argv[i + 1] || "");
    console.log(`version ${argv[i + 1]} written to Cargo.toml, Cargo.lock and ${packageFiles(root).length} package.json files`);
  }
  const t = argv.indexOf("--tag");
  const problems = check(root, t >= 0 ? argv[t + 1] || "" : undefined);
  if (problems.length) {
    console.error(`versions disagree with Cargo.toml (${cargoVersion(root)}):`);
    for (const p of problems) console.error(`  ${p}`);
    console.error("fix: node npm/scripts/version.mjs --set VERSION");
    process.exit(1);
  }
  console.log(`versions agree: ${cargoVersion(root)} (Cargo.toml and ${packageFiles(root).length} npm packages)`);
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
