/**
 * The panel's stylesheet, shipped in the panel module (not in the widget.css
 * every page loads) and applied on first open as a constructable stylesheet
 * (`document.adoptedStyleSheets`, which CSP `style-src` does not govern).
 * What the CLI themes per site reaches it through custom properties that
 * widget.css defines on :root: --cki-accent, --cki-on-accent, --cki-off (the
 * corner offset), --cki-bottom and --cki-size; the panel's z-index and corner
 * come from widget.css's rule shared with the toggle, its font from the page
 * (inherited from <body>). widget.css keeps a plain error box for the one
 * error the loader shows itself (the panel module could not be loaded); the
 * full error style is here.
 */
export const PANEL_CSS =
  ":root{--cki-bg:var(--ifm-background-surface-color,#fff);--cki-fg:var(--ifm-font-color-base,#1c1e21);--cki-line:var(--ifm-color-emphasis-300,#7f7f7f66);--cki-muted:var(--ifm-color-emphasis-700,inherit)}\n" +
  "html[data-theme=dark]{--cki-bg:var(--ifm-background-surface-color,#242526);--cki-fg:var(--ifm-font-color-base,#e3e3e3)}\n" +
  ".chatkit-inject-panel{width:min(400px,calc(100vw - 2 * var(--cki-off)));height:min(600px,calc(100vh - var(--cki-bottom) - var(--cki-size) - 24px));min-height:240px;display:flex;flex-direction:column;overflow:hidden;background:var(--cki-bg);color:var(--cki-fg);border:1px solid var(--cki-line);border-radius:12px;box-shadow:0 12px 40px #0005;animation:cki-in .16s ease-out}\n" +
  ".chatkit-inject-panel[hidden]{display:none}\n" +
  ".chatkit-inject-panel:focus{outline:none}\n" +
  ".chatkit-inject-panel svg{display:block;pointer-events:none}\n" +
  ".chatkit-inject-header{flex:none;display:flex;align-items:center;justify-content:space-between;gap:8px;padding:6px;padding-inline-start:16px;border-bottom:1px solid var(--cki-line);font-weight:600;line-height:1.3}\n" +
  ".chatkit-inject-title{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\n" +
  ".chatkit-inject-close{flex:none;width:40px;height:40px;min-width:0;min-height:0;display:flex;align-items:center;justify-content:center;margin:0;padding:0;border:0;border-radius:8px;background:none;color:inherit;cursor:pointer}\n" +
  ".chatkit-inject-close:hover{background:var(--cki-line)}\n" +
  ".chatkit-inject-body{flex:1;min-height:0;display:flex;flex-direction:column}\n" +
  ".chatkit-inject-chat{display:block;flex:1;min-height:0;width:100%}\n" +
  ".chatkit-inject-status{font-size:.85em;color:var(--cki-muted)}\n" +
  ".chatkit-inject-status[data-state=responding]{padding:4px 16px}\n" +
  ".chatkit-inject-loading{padding:16px;color:var(--cki-muted)}\n" +
  ".chatkit-inject-error{padding:12px 14px;border-inline-start:4px solid var(--ifm-color-danger,#fa383e);background:var(--ifm-color-danger-contrast-background,#ffebec);color:var(--ifm-color-danger-contrast-foreground,#4b1113);font-size:.9em}\n" +
  ".chatkit-inject-error p{margin:0 0 10px}\n" +
  ".chatkit-inject-error button{padding:6px 16px;border:0;border-radius:6px;background:var(--cki-accent);color:var(--cki-on-accent);font:inherit;font-weight:600;cursor:pointer}\n" +
  // "Ask about this" (selection.ts): the site's primary button colour (the accent layer, as on the
  // toggle) over the accent, whatever a site's own button rules say (Tailwind's preflight makes
  // buttons transparent).
  "#chatkit-inject-ask{overflow:hidden;min-width:0;min-height:0;margin:0;padding:4px 12px;border:0;border-radius:6px;background:var(--cki-accent);color:var(--cki-on-accent);font:inherit;font-size:.875em;font-weight:600;line-height:1.5;white-space:nowrap;letter-spacing:normal;text-transform:none;box-shadow:0 2px 8px #0003;cursor:pointer;transform:none}\n" +
  "#chatkit-inject-ask a{position:absolute;inset:0;z-index:-1;margin:0;border:0;pointer-events:none}\n" +
  "#chatkit-inject-ask:focus-visible{outline:3px solid var(--cki-accent);outline-offset:2px}\n" +
  "@keyframes cki-in{from{opacity:0;transform:translateY(8px)}}\n" +
  "@media (max-width:480px){.chatkit-inject-panel{inset:0;z-index:2147483647;width:auto;height:auto;min-height:0;padding:env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left);border:0;border-radius:0}html.chatkit-inject-open{overflow:hidden}html:has(.chatkit-inject-panel:not([hidden])){overflow:hidden}}\n" +
  "@media (prefers-reduced-motion:reduce){.chatkit-inject-panel{animation:none}}";
