//! Content-Security-Policy: would a page's `<meta http-equiv="Content-Security-Policy">` block
//! the widget? If so, say which directive lacks which source, rather than ship a page whose
//! assistant silently never appears.
//!
//! The widget needs: its stylesheet and scripts from the site's own origin (`'self'`), the ChatKit
//! script and its frame from the `script-url` origin, and requests to the backend origin. The
//! runtime config is a JSON data block, which CSP does not govern. Only policies in the page are
//! seen; headers set by the web server are not, and the README says so.

/// What the widget loads, as origins (`https://cdn.platform.openai.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    /// Origin of the ChatKit web component script (and of its iframe).
    pub chatkit_origin: String,
    /// Origin of the backend.
    pub backend_origin: String,
}

/// One directive that blocks something the widget needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Blocked {
    /// The directive that applies (after fallbacks), e.g. `script-src` or `default-src`.
    pub directive: String,
    /// What it would have to allow, e.g. `'self'` or `https://cdn.platform.openai.com`.
    pub missing: String,
    /// What the widget uses it for.
    pub purpose: &'static str,
}

/// The origin (`scheme://host[:port]`, the port left out when it is the scheme's default) of an
/// absolute URL, as the `url` crate serialises it; a string that is not a URL is kept as it is.
pub fn origin_of(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(u) if u.origin().is_tuple() => u.origin().ascii_serialization(),
        _ => url.to_string(),
    }
}

