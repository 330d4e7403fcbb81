"use strict";
// Finds the chatkit-inject binary for this machine: the per-platform package that npm installed
// through optionalDependencies (only the one whose os/cpu/libc fields match is installed).

const fs = require("node:fs");
const path = require("node:path");

// Node's platform-arch[-libc] -> the package holding the binary. Keep in step with the
// optionalDependencies of package.json and the folders under npm/platforms/.
const PACKAGES = {
  "linux-x64-glibc": "@chatkit-inject/linux-x64-gnu",
  "linux-arm64-glibc": "@chatkit-inject/linux-arm64-gnu",
  "darwin-x64": "@chatkit-inject/darwin-x64",
  "darwin-arm64": "@chatkit-inject/darwin-arm64",
  "win32-x64": "@chatkit-inject/win32-x64-msvc",
};

const CARGO_FALLBACK = "cargo install --locked chatkit-inject";

/** "glibc", "musl" or null (not Linux). */
function detectLibc() {
  if (process.platform !== "linux") return null;
  try {
    const header = process.report.getReport().header;
    return header.glibcVersionRuntime ? "glibc" : "musl";
  } catch {
    return "glibc";
  }
}

/** The platform as the error message and the package table name it: "linux-x64-glibc". */
function platformKey({ platform, arch, libc }) {
  return platform === "linux" ? `${platform}-${arch}-${libc || "glibc"}` : `${platform}-${arch}`;
}

function current() {
  return { platform: process.platform, arch: process.arch, libc: detectLibc() };
}

/** The package name for a platform, or null when none is published for it. */
function packageFor(target = current()) {
  return PACKAGES[platformKey(target)] || null;
}

function binaryName(platform = process.platform) {
  return platform === "win32" ? "chatkit-inject.exe" : "chatkit-inject";
}

class NoBinaryError extends Error {
  constructor(target, pkg, detail) {
    const key = platformKey(target);
    const lines = pkg
      ? [
          `chatkit-inject: the binary package ${pkg} for this platform (${key}) is not installed.`,
          detail ? `  ${detail}` : null,
          "  npm skips optional dependencies with --no-optional / --omit=optional, and a lockfile",
          "  made on another platform may lack it: reinstall (npm install) without those flags.",
        ]
      : [
          `chatkit-inject: no prebuilt binary for this platform (${key}).`,
          `  Prebuilt: ${Object.keys(PACKAGES).join(", ")}.`,
        ];
    lines.push(
      "  Or build it with Rust (https://rustup.rs) and point the launcher at it:",
      `    ${CARGO_FALLBACK}`,
      "    export CHATKIT_INJECT_BINARY=\"$HOME/.cargo/bin/chatkit-inject\"",
    );
    super(lines.filter((l) => l !== null).join("\n"));
    this.name = "NoBinaryError";
    this.platform = key;
    this.package = pkg;
  }
}

/**
 * The path of the binary to run. CHATKIT_INJECT_BINARY overrides the lookup (a binary built with
 * cargo, or a test double). `resolve` is require.resolve, replaceable in tests.
 */
function findBinary({ env = process.env, target = current(), resolve = require.resolve } = {}) {
  if (env.CHATKIT_INJECT_BINARY) return env.CHATKIT_INJECT_BINARY;
  const pkg = packageFor(target);
  if (!pkg) throw new NoBinaryError(target, null);
  let manifest;
  try {
    manifest = resolve(`${pkg}/package.json`);
  } catch (err) {
    if (err && err.code === "MODULE_NOT_FOUND") throw new NoBinaryError(target, pkg);
    throw err;
  }
  const bin = path.join(path.dirname(manifest), binaryName(target.platform));
  if (!fs.existsSync(bin)) {
    throw new NoBinaryError(target, pkg, `${pkg} is there but holds no ${binaryName(target.platform)}.`);
  }
  return bin;
}

/** Some package managers drop the executable bit; put it back (best effort). */
function ensureExecutable(bin) {
  if (process.platform === "win32") return;
  try {
    fs.accessSync(bin, fs.constants.X_OK);
  } catch {
    try {
      fs.chmodSync(bin, 0o755);
    } catch {
      // spawn will report EACCES with the path
    }
  }
}

module.exports = {
  PACKAGES,
  CARGO_FALLBACK,
  NoBinaryError,
  binaryName,
  current,
  detectLibc,
  ensureExecutable,
  findBinary,
  packageFor,
  platformKey,
};
