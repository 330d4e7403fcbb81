/**
 * Entry of `dist/panel.js` (an ES module imported by the loader on first
 * open): the ChatKit panel, with its frame and stylesheet (see frame.ts). It creates the session eagerly, so a dead backend
 * is reported at open, then mounts `<openai-chatkit>` through
 * `@openai/chatkit-react`, and shows friendly errors with a Retry button.
 */

import { ChatKit, type UseChatKitOptions, useChatKit } from "@openai/chatkit-react";
import { type MutableRefObject, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import { createChatFetch } from "./chat-fetch";
import { type RuntimeConfig, validateParts } from "./config";
import { classifyError, type ErrorKind } from "./errors";
import { applyPanelStyles, buildFrame, showOwnHeader } from "./frame";
import type { MountPanel, PanelContext, PanelHandle } from "./panel-api";
import { loadElementScript } from "./script";
import { DEFAULT_POLICY, type RetryPolicy } from "./retry";
import { ASK_ATTR, ASK_EVENT, ASK_ID, type AskModule, offerSelection, type SelectionTarget } from "./selection";
import { SessionClient } from "./session";
import { type KeyValueStore, OPEN_KEY, readItem, sessionStore, THREAD_KEY, writeItem } from "./storage";
import { text } from "./panel-strings";
import { buildTheme, type ColorScheme, readColorScheme, resolveLocale, watchColorScheme } from "./theme";

export const STATUS_ID = "chatkit-inject-status";
/** The loader's ids (loader.ts), repeated so this module does not bundle the loader. */
const TOGGLE_ID = "chatkit-inject-toggle";
const OPEN_CLASS = "chatkit-inject-open";
const PANEL_ID = "chatkit-inject-panel";
/** The longest selection quoted in the composer (the rest is cut, marked with an ellipsis). */
export const QUOTE_MAX = 1000;

/** The selection as a Markdown quote, followed by an empty line for the reader's question. */
export function quoteSelection(selection: string): string {
  const text = selection.length > QUOTE_MAX ? `${selection.slice(0, QUOTE_MAX).trimEnd()}…` : selection;
  return `${text
    .split(/\r?\n/)
    .map((line) => `> ${line}`.trimEnd())
    .join("\n")}\n\n`;
}

export const ERROR_ID = "chatkit-inject-error";

/** Everything the panel talks to; replaced in tests. */
export interface PanelServices {
  /** Resolves once `<openai-chatkit>` is defined; loads the script again after a failure. */
  loadScript: () => Promise<void>;
  session: SessionClient;
  chatFetch: typeof fetch;
  store: KeyValueStore | null;
  online: () => boolean;
  /** The most recent transport failure, cleared by the next success. */
  lastFailure: () => Error | null;
  /** The text of the last question ChatKit sent while its reply has not streamed to its end, or null. */
  lastQuestion: () => string | null;
}

/** Overridable dependencies of {@link createServices}. */
export interface ServiceDeps {
  fetch: typeof fetch;
  store: KeyValueStore | null;
  policy: RetryPolicy;
}

/** How long the panel waits for the ChatKit script to define `<openai-chatkit>`. */
export const SCRIPT_TIMEOUT_MS = 10_000;

export function createServices(context: PanelContext, deps: Partial<ServiceDeps> = {}): PanelServices {
  const { config, scriptTimeoutMs = SCRIPT_TIMEOUT_MS } = context;
  const baseFetch = deps.fetch ?? fetch.bind(globalThis);
  const store = deps.store === undefined ? sessionStore() : deps.store;
  const policy = deps.policy ?? DEFAULT_POLICY;
  let script: Promise<void> | null = null;
  const loadScript = (): Promise<void> =>
    (script ??= loadElementScript(document, config.scriptUrl, scriptTimeoutMs).catch((error: unknown) => {
      script = null;
      throw error;
    }));
  const session = new SessionClient({ url: config.backendUrl + config.sessionPath, fetch: baseFetch, store, policy });
  let failure: Error | null = null;
  let question: string | null = null;
  const chatFetch = createChatFetch({
    session,
    fetch: baseFetch,
    policy,
    onFailure: (error) => {
      console.error("[chatkit-inject] chat request failed", error);
      failure = error;
    },
    onSuccess: () => {
      failure = null;
    },
    onQuestion: (text) => {
      question = text;
    },
    onAnswered: () => {
      question = null;
    },
  });
  return {
    loadScript,
    session,
    chatFetch,
    store,
    online: () => navigator.onLine !== false,
    lastFailure: () => failure,
    lastQuestion: () => question,
  };
}

type Phase = { state: "starting" } | { state: "ready" } | { state: "failed"; kind: ErrorKind };

interface ChatViewProps {
  config: RuntimeConfig;
  services: PanelServices;
  scheme: ColorScheme;
  onError: (error: Error) => void;
  onResponding: (responding: boolean) => void;
  /** Closes the panel and returns focus to the toggle. */
  onClose: () => void;
  /** ChatKit's UI shows (its frame reported ready). */
  onShown: () => void;
  /** Set to a function sending a user message through this ChatKit, while it is mounted. */
  ask: MutableRefObject<((text: string) => Promise<void>) | null>;
}

function ChatView({ config, services, scheme, onError, onResponding, onClose, onShown, ask }: ChatViewProps) {
  const initialThread = useMemo(() => readItem(services.store, THREAD_KEY), [services]);
  const loadingThread = useRef<string | null>(null);
  // "Ask about this" (selection.ts): a selection waiting on the panel element is quoted in the
  // composer once ChatKit is ready, or at once when it already is.
  const quoteWaiting = useRef<() => void>(() => undefined);
  const options: UseChatKitOptions = {
    api: { url: config.backendUrl + config.chatPath, domainKey: config.domainKey, fetch: services.chatFetch },
    theme: buildTheme(config.theme, scheme),
    frameTitle: config.title,
    // One title and one close control: once ChatKit is ready its own header shows both (the
    // panel's own header, which works even when ChatKit cannot start, then hides; see frame.ts).
    // The close action is also how a keyboard reader inside ChatKit closes the panel: ChatKit
    // renders in a cross-origin iframe, so keys pressed there (Escape) never reach the page, but
    // a click on a header action is reported to the page, which runs `onClick` here.
    header: { title: { text: config.title }, rightAction: { icon: "close", onClick: onClose } },
    // History is off on purpose: the reader's conversation carries across pages through
    // `initialThread`; browsing, renaming and deleting threads would need end-to-end tests of
    // threads.list/update/delete through this fetch first.
    history: { enabled: false },
    startScreen: { greeting: text(config, "greeting"), prompts: config.prompts },
    composer: { placeholder: text(config, "placeholder") },
    initialThread,
    onReady: () => {
      console.info("[chatkit-inject] ChatKit ready");
      ready.current = true;
      onShown();
      quoteWaiting.current();
    },
    onError: ({ error }) => {
      // A saved thread that cannot be loaded (e.g. gone from the backend) must
      // not break every retry: forget it, so Retry starts a new thread.
      if (loadingThread.current !== null && loadingThread.current === initialThread) {
        writeItem(services.store, THREAD_KEY, null);
      }
      onError(error);
    },
    onThreadLoadStart: ({ threadId }) => {
      loadingThread.current = threadId;
    },
    onThreadLoadEnd: () => {
      loadingThread.current = null;
    },
    onResponseStart: () => onResponding(true),
    onResponseEnd: () => onResponding(false),
    onThreadChange: ({ threadId }) => writeItem(services.store, THREAD_KEY, threadId),
  };
  const locale = resolveLocale(document.documentElement.lang);
  if (locale) options.locale = locale;
  const { control, sendUserMessage, setComposerValue, focusComposer } = useChatKit(options);
  const ready = useRef(false);
  useEffect(() => {
    ask.current = (text) => sendUserMessage({ text });
    return () => {
      ask.current = null;
    };
  }, [ask, sendUserMessage]);
  useEffect(() => {
    const panel = document.getElementById(PANEL_ID);
    quoteWaiting.current = () => {
      const selection = panel?.getAttribute(ASK_ATTR);
      if (!ready.current || !panel || !selection) return;
      panel.removeAttribute(ASK_ATTR);
      setComposerValue({ text: quoteSelection(selection) })
        .then(() => focusComposer())
        .catch((error: unknown) => console.error("[chatkit-inject] could not quote the selection", error));
    };
    const onAsk = (): void => quoteWaiting.current();
    panel?.addEventListener(ASK_EVENT, onAsk);
    return () => panel?.removeEventListener(ASK_EVENT, onAsk);
  }, [setComposerValue, focusComposer]);
  return <ChatKit control={control} className="chatkit-inject-chat" />;
}

export interface PanelProps {
  context: PanelContext;
  services: PanelServices;
  /** Whether the panel's own header (title, close button) should show: while ChatKit's UI does not. */
  ownHeader?: (shown: boolean) => void;
}

export function Panel({ context, services, ownHeader }: PanelProps) {
  const [phase, setPhase] = useState<Phase>({ state: "starting" });
  // ChatKit's UI shows (the current ChatKit reported ready); its header then has the title and
  // the close action.
  const [shown, setShown] = useState(false);
  const [chatError, setChatError] = useState<ErrorKind | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [responding, setResponding] = useState(false);
  const [scheme, setScheme] = useState<ColorScheme>(() => readColorScheme(document));
  const retryRef = useRef<HTMLButtonElement>(null);
  const ask = useRef<((text: string) => Promise<void>) | null>(null);
  const config = context.config;
  // The question whose reply failed, which Retry asks again.
  const unanswered = useRef<string | null>(null);

  useEffect(() => watchColorScheme(document, setScheme), []);
  // The widget's own accent (its focus rings, Retry, the Ask button under its layer) becomes the
  // one ChatKit gets in this scheme: the site's primary button colour, where widget.css could only
  // name --ifm-color-primary (a brand colour set outside Infima, as fixtures/site-course does).
  useEffect(() => {
    const accent = buildTheme(config.theme, scheme).color?.accent?.primary;
    const root = document.documentElement.style;
    if (accent) root.setProperty("--cki-accent", accent);
    return () => void root.removeProperty("--cki-accent");
  }, [config.theme, scheme]);

  const chatShown = shown && phase.state === "ready";
  useEffect(() => ownHeader?.(!chatShown), [ownHeader, chatShown]);
  const onShown = useCallback(() => setShown(true), []);

  // Before ChatKit mounts: its script must be defined and a session must exist.
  useEffect(() => {
    let live = true;
    setPhase({ state: "starting" });
    setShown(false);
    setChatError(null);
    setResponding(false);
    Promise.all([services.loadScript(), services.session.getClientSecret(null)]).then(
      () => {
        if (live) setPhase({ state: "ready" });
      },
      (error: unknown) => {
        console.error("[chatkit-inject] the panel could not start", error);
        if (live) setPhase({ state: "failed", kind: classifyError(error, services.online()) });
      },
    );
    return () => {
      live = false;
    };
  }, [attempt, services]);

  const onError = useCallback(
    (error: Error) => {
      console.error("[chatkit-inject] ChatKit reported an error", error);
      // Whatever the order of ChatKit's error and response events (a request that fails
      // before its stream opens has no response.start at all), a question whose reply
      // did not stream to its end is the one Retry asks again.
      unanswered.current = services.lastQuestion();
      setResponding(false);
      setChatError(classifyError(services.lastFailure() ?? error, services.online()));
    },
    [services],
  );

  const errorKind = phase.state === "failed" ? phase.kind : chatError;
  const retry = useCallback(() => {
    // A refused secret is refreshed (sending it as `existing`) rather than reused.
    if (errorKind === "session") services.session.invalidate();
    setChatError(null);
    if (errorKind === "long") {
      // Asking the same text again would be refused again: the reader shortens it.
      unanswered.current = null;
      return;
    }
    if (errorKind === "full") {
      // A new conversation: forget the full thread, then start ChatKit afresh.
      unanswered.current = null;
      writeItem(services.store, THREAD_KEY, null);
    }
    // A reply failed: ask again in the same ChatKit, where the partial answer stays.
    const question = unanswered.current;
    unanswered.current = null;
    if (question !== null && phase.state === "ready" && ask.current) {
      ask.current(question).catch((error: unknown) => onError(error instanceof Error ? error : new Error(String(error))));
      return;
    }
    // Straight to "starting", so the old ChatKit unmounts before the new one mounts.
    setPhase({ state: "starting" });
    setAttempt((n) => n + 1);
  }, [errorKind, phase, services, onError]);

  // Coming back online recovers by itself from an offline error.
  useEffect(() => {
    if (errorKind !== "offline") return;
    window.addEventListener("online", retry);
    return () => window.removeEventListener("online", retry);
  }, [errorKind, retry]);

  // A start-up failure takes the focus the loader gave the panel, so the
  // reader lands on Retry; focus elsewhere on the page is left alone.
  useEffect(() => {
    const active = document.activeElement;
    if (phase.state === "failed" && active?.closest("#chatkit-inject-panel")) retryRef.current?.focus();
  }, [phase]);

  const onResponding = useCallback((next: boolean) => {
    setResponding(next);
    if (next) {
      // A response is streaming: whatever failed works again, and an earlier
      // failed question is not asked again.
      setChatError(null);
      unanswered.current = null;
    }
  }, []);

  return (
    <>
      <div
        id={STATUS_ID}
        className="chatkit-inject-status"
        role="status"
        aria-live="polite"
        data-state={responding ? "responding" : "idle"}
      >
        {responding ? text(config, "responding") : ""}
      </div>
      {errorKind !== null && (
        <div id={ERROR_ID} className="chatkit-inject-error" role="alert">
          <p>{text(config, errorKind)}</p>
          <button type="button" data-action="retry" ref={retryRef} onClick={retry}>
            {text(config, "retry")}
          </button>
        </div>
      )}
      {phase.state === "starting" && <div className="chatkit-inject-loading">{text(config, "loading")}</div>}
      {phase.state === "ready" && (
        <ChatView
          key={attempt}
          config={context.config}
          services={services}
          scheme={scheme}
          onError={onError}
          onResponding={onResponding}
          onClose={context.close}
          onShown={onShown}
          ask={ask}
        />
      )}
    </>
  );
}

/** Renders the panel into `host` with the given services. */
export function renderPanel(host: HTMLElement, context: PanelContext, services: PanelServices): PanelHandle {
  const root = createRoot(host);
  root.render(<Panel context={context} services={services} ownHeader={(shown) => showOwnHeader(host, shown)} />);
  return { unmount: () => root.unmount() };
}

/**
 * Entry point for the loader: checks the whole config, the page's and the site
 * module's together (the loader checked only what it reads), builds the frame (stylesheet, header, close button, body) in
 * the empty panel element `host` and renders the panel into its body. An
 * invalid config turns the widget off, as the loader does for the fields it
 * checks: toggle and panel removed, a console warning.
 */
export const mount: MountPanel = (host, { config: raw, site, ...rest }) => {
  const result = validateParts(raw, site);
  if (!result.ok) {
    console.warn(`[chatkit-inject] bad config (${result.error}); widget off`);
    const doc = host.ownerDocument;
    doc.getElementById(TOGGLE_ID)?.remove();
    doc.documentElement.classList.remove(OPEN_CLASS);
    writeItem(sessionStore(), OPEN_KEY, null);
    host.remove();
    return { unmount: () => undefined };
  }
  const context: PanelContext = { ...rest, config: result.config };
  const panel = renderPanel(buildFrame(host, context), context, createServices(context));
  // "Ask about this" (selection.ts) is offered from the first open on, if the loader's first
  // selection did not offer it before (offerAsk); the toggle opens the panel when it is closed.
  const toggle = host.ownerDocument.getElementById(TOGGLE_ID);
  if (toggle) installAsk(result.config, { toggle, panel: host, setOpen: () => host.hidden && toggle.click() });
  return {
    unmount: () => {
      panel.unmount();
      host.replaceChildren();
    },
  };
};

/** Offers "Ask about this" on the target's page, once, labelled in the page's language. */
function installAsk(config: RuntimeConfig, target: SelectionTarget): void {
  const doc = target.panel.ownerDocument;
  if (doc.getElementById(ASK_ID)) return;
  // The button's look is the panel's stylesheet's, which a page where the panel never opened
  // does not have yet.
  applyPanelStyles(doc);
  offerSelection(doc, target, text(config, "ask"));
}

/**
 * "Ask about this" for a page where the panel was never opened (AskModule): the
 * config's two parts as the loader has them, checked whole, as `mount` checks
 * them; nothing is offered when it is invalid (the first open then turns the
 * widget off).
 */
export const offerAsk: AskModule["offerAsk"] = (target, { config, site }) => {
  const result = validateParts(config, site);
  if (result.ok) installAsk(result.config, target);
};
