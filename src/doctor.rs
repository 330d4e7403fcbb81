//! `chatkit-inject doctor`: check a profile against the live backend before deploy.
//!
//! Each check is one line of the report, `ok`, `warn`, `FAIL` or `skip`, and every failure comes
//! with a fix. The requests are the ones a reader's browser makes (same bodies, same headers, the
//! site's `Origin`), each with a timeout; the verdicts are pure functions over the answers
//! ([`judge_session`], [`judge_preflight`], ...), so they are unit-tested without a network.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::config::{self, ConfigError, Loaded, Resolved};
use crate::exit_codes::ExitCode;

/// Check a profile against the live backend before deploy.
///
/// Makes the requests a reader's browser makes, from the site's origin, and prints one line per
/// check: the backend answers (over https unless it is on this machine); the session endpoint
/// issues a client_secret that has not expired; a CORS preflight from the site's origin allows
/// the method and headers the widget sends (Last-Event-ID included); the ChatKit endpoint
/// accepts that token (threads.list, read-only); the domain key is a real one; the ChatKit
/// script answers. Every failure comes with a fix. Nothing is written.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Examples:\n  chatkit-inject doctor --env prod             check [profiles.prod] against its backend\n  chatkit-inject doctor build/ --env prod      the same, the site's origin read from the build\n  chatkit-inject doctor --env prod --origin https://book.example.edu\n  chatkit-inject doctor --env prod --format json\n\nExit codes: 0 every check passed (warnings allowed), 1 a check failed,\n2 usage or config error."
)]
pub struct DoctorArgs {
    /// The folder `docusaurus build` wrote, read for the site's url (its canonical link)
    /// [default: build, if present].
    #[arg(value_name = "BUILD_DIR")]
    pub build_dir: Option<PathBuf>,

    /// Profile from the config: dev (built in), prod, or any [profiles.NAME].
    #[arg(long, value_name = "NAME", default_value = config::DEFAULT_PROFILE)]
    pub env: String,

    /// The site's origin, sent as Origin in the CORS checks (e.g. https://book.example.edu)
    /// [default: the site's url in BUILD_DIR/index.html, else in docusaurus.config.*].
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,

    /// Config file [default: chatkit.toml in the current directory, if present].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Format of the report on stdout.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,

    /// Seconds to wait for each request (decimals allowed).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    pub timeout: Duration,
}

/// Format of the doctor's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    /// One line per check, for people.
    #[value(alias = "human")]
    Text,
    /// One JSON object, for CI.
    Json,
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("expected a number of seconds, got {s:?}"))?;
    if !(secs > 0.0 && secs <= 600.0) {
        return Err(format!(
            "expected a number of seconds above 0 and at most 600, got {s}"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The ChatKit domain key of `chatkit.example.toml`, which is not a key.
pub const EXAMPLE_DOMAIN_KEY: &str = "domain_pk_replace_with_your_key";
/// Where a site's domain is registered with OpenAI and its domain key issued.
pub const DOMAIN_ALLOWLIST_URL: &str =
    "https://platform.openai.com/settings/organization/security/domain-allowlist";
/// Docusaurus' placeholder site url (`url` in a fresh `docusaurus.config.js`).
pub const DOCUSAURUS_PLACEHOLDER_HOST: &str = "your-docusaurus-site.example.com";
/// The widget counts a client_secret this close to its expiry (seconds) as expired
/// (`skewSeconds` in widget-assets/src/session.ts).
pub const WIDGET_EXPIRY_MARGIN_SECS: i64 = 30;
/// Request headers the widget's ChatKit requests carry that are not CORS-safelisted, as a
/// browser lists them in `Access-Control-Request-Headers` (lowercase, sorted): the bearer token,
/// the JSON body, the stream-reconnect id ChatKit adds, and the page context
/// (widget-assets/src/chat-fetch.ts).
pub const CHAT_REQUEST_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "last-event-id",
    "x-chatkit-page",
];
/// The same for the session request (widget-assets/src/session.ts): only the JSON body's type.
pub const SESSION_REQUEST_HEADERS: &[&str] = &["content-type"];
/// Largest body read from any answer; the rest is left unread.
const BODY_LIMIT: u64 = 256 * 1024;

// -- answers ----------------------------------------------------------------------------------

/// What came back from one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Answered(Answer),
    /// No complete answer within the timeout.
    TimedOut(Duration),
    /// No answer at all (DNS, connection refused, TLS, ...), with the reason.
    Failed(String),
}

/// An HTTP answer: status, headers (names lowercase) and up to [`BODY_LIMIT`] bytes of body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, comma-separated lists split, trimmed.
    fn header_list(&self, name: &str) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// A page rather than data: an HTML content type, or a body that starts like markup.
    pub fn is_html(&self) -> bool {
        let ct = self
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        ct.contains("text/html") || self.body.trim_start().starts_with('<')
    }

    fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// A short reason from the body: a JSON `message` (or `error`, `detail`), an HTML `<title>`,
    /// or the start of a plain-text body.
    pub fn reason(&self) -> Option<String> {
        if let Some(v) = self.json() {
            for key in ["message", "detail", "error"] {
                if let Some(s) = v.get(key).and_then(serde_json::Value::as_str) {
                    return Some(clip(s, 160));
                }
            }
            return None;
        }
        if self.is_html() {
            return html_title(&self.body).map(|t| clip(&t, 120));
        }
        let text = self.body.trim();
        (!text.is_empty()).then(|| clip(text, 120))
    }
}

fn clip(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// The text of an HTML page's `<title>`.
fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let title = html.get(open_end..close)?.trim();
    (!title.is_empty()).then(|| title.to_string())
}

// -- the report ---------------------------------------------------------------------------------

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// Not checked, because an earlier check failed or a value is missing.
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub status: Status,
    pub message: String,
    /// What to do about a failure or a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn pass(id: &'static str, message: impl Into<String>) -> Self {
        Check {
            id,
            status: Status::Pass,
            message: message.into(),
            fix: None,
        }
    }
    pub fn fail(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            id,
            status: Status::Fail,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
    pub fn warn(id: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            id,
            status: Status::Warn,
            message: message.into(),
            fix: Some(fix.into()),
        }
    }
    pub fn skip(id: &'static str, message: impl Into<String>) -> Self {
        Check {
            id,
            status: Status::Skip,
            message: message.into(),
            fix: None,
        }
    }
}

/// The site's origin used for the CORS checks, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiteOrigin {
    pub origin: String,
    /// `--origin`, or the file it was read from.
    pub source: String,
}

/// Everything doctor found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub profile: String,
    pub backend: String,
    pub origin: Option<SiteOrigin>,
    pub checks: Vec<Check>,
    pub passed: usize,
    pub warnings: usize,
    pub failed: usize,
    pub skipped: usize,
    pub exit_code: i32,
}

