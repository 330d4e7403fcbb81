"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { Writable } = require("node:stream");

const plugin = require("../chatkit-inject/docusaurus");
const { buildArgs, runCli, validateOptions } = plugin;

const FAKE = path.join(__dirname, "fixtures", "fake-cli.js");
const SITE = path.join(__dirname, "fixtures");

function sink() {
  const s = new Writable({
    write(chunk, _enc, cb) {
      s.text += chunk;
      cb();
    },
  });
  s.text = "";
  return s;
}

test("arguments: outDir, then the profile and the config from the options", () => {
  assert.deepEqual(buildArgs({ outDir: "/site/build", siteDir: "/site", options: {}, env: {} }), ["/site/build"]);
  assert.deepEqual(
    buildArgs({ outDir: "/site/build", siteDir: "/site", options: { env: "prod", config: "ci/chatkit.toml" }, env: {} }),
    ["/site/build", "--env", "prod", "--config", path.resolve("/site", "ci/chatkit.toml")],
  );
  assert.deepEqual(
    buildArgs({ outDir: "/b", siteDir: "/s", options: { config: "/etc/chatkit.toml", quiet: true, args: ["--jobs", "1"] }, env: {} }),
    ["/b", "--config", "/etc/chatkit.toml", "--quiet", "--jobs", "1"],
  );
});

test("the profile: the env option, else CHATKIT_INJECT_ENV, else the CLI's default", () => {
  const env = { CHATKIT_INJECT_ENV: "staging" };
  assert.deepEqual(buildArgs({ outDir: "/b", siteDir: "/s", options: {}, env }), ["/b", "--env", "staging"]);
  assert.deepEqual(buildArgs({ outDir: "/b", siteDir: "/s", options: { env: "prod" }, env }), ["/b", "--env", "prod"]);
  assert.deepEqual(buildArgs({ outDir: "/b", siteDir: "/s", options: {}, env: { CHATKIT_INJECT_ENV: "" } }), ["/b"]);
});

test("options are checked when the config is loaded", () => {
  assert.deepEqual(validateOptions({ options: { id: "default", env: "prod" } }), { id: "default", env: "prod" });
  assert.throws(() => validateOptions({ options: { enviroment: "prod" } }), /unknown option "enviroment" \(known: env, config, args, quiet\)/);
  assert.throws(() => validateOptions({ options: { env: 3 } }), /option "env" must be a string/);
  assert.throws(() => validateOptions({ options: { args: "--quiet" } }), /option "args" must be an array of strings/);
  assert.throws(() => plugin({ siteDir: "/s" }, { config: false }), /option "config" must be a string/);
});

test("postBuild runs the binary on outDir from the site dir", async (t) => {
  process.env.CHATKIT_INJECT_BINARY = FAKE;
  t.after(() => delete process.env.CHATKIT_INJECT_BINARY);
  const p = plugin({ siteDir: SITE }, { env: "prod" });
  assert.equal(p.name, "chatkit-inject");
  const record = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cki-plugin-")), "seen.json");
  process.env.FAKE_RECORD = record;
  t.after(() => delete process.env.FAKE_RECORD);
  await p.postBuild({ outDir: path.join(SITE, "build") });
  const seen = JSON.parse(fs.readFileSync(record, "utf8"));
  assert.deepEqual(seen.args, [path.join(SITE, "build"), "--env", "prod"]);
  assert.equal(seen.cwd, SITE);
});

for (const [mode, code, meaning, message] of [
  ["fail1", 1, "some pages failed", "build/docs/broken.html: unclosed <script>"],
  ["fail2", 2, "usage, config or input-directory error", "chatkit.toml:3: unknown profile `nope`"],
]) {
  test(`exit ${code} fails the build with the CLI's message`, async () => {
    process.env.FAKE_MODE = mode;
    const stderr = sink();
    const stdout = sink();
    try {
      await assert.rejects(runCli({ args: ["build", "--env", "nope"], cwd: SITE, bin: FAKE, stderr, stdout }), (err) => {
        assert.equal(err.exitCode, code);
        assert.ok(err.message.startsWith(`chatkit-inject build --env nope exited with ${code} (${meaning}):\n`), err.message);
        assert.ok(err.message.includes(message), err.message);
        return true;
      });
    } finally {
      delete process.env.FAKE_MODE;
    }
    // The CLI's output is still shown as it comes.
    assert.ok(stderr.text.includes(message));
    assert.match(stdout.text, /"args":\["build","--env","nope"\]/);
  });
}

test("a binary that cannot start fails the build naming it", async () => {
  await assert.rejects(
    runCli({ args: ["build"], cwd: SITE, bin: "/nonexistent/chatkit-inject", stderr: sink(), stdout: sink() }),
    /could not start \/nonexistent\/chatkit-inject/,
  );
});

test("no binary for the platform fails the build with the launcher's message", async (t) => {
  process.env.CHATKIT_INJECT_BINARY = "";
  t.after(() => delete process.env.CHATKIT_INJECT_BINARY);
  const p = plugin({ siteDir: SITE }, {});
  await assert.rejects(p.postBuild({ outDir: "/tmp/build" }), /cargo install --locked chatkit-inject/);
});