/// Check every policy of a page (all of them apply, each must allow everything).
pub fn check(policies: &[String], needs: &Needs) -> Vec<Blocked> {
    let mut blocked = Vec::new();
    let wants: [(&[&str], Source, &'static str); 6] = [
        (
            &["style-src-elem", "style-src", "default-src"],
            Source::SelfOrigin,
            "the widget stylesheet",
        ),
        (
            &["script-src-elem", "script-src", "default-src"],
            Source::SelfOrigin,
            "the widget loader, panel and site modules",
        ),
        (
            &["script-src-elem", "script-src", "default-src"],
            Source::Origin(needs.chatkit_origin.clone()),
            "the ChatKit script",
        ),
        (
            &["frame-src", "child-src", "default-src"],
            Source::Origin(needs.chatkit_origin.clone()),
            "the ChatKit frame",
        ),
        (
            &["connect-src", "default-src"],
            Source::Origin(needs.backend_origin.clone()),
            "requests to the backend",
        ),
        (
            &["connect-src", "default-src"],
            Source::SelfOrigin,
            "loading the panel chunk",
        ),
    ];
    for policy in policies {
        let directives = parse(policy);
        for (names, want, purpose) in &wants {
            // The first directive present in the fallback chain governs; none present = allowed.
            let Some((name, sources)) = names
                .iter()
                .find_map(|n| directives.iter().find(|(d, _)| d == n))
            else {
                continue;
            };
            if !allows(sources, want) {
                let missing = match want {
                    Source::SelfOrigin => "'self'".to_string(),
                    Source::Origin(o) => o.clone(),
                };
                let b = Blocked {
                    directive: name.clone(),
                    missing,
                    purpose,
                };
                if !blocked.contains(&b) {
                    blocked.push(b);
                }
            }
        }
    }
    blocked
}

/// Render the findings of one page on one line.
pub fn describe(blocked: &[Blocked]) -> String {
    let parts: Vec<String> = blocked
        .iter()
        .map(|b| format!("{} lacks {} ({})", b.directive, b.missing, b.purpose))
        .collect();
    format!(
        "Content-Security-Policy would block the widget: {}",
        parts.join("; ")
    )
}

#[derive(Debug, Clone)]
enum Source {
    SelfOrigin,
    Origin(String),
}

/// Directive name (lowercase) and its source list, in order; the first of a repeated name wins.
fn parse(policy: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for part in policy.split(';') {
        let mut tokens = part.split_ascii_whitespace();
        let Some(name) = tokens.next() else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        if out.iter().any(|(n, _)| *n == name) {
            continue;
        }
        out.push((name, tokens.map(str::to_string).collect()));
    }
    out
}

fn allows(sources: &[String], want: &Source) -> bool {
    let lower: Vec<String> = sources.iter().map(|s| s.to_ascii_lowercase()).collect();
    if lower.iter().any(|s| s == "'none'") && lower.len() == 1 {
        return false;
    }
    match want {
        Source::SelfOrigin => lower.iter().any(|s| s == "'self'" || s == "*"),
        Source::Origin(origin) => match Wanted::parse(origin) {
            Some(wanted) => lower.iter().any(|s| source_matches(s, &wanted)),
            // Not an origin at all: nothing in a policy can allow it.
            None => false,
        },
    }
}

/// An origin the widget needs, taken apart by the URL parser.
struct Wanted {
    scheme: String,
    /// As serialised in an origin: lowercase, IPv6 in brackets.
    host: String,
    /// The effective port (the scheme's default when the URL has none).
    port: Option<u16>,
}

impl Wanted {
    fn parse(origin: &str) -> Option<Wanted> {
        let url = url::Url::parse(origin).ok()?;
        Some(Wanted {
            scheme: url.scheme().to_string(),
            host: url.host_str()?.to_string(),
            port: url.port_or_known_default(),
        })
    }
}

/// CSP host-source matching, simplified: `*`, `https:`, `https://host`, `host`, `*.domain`,
/// with an optional port and path (paths are not compared). A source without a port allows the
/// scheme's default port only.
fn source_matches(source: &str, want: &Wanted) -> bool {
    let scheme = want.scheme.as_str();
    if source == "*" {
        // `*` matches http(s) URLs.
        return scheme == "http" || scheme == "https";
    }
    if let Some(s) = source.strip_suffix(':') {
        if !s.contains('/') {
            // A scheme-source; `http:` also allows `https:` (CSP3 upgrade rule).
            return s == scheme || (s == "http" && scheme == "https");
        }
    }
    if source.starts_with('\'') {
        return false;
    }
    let (src_scheme, rest) = match source.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, source),
    };
    if let Some(s) = src_scheme {
        if s != scheme && !(s == "http" && scheme == "https") {
            return false;
        }
    } else if scheme != "https" && scheme != "http" {
        return false;
    }
    let src_authority = rest.split('/').next().unwrap_or("");
    let (src_host, src_port) = split_port(src_authority);
    let host_ok = match src_host.strip_prefix("*.") {
        Some(domain) => want.host.ends_with(&format!(".{domain}")),
        None => src_host == want.host,
    };
    let default_port = |s: &str| match s {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    };
    let port_ok = match src_port {
        // No port: the default port of the source's scheme (or of the page's, when the source
        // names none); `http://host` also allows `https://host` on 443 (the upgrade rule).
        None => {
            let src_default = default_port(src_scheme.unwrap_or(scheme));
            want.port == src_default
                || (src_default == Some(80) && scheme == "https" && want.port == Some(443))
        }
        Some("*") => true,
        Some(p) => p.parse::<u16>().ok() == want.port,
    };
    host_ok && port_ok
}