impl Report {
    pub fn new(
        profile: &str,
        backend: &str,
        origin: Option<SiteOrigin>,
        checks: Vec<Check>,
    ) -> Self {
        let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
        let failed = count(Status::Fail);
        Report {
            profile: profile.to_string(),
            backend: backend.to_string(),
            origin,
            passed: count(Status::Pass),
            warnings: count(Status::Warn),
            failed,
            skipped: count(Status::Skip),
            exit_code: if failed > 0 {
                ExitCode::PagesFailed.code()
            } else {
                ExitCode::Success.code()
            },
            checks,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        if self.failed > 0 {
            ExitCode::PagesFailed
        } else {
            ExitCode::Success
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    /// One line per check (a failure's or warning's fix on the line below it), then a summary.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "chatkit-inject doctor: profile {} (backend {})",
            self.profile, self.backend
        );
        match &self.origin {
            Some(o) => {
                let _ = writeln!(s, "  origin {} (from {})", o.origin, o.source);
            }
            None => {
                let _ = writeln!(s, "  origin unknown (no --origin, no site url found)");
            }
        }
        let width = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
        for c in &self.checks {
            let _ = writeln!(
                s,
                "  {:<4}  {:<width$}  {}",
                c.status.label(),
                c.id,
                c.message
            );
            if let Some(fix) = &c.fix {
                let _ = writeln!(s, "        {:<width$}  fix: {fix}", "");
            }
        }
        let verdict = if self.failed > 0 {
            "not ready to deploy"
        } else {
            "ready to deploy"
        };
        let _ = writeln!(
            s,
            "{verdict}: {} passed, {} failed, {} warning(s), {} skipped",
            self.passed, self.failed, self.warnings, self.skipped
        );
        s
    }
}

// -- the checks, as pure functions over answers --------------------------------------------------

fn waited(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs} s")
    }
}

/// The backend URL's scheme: https unless the backend is on this machine.
pub fn check_scheme(backend_url: &str, env: &str) -> Option<Check> {
    if backend_url.starts_with("http://") && !config::is_local_url(backend_url) {
        return Some(Check::fail(
            "backend",
            format!("{backend_url} is plain http:// on a public host: browsers block it from an https:// site (mixed content) and the token travels in clear"),
            format!("serve the backend over https:// and set [profiles.{env}] backend-url to the https:// URL"),
        ));
    }
    None
}

/// Does the backend answer at all? Any HTTP status counts.
pub fn judge_reachable(backend_url: &str, outcome: &Outcome) -> Check {
    match outcome {
        Outcome::Answered(a) => {
            let https = if backend_url.starts_with("https://") {
                " over https"
            } else {
                " over http on this machine"
            };
            Check::pass(
                "backend",
                format!("{backend_url} answers{https} (HTTP {} on /)", a.status),
            )
        }
        Outcome::TimedOut(d) => Check::fail(
            "backend",
            format!("{backend_url} did not answer within {}", waited(*d)),
            "check that the backend is running and that nothing (a firewall, a sleeping free-tier host) holds its requests; --timeout waits longer",
        ),
        Outcome::Failed(e) if e.to_ascii_lowercase().contains("certificate") => Check::fail(
            "backend",
            format!("{backend_url} has a TLS certificate that is not valid: {e}"),
            "browsers refuse it too: serve a certificate for this host name from a public authority (e.g. Let's Encrypt), with its intermediate certificates",
        ),
        Outcome::Failed(e) => Check::fail(
            "backend",
            format!("{backend_url} cannot be reached: {e}"),
            "check the backend-url (host, port, scheme) and that the backend is running and reachable from here",
        ),
    }
}

/// A token the session endpoint issued, for the ChatKit check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(pub String);

/// The session endpoint's answer: JSON with a non-empty `client_secret` and an `expires_at`
/// (unix seconds) in the future. `now` is unix seconds.
pub fn judge_session(url: &str, outcome: &Outcome, now: i64) -> (Check, Option<Token>) {
    const ID: &str = "session";
    let a = match outcome {
        Outcome::Answered(a) => a,
        Outcome::TimedOut(d) => {
            return (
                Check::fail(
                    ID,
                    format!("POST {url} did not answer within {}", waited(*d)),
                    "the widget gives up and shows readers \"can't be reached\": find what makes the session endpoint slow (the backend's logs; a cold start; a proxy's buffering)",
                ),
                None,
            )
        }
        Outcome::Failed(e) => {
            return (
                Check::fail(
                    ID,
                    format!("POST {url} failed: {e}"),
                    "check that the backend is running and reachable at this URL",
                ),
                None,
            )
        }
    };
    let reason = a.reason().map(|r| format!(": {r}")).unwrap_or_default();
    let status = a.status;
    if (300..400).contains(&status) {
        let to = a.header("location").unwrap_or("?");
        return (
            Check::fail(
                ID,
                format!("POST {url} answered a redirect (HTTP {status} to {to}), not a token: a login page or a proxy in front of the backend?"),
                "the widget's request cannot follow a redirect to a sign-in page: let the session path through the proxy without sign-in, or point backend-url at the backend itself",
            ),
            None,
        );
    }
    if a.is_html() {
        return (
            Check::fail(
                ID,
                format!("POST {url} answered an HTML page (HTTP {status}{reason}) instead of JSON: a proxy, a login page or the site itself answers there"),
                "point backend-url at the backend (not the site or a proxy's sign-in page) and check that the proxy passes the session path through to it",
            ),
            None,
        );
    }
    if status >= 500 {
        return (
            Check::fail(
                ID,
                format!("POST {url} answered HTTP {status}{reason}"),
                "the backend failed to issue a session: see its logs (readers would see \"can't be reached\")",
            ),
            None,
        );
    }
    if status == 401 || status == 403 {
        return (
            Check::fail(
                ID,
                format!("POST {url} refused the request (HTTP {status}{reason})"),
                "the session endpoint must issue tokens to the site's readers as the widget asks (a JSON POST with no cookie): remove the sign-in or key it requires",
            ),
            None,
        );
    }
    if status == 404 || status == 405 {
        return (
            Check::fail(
                ID,
                format!("POST {url} answered HTTP {status}: no session endpoint there"),
                "set session-path in the profile to the backend's session route, or fix backend-url",
            ),
            None,
        );
    }
    if !(200..300).contains(&status) {
        return (
            Check::fail(
                ID,
                format!("POST {url} answered HTTP {status}{reason}"),
                "the session endpoint must answer a JSON POST {} with 200 and {\"client_secret\", \"expires_at\"}",
            ),
            None,
        );
    }
    let Some(json) = a.json() else {
        return (
            Check::fail(
                ID,
                format!("POST {url} answered HTTP {status} but not JSON"),
                "answer {\"client_secret\": \"...\", \"expires_at\": <unix seconds>} with Content-Type: application/json",
            ),
            None,
        );
    };
    let secret = json
        .get("client_secret")
        .and_then(serde_json::Value::as_str)
        .filter(|s| !s.is_empty());
    let Some(secret) = secret else {
        return (
            Check::fail(
                ID,
                format!("POST {url} answered JSON without a client_secret"),
                "answer {\"client_secret\": \"...\", \"expires_at\": <unix seconds>}: the widget sends client_secret as the bearer token",
            ),
            None,
        );
    };
    let token = Some(Token(secret.to_string()));
    let check = match json.get("expires_at") {
        None | Some(serde_json::Value::Null) => Check::warn(
            ID,
            format!("POST {url} issued a client_secret without expires_at"),
            "add expires_at (unix seconds): without it the widget uses the token until the backend refuses it, one failed request per expiry",
        ),
        Some(v) => match v.as_f64() {
            None => Check::fail(
                ID,
                format!("POST {url} issued a client_secret whose expires_at is not a number ({v})"),
                "expires_at must be unix seconds (a number); the widget refuses this answer",
            ),
            Some(exp) if exp > 1e11 => Check::warn(
                ID,
                format!("POST {url} issued a client_secret whose expires_at ({exp:.0}) looks like milliseconds"),
                "expires_at is unix seconds: divide by 1000, or the widget never refreshes the token before the backend refuses it",
            ),
            Some(exp) => {
                let left = exp as i64 - now;
                if left <= 0 {
                    Check::fail(
                        ID,
                        format!("POST {url} issued a client_secret that had already expired ({} ago)", span(-left)),
                        "the backend issues expired tokens: check its clock (and this machine's) and the token lifetime",
                    )
                } else if left <= WIDGET_EXPIRY_MARGIN_SECS {
                    Check::fail(
                        ID,
                        format!("POST {url} issued a client_secret that expires in {left} s"),
                        format!("the widget renews a token {WIDGET_EXPIRY_MARGIN_SECS} s before it expires, so it would ask for a new one at every request: issue tokens valid for minutes (check the backend's clock too)"),
                    )
                } else {
                    Check::pass(
                        ID,
                        format!("POST {url} issued a client_secret valid for {}", span(left)),
                    )
                }
            }
        },
    };
    (check, token)
}

