"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const {
  PACKAGES,
  NoBinaryError,
  findBinary,
  packageFor,
  platformKey,
  binaryName,
} = require("../chatkit-inject/lib/platform");

const launcherPkg = require("../chatkit-inject/package.json");

test("each supported platform maps to its package", () => {
  assert.equal(packageFor({ platform: "linux", arch: "x64", libc: "glibc" }), "@chatkit-inject/linux-x64-gnu");
  assert.equal(packageFor({ platform: "linux", arch: "arm64", libc: "glibc" }), "@chatkit-inject/linux-arm64-gnu");
  assert.equal(packageFor({ platform: "darwin", arch: "x64", libc: null }), "@chatkit-inject/darwin-x64");
  assert.equal(packageFor({ platform: "darwin", arch: "arm64", libc: null }), "@chatkit-inject/darwin-arm64");
  assert.equal(packageFor({ platform: "win32", arch: "x64", libc: null }), "@chatkit-inject/win32-x64-msvc");
});

test("unsupported platforms map to nothing (musl, 32-bit, windows arm, freebsd)", () => {
  assert.equal(packageFor({ platform: "linux", arch: "x64", libc: "musl" }), null);
  assert.equal(packageFor({ platform: "linux", arch: "ia32", libc: "glibc" }), null);
  assert.equal(packageFor({ platform: "win32", arch: "arm64", libc: null }), null);
  assert.equal(packageFor({ platform: "freebsd", arch: "x64", libc: null }), null);
});

test("the table, the optionalDependencies and the platform folders name the same packages", () => {
  const platformsDir = path.join(__dirname, "..", "platforms");
  const folders = fs.readdirSync(platformsDir).map((d) => require(path.join(platformsDir, d, "package.json")));
  const names = (xs) => [...xs].sort();
  assert.deepEqual(names(Object.values(PACKAGES)), names(Object.keys(launcherPkg.optionalDependencies)));
  assert.deepEqual(names(Object.values(PACKAGES)), names(folders.map((p) => p.name)));
  // Each folder's os/cpu/libc fields select exactly the platform the table maps to it.
  for (const pkg of folders) {
    const [platform] = pkg.os;
    const [arch] = pkg.cpu;
    const libc = platform === "linux" ? pkg.libc && pkg.libc[0] : null;
    if (platform === "linux") assert.deepEqual(pkg.libc, ["glibc"], pkg.name);
    assert.equal(packageFor({ platform, arch, libc }), pkg.name);
    assert.deepEqual(pkg.files, [binaryName(platform)], pkg.name);
  }
});

test("CHATKIT_INJECT_BINARY overrides the lookup", () => {
  const bin = findBinary({
    env: { CHATKIT_INJECT_BINARY: "/opt/chatkit-inject" },
    target: { platform: "freebsd", arch: "x64", libc: null },
    resolve: () => assert.fail("must not resolve"),
  });
  assert.equal(bin, "/opt/chatkit-inject");
});

test("the binary is found inside the installed platform package", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cki-pkg-"));
  fs.writeFileSync(path.join(dir, "package.json"), "{}");
  fs.writeFileSync(path.join(dir, "chatkit-inject"), "");
  const asked = [];
  const bin = findBinary({
    env: {},
    target: { platform: "linux", arch: "x64", libc: "glibc" },
    resolve: (id) => {
      asked.push(id);
      return path.join(dir, "package.json");
    },
  });
  assert.deepEqual(asked, ["@chatkit-inject/linux-x64-gnu/package.json"]);
  assert.equal(bin, path.join(dir, "chatkit-inject"));

  fs.writeFileSync(path.join(dir, "chatkit-inject.exe"), "");
  const exe = findBinary({
    env: {},
    target: { platform: "win32", arch: "x64", libc: null },
    resolve: () => path.join(dir, "package.json"),
  });
  assert.equal(exe, path.join(dir, "chatkit-inject.exe"));
});

