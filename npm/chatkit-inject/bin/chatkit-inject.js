#!/usr/bin/env node
"use strict";
// `chatkit-inject` from npm: runs the prebuilt binary from the platform package with the same
// arguments, stdio and exit code.

const { findBinary, NoBinaryError } = require("../lib/platform");
const { run, exitLike } = require("../lib/run");

let bin;
try {
  bin = findBinary();
} catch (err) {
  if (err instanceof NoBinaryError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

run(bin, process.argv.slice(2)).then(exitLike, (err) => {
  process.stderr.write(`chatkit-inject: could not start ${bin}: ${err.message}\n`);
  process.exit(2);
});