fn span(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

/// Why a CORS exchange would fail in a browser, with the fix; `None` when it would pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsProblem {
    pub message: String,
    pub fix: String,
}

fn allow_origin_fix(origin: &str) -> String {
    format!("add {origin} to the backend's allowed CORS origins (CHATKIT_ALLOWED_ORIGINS for the reference backend); the value must be the site's exact origin: scheme, host and port")
}

/// Does `Access-Control-Allow-Origin` let a page of `origin` read the answer?
fn origin_problem(a: &Answer, origin: &str, what: &str) -> Option<CorsProblem> {
    let values = a.header_list("access-control-allow-origin");
    match values.as_slice() {
        [] => Some(CorsProblem {
            message: format!("{what} has no Access-Control-Allow-Origin for {origin}: the origin is not allowed"),
            fix: allow_origin_fix(origin),
        }),
        [one] if one == "*" || one.eq_ignore_ascii_case(origin) => None,
        [one] => Some(CorsProblem {
            message: format!("{what} allows the origin {one}, not {origin}"),
            fix: allow_origin_fix(origin),
        }),
        _ => Some(CorsProblem {
            message: format!(
                "{what} has several Access-Control-Allow-Origin values ({}): browsers refuse that",
                values.join(", ")
            ),
            fix: "send one Access-Control-Allow-Origin (the request's origin, when allowed): a proxy and the backend both add it?".into(),
        }),
    }
}

/// A CORS preflight (`OPTIONS` with `Access-Control-Request-*`) judged as a browser does
/// (Fetch standard, CORS-preflight fetch): an ok status, the origin allowed, the method allowed
/// unless CORS-safelisted, every requested header allowed (`*` covers all but `authorization`).
pub fn judge_preflight(
    what: &str,
    outcome: &Outcome,
    origin: &str,
    method: &str,
    headers: &[&str],
) -> Option<CorsProblem> {
    let a = match outcome {
        Outcome::Answered(a) => a,
        Outcome::TimedOut(d) => {
            return Some(CorsProblem {
                message: format!(
                    "the preflight of {what} did not answer within {}",
                    waited(*d)
                ),
                fix: "the backend (or a proxy) must answer OPTIONS requests promptly".into(),
            })
        }
        Outcome::Failed(e) => {
            return Some(CorsProblem {
                message: format!("the preflight of {what} failed: {e}"),
                fix: "the backend (or a proxy) must answer OPTIONS requests".into(),
            })
        }
    };
    if let Some(p) = origin_problem(a, origin, &format!("the preflight of {what}")) {
        return Some(p);
    }
    let allowed_headers: Vec<String> = a
        .header_list("access-control-allow-headers")
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let wildcard = allowed_headers.iter().any(|h| h == "*");
    let missing: Vec<&str> = headers
        .iter()
        .copied()
        .filter(|h| {
            let h = h.to_ascii_lowercase();
            !(allowed_headers.contains(&h) || (wildcard && h != "authorization"))
        })
        .collect();
    if !missing.is_empty() {
        let reconnect = if missing.contains(&"last-event-id") {
            " (ChatKit sends Last-Event-ID when a reply's stream reconnects)"
        } else {
            ""
        };
        return Some(CorsProblem {
            message: format!(
                "the preflight of {what} does not allow the request header(s) {}{reconnect}",
                missing.join(", ")
            ),
            fix: format!("allow the headers {} in the backend's CORS (allow_headers; the reference backend allows any header for its allowed origins)", headers.join(", ")),
        });
    }
    let safelisted = matches!(method, "GET" | "HEAD" | "POST");
    let methods = a.header_list("access-control-allow-methods");
    if !safelisted && !methods.iter().any(|m| m == method || m == "*") {
        return Some(CorsProblem {
            message: format!("the preflight of {what} does not allow the method {method}"),
            fix: format!("allow {method} in the backend's CORS methods"),
        });
    }
    if !(200..300).contains(&a.status) {
        let reason = a.reason().map(|r| format!(": {r}")).unwrap_or_default();
        return Some(CorsProblem {
            message: format!(
                "the preflight of {what} answered HTTP {}{reason} (a browser needs 2xx)",
                a.status
            ),
            fix: "answer OPTIONS with 204 or 200 and the CORS headers, before any authentication (a preflight never carries the token)".into(),
        });
    }
    None
}

/// The CORS line: both preflights, and the session answer's own `Access-Control-Allow-Origin`.
pub fn judge_cors(
    origin: &str,
    session_preflight: &Outcome,
    chat_preflight: &Outcome,
    session_answer: Option<&Answer>,
) -> Check {
    const ID: &str = "cors";
    let problem = judge_preflight(
        "POST session",
        session_preflight,
        origin,
        "POST",
        SESSION_REQUEST_HEADERS,
    )
    .or_else(|| {
        judge_preflight(
            "POST chatkit",
            chat_preflight,
            origin,
            "POST",
            CHAT_REQUEST_HEADERS,
        )
    })
    .or_else(|| {
        session_answer
            .filter(|a| (200..300).contains(&a.status))
            .and_then(|a| origin_problem(a, origin, "the session answer"))
    });
    match problem {
        Some(p) => Check::fail(ID, p.message, p.fix),
        None => Check::pass(
            ID,
            format!(
                "{origin} may POST to the session and ChatKit endpoints with {}",
                CHAT_REQUEST_HEADERS.join(", ")
            ),
        ),
    }
}

