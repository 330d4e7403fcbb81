import { describe, expect, it } from "vitest";
import {
  BackendUnavailableError,
  classifyError,
  ERROR_MESSAGES,
  type ErrorKind,
  errorMessage,
  ScriptLoadError,
  SessionRefusedError,
} from "./errors";

describe("classifyError", () => {
  it.each<[string, unknown, ErrorKind]>([
    ["a blocked script", new ScriptLoadError("blocked", "https://cdn/x.js"), "script"],
    ["a slow script", new ScriptLoadError("timeout", "https://cdn/x.js"), "script"],
    ["a refused session", new SessionRefusedError(403), "session"],
    ["a failing backend", new BackendUnavailableError("HTTP 503", 503), "unreachable"],
    ["a network or CORS failure", new TypeError("Failed to fetch"), "unreachable"],
    ["anything else", new Error("boom"), "unknown"],
    ["a non-error", "boom", "unknown"],
  ])("maps %s", (_name, error, kind) => {
    expect(classifyError(error, true)).toBe(kind);
  });

  it("says offline whatever the error when the browser is offline", () => {
    expect(classifyError(new SessionRefusedError(401), false)).toBe("offline");
    expect(classifyError(new TypeError("Failed to fetch"), false)).toBe("offline");
  });
});

describe("messages", () => {
  it("has one distinct plain message per cause", () => {
    const messages = Object.values(ERROR_MESSAGES);
    expect(new Set(messages).size).toBe(messages.length);
    for (const message of messages) {
      expect(message).toMatch(/^[A-Z].*\.$/);
      expect(message).not.toMatch(/HTTP|CORS|fetch|status|Error|undefined|\d{3}/);
    }
  });

  it("tells the reader what to do next", () => {
    for (const kind of Object.keys(ERROR_MESSAGES) as ErrorKind[]) {
      expect(errorMessage(kind)).toMatch(/try again|reload|allow|new conversation/i);
    }
  });

  it("uses the agreed offline text", () => {
    expect(errorMessage("offline")).toBe("You appear to be offline. Check your internet connection and try again.");
  });

  it("takes the page's language from the config's strings, English for absent keys", () => {
    const strings = { offline: "Vous semblez hors ligne.", script: "" };
    expect(errorMessage("offline", strings)).toBe("Vous semblez hors ligne.");
    expect(errorMessage("script", strings)).toBe("");
    expect(errorMessage("session", strings)).toBe(ERROR_MESSAGES.session);
    expect(errorMessage("unknown", undefined)).toBe(ERROR_MESSAGES.unknown);
  });
});
