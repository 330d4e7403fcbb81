//! `chatkit-inject doctor` against a tiny fake backend on 127.0.0.1 (std `TcpListener`, one thread
//! per connection): a healthy one, then one failure mode at a time. Each test asserts the line
//! that fails (or warns), the exit code, and for one run the JSON report.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::harness::{run_in, RunOutput};

const SITE: &str = "http://127.0.0.1:3000";
const TOKEN: &str = "tok-123";

/// How the fake backend misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// The session endpoint answers 500 with a JSON error.
    Session500,
    /// Every backend path answers a proxy's sign-in page (200, text/html).
    LoginPage,
    /// CORS allows the widget's headers but not Last-Event-ID.
    CorsWithoutLastEventId,
    /// CORS allows another origin only.
    CorsOtherOrigin,
    /// The session endpoint answers after 3 s.
    SlowSession,
    /// Tokens are issued already expired, and the ChatKit endpoint refuses them.
    ExpiredToken,
    /// The ChatKit endpoint refuses every token.
    ChatRefusesToken,
    /// The session endpoint redirects to a sign-in page.
    SessionRedirect,
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
    })
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// Set once the slow fake session endpoint has answered (only `a_slow_session_endpoint_times_out`
/// uses it).
static SLOW_SESSION_ANSWERED: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// The answer of the fake backend: status, headers, body.
fn respond(fault: Fault, req: &Request) -> (u16, Vec<(String, String)>, String) {
    let origin = req.header("origin").map(str::to_string);
    let allowed_origin = match fault {
        Fault::CorsOtherOrigin => "https://other.example.edu".to_string(),
        _ => SITE.to_string(),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    let cors_ok = origin.as_deref() == Some(allowed_origin.as_str());
    if cors_ok {
        headers.push(("Access-Control-Allow-Origin".into(), allowed_origin.clone()));
    }
    let json = |h: &mut Vec<(String, String)>| {
        h.push(("Content-Type".into(), "application/json".into()));
    };
    if fault == Fault::LoginPage && req.path != "/chatkit.js" {
        return (
            200,
            vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            "<!DOCTYPE html><html><head><title>Sign in - Campus SSO</title></head><body>Sign in</body></html>".into(),
        );
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/chatkit.js") => (
            200,
            vec![("Content-Type".into(), "text/javascript".into())],
            "customElements.define('openai-chatkit', class extends HTMLElement {});".into(),
        ),
        ("OPTIONS", _) => {
            if !cors_ok {
                return (400, vec![], "Disallowed CORS origin".into());
            }
            let allowed = match fault {
                Fault::CorsWithoutLastEventId => "authorization,content-type,x-chatkit-page".into(),
                _ => req
                    .header("access-control-request-headers")
                    .unwrap_or("")
                    .to_string(),
            };
            if fault == Fault::CorsWithoutLastEventId
                && req
                    .header("access-control-request-headers")
                    .is_some_and(|h| h.contains("last-event-id"))
            {
                return (400, headers, "Disallowed CORS headers".into());
            }
            headers.push((
                "Access-Control-Allow-Methods".into(),
                "GET, POST, OPTIONS".into(),
            ));
            headers.push(("Access-Control-Allow-Headers".into(), allowed));
            (200, headers, "OK".into())
        }
        ("POST", "/api/chatkit/session") => {
            json(&mut headers);
            match fault {
                Fault::SessionRedirect => (
                    302,
                    vec![(
                        "Location".into(),
                        "https://sso.example.edu/login?next=/api/chatkit/session".into(),
                    )],
                    String::new(),
                ),
                Fault::Session500 => (
                    500,
                    headers,
                    r#"{"error":"internal_error","message":"The server failed to answer."}"#.into(),
                ),
                Fault::SlowSession => {
                    // Far longer than doctor waits: it must give up before this answer.
                    thread::sleep(Duration::from_secs(30));
                    SLOW_SESSION_ANSWERED.store(true, std::sync::atomic::Ordering::SeqCst);
                    let body = format!(
                        r#"{{"client_secret":"{TOKEN}","expires_at":{}}}"#,
                        now() + 900
                    );
                    (200, headers, body)
                }
                Fault::ExpiredToken => {
                    let body = format!(
                        r#"{{"client_secret":"{TOKEN}","expires_at":{}}}"#,
                        now() - 60
                    );
                    (200, headers, body)
                }
                _ => {
                    let body = format!(
                        r#"{{"client_secret":"{TOKEN}","expires_at":{}}}"#,
                        now() + 900
                    );
                    (200, headers, body)
                }
            }
        }
        ("POST", "/chatkit") => {
            json(&mut headers);
            let bearer = req.header("authorization") == Some(&format!("Bearer {TOKEN}"));
            if !bearer || matches!(fault, Fault::ExpiredToken | Fault::ChatRefusesToken) {
                return (
                    401,
                    headers,
                    r#"{"error":"unauthorized","message":"Invalid session: token expired."}"#
                        .into(),
                );
            }
            (
                200,
                headers,
                r#"{"data":[],"has_more":false,"after":null}"#.into(),
            )
        }
        _ => {
            json(&mut headers);
            (404, headers, r#"{"detail":"Not Found"}"#.into())
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Internal Server Error",
    }
}

/// A fake backend on 127.0.0.1; returns its base URL. The thread lives as long as the test
/// process.
fn fake_backend(fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().expect("local addr").port();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            thread::spawn(move || {
                let Some(req) = read_request(&stream) else {
                    return;
                };
                let (status, headers, body) = respond(fault, &req);
                let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                for (n, v) in headers {
                    out.push_str(&format!("{n}: {v}\r\n"));
                }
                out.push_str(&format!(
                    "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ));
                let _ = stream.write_all(out.as_bytes());
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Run `doctor` in a temp dir whose chatkit.toml points the dev profile at `backend` (and the
/// ChatKit script at `script`, or at the backend's /chatkit.js).
fn doctor_with(
    backend: &str,
    script: Option<&str>,
    extra_toml: &str,
    args: &[&str],
) -> (tempfile::TempDir, RunOutput) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let script = script.map_or_else(|| format!("{backend}/chatkit.js"), str::to_string);
    let toml = format!(
        "[widget]\nscript-url = \"{script}\"\n\n[profiles.dev]\nbackend-url = \"{backend}\"\n{extra_toml}"
    );
    std::fs::write(tmp.path().join("chatkit.toml"), toml).expect("write chatkit.toml");
    let mut all = vec!["doctor", "--timeout", "1"];
    all.extend_from_slice(args);
    let out = run_in(tmp.path(), &all, tmp.path());
    (tmp, out)
}

/// `doctor` against a fake backend with `fault`, in the text format under its other name.
fn doctor(fault: Fault) -> RunOutput {
    let backend = fake_backend(fault);
    doctor_with(&backend, None, "", &["--origin", SITE, "--format", "human"]).1
}

/// The report line of check `id`.
fn line<'a>(out: &'a RunOutput, id: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| {
            let mut words = l.split_whitespace();
            words.next();
            words.next() == Some(id)
        })
        .unwrap_or_else(|| panic!("no `{id}` line:\n{}", out.render()))
}

/// The `fix:` line under check `id`.
fn fix<'a>(out: &'a RunOutput, id: &str) -> &'a str {
    let l = line(out, id);
    let mut lines = out.stdout.lines().skip_while(|x| *x != l);
    lines.next();
    lines
        .next()
        .filter(|x| x.trim_start().starts_with("fix: "))
        .unwrap_or_else(|| panic!("no fix under `{id}`:\n{}", out.render()))
}

fn assert_status(out: &RunOutput, id: &str, status: &str) {
    let l = line(out, id);
    assert!(
        l.trim_start().starts_with(status),
        "`{id}` is not {status}:\n{}",
        out.render()
    );
}

#[test]
fn a_healthy_backend_passes_every_check() {
    let out = doctor(Fault::None);
    assert_eq!(out.code, 0, "{}", out.render());
    for id in [
        "backend",
        "session",
        "cors",
        "chatkit",
        "domain-key",
        "script",
    ] {
        assert_status(&out, id, "ok");
    }
    assert!(
        out.stdout
            .contains("origin http://127.0.0.1:3000 (from --origin)"),
        "{}",
        out.render()
    );
    assert!(line(&out, "session").contains("valid for 15 min"));
    assert!(line(&out, "cors").contains("last-event-id"));
    assert!(out
        .stdout
        .ends_with("ready to deploy: 6 passed, 0 failed, 0 warning(s), 0 skipped\n"));
}

#[test]
fn json_report_of_a_healthy_backend() {
    let backend = fake_backend(Fault::None);
    let (_tmp, out) = doctor_with(&backend, None, "", &["--origin", SITE, "--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.render());
    let v: serde_json::Value = serde_json::from_str(&out.raw_stdout).expect("one JSON object");
    assert_eq!(v["profile"], "dev");
    assert_eq!(v["backend"], backend.as_str());
    assert_eq!(v["origin"]["origin"], SITE);
    assert_eq!(v["origin"]["source"], "--origin");
    assert_eq!(v["exitCode"], 0);
    assert_eq!(v["failed"], 0);
    let ids: Vec<&str> = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        [
            "backend",
            "session",
            "cors",
            "chatkit",
            "domain-key",
            "script"
        ]
    );
    assert!(v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .all(|c| c["status"] == "pass"));
}

#[test]
fn a_500_from_the_session_endpoint() {
    let out = doctor(Fault::Session500);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "session", "FAIL");
    assert!(line(&out, "session").contains("HTTP 500: The server failed to answer."));
    assert!(fix(&out, "session").contains("logs"));
    assert_status(&out, "chatkit", "skip");
}

#[test]
fn a_redirect_to_a_sign_in_page() {
    let out = doctor(Fault::SessionRedirect);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "session", "FAIL");
    assert!(
        line(&out, "session").contains(
            "a redirect (HTTP 302 to https://sso.example.edu/login?next=/api/chatkit/session)"
        ),
        "{}",
        out.render()
    );
    assert!(fix(&out, "session").contains("sign-in"));
}

#[test]
fn a_proxy_sign_in_page_instead_of_the_backend() {
    let out = doctor(Fault::LoginPage);
    assert_eq!(out.code, 1, "{}", out.render());
    let session = line(&out, "session");
    assert!(session.contains("FAIL"), "{}", out.render());
    assert!(
        session.contains("an HTML page (HTTP 200: Sign in - Campus SSO)"),
        "{session}"
    );
    assert!(fix(&out, "session").contains("proxy"));
}

#[test]
fn cors_without_last_event_id() {
    let out = doctor(Fault::CorsWithoutLastEventId);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "cors", "FAIL");
    let cors = line(&out, "cors");
    assert!(cors.contains("last-event-id"), "{cors}");
    assert!(cors.contains("reconnects"), "{cors}");
    // The rest of the backend is fine.
    assert_status(&out, "session", "ok");
    assert_status(&out, "chatkit", "ok");
}

#[test]
fn cors_for_another_origin() {
    let out = doctor(Fault::CorsOtherOrigin);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "cors", "FAIL");
    assert!(line(&out, "cors").contains("no Access-Control-Allow-Origin for http://127.0.0.1:3000"));
    assert!(fix(&out, "cors")
        .contains("add http://127.0.0.1:3000 to the backend's allowed CORS origins"));
}