/// The body of the read-only ChatKit request doctor sends.
pub const THREADS_LIST: &str = r#"{"type":"threads.list","params":{"limit":1,"order":"desc"}}"#;

/// The ChatKit endpoint's answer to `threads.list` with the session's token.
pub fn judge_chatkit(url: &str, outcome: &Outcome) -> Check {
    const ID: &str = "chatkit";
    let a = match outcome {
        Outcome::Answered(a) => a,
        Outcome::TimedOut(d) => {
            return Check::fail(
                ID,
                format!(
                    "POST {url} (threads.list) did not answer within {}",
                    waited(*d)
                ),
                "find what makes the ChatKit endpoint slow (the backend's logs, its store)",
            )
        }
        Outcome::Failed(e) => {
            return Check::fail(
                ID,
                format!("POST {url} (threads.list) failed: {e}"),
                "check that the backend is running and serves the ChatKit endpoint",
            )
        }
    };
    let status = a.status;
    let reason = a.reason().map(|r| format!(": {r}")).unwrap_or_default();
    if a.is_html() {
        return Check::fail(
            ID,
            format!("POST {url} answered an HTML page (HTTP {status}{reason}) instead of ChatKit JSON"),
            "point backend-url and chat-path at the backend's ChatKit endpoint, and let a proxy pass it through",
        );
    }
    match status {
        200..=299 => {
            let listed = a
                .json()
                .and_then(|v| v.get("data").and_then(|d| d.as_array().map(Vec::len)));
            match listed {
                Some(_) => Check::pass(
                    ID,
                    format!("POST {url} accepted the session's token (threads.list answered)"),
                ),
                None => Check::fail(
                    ID,
                    format!("POST {url} answered HTTP {status}, but not a ChatKit page of threads"),
                    "the endpoint must speak the ChatKit protocol (openai-chatkit's ChatKitServer.process)",
                ),
            }
        }
        401 | 403 => Check::fail(
            ID,
            format!("POST {url} refused the token the session endpoint had just issued (HTTP {status}{reason})"),
            "the two endpoints must agree on tokens: the same signing secret on every backend process (CHATKIT_SESSION_SECRET for the reference backend), clocks in sync, and a proxy that passes the Authorization header through",
        ),
        404 | 405 => Check::fail(
            ID,
            format!("POST {url} answered HTTP {status}: no ChatKit endpoint there"),
            "set chat-path in the profile to the backend's ChatKit route, or fix backend-url",
        ),
        s if s >= 500 => Check::fail(
            ID,
            format!("POST {url} answered HTTP {status}{reason}"),
            "the ChatKit endpoint failed on a read-only request: see the backend's logs",
        ),
        _ => Check::fail(
            ID,
            format!("POST {url} refused threads.list (HTTP {status}{reason})"),
            "the endpoint must speak the ChatKit protocol (openai-chatkit's ChatKitServer.process)",
        ),
    }
}

/// The domain key: not empty, not the example's placeholder, not `local-dev` off this machine.
pub fn check_domain_key(key: &str, env: &str, backend_local: bool) -> Check {
    const ID: &str = "domain-key";
    let key = key.trim();
    let register = format!(
        "register the site's domain at {DOMAIN_ALLOWLIST_URL} and set [profiles.{env}] domain-key to the key it issues"
    );
    if key.is_empty() {
        return Check::fail(ID, "the domain key is empty", register);
    }
    if key == EXAMPLE_DOMAIN_KEY || key.contains("replace_with") {
        return Check::fail(
            ID,
            format!("the domain key is the example's placeholder ({key})"),
            register,
        );
    }
    if key == config::DEV_DOMAIN_KEY {
        if backend_local {
            return Check::pass(
                ID,
                format!("{key} (a local backend; ChatKit does not check the key on localhost)"),
            );
        }
        return Check::fail(
            ID,
            format!("the domain key is {key} with a backend that is not on this machine: ChatKit refuses it off localhost"),
            register,
        );
    }
    if !backend_local && !key.starts_with("domain_pk_") {
        return Check::warn(
            ID,
            format!("the domain key {key} does not look like one OpenAI issues (domain_pk_...)"),
            register,
        );
    }
    Check::pass(
        ID,
        format!("{key} (ChatKit checks it against the site's domain in OpenAI's allowlist)"),
    )
}

/// The ChatKit script URL: a failure if it answers an error, only a warning if it cannot be
/// reached from here (a reader's browser may well reach it).
pub fn judge_script(url: &str, outcome: &Outcome) -> Check {
    const ID: &str = "script";
    match outcome {
        Outcome::Answered(a) if (200..300).contains(&a.status) => {
            if a.is_html() {
                Check::warn(
                    ID,
                    format!("{url} answered an HTML page, not a script"),
                    "check [widget] script-url: it must be ChatKit's chatkit.js",
                )
            } else {
                Check::pass(ID, format!("{url} answers (HTTP {})", a.status))
            }
        }
        Outcome::Answered(a) => Check::fail(
            ID,
            format!("{url} answered HTTP {}: the widget could not load ChatKit", a.status),
            "check [widget] script-url (or remove it to use OpenAI's CDN)",
        ),
        Outcome::TimedOut(d) => Check::warn(
            ID,
            format!("{url} did not answer from here within {}", waited(*d)),
            "if readers' browsers can load it, nothing to do; a page Content-Security-Policy must allow it (script-src) and its iframe (frame-src)",
        ),
        Outcome::Failed(e) => Check::warn(
            ID,
            format!("{url} cannot be reached from here: {e}"),
            "if readers' browsers can load it, nothing to do; a page Content-Security-Policy must allow it (script-src) and its iframe (frame-src)",
        ),
    }
}

// -- the site's origin ----------------------------------------------------------------------------

/// `scheme://host[:port]` of an absolute http(s) URL, lowercased; `None` if it is not one.
pub fn origin_of(url: &str) -> Option<String> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty()
        || authority.contains('@')
        || authority
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority
        .strip_suffix(default_port)
        .unwrap_or(&authority)
        .to_string();
    Some(format!("{scheme}://{authority}"))
}

/// The site's url as the build's home page states it: its canonical link, else `og:url`.
pub fn site_url_in_page(html: &str) -> Option<String> {
    use lol_html::{element, HtmlRewriter, Settings};
    let canonical = std::cell::RefCell::new(None::<String>);
    let og = std::cell::RefCell::new(None::<String>);
    {
        let settings = Settings::new()
            .append_element_content_handler(element!("link[rel=canonical][href]", |el| {
                if canonical.borrow().is_none() {
                    *canonical.borrow_mut() = el.get_attribute("href");
                }
                Ok(())
            }))
            .append_element_content_handler(element!("meta[property='og:url'][content]", |el| {
                if og.borrow().is_none() {
                    *og.borrow_mut() = el.get_attribute("content");
                }
                Ok(())
            }));
        let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
        // A page lol_html cannot parse simply has no url to offer.
        if rewriter.write(html.as_bytes()).is_ok() {
            let _ = rewriter.end();
        }
    }
    let found = canonical.into_inner().or(og.into_inner());
    found.filter(|u| origin_of(u).is_some())
}