function notFound() {
  const err = new Error("Cannot find module");
  err.code = "MODULE_NOT_FOUND";
  throw err;
}

test("no package for the platform: the error names the platform, the prebuilt list and cargo install", () => {
  const target = { platform: "linux", arch: "x64", libc: "musl" };
  assert.throws(
    () => findBinary({ env: {}, target, resolve: notFound }),
    (err) => {
      assert.ok(err instanceof NoBinaryError);
      assert.match(err.message, /no prebuilt binary for this platform \(linux-x64-musl\)/);
      assert.match(err.message, /linux-x64-glibc, linux-arm64-glibc, darwin-x64, darwin-arm64, win32-x64/);
      assert.match(err.message, /cargo install --locked chatkit-inject/);
      assert.match(err.message, /CHATKIT_INJECT_BINARY/);
      return true;
    },
  );
});

test("platform supported but its package not installed: the error names the package and the fix", () => {
  const target = { platform: "darwin", arch: "arm64", libc: null };
  assert.throws(
    () => findBinary({ env: {}, target, resolve: notFound }),
    (err) => {
      assert.ok(err instanceof NoBinaryError);
      assert.match(err.message, /@chatkit-inject\/darwin-arm64 for this platform \(darwin-arm64\) is not installed/);
      assert.match(err.message, /--omit=optional/);
      assert.match(err.message, /cargo install --locked chatkit-inject/);
      return true;
    },
  );
});

test("package installed without its binary: a NoBinaryError, not a spawn ENOENT later", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cki-empty-"));
  fs.writeFileSync(path.join(dir, "package.json"), "{}");
  assert.throws(
    () =>
      findBinary({
        env: {},
        target: { platform: "linux", arch: "arm64", libc: "glibc" },
        resolve: () => path.join(dir, "package.json"),
      }),
    /holds no chatkit-inject\./,
  );
});

test("other resolution errors are not disguised as a missing package", () => {
  assert.throws(
    () =>
      findBinary({
        env: {},
        target: { platform: "linux", arch: "x64", libc: "glibc" },
        resolve: () => {
          throw new SyntaxError("bad package.json");
        },
      }),
    SyntaxError,
  );
});

test("platformKey spells linux with its libc", () => {
  assert.equal(platformKey({ platform: "linux", arch: "arm64", libc: "musl" }), "linux-arm64-musl");
  assert.equal(platformKey({ platform: "darwin", arch: "arm64", libc: null }), "darwin-arm64");
});

test("this machine's libc is detected (glibc here; null off Linux)", () => {
  const { detectLibc } = require("../chatkit-inject/lib/platform");
  const libc = detectLibc();
  if (process.platform === "linux") assert.ok(libc === "glibc" || libc === "musl");
  else assert.equal(libc, null);
});

test("the packed launcher holds every file its bin, main and exports name", () => {
  const { execFileSync } = require("node:child_process");
  const dir = path.join(__dirname, "..", "chatkit-inject");
  const [{ files }] = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: dir, encoding: "utf8", shell: process.platform === "win32" }),
  );
  const packed = new Set(files.map((f) => f.path));
  const named = [
    ...Object.values(launcherPkg.bin),
    launcherPkg.main,
    ...Object.values(launcherPkg.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e))),
    "lib/run.js",
  ].map((f) => f.replace(/^\.\//, ""));
  for (const f of named) assert.ok(packed.has(f), `${f} is not in the tarball`);
});

test("the release workflow's matrix builds every platform package", () => {
  const workflow = fs.readFileSync(path.join(__dirname, "..", "..", ".github", "workflows", "release.yml"), "utf8");
  const matrix = [...workflow.matchAll(/^\s*- \{ npm: ([a-z0-9-]+), target: /gm)].map((m) => m[1]).sort();
  const folders = fs.readdirSync(path.join(__dirname, "..", "platforms")).sort();
  assert.deepEqual(matrix, folders);
});
