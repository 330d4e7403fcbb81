"use strict";
// Runs the binary as a child with this process's stdio and passes signals on, so the launcher
// behaves like the binary itself: same arguments, output, exit code, and death by signal.

const { spawn } = require("node:child_process");
const { ensureExecutable } = require("./platform");

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

/** Resolves to { code, signal } once the child has exited; rejects if it could not start. */
function run(bin, args, options = {}) {
  ensureExecutable(bin);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: "inherit", windowsHide: true, ...options });
    const handlers = new Map();
    const signals = process.platform === "win32" ? ["SIGINT", "SIGTERM"] : FORWARDED;
    for (const sig of signals) {
      const handler = () => {
        try {
          child.kill(sig);
        } catch {
          // already gone
        }
      };
      handlers.set(sig, handler);
      process.on(sig, handler);
    }
    const cleanup = () => {
      for (const [sig, handler] of handlers) process.removeListener(sig, handler);
    };
    child.on("error", (err) => {
      cleanup();
      reject(err);
    });
    child.on("exit", (code, signal) => {
      cleanup();
      resolve({ code, signal });
    });
  });
}

/** Ends this process the way the child ended: same exit code, or the same signal. */
function exitLike({ code, signal }) {
  if (signal) {
    process.kill(process.pid, signal);
    // If the signal is ignored or handled elsewhere, still exit the shell's way (128 + n).
    const n = require("node:os").constants.signals[signal] || 0;
    process.exit(128 + n);
  }
  process.exit(code === null ? 1 : code);
}

module.exports = { run, exitLike, FORWARDED };