/// `url: "https://..."` in a Docusaurus config file (the first top-level-looking `url:` key).
pub fn site_url_in_docusaurus_config(text: &str) -> Option<String> {
    for line in text.lines() {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix("url") else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let quote = rest.chars().next()?;
        if !matches!(quote, '"' | '\'' | '`') {
            continue;
        }
        let value: String = rest[1..].chars().take_while(|c| *c != quote).collect();
        if origin_of(&value).is_some() {
            return Some(value);
        }
    }
    None
}

/// The site's origin: `--origin`, else the build's home page, else `docusaurus.config.*` in
/// `cwd`. An `--origin` that is not an http(s) URL is an error.
pub fn find_origin(
    flag: Option<&str>,
    build_dir: &Path,
    cwd: &Path,
) -> Result<Option<SiteOrigin>, String> {
    if let Some(url) = flag {
        let origin = origin_of(url).ok_or_else(|| {
            format!(
                "--origin {url:?}: expected the site's http(s) URL, e.g. https://book.example.edu"
            )
        })?;
        return Ok(Some(SiteOrigin {
            origin,
            source: "--origin".into(),
        }));
    }
    let index = build_dir.join("index.html");
    if let Ok(html) = std::fs::read_to_string(&index) {
        if let Some(origin) = site_url_in_page(&html).and_then(|u| origin_of(&u)) {
            return Ok(Some(SiteOrigin {
                origin,
                source: format!("{} (canonical link)", index.display()),
            }));
        }
    }
    for name in [
        "docusaurus.config.ts",
        "docusaurus.config.js",
        "docusaurus.config.mjs",
        "docusaurus.config.cjs",
    ] {
        let path = cwd.join(name);
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Some(origin) = site_url_in_docusaurus_config(&text).and_then(|u| origin_of(&u)) {
                return Ok(Some(SiteOrigin {
                    origin,
                    source: format!("{} (url)", path.display()),
                }));
            }
        }
    }
    Ok(None)
}

// -- running it ---------------------------------------------------------------------------------

/// Where each request goes, from the resolved profile.
#[derive(Debug, Clone)]
pub struct Targets {
    pub backend: String,
    pub session: String,
    pub chat: String,
    pub script: String,
}

impl Targets {
    pub fn of(r: &Resolved) -> Self {
        Targets {
            backend: r.backend_url.clone(),
            session: format!("{}{}", r.backend_url, r.session_path),
            chat: format!("{}{}", r.backend_url, r.chat_path),
            script: r.script_url.clone(),
        }
    }
}