#[test]
fn a_slow_session_endpoint_times_out() {
    let out = doctor(Fault::SlowSession);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "session", "FAIL");
    assert!(
        line(&out, "session").contains("did not answer within 1 s"),
        "{}",
        out.render()
    );
    // The fake answers after 30 s: doctor finished before, so it gave up waiting (no
    // measurement of this run's time: the order of the two events is what is checked).
    assert!(
        !SLOW_SESSION_ANSWERED.load(std::sync::atomic::Ordering::SeqCst),
        "doctor waited for the slow session endpoint's answer"
    );
}

#[test]
fn an_expired_token() {
    let out = doctor(Fault::ExpiredToken);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "session", "FAIL");
    assert!(
        line(&out, "session").contains("already expired"),
        "{}",
        out.render()
    );
    assert!(fix(&out, "session").contains("clock"));
    // The token is still tried, and the ChatKit endpoint refuses it.
    assert_status(&out, "chatkit", "FAIL");
}

#[test]
fn the_chatkit_endpoint_refusing_a_fresh_token() {
    let out = doctor(Fault::ChatRefusesToken);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "session", "ok");
    assert_status(&out, "chatkit", "FAIL");
    assert!(line(&out, "chatkit").contains("refused the token"));
    assert!(fix(&out, "chatkit").contains("signing secret"));
}

