// `chatkit-inject doctor` (the release CLI) against the real reference backend the runner started:
// it passes on the healthy backend, and each fault switch makes the check it concerns fail with
// its own line (and exit code 1). The ChatKit script URL points at a small local server, so that
// the healthy run passes every check without the internet.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, afterEach, before, beforeEach, test } from "node:test";
import { backend, env } from "../lib/harness.mjs";

const SESSION_PATH = "/api/chatkit/session";
let work;
let scriptServer;
let config;

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), "chatkit-doctor-"));
  scriptServer = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8" });
    res.end("customElements.define('openai-chatkit', class extends HTMLElement {});\n");
  });
  await new Promise((resolve) => scriptServer.listen(0, "127.0.0.1", resolve));
  config = path.join(work, "chatkit.toml");
  writeFileSync(
    config,
    [
      "[widget]",
      `script-url = "http://127.0.0.1:${scriptServer.address().port}/chatkit.js"`,
      "",
      "[profiles.dev]",
      `backend-url = "${env.backend}"`,
      "",
    ].join("\n"),
  );
});

after(async () => {
  await new Promise((resolve) => scriptServer.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

// Counters from the files that ran before this one must not count here.
beforeEach(() => backend.reset());
afterEach(() => backend.reset());

/** Runs doctor from the fixture site's origin; resolves to { code, report, stdout, stderr }. */
function doctor({ timeout = "2", format = "json" } = {}) {
  const args = ["doctor", "--config", config, "--origin", new URL(env.site).origin, "--timeout", timeout, "--format", format];
  return new Promise((resolve) => {
    execFile(env.cli, args, { cwd: work, encoding: "utf8" }, (error, stdout, stderr) => {
      const code = error ? error.code : 0;
      let report = null;
      try {
        report = JSON.parse(stdout);
      } catch {
        // asserted below, with the output in the message
      }
      resolve({ code, report, stdout, stderr });
    });
  });
}

function check(run, id) {
  assert.ok(run.report, `no JSON report:\n${run.stdout}\n${run.stderr}`);
  const found = run.report.checks.find((c) => c.id === id);
  assert.ok(found, `no ${id} check in ${run.stdout}`);
  return found;
}

/** Asserts exit 1 and that `id` failed with a message matching `pattern` and a fix. */
function assertFails(run, id, pattern) {
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const c = check(run, id);
  assert.equal(c.status, "fail", JSON.stringify(c));
  assert.match(c.message, pattern);
  assert.ok(c.fix && c.fix.length > 10, `a fix for ${id}: ${JSON.stringify(c)}`);
}

test("doctor passes every check on the healthy backend", async () => {
  const run = await doctor();
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.deepEqual(
    run.report.checks.map((c) => [c.id, c.status]),
    [
      ["backend", "pass"],
      ["session", "pass"],
      ["cors", "pass"],
      ["chatkit", "pass"],
      ["domain-key", "pass"],
      ["script", "pass"],
    ],
  );
  assert.deepEqual(run.report.origin, { origin: new URL(env.site).origin, source: "--origin" });
  // The backend saw what a browser sends: two preflights and the two POSTs.
  const stats = await backend.stats();
  assert.equal(stats.preflight[SESSION_PATH], 1);
  assert.equal(stats.preflight["/chatkit"], 1);
  assert.equal(stats.requests[SESSION_PATH]["200"], 1);
  assert.equal(stats.requests["/chatkit"]["200"], 1);
});

test("doctor: the session endpoint answering 500", async () => {
  await backend.faults({ fail_next: 5, status: 500, paths: [SESSION_PATH] });
  const run = await doctor();
  assertFails(run, "session", /answered HTTP 500: Injected failure/);
  assert.equal(check(run, "chatkit").status, "skip");
});

test("doctor: a sign-in proxy's HTML page in front of the backend", async () => {
  await backend.faults({ login_page: true });
  const run = await doctor();
  assertFails(run, "session", /an HTML page \(HTTP 200: Sign in - Campus SSO\) instead of JSON/);
});

test("doctor: a proxy's 502 HTML error page", async () => {
  await backend.faults({ html_error_next: 5, paths: [SESSION_PATH] });
  const run = await doctor();
  assertFails(run, "session", /an HTML page \(HTTP 502: 502 Bad Gateway\)/);
});

test("doctor: CORS that does not allow the site's origin", async () => {
  await backend.faults({ cors_origins: ["https://other.example.edu"] });
  const run = await doctor();
  assertFails(run, "cors", /no Access-Control-Allow-Origin for http:\/\/127\.0\.0\.1:\d+/);
  assert.match(check(run, "cors").fix, /allowed CORS origins/);
  assert.equal(check(run, "session").status, "pass", "the rest of the backend is fine");
  assert.equal(check(run, "chatkit").status, "pass");
});

test("doctor: CORS that does not allow Last-Event-ID", async () => {
  await backend.faults({ cors_headers: ["authorization", "content-type", "x-chatkit-page"] });
  const run = await doctor();
  assertFails(run, "cors", /does not allow the request header\(s\) last-event-id .*reconnects/);
});

test("doctor: a session endpoint slower than the timeout", async () => {
  await backend.faults({ delay_ms: 4000, paths: [SESSION_PATH] });
  const started = Date.now();
  const run = await doctor({ timeout: "1" });
  assertFails(run, "session", /did not answer within 1 s/);
  assert.ok(Date.now() - started < 4000, "doctor gave up before the backend answered");
});

test("doctor: tokens issued already expired", async () => {
  await backend.faults({ session_expired: true });
  const run = await doctor();
  assertFails(run, "session", /already expired/);
  assertFails(run, "chatkit", /refused the token .*token expired/);
});

test("doctor: the human report has one line per check and a fix under each failure", async () => {
  await backend.faults({ cors_headers: ["authorization", "content-type", "x-chatkit-page"] });
  const run = await doctor({ format: "text" });
  assert.equal(run.code, 1);
  const lines = run.stdout.split("\n");
  const cors = lines.findIndex((l) => /^\s+FAIL\s+cors\s/.test(l));
  assert.ok(cors > 0, run.stdout);
  assert.match(lines[cors + 1], /^\s+fix: /);
  for (const id of ["backend", "session", "chatkit", "domain-key", "script"]) {
    assert.ok(
      lines.some((l) => new RegExp(`^\\s+ok\\s+${id}\\s`).test(l)),
      `${id} ok:\n${run.stdout}`,
    );
  }
});