/// A blocking HTTP client with one timeout for each whole request (connect, send, answer, body).
pub struct Client {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Client {
    pub fn new(timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(format!(
                "chatkit-inject-doctor/{}",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .new_agent();
        Client { agent, timeout }
    }

    /// One request; `read_body` false leaves the body unread (the script).
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
        read_body: bool,
    ) -> Outcome {
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match builder.body(body.unwrap_or("").to_string()) {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("invalid request: {e}")),
        };
        let started = Instant::now();
        let result = if body.is_some() {
            self.agent.run(request)
        } else {
            let (parts, _) = request.into_parts();
            self.agent.run(ureq::http::Request::from_parts(parts, ()))
        };
        let mut response = match result {
            Ok(r) => r,
            Err(e) => return self.failure(e, started),
        };
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut bytes = Vec::new();
        if read_body {
            let reader = response.body_mut().as_reader();
            if let Err(e) = reader.take(BODY_LIMIT).read_to_end(&mut bytes) {
                if e.kind() == std::io::ErrorKind::TimedOut
                    || started.elapsed() >= self.timeout
                    || e.to_string().contains("timeout")
                {
                    return Outcome::TimedOut(self.timeout);
                }
                return Outcome::Failed(format!("the answer was cut: {e}"));
            }
        }
        Outcome::Answered(Answer {
            status: response.status().as_u16(),
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    fn failure(&self, e: ureq::Error, started: Instant) -> Outcome {
        match e {
            ureq::Error::Timeout(_) => Outcome::TimedOut(self.timeout),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                Outcome::TimedOut(self.timeout)
            }
            _ if started.elapsed() >= self.timeout => Outcome::TimedOut(self.timeout),
            ureq::Error::HostNotFound => Outcome::Failed("the host name does not resolve".into()),
            ureq::Error::Io(io) if io.to_string().contains("lookup address") => {
                Outcome::Failed("the host name does not resolve".into())
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
                Outcome::Failed("connection refused (nothing listens there)".into())
            }
            other => Outcome::Failed(other.to_string()),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Run every check of profile `r` against its live backend.
pub fn diagnose(r: &Resolved, origin: Option<&SiteOrigin>, timeout: Duration) -> Vec<Check> {
    let client = Client::new(timeout);
    let t = Targets::of(r);
    let local = config::is_local_url(&r.backend_url);
    let mut checks = Vec::new();
    let origin_header: Vec<(&str, &str)> = origin
        .map(|o| vec![("Origin", o.origin.as_str())])
        .unwrap_or_default();

    // 1. The backend answers, over https unless local.
    let reachable = match check_scheme(&t.backend, &r.env) {
        Some(bad) => {
            checks.push(bad);
            false
        }
        None => {
            let c = judge_reachable(
                &t.backend,
                &client.send("GET", &format!("{}/", t.backend), &[], None, true),
            );
            let ok = c.status == Status::Pass;
            checks.push(c);
            ok
        }
    };

    if reachable {
        // 2. The session endpoint, asked as the widget asks.
        let mut headers = origin_header.clone();
        headers.push(("Content-Type", "application/json"));
        let session = client.send("POST", &t.session, &headers, Some("{}"), true);
        let (check, token) = judge_session(&t.session, &session, unix_now());
        checks.push(check);

        // 3. CORS from the site's origin.
        checks.push(match origin {
            Some(o) if o.origin.contains(DOCUSAURUS_PLACEHOLDER_HOST) => Check::warn(
                "cors",
                format!("not checked: the site's url is Docusaurus' placeholder ({}, from {})", o.origin, o.source),
                "set url in docusaurus.config.js to the site's real address and build again, or pass --origin",
            ),
            Some(o) => {
                let preflight = |url: &str, request_headers: &[&str]| {
                    let list = request_headers.join(",");
                    client.send(
                        "OPTIONS",
                        url,
                        &[
                            ("Origin", o.origin.as_str()),
                            ("Access-Control-Request-Method", "POST"),
                            ("Access-Control-Request-Headers", list.as_str()),
                        ],
                        None,
                        true,
                    )
                };
                let session_pre = preflight(&t.session, SESSION_REQUEST_HEADERS);
                let chat_pre = preflight(&t.chat, CHAT_REQUEST_HEADERS);
                let answer = match &session {
                    Outcome::Answered(a) => Some(a),
                    _ => None,
                };
                judge_cors(&o.origin, &session_pre, &chat_pre, answer)
            }
            None => Check::warn(
                "cors",
                "not checked: the site's origin is unknown (no --origin, no url in BUILD_DIR/index.html or docusaurus.config.*)",
                "pass --origin https://your-site.example.edu (the address readers open)",
            ),
        });

        // 4. The ChatKit endpoint accepts that token.
        checks.push(match token {
            Some(Token(secret)) => {
                let bearer = format!("Bearer {secret}");
                let mut headers = origin_header.clone();
                headers.extend([
                    ("Content-Type", "application/json"),
                    ("Authorization", bearer.as_str()),
                    (
                        "X-ChatKit-Page",
                        r#"{"path":"/","title":"chatkit-inject doctor","lang":"en"}"#,
                    ),
                ]);
                let answer = client.send("POST", &t.chat, &headers, Some(THREADS_LIST), true);
                judge_chatkit(&t.chat, &answer)
            }
            None => Check::skip(
                "chatkit",
                format!(
                    "not checked: the session endpoint issued no token ({})",
                    t.chat
                ),
            ),
        });
    } else {
        for id in ["session", "cors", "chatkit"] {
            checks.push(Check::skip(id, "not checked: the backend check failed"));
        }
    }

    // 5. The domain key.
    checks.push(check_domain_key(&r.domain_key, &r.env, local));

    // 6. The ChatKit script.
    checks.push(judge_script(
        &t.script,
        &client.send("GET", &t.script, &[], None, false),
    ));
    checks
}

/// Why doctor could not start: a config or usage error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Usage(String),
}

/// Settle the profile and origin, then run the checks.
pub fn run(args: &DoctorArgs) -> Result<Report, DoctorError> {
    let loaded = match &args.config {
        Some(path) => config::load(path)?,
        None if Path::new(crate::cli::DEFAULT_CONFIG_FILE).is_file() => {
            config::load(Path::new(crate::cli::DEFAULT_CONFIG_FILE))?
        }
        None => Loaded::default(),
    };
    let resolved = config::resolve_with(&loaded, &args.env, config::DomainKeyRule::Report)?;
    let build_dir = match &args.build_dir {
        Some(dir) if !dir.is_dir() => {
            return Err(DoctorError::Usage(format!(
                "{}: not a directory (BUILD_DIR is the folder `docusaurus build` wrote)",
                dir.display()
            )))
        }
        Some(dir) => dir.clone(),
        None => PathBuf::from("build"),
    };
    let origin = find_origin(args.origin.as_deref(), &build_dir, Path::new("."))
        .map_err(DoctorError::Usage)?;
    let checks = diagnose(&resolved, origin.as_ref(), args.timeout);
    Ok(Report::new(
        &resolved.env,
        &resolved.backend_url,
        origin,
        checks,
    ))
}

/// The `doctor` subcommand: run, print the report in the chosen format, give the exit code.
pub fn main(args: &DoctorArgs) -> ExitCode {
    let report = match run(args) {
        Ok(r) => r,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::UsageError;
        }
    };
    match args.format {
        DoctorFormat::Json => println!("{}", report.to_json()),
        DoctorFormat::Text => print!("{}", report.to_text()),
    }
    report.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "https://book.example.edu";
    const URL: &str = "https://chat.example.edu/api/chatkit/session";
    const NOW: i64 = 1_800_000_000;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
        Outcome::Answered(Answer {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.to_string(),
        })
    }

    fn json(status: u16, body: &str) -> Outcome {
        answer(status, &[("content-type", "application/json")], body)
    }

    fn session(outcome: &Outcome) -> (Check, Option<Token>) {
        judge_session(URL, outcome, NOW)
    }

    #[test]
    fn a_fresh_token_passes_and_is_handed_on() {
        let body = format!(r#"{{"client_secret":"tok","expires_at":{}}}"#, NOW + 900);
        let (check, token) = session(&json(200, &body));
        assert_eq!(check.status, Status::Pass, "{check:?}");
        assert!(check.message.contains("valid for 15 min"), "{check:?}");
        assert_eq!(token, Some(Token("tok".into())));
    }

    #[test]
    fn expired_and_nearly_expired_tokens_fail() {
        let body = format!(r#"{{"client_secret":"tok","expires_at":{}}}"#, NOW - 60);
        let (check, token) = session(&json(200, &body));
        assert_eq!(check.status, Status::Fail);
        assert!(
            check.message.contains("already expired (60 s ago)"),
            "{check:?}"
        );
        assert!(check.fix.as_deref().unwrap_or("").contains("clock"));
        // Still handed on: the ChatKit check shows whether the backend refuses it too.
        assert!(token.is_some());
        let body = format!(r#"{{"client_secret":"tok","expires_at":{}}}"#, NOW + 10);
        let (check, _) = session(&json(200, &body));
        assert_eq!(check.status, Status::Fail);
        assert!(check.message.contains("expires in 10 s"), "{check:?}");
    }

    #[test]
    fn expiry_missing_or_in_milliseconds_warns_and_a_string_fails() {
        let (check, token) = session(&json(200, r#"{"client_secret":"tok"}"#));
        assert_eq!(check.status, Status::Warn);
        assert!(token.is_some());
        let body = format!(r#"{{"client_secret":"tok","expires_at":{}}}"#, NOW * 1000);
        assert!(session(&json(200, &body))
            .0
            .message
            .contains("milliseconds"));
        let (check, _) = session(&json(200, r#"{"client_secret":"tok","expires_at":"soon"}"#));
        assert_eq!(check.status, Status::Fail);
    }

    #[test]
    fn no_client_secret_fails_without_a_token() {
        for body in [
            r#"{"expires_at":1}"#,
            r#"{"client_secret":""}"#,
            r#"{"client_secret":42}"#,
        ] {
            let (check, token) = session(&json(200, body));
            assert_eq!(check.status, Status::Fail, "{body}");
            assert!(check.message.contains("without a client_secret"), "{body}");
            assert!(token.is_none());
        }
        let (check, _) = session(&answer(200, &[("content-type", "text/plain")], "ok"));
        assert!(check.message.contains("not JSON"), "{check:?}");
    }

    #[test]
    fn an_html_page_is_named_with_its_title() {
        let page = "<!DOCTYPE html><html><head><title>Sign in - Campus SSO</title></head></html>";
        for status in [200, 502] {
            let (check, token) = session(&answer(status, &[("content-type", "text/html")], page));
            assert_eq!(check.status, Status::Fail);
            assert!(check.message.contains("an HTML page"), "{check:?}");
            assert!(check.message.contains("Sign in - Campus SSO"), "{check:?}");
            assert!(token.is_none());
        }
        // Markup without an HTML content type is still a page.
        let (check, _) = session(&answer(200, &[], "  <html>login</html>"));
        assert!(check.message.contains("an HTML page"), "{check:?}");
    }

    #[test]
    fn server_errors_redirects_refusals_and_timeouts_each_have_their_line() {
        let cases: [(Outcome, &str); 6] = [
            (
                json(500, r#"{"error":"x","message":"database down"}"#),
                "HTTP 500: database down",
            ),
            (
                answer(302, &[("location", "https://sso.example.edu/")], ""),
                "redirect (HTTP 302 to https://sso.example.edu/)",
            ),
            (
                json(401, r#"{"message":"no"}"#),
                "refused the request (HTTP 401: no)",
            ),
            (
                json(404, r#"{"detail":"Not Found"}"#),
                "no session endpoint",
            ),
            (
                Outcome::TimedOut(Duration::from_millis(1500)),
                "did not answer within 1.5 s",
            ),
            (
                Outcome::Failed("connection refused".into()),
                "failed: connection refused",
            ),
        ];
        for (outcome, expected) in cases {
            let (check, token) = session(&outcome);
            assert_eq!(check.status, Status::Fail, "{check:?}");
            assert!(check.message.contains(expected), "{expected}: {check:?}");
            assert!(check.fix.is_some(), "{check:?}");
            assert!(token.is_none());
        }
        let (check, _) = session(&json(500, "{}"));
        assert!(check.fix.as_deref().unwrap_or("").contains("logs"));
        let (check, _) = session(&json(404, "{}"));
        assert!(check.fix.as_deref().unwrap_or("").contains("session-path"));
    }

    fn preflight(headers: &[(&str, &str)], status: u16) -> Outcome {
        answer(status, headers, "")
    }

    fn chat_problem(outcome: &Outcome) -> Option<CorsProblem> {
        judge_preflight(
            "POST chatkit",
            outcome,
            ORIGIN,
            "POST",
            CHAT_REQUEST_HEADERS,
        )
    }

    #[test]
    fn a_preflight_allowing_the_widget_headers_passes() {
        let ok = preflight(
            &[
                ("access-control-allow-origin", ORIGIN),
                ("access-control-allow-methods", "GET, POST, OPTIONS"),
                (
                    "access-control-allow-headers",
                    "Authorization, Content-Type, Last-Event-ID, X-ChatKit-Page",
                ),
            ],
            200,
        );
        assert_eq!(chat_problem(&ok), None);
        // A wildcard covers every header but Authorization (Fetch standard).
        let star = preflight(
            &[
                ("access-control-allow-origin", "*"),
                ("access-control-allow-headers", "*"),
            ],
            204,
        );
        let p = chat_problem(&star).expect("authorization is not covered by *");
        assert!(p.message.contains("authorization"), "{p:?}");
        assert!(!p.message.contains("content-type"), "{p:?}");
    }

    #[test]
    fn a_preflight_without_last_event_id_fails_naming_it() {
        let old = preflight(
            &[
                ("access-control-allow-origin", ORIGIN),
                (
                    "access-control-allow-headers",
                    "authorization,content-type,x-chatkit-page",
                ),
            ],
            200,
        );
        let p = chat_problem(&old).expect("Last-Event-ID missing");
        assert!(p.message.contains("last-event-id"), "{p:?}");
        assert!(p.message.contains("reconnects"), "{p:?}");
    }

    #[test]
    fn a_preflight_from_a_refused_origin_fails_with_the_origin_fix() {
        // Starlette's answer to an origin it does not allow: 400, no Allow-Origin.
        let refused = answer(
            400,
            &[("content-type", "text/plain")],
            "Disallowed CORS origin",
        );
        let p = chat_problem(&refused).expect("origin refused");
        assert!(
            p.message.contains("no Access-Control-Allow-Origin"),
            "{p:?}"
        );
        assert!(p.fix.contains(ORIGIN), "{p:?}");
        let other = preflight(
            &[("access-control-allow-origin", "https://other.example")],
            200,
        );
        let p = chat_problem(&other).expect("another origin");
        assert!(p
            .message
            .contains("https://other.example, not https://book.example.edu"));
        let twice = answer(
            200,
            &[
                ("access-control-allow-origin", ORIGIN),
                ("access-control-allow-origin", ORIGIN),
            ],
            "",
        );
        assert!(chat_problem(&twice)
            .expect("two values")
            .message
            .contains("several"));
    }

    #[test]
    fn a_preflight_with_a_bad_status_fails_even_with_headers() {
        let p = chat_problem(&preflight(
            &[
                ("access-control-allow-origin", ORIGIN),
                ("access-control-allow-headers", "*, authorization"),
            ],
            401,
        ))
        .expect("401 preflight");
        assert!(p.message.contains("HTTP 401"), "{p:?}");
        let p = chat_problem(&Outcome::TimedOut(Duration::from_secs(2))).expect("timeout");
        assert!(p.message.contains("within 2 s"), "{p:?}");
    }

    #[test]
    fn judge_cors_also_reads_the_session_answers_allow_origin() {
        let ok = preflight(
            &[
                ("access-control-allow-origin", ORIGIN),
                (
                    "access-control-allow-headers",
                    "authorization,content-type,last-event-id,x-chatkit-page",
                ),
            ],
            200,
        );
        let good = Answer {
            status: 200,
            headers: vec![("access-control-allow-origin".into(), ORIGIN.into())],
            body: String::new(),
        };
        assert_eq!(
            judge_cors(ORIGIN, &ok, &ok, Some(&good)).status,
            Status::Pass
        );
        let bare = Answer {
            status: 200,
            ..Answer::default()
        };
        let check = judge_cors(ORIGIN, &ok, &ok, Some(&bare));
        assert_eq!(check.status, Status::Fail);
        assert!(check.message.contains("the session answer"), "{check:?}");
    }

    #[test]
    fn chatkit_verdicts() {
        let url = "https://chat.example.edu/chatkit";
        let ok = judge_chatkit(url, &json(200, r#"{"data":[],"has_more":false}"#));
        assert_eq!(ok.status, Status::Pass, "{ok:?}");
        let refused = judge_chatkit(
            url,
            &json(
                401,
                r#"{"error":"unauthorized","message":"Invalid session: token expired."}"#,
            ),
        );
        assert_eq!(refused.status, Status::Fail);
        assert!(refused.message.contains("token expired"), "{refused:?}");
        assert!(refused
            .fix
            .as_deref()
            .unwrap_or("")
            .contains("signing secret"));
        let other = judge_chatkit(url, &json(200, r#"{"ok":true}"#));
        assert_eq!(other.status, Status::Fail);
        let page = judge_chatkit(
            url,
            &answer(200, &[("content-type", "text/html")], "<html>"),
        );
        assert!(page.message.contains("HTML page"), "{page:?}");
        let missing = judge_chatkit(url, &json(404, "{}"));
        assert!(missing.fix.as_deref().unwrap_or("").contains("chat-path"));
    }

    #[test]
    fn domain_key_rules() {
        assert_eq!(check_domain_key("", "prod", false).status, Status::Fail);
        let placeholder = check_domain_key(EXAMPLE_DOMAIN_KEY, "prod", false);
        assert_eq!(placeholder.status, Status::Fail);
        assert!(placeholder.message.contains("placeholder"));
        assert!(placeholder
            .fix
            .as_deref()
            .unwrap_or("")
            .contains(DOMAIN_ALLOWLIST_URL));
        assert_eq!(
            check_domain_key("local-dev", "dev", true).status,
            Status::Pass
        );
        let off_local = check_domain_key("local-dev", "staging", false);
        assert_eq!(off_local.status, Status::Fail);
        assert!(off_local
            .fix
            .as_deref()
            .unwrap_or("")
            .contains("[profiles.staging]"));
        assert_eq!(
            check_domain_key("domain_pk_abc123", "prod", false).status,
            Status::Pass
        );
        assert_eq!(check_domain_key("abc", "prod", false).status, Status::Warn);
    }

    #[test]
    fn the_example_config_key_is_the_placeholder_doctor_refuses() {
        let text = include_str!("../chatkit.example.toml");
        assert!(text.contains(&format!("domain-key = \"{EXAMPLE_DOMAIN_KEY}\"")));
    }

    #[test]
    fn script_unreachable_is_only_a_warning() {
        let url = config::DEFAULT_SCRIPT_URL;
        assert_eq!(
            judge_script(
                url,
                &Outcome::Failed("the host name does not resolve".into())
            )
            .status,
            Status::Warn
        );
        assert_eq!(
            judge_script(url, &Outcome::TimedOut(Duration::from_secs(1))).status,
            Status::Warn
        );
        assert_eq!(
            judge_script(url, &answer(404, &[], "")).status,
            Status::Fail
        );
        assert_eq!(
            judge_script(
                url,
                &answer(200, &[("content-type", "text/javascript")], "")
            )
            .status,
            Status::Pass
        );
    }

    #[test]
    fn scheme_and_reachability() {
        assert!(check_scheme("http://localhost:8000", "dev").is_none());
        assert!(check_scheme("https://chat.example.edu", "prod").is_none());
        let plain = check_scheme("http://chat.example.edu", "dev").expect("plain http");
        assert_eq!(plain.status, Status::Fail);
        assert!(plain.fix.as_deref().unwrap_or("").contains("https://"));
        let c = judge_reachable("https://chat.example.edu", &json(404, "{}"));
        assert_eq!(c.status, Status::Pass);
        assert!(c.message.contains("over https"), "{c:?}");
        let tls = judge_reachable(
            "https://chat.example.edu",
            &Outcome::Failed("invalid peer certificate: UnknownIssuer".into()),
        );
        assert_eq!(tls.status, Status::Fail);
        assert!(tls.message.contains("TLS certificate"), "{tls:?}");
        let down = judge_reachable(
            "https://chat.example.edu",
            &Outcome::Failed("connection refused".into()),
        );
        assert!(down.message.contains("cannot be reached"), "{down:?}");
    }

    #[test]
    fn origins_are_normalised_and_found() {
        assert_eq!(
            origin_of("https://Book.Example.edu/docs/").as_deref(),
            Some("https://book.example.edu")
        );
        assert_eq!(
            origin_of("https://book.example.edu:443").as_deref(),
            Some("https://book.example.edu")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000/x").as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(origin_of("book.example.edu"), None);
        assert_eq!(origin_of("ftp://x"), None);
        assert_eq!(origin_of("https://user@x"), None);

        let page = r#"<html><head><meta property="og:url" content="https://og.example.edu/"><link rel=canonical href=https://book.example.edu/textbook/></head></html>"#;
        assert_eq!(
            site_url_in_page(page).as_deref(),
            Some("https://book.example.edu/textbook/")
        );
        let og_only = r#"<meta property=og:url content=https://og.example.edu/>"#;
        assert_eq!(
            site_url_in_page(og_only).as_deref(),
            Some("https://og.example.edu/")
        );
        assert_eq!(site_url_in_page("<p>no url</p>"), None);

        let cfg = "const config = {\n  title: 'T',\n  url: 'https://book.example.edu',\n  baseUrl: '/',\n  themeConfig: { editUrl: 'https://x.example' },\n};";
        assert_eq!(
            site_url_in_docusaurus_config(cfg).as_deref(),
            Some("https://book.example.edu")
        );
        assert_eq!(
            site_url_in_docusaurus_config("editUrl: 'https://x'\n"),
            None
        );
    }

    #[test]
    fn find_origin_prefers_the_flag_then_the_build_then_the_config() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let build = tmp.path().join("build");
        std::fs::create_dir_all(&build).expect("mkdir");
        let none = find_origin(None, &build, tmp.path()).expect("no error");
        assert_eq!(none, None);
        std::fs::write(
            tmp.path().join("docusaurus.config.js"),
            "module.exports = {\n  url: \"https://from-config.example.edu\",\n};\n",
        )
        .expect("write");
        let o = find_origin(None, &build, tmp.path())
            .expect("ok")
            .expect("found");
        assert_eq!(o.origin, "https://from-config.example.edu");
        assert!(o.source.ends_with("docusaurus.config.js (url)"), "{o:?}");
        std::fs::write(
            build.join("index.html"),
            "<link rel=canonical href=https://from-build.example.edu/>",
        )
        .expect("write");
        let o = find_origin(None, &build, tmp.path())
            .expect("ok")
            .expect("found");
        assert_eq!(o.origin, "https://from-build.example.edu");
        assert!(o.source.contains("index.html"), "{o:?}");
        let o = find_origin(Some("http://127.0.0.1:3000/"), &build, tmp.path())
            .expect("ok")
            .expect("found");
        assert_eq!(
            (o.origin.as_str(), o.source.as_str()),
            ("http://127.0.0.1:3000", "--origin")
        );
        let err = find_origin(Some("book.example.edu"), &build, tmp.path()).unwrap_err();
        assert!(err.contains("--origin"), "{err}");
    }

    #[test]
    fn the_report_counts_and_exits_like_the_main_command() {
        let checks = vec![
            Check::pass("backend", "up"),
            Check::warn("script", "far", "look"),
            Check::skip("chatkit", "not checked"),
        ];
        let r = Report::new("prod", "https://chat.example.edu", None, checks.clone());
        assert_eq!(r.exit_code(), ExitCode::Success);
        assert_eq!((r.passed, r.warnings, r.skipped, r.failed), (1, 1, 1, 0));
        let mut failing = checks;
        failing.push(Check::fail("session", "HTTP 500", "see the logs"));
        let r = Report::new("prod", "https://chat.example.edu", None, failing);
        assert_eq!(r.exit_code(), ExitCode::PagesFailed);
        let text = r.to_text();
        assert!(text.contains("  FAIL  session  HTTP 500\n"), "{text}");
        assert!(text.contains("fix: see the logs"), "{text}");
        assert!(
            text.ends_with("not ready to deploy: 1 passed, 1 failed, 1 warning(s), 1 skipped\n"),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
        assert_eq!(v["exitCode"], 1);
        assert_eq!(v["checks"][3]["status"], "fail");
        assert_eq!(v["checks"][0].get("fix"), None);
    }

    #[test]
    fn timeouts_parse_as_positive_seconds() {
        assert_eq!(parse_timeout("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_timeout("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("-1").is_err());
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("601").is_err());
    }
}