#[test]
fn a_backend_that_is_down_skips_what_needs_it() {
    let backend = format!("http://127.0.0.1:{}", closed_port());
    let (_tmp, out) = doctor_with(&backend, None, "", &["--origin", SITE]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "backend", "FAIL");
    assert!(
        line(&out, "backend").contains("connection refused"),
        "{}",
        out.render()
    );
    for id in ["session", "cors", "chatkit"] {
        assert_status(&out, id, "skip");
    }
    // The script is on the same dead port: only a warning.
    assert_status(&out, "script", "warn");
}

#[test]
fn an_unreachable_script_is_only_a_warning() {
    let backend = fake_backend(Fault::None);
    let script = format!("http://127.0.0.1:{}/chatkit.js", closed_port());
    let (_tmp, out) = doctor_with(&backend, Some(&script), "", &["--origin", SITE]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert_status(&out, "script", "warn");
    assert!(
        out.stdout.contains("0 failed, 1 warning(s)"),
        "{}",
        out.render()
    );
}

#[test]
fn the_example_domain_key_and_local_dev_off_this_machine() {
    let backend = fake_backend(Fault::None);
    let (_tmp, out) = doctor_with(
        &backend,
        None,
        "domain-key = \"domain_pk_replace_with_your_key\"\n",
        &["--origin", SITE],
    );
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "domain-key", "FAIL");
    assert!(line(&out, "domain-key").contains("placeholder"));
    assert!(fix(&out, "domain-key").contains("domain-allowlist"));

    // A public backend over plain http with the dev key: both refused, without a request.
    let script = format!("http://127.0.0.1:{}/chatkit.js", closed_port());
    let (_tmp, out) = doctor_with("http://chat.example.invalid", Some(&script), "", &[]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_status(&out, "backend", "FAIL");
    assert!(
        line(&out, "backend").contains("plain http://"),
        "{}",
        out.render()
    );
    assert_status(&out, "domain-key", "FAIL");
    assert!(
        line(&out, "domain-key").contains("local-dev"),
        "{}",
        out.render()
    );
}

fn write_build(dir: &Path, canonical: &str) {
    std::fs::create_dir_all(dir).expect("mkdir build");
    std::fs::write(
        dir.join("index.html"),
        format!("<!doctype html><html><head><link rel=canonical href={canonical}></head><body></body></html>"),
    )
    .expect("write index.html");
}

#[test]
fn the_origin_comes_from_the_build_when_not_given() {
    let backend = fake_backend(Fault::None);
    let (tmp, _) = doctor_with(&backend, None, "", &[]);
    write_build(&tmp.path().join("build"), "http://127.0.0.1:3000/docs/");
    let out = run_in(tmp.path(), &["doctor", "--timeout", "1"], tmp.path());
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stdout
            .contains("origin http://127.0.0.1:3000 (from build/index.html (canonical link))"),
        "{}",
        out.render()
    );
    assert_status(&out, "cors", "ok");

    // Docusaurus' placeholder url is not the site: CORS is not checked, with a warning.
    write_build(
        &tmp.path().join("other"),
        "https://your-docusaurus-site.example.com/",
    );
    let out = run_in(
        tmp.path(),
        &["doctor", "other", "--timeout", "1"],
        tmp.path(),
    );
    assert_eq!(out.code, 0, "{}", out.render());
    assert_status(&out, "cors", "warn");
    assert!(fix(&out, "cors").contains("--origin"));

    // No build, no --origin: a warning that says how to give one.
    std::fs::remove_dir_all(tmp.path().join("build")).expect("rm build");
    let out = run_in(tmp.path(), &["doctor", "--timeout", "1"], tmp.path());
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(out.stdout.contains("origin unknown"), "{}", out.render());
    assert_status(&out, "cors", "warn");
}

#[test]
fn usage_and_config_errors_exit_2() {
    let backend = fake_backend(Fault::None);
    let (_tmp, out) = doctor_with(&backend, None, "", &["--origin", "book.example.edu"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("--origin"), "{}", out.render());
    let (_tmp, out) = doctor_with(&backend, None, "", &["--env", "prod"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("no profile `prod`"), "{}", out.render());
    let (_tmp, out) = doctor_with(&backend, None, "", &["no-such-build"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr.contains("no-such-build: not a directory"),
        "{}",
        out.render()
    );
    let (_tmp, out) = doctor_with(&backend, None, "", &["--timeout", "0"]);
    assert_eq!(out.code, 2, "{}", out.render());
    // The main command's options are not the doctor's.
    let (_tmp, out) = doctor_with(&backend, None, "", &["--check"]);
    assert_eq!(out.code, 2, "{}", out.render());
}

#[test]
fn doctor_help_explains_itself() {
    let out = crate::harness::cli()
        .args(["doctor", "--help"])
        .output()
        .expect("run doctor --help");
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).expect("utf-8");
    insta::assert_snapshot!("doctor_help", help);
}