fn split_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.split_once("]:") {
            Some((h, p)) => (&authority[..h.len() + 1], Some(p)),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs() -> Needs {
        Needs {
            chatkit_origin: "https://cdn.platform.openai.com".into(),
            backend_origin: "https://chat.example.edu".into(),
        }
    }

    fn missing(policy: &str) -> Vec<String> {
        check(&[policy.to_string()], &needs())
            .into_iter()
            .map(|b| format!("{} {}", b.directive, b.missing))
            .collect()
    }

    #[test]
    fn self_only_policy_blocks_chatkit_and_backend() {
        assert_eq!(
            missing("default-src 'self'; script-src 'self'"),
            vec![
                "script-src https://cdn.platform.openai.com",
                "default-src https://cdn.platform.openai.com",
                "default-src https://chat.example.edu",
            ]
        );
    }

    #[test]
    fn a_policy_that_allows_everything_needed_passes() {
        let p = "default-src 'self'; script-src 'self' https://cdn.platform.openai.com; frame-src https://*.openai.com; connect-src 'self' https://chat.example.edu";
        assert!(missing(p).is_empty(), "{:?}", missing(p));
        assert!(missing("img-src 'self'").is_empty());
        assert!(missing("default-src * ").is_empty());
        assert!(missing("default-src 'self' https:").is_empty());
    }

    #[test]
    fn none_and_ports_and_fallbacks() {
        assert!(missing("script-src 'none'").contains(&"script-src 'self'".to_string()));
        let n = Needs {
            chatkit_origin: "https://cdn.platform.openai.com".into(),
            backend_origin: "http://localhost:8000".into(),
        };
        let b = check(&["connect-src 'self' http://localhost".to_string()], &n);
        assert_eq!(b.len(), 1, "{b:?}");
        let b = check(&["connect-src 'self' localhost:8000".to_string()], &n);
        assert!(b.is_empty(), "{b:?}");
        // child-src is the fallback for frames.
        let b = check(&["child-src 'none'".to_string()], &needs());
        assert_eq!(b[0].directive, "child-src");
    }

    #[test]
    fn describe_is_one_line_naming_everything() {
        let text = describe(&check(&["default-src 'self'".to_string()], &needs()));
        assert!(!text.contains('\n'));
        assert!(
            text.contains("https://cdn.platform.openai.com")
                && text.contains("https://chat.example.edu")
        );
    }

    #[test]
    fn origin_of_urls() {
        assert_eq!(
            origin_of("https://CDN.example.com/x/y.js?z"),
            "https://cdn.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:9000"), "http://127.0.0.1:9000");
        // The default port is not part of the origin; hosts are normalised as browsers do.
        assert_eq!(
            origin_of("https://Chat.Example.edu:443/api"),
            "https://chat.example.edu"
        );
        assert_eq!(origin_of("http://LOCALHOST.:80"), "http://localhost.");
        assert_eq!(origin_of("http://[::1]:8000/x"), "http://[::1]:8000");
        assert_eq!(origin_of("https://127.1"), "https://127.0.0.1");
        assert_eq!(origin_of("not a url"), "not a url");
    }

    #[test]
    fn default_ports_match_sources_without_a_port() {
        // Written with its default port, the backend is the same origin as without it.
        let n = Needs {
            chatkit_origin: origin_of("https://cdn.platform.openai.com:443/chatkit.js"),
            backend_origin: origin_of("https://chat.example.edu:443"),
        };
        let p = "script-src 'self' https://cdn.platform.openai.com; frame-src https://cdn.platform.openai.com:443; connect-src 'self' https://chat.example.edu";
        let b = check(&[p.to_string()], &n);
        assert!(b.is_empty(), "{b:?}");
        // Another port is another origin.
        let n = Needs {
            chatkit_origin: origin_of("https://cdn.platform.openai.com"),
            backend_origin: origin_of("https://chat.example.edu:8443"),
        };
        let b = check(
            &["connect-src 'self' https://chat.example.edu".to_string()],
            &n,
        );
        assert_eq!(b.len(), 1, "{b:?}");
        let b = check(
            &["connect-src 'self' chat.example.edu:8443".to_string()],
            &n,
        );
        assert!(b.is_empty(), "{b:?}");
        // IPv6 hosts keep their brackets on both sides.
        let n = Needs {
            chatkit_origin: origin_of("https://cdn.platform.openai.com"),
            backend_origin: origin_of("http://[::1]:8000"),
        };
        let b = check(&["connect-src 'self' http://[::1]:8000".to_string()], &n);
        assert!(b.is_empty(), "{b:?}");
    }
}
