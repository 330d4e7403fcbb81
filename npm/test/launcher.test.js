"use strict";
// The launcher run as a user runs it: `node bin/chatkit-inject.js ...` with a stand-in binary.
const test = require("node:test");
const assert = require("node:assert/strict");
const { spawn, spawnSync } = require("node:child_process");
const path = require("node:path");

const LAUNCHER = path.join(__dirname, "..", "chatkit-inject", "bin", "chatkit-inject.js");
const FAKE = path.join(__dirname, "fixtures", "fake-cli.js");

function launch(args, env = {}, input) {
  return spawnSync(process.execPath, [LAUNCHER, ...args], {
    env: { ...process.env, CHATKIT_INJECT_BINARY: FAKE, ...env },
    input,
    encoding: "utf8",
  });
}

test("arguments reach the binary unchanged", () => {
  const args = ["build dir", "--env", "prod", "--config", "café/ch at.toml", "", "--", "-x"];
  const r = launch(args);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).args, args);
});

test("the binary's exit code is the launcher's", () => {
  for (const code of [0, 1, 2, 7]) {
    const r = launch([], { FAKE_MODE: "exit", FAKE_CODE: String(code) });
    assert.equal(r.status, code);
  }
});

test("stdin, stdout and stderr are the binary's own", () => {
  const r = launch([], { FAKE_MODE: "stdin" }, "piped text");
  assert.match(r.stdout, /stdin:piped text/);
  const f = launch([], { FAKE_MODE: "fail2" });
  assert.equal(f.status, 2);
  assert.match(f.stderr, /unknown profile `nope`/);
});

function started(env) {
  const child = spawn(process.execPath, [LAUNCHER], {
    env: { ...process.env, CHATKIT_INJECT_BINARY: FAKE, FAKE_MODE: "wait", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const ready = new Promise((resolve) => {
    child.stdout.on("data", (c) => {
      out += c;
      if (out.includes("ready")) resolve();
    });
  });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, out: () => out })));
  return { child, ready, exited };
}

test("a signal to the launcher reaches the binary, and the binary's exit is the launcher's", { skip: process.platform === "win32" }, async () => {
  const { child, ready, exited } = started();
  await ready;
  child.kill("SIGTERM");
  const { code, signal, out } = await exited;
  assert.match(out(), /got SIGTERM/);
  assert.equal(code, 42);
  assert.equal(signal, null);
});

test("a binary killed by a signal kills the launcher with the same signal", { skip: process.platform === "win32" }, async () => {
  const { child, ready, exited } = started();
  await ready;
  child.kill("SIGINT");
  const { signal } = await exited;
  assert.equal(signal, "SIGINT");
});

test("no binary for the platform: exit 2 and the message names the platform and cargo install", () => {
  // Nothing under npm/ installs a platform package, so the lookup fails here as on an unsupported machine.
  const r = spawnSync(process.execPath, [LAUNCHER, "build"], {
    env: { ...process.env, CHATKIT_INJECT_BINARY: "" },
    encoding: "utf8",
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /chatkit-inject: .*\((linux|darwin|win32)-[a-z0-9]+(-glibc|-musl)?\)/);
  assert.match(r.stderr, /cargo install --locked chatkit-inject/);
  assert.equal(r.stdout, "");
});

test("a binary that cannot start: exit 2 naming the path", () => {
  const r = launch([], { CHATKIT_INJECT_BINARY: "/nonexistent/chatkit-inject" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /could not start \/nonexistent\/chatkit-inject/);
});
