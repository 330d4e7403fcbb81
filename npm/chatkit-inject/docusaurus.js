"use strict";
// Docusaurus plugin: `plugins: [["chatkit-inject/docusaurus", { env: "prod" }]]` in
// docusaurus.config.js runs `chatkit-inject <outDir> --env prod` after every `docusaurus build`
// and fails the build when the CLI fails (exit 1: some pages failed; 2: config or input error).

const path = require("node:path");
const { spawn } = require("node:child_process");
const { findBinary, ensureExecutable } = require("./lib/platform");

const OPTION_TYPES = { env: "string", config: "string", args: "array", quiet: "boolean" };

function validate(options) {
  const opts = options || {};
  for (const [key, value] of Object.entries(opts)) {
    if (key === "id") continue; // set by Docusaurus for every plugin
    const want = OPTION_TYPES[key];
    if (!want) {
      throw new Error(
        `chatkit-inject/docusaurus: unknown option "${key}" (known: ${Object.keys(OPTION_TYPES).join(", ")})`,
      );
    }
    const ok =
      want === "array"
        ? Array.isArray(value) && value.every((v) => typeof v === "string")
        : typeof value === want; // eslint-disable-line valid-typeof
    if (value !== undefined && !ok) {
      throw new Error(
        `chatkit-inject/docusaurus: option "${key}" must be ${want === "array" ? "an array of strings" : `a ${want}`}`,
      );
    }
  }
  return opts;
}

/**
 * The CLI's arguments for a build in outDir. The profile is options.env, else
 * CHATKIT_INJECT_ENV, else the CLI's default (dev); a relative config is taken from the site dir.
 */
function buildArgs({ outDir, siteDir, options = {}, env = process.env }) {
  const args = [outDir];
  const profile = options.env || env.CHATKIT_INJECT_ENV;
  if (profile) args.push("--env", profile);
  if (options.config) args.push("--config", path.resolve(siteDir, options.config));
  if (options.quiet) args.push("--quiet");
  if (options.args) args.push(...options.args);
  return args;
}

/** The error the build fails with: the exit code and what the CLI wrote to stderr. */
function failure(code, signal, stderr, args) {
  const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
  const meaning =
    code === 1
      ? " (some pages failed)"
      : code === 2
        ? " (usage, config or input-directory error)"
        : "";
  const message = stderr.trim();
  const err = new Error(
    `chatkit-inject ${args.join(" ")} ${how}${meaning}${message ? `:\n${message}` : ""}`,
  );
  err.exitCode = code;
  return err;
}

/** Runs the CLI; resolves when it exits 0, rejects with its message otherwise. */
function runCli({ args, cwd, bin = findBinary(), stderr = process.stderr, stdout = process.stdout }) {
  ensureExecutable(bin);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
    let captured = "";
    child.stdout.on("data", (chunk) => stdout.write(chunk));
    child.stderr.on("data", (chunk) => {
      captured += chunk;
      stderr.write(chunk);
    });
    child.on("error", (err) => reject(new Error(`chatkit-inject: could not start ${bin}: ${err.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(failure(code, signal, captured, args));
    });
  });
}

function chatkitInjectPlugin(context, options) {
  const opts = validate(options);
  return {
    name: "chatkit-inject",
    async postBuild({ outDir }) {
      const args = buildArgs({ outDir, siteDir: context.siteDir, options: opts });
      await runCli({ args, cwd: context.siteDir });
    },
  };
}

module.exports = chatkitInjectPlugin;
module.exports.default = chatkitInjectPlugin;
module.exports.validateOptions = ({ options }) => validate(options);
module.exports.buildArgs = buildArgs;
module.exports.runCli = runCli;
