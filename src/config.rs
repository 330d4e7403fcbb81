//! `chatkit.toml`: the file's shape (serde), the built-in `dev` profile, and the validation that
//! turns it into a [`Resolved`] configuration for one profile.
//!
//! Every table denies unknown keys, so a typo is an error rather than a silent default. Errors
//! name the file, the line and column, the key, and what was expected: every value that is
//! checked is read as a [`toml::Spanned`], so its error points at the value's own place in the
//! file (never at another line that happens to hold the same text). URLs are parsed with the
//! `url` crate (host, port, loopback), not sliced by hand.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::i18n::{self, Strings};
use crate::theme;

/// The profile used when `--env` is not given. It works with no config file at all.
pub const DEFAULT_PROFILE: &str = "dev";
/// Backend of the built-in `dev` profile.
pub const DEV_BACKEND_URL: &str = "http://localhost:8000";
/// Domain key of the built-in `dev` profile (the reference backend accepts anything).
pub const DEV_DOMAIN_KEY: &str = "local-dev";
/// The placeholder domain key of `chatkit.example.toml`'s `prod` profile.
pub const EXAMPLE_DOMAIN_KEY: &str = "domain_pk_replace_with_your_key";
/// Where OpenAI issues domain keys: the organisation's domain allowlist.
pub const DOMAIN_ALLOWLIST_URL: &str =
    "https://platform.openai.com/settings/organization/security/domain-allowlist";
/// Where the ChatKit web component is served from.
pub const DEFAULT_SCRIPT_URL: &str =
    "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js";
pub const DEFAULT_SESSION_PATH: &str = "/api/chatkit/session";
pub const DEFAULT_CHAT_PATH: &str = "/chatkit";
pub const DEFAULT_OFFSET: &str = "16px";
/// The top of the z-index range (2^31 - 1 is the maximum), as embedded chat widgets
/// conventionally use, minus some room for a site that must stack something above it: the
/// toggle and panel stay above the site's own fixed buttons, navbars and announcement bars.
pub const DEFAULT_Z_INDEX: u32 = 2_147_483_000;

/// The file as written. Every field is optional; defaults come from [`resolve`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct FileConfig {
    pub widget: WidgetSection,
    pub pages: PagesSection,
    pub theme: ThemeSection,
    pub corpus: CorpusSection,
    /// Spanned: the span of a `[profiles.NAME]` table is its header, where an error about a
    /// missing key points.
    pub profiles: BTreeMap<String, Spanned<ProfileSection>>,
    /// `[locales.TAG]`: the widget's strings for pages whose `<html lang>` is TAG.
    pub locales: BTreeMap<String, Spanned<LocaleSection>>,
}

/// `[widget]`: what the reader sees.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct WidgetSection {
    pub title: Option<String>,
    pub greeting: Option<String>,
    pub placeholder: Option<String>,
    pub prompts: Option<Vec<PromptEntry>>,
    pub script_url: Option<Spanned<String>>,
    /// Distance of the toggle from the right edge, a CSS length (`16px`, `1.5rem`).
    pub offset_right: Option<Spanned<String>>,
    /// Distance of the toggle from the bottom edge, a CSS length.
    pub offset_bottom: Option<Spanned<String>>,
    pub z_index: Option<u32>,
    /// The corner of the toggle; absent: bottom right, mirrored on right-to-left pages.
    pub position: Option<Position>,
    /// CSS selectors of elements the injected stylesheet hides (a chat widget the site
    /// already has).
    pub replaces: Option<Vec<Spanned<String>>>,
}

/// `[widget] position`: the corner of the toggle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// Bottom right, mirrored to bottom left on `html[dir=rtl]` pages.
    #[default]
    Auto,
    BottomRight,
    BottomLeft,
}

impl Position {
    /// The value the CSS template gets.
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Auto => "auto",
            Position::BottomRight => "bottom-right",
            Position::BottomLeft => "bottom-left",
        }
    }
}

/// `[locales.TAG]`: the widget's strings for one language. Each key overrides the built-in
/// translation (and `[widget]`) on pages of that language.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct LocaleSection {
    pub title: Option<Spanned<String>>,
    pub greeting: Option<Spanned<String>>,
    pub placeholder: Option<Spanned<String>>,
    pub prompts: Option<Vec<PromptEntry>>,
    pub close: Option<Spanned<String>>,
    pub ask: Option<Spanned<String>>,
    pub retry: Option<Spanned<String>>,
    pub loading: Option<Spanned<String>>,
    pub responding: Option<Spanned<String>>,
    pub offline: Option<Spanned<String>>,
    pub unreachable: Option<Spanned<String>>,
    pub session: Option<Spanned<String>>,
    pub script: Option<Spanned<String>>,
    pub unknown: Option<Spanned<String>>,
    pub busy: Option<Spanned<String>>,
    pub long: Option<Spanned<String>>,
    pub full: Option<Spanned<String>>,
}

impl LocaleSection {
    /// The value set for a string key (see [`i18n::Strings`]).
    fn get(&self, key: &str) -> Option<&Spanned<String>> {
        match key {
            "title" => self.title.as_ref(),
            "greeting" => self.greeting.as_ref(),
            "placeholder" => self.placeholder.as_ref(),
            "close" => self.close.as_ref(),
            "ask" => self.ask.as_ref(),
            "retry" => self.retry.as_ref(),
            "loading" => self.loading.as_ref(),
            "responding" => self.responding.as_ref(),
            "offline" => self.offline.as_ref(),
            "unreachable" => self.unreachable.as_ref(),
            "session" => self.session.as_ref(),
            "script" => self.script.as_ref(),
            "unknown" => self.unknown.as_ref(),
            "busy" => self.busy.as_ref(),
            "long" => self.long.as_ref(),
            "full" => self.full.as_ref(),
            _ => None,
        }
    }
}

/// Every string key of the widget: the top-level ones, then the runtime config's `strings` keys.
fn string_keys() -> impl Iterator<Item = &'static str> {
    ["title", "greeting", "placeholder"]
        .into_iter()
        .chain(i18n::MESSAGE_KEYS)
}

/// The widget's text on pages of one locale, every key resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocaleText {
    pub strings: Strings,
    pub prompts: Vec<Prompt>,
}

/// One starter prompt on ChatKit's start screen.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Prompt {
    pub label: String,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

/// A starter prompt as written in the file, each checked value with its place.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PromptEntry {
    pub label: Spanned<String>,
    pub prompt: Spanned<String>,
    #[serde(default)]
    pub icon: Option<String>,
}

impl PromptEntry {
    fn to_prompt(&self) -> Prompt {
        Prompt {
            label: self.label.get_ref().clone(),
            prompt: self.prompt.get_ref().clone(),
            icon: self.icon.clone(),
        }
    }
}

fn to_prompts(entries: &[PromptEntry]) -> Vec<Prompt> {
    entries.iter().map(PromptEntry::to_prompt).collect()
}

/// `[pages]`: which pages get the widget.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct PagesSection {
    /// Globs over paths relative to the build directory (`search/**`, `tags/**`).
    pub exclude: Vec<Spanned<String>>,
}

/// `[corpus]`: the book's text for retrieval, written in the same pass as the pages.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct CorpusSection {
    /// The JSON Lines file to write, relative to the config file (`--corpus` wins).
    pub path: Option<Spanned<String>>,
}

/// `[theme]`: overrides for what the widget reads from the page (each key wins on its own).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ThemeSection {
    pub accent: Option<Spanned<String>>,
    pub accent_dark: Option<Spanned<String>>,
    pub font_family: Option<Spanned<String>>,
    /// A CSS length (`0.4rem`) or one of ChatKit's names: `pill`, `round`, `soft`, `sharp`.
    pub radius: Option<Spanned<String>>,
}

/// `[profiles.NAME]`: where the backend is.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProfileSection {
    pub backend_url: Option<Spanned<String>>,
    pub domain_key: Option<Spanned<String>>,
    pub session_path: Option<Spanned<String>>,
    pub chat_path: Option<Spanned<String>>,
}

/// The configuration of one run, every value checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The file it came from, if any.
    pub source: Option<PathBuf>,
    pub env: String,
    pub backend_url: String,
    pub domain_key: String,
    pub session_path: String,
    pub chat_path: String,
    pub script_url: String,
    /// The English (and fallback) page's title, greeting, placeholder and prompts: the same as
    /// `locales["en"]`.
    pub title: String,
    pub greeting: String,
    pub placeholder: String,
    pub prompts: Vec<Prompt>,
    /// The widget's text for every known locale (the built-in translations and every
    /// `[locales.TAG]`), by normalised tag; always holds [`i18n::FALLBACK`].
    pub locales: BTreeMap<String, LocaleText>,
    pub exclude: Vec<String>,
    pub theme: ThemeOverrides,
    pub offset_right: String,
    pub offset_bottom: String,
    pub z_index: u32,
    pub position: Position,
    /// Validated CSS selectors the injected stylesheet hides.
    pub replaces: Vec<String>,
    /// `[corpus] path`, relative to the config file's folder.
    pub corpus: Option<PathBuf>,
}

impl Resolved {
    /// The text of the locale a page with `<html lang=lang>` gets (English when none matches).
    pub fn locale_for(&self, lang: Option<&str>) -> (&str, &LocaleText) {
        let tag = i18n::choose(lang, |t| self.locales.get_key_value(t).map(|(k, _)| k))
            .map_or(i18n::FALLBACK, String::as_str);
        match self.locales.get_key_value(tag) {
            Some((k, text)) => (k.as_str(), text),
            // `resolve` always fills the fallback locale.
            None => (i18n::FALLBACK, &self.locales[i18n::FALLBACK]),
        }
    }
}

/// Theme values from `[theme]`, validated and normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThemeOverrides {
    pub accent: Option<String>,
    pub accent_dark: Option<String>,
    pub font_family: Option<String>,
    /// Already mapped to ChatKit's radius name.
    pub radius: Option<&'static str>,
}

/// Anything wrong with the configuration. Each names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read the config file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: {}", one_line(source.message()))]
    Parse {
        location: Location,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("--env {env}: {message}")]
    UnknownProfile { env: String, message: String },
    #[error("{location}: `{key}`: {message}")]
    Invalid {
        location: Location,
        key: String,
        message: String,
    },
}

/// A place in a config file (or the built-in defaults when there is no file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: Option<PathBuf>,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) if self.line > 0 => write!(f, "{}:{}:{}", p.display(), self.line, self.column),
            Some(p) => write!(f, "{}", p.display()),
            None => write!(f, "(built-in defaults)"),
        }
    }
}

fn one_line(s: &str) -> String {
    // Keep each error on one line, where CI logs are grepped.
    s.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Line and column (1-based) of a byte offset in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// A loaded config file: its text (to locate errors) and its parsed shape.
#[derive(Debug, Default)]
pub struct Loaded {
    pub path: Option<PathBuf>,
    pub text: String,
    pub file: FileConfig,
}

/// Read and parse a config file.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, Some(path))
}

/// Parse config text; `path` is only used in error messages.
pub fn parse(text: &str, path: Option<&Path>) -> Result<Loaded, ConfigError> {
    let file: FileConfig = toml::from_str(text).map_err(|source| {
        let (line, column) = source.span().map_or((0, 0), |s| line_col(text, s.start));
        ConfigError::Parse {
            location: Location {
                path: Some(path.map_or_else(|| PathBuf::from("chatkit.toml"), Path::to_path_buf)),
                line,
                column,
            },
            source: Box::new(source),
        }
    })?;
    Ok(Loaded {
        path: path.map(Path::to_path_buf),
        text: text.to_string(),
        file,
    })
}

/// Whether a domain key that cannot work off localhost (the example's placeholder, or
/// `local-dev` with a backend elsewhere) is an error, or left for `doctor` to report as one of
/// its checks (with the other problems it finds in the same run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainKeyRule {
    Refuse,
    Report,
}

/// Turn a loaded file into the checked configuration of profile `env`.
pub fn resolve(loaded: &Loaded, env: &str) -> Result<Resolved, ConfigError> {
    resolve_with(loaded, env, DomainKeyRule::Refuse)
}

/// [`resolve`], with the domain key rule chosen by the caller.
pub fn resolve_with(
    loaded: &Loaded,
    env: &str,
    domain_key_rule: DomainKeyRule,
) -> Result<Resolved, ConfigError> {
    let v = Validator { loaded };
    let file = &loaded.file;

    v.refuse_secrets()?;

    let profile = file.profiles.get(env);
    let is_dev = env == DEFAULT_PROFILE;
    if profile.is_none() && !is_dev {
        let defined: Vec<&str> = std::iter::once(DEFAULT_PROFILE)
            .chain(
                file.profiles
                    .keys()
                    .map(String::as_str)
                    .filter(|k| *k != DEFAULT_PROFILE),
            )
            .collect();
        if loaded.path.is_none() {
            return Err(ConfigError::UnknownProfile {
                env: env.to_string(),
                message: "no such profile: no config file was found (chatkit.toml in the current directory, or --config FILE), so only the built-in dev profile exists".into(),
            });
        }
        // No line holds what is missing: the error names the file.
        return Err(ConfigError::Invalid {
            location: v.file_location(),
            key: format!("profiles.{env}"),
            message: format!(
                "no profile `{env}` is defined (add a [profiles.{env}] table); defined: {}",
                defined.join(", ")
            ),
        });
    }
    let empty = ProfileSection::default();
    let (profile, table_span) = match profile {
        Some(p) => (p.get_ref(), Some(p.span())),
        None => (&empty, None),
    };
    let table = format!("profiles.{env}");
    // Where an error about a key missing from the profile points: the table's header.
    let missing = |key: &str, message: &str| ConfigError::Invalid {
        location: table_span.map_or_else(|| v.file_location(), |s| v.at(s)),
        key: format!("{table}.{key}"),
        message: message.to_string(),
    };

    let url_key = format!("{table}.backend-url");
    let backend_url = match (&profile.backend_url, is_dev) {
        (Some(url), _) => {
            let trimmed = url.get_ref().trim().trim_end_matches('/').to_string();
            let parsed =
                check_http_url(&trimmed).map_err(|m| v.invalid_value(&url_key, url, m))?;
            if !is_dev {
                if parsed.scheme() != "https" {
                    return Err(v.invalid_value(
                        &url_key,
                        url,
                        format!("profile `{env}` must use https:// (plain http:// is only for the dev profile)"),
                    ));
                }
                if is_local(&parsed) {
                    return Err(v.invalid_value(
                        &url_key,
                        url,
                        format!("profile `{env}` points at this machine (localhost); a published site needs a public backend"),
                    ));
                }
            }
            trimmed
        }
        (None, true) => DEV_BACKEND_URL.to_string(),
        (None, false) => {
            return Err(missing(
                "backend-url",
                "missing: expected the backend's absolute https:// URL, e.g. backend-url = \"https://chat.example.edu\"",
            ))
        }
    };

    let key_key = format!("{table}.domain-key");
    let domain_key = match (&profile.domain_key, is_dev) {
        (Some(k), _) => {
            let key = k.get_ref().trim();
            if key.is_empty() {
                return Err(v.invalid_value(&key_key, k, "must not be empty".into()));
            }
            key.to_string()
        }
        (None, true) => DEV_DOMAIN_KEY.to_string(),
        (None, false) => {
            return Err(missing(
                "domain-key",
                "missing: ChatKit needs the domain key OpenAI issued for this site's domain, e.g. domain-key = \"domain_pk_...\"",
            ))
        }
    };
    // ChatKit checks the domain key against OpenAI's allowlist except on localhost: a stand-in
    // key only works with a backend on this machine.
    // The dev profile is for a site previewed on localhost, where ChatKit does not check the key
    // (even with a staging backend elsewhere): `doctor` still reports a stand-in key there.
    if domain_key_rule == DomainKeyRule::Refuse && !is_dev && !is_local_url(&backend_url) {
        let problem = if domain_key == DEV_DOMAIN_KEY {
            Some(format!(
                "`{DEV_DOMAIN_KEY}` only works with a backend on this machine"
            ))
        } else if domain_key.eq_ignore_ascii_case(EXAMPLE_DOMAIN_KEY) {
            Some("is the placeholder of the example config".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            let advice = format!(
                "{problem}; ChatKit checks the key against the site's domain at OpenAI when the page is not on localhost: add the site's domain to the domain allowlist ({DOMAIN_ALLOWLIST_URL}) and set the domain_pk_... key it issues"
            );
            return Err(match &profile.domain_key {
                Some(k) => v.invalid_value(&key_key, k, advice),
                None => missing(
                    "domain-key",
                    &format!(
                        "missing (the dev profile's default `{DEV_DOMAIN_KEY}` applies): {advice}"
                    ),
                ),
            });
        }
    }

    let session_path = path_value(
        &v,
        &format!("{table}.session-path"),
        &profile.session_path,
        DEFAULT_SESSION_PATH,
    )?;
    let chat_path = path_value(
        &v,
        &format!("{table}.chat-path"),
        &profile.chat_path,
        DEFAULT_CHAT_PATH,
    )?;

    let w = &file.widget;
    let script_url = match &w.script_url {
        None => DEFAULT_SCRIPT_URL.to_string(),
        Some(raw) => {
            let url = raw.get_ref().clone();
            let parsed =
                check_http_url(&url).map_err(|m| v.invalid_value("widget.script-url", raw, m))?;
            if !is_dev && parsed.scheme() == "http" && is_local(&parsed) {
                return Err(v.invalid_value(
                    "widget.script-url",
                    raw,
                    format!("profile `{env}` cannot load ChatKit from this machine"),
                ));
            }
            url
        }
    };

    let prompts = w.prompts.as_deref().unwrap_or_default();
    check_prompts(&v, "widget.prompts", prompts)?;
    let prompts = to_prompts(prompts);

    let offset_right = css_length_value(&v, "widget.offset-right", &w.offset_right)?;
    let offset_bottom = css_length_value(&v, "widget.offset-bottom", &w.offset_bottom)?;

    let mut exclude = Vec::new();
    for (i, g) in file.pages.exclude.iter().enumerate() {
        globset::Glob::new(g.get_ref()).map_err(|e| {
            v.invalid_value(
                &format!("pages.exclude[{i}]"),
                g,
                format!("not a valid glob: {e}"),
            )
        })?;
        exclude.push(g.get_ref().clone());
    }

    let t = &file.theme;
    let theme = ThemeOverrides {
        accent: color_value(&v, "theme.accent", &t.accent)?,
        accent_dark: color_value(&v, "theme.accent-dark", &t.accent_dark)?,
        font_family: match &t.font_family {
            None => None,
            Some(f) => Some(
                check_font_family(f.get_ref())
                    .map_err(|m| v.invalid_value("theme.font-family", f, m))?,
            ),
        },
        radius: match &t.radius {
            None => None,
            Some(r) => Some(radius_name(r.get_ref()).ok_or_else(|| {
                v.invalid_value(
                    "theme.radius",
                    r,
                    "expected a CSS length (e.g. 0.4rem, 6px) or one of pill, round, soft, sharp"
                        .into(),
                )
            })?),
        },
    };

    let replaces = match &w.replaces {
        None => Vec::new(),
        Some(list) => {
            let mut out = Vec::with_capacity(list.len());
            for (i, sel) in list.iter().enumerate() {
                let checked = check_selector(sel.get_ref())
                    .map_err(|m| v.invalid_value(&format!("widget.replaces[{i}]"), sel, m))?;
                out.push(checked);
            }
            out
        }
    };

    let locales = resolve_locales(&v, file)?;
    let english = locales
        .get(i18n::FALLBACK)
        .cloned()
        .unwrap_or_else(|| LocaleText {
            strings: i18n::english().clone(),
            prompts: prompts.clone(),
        });

    Ok(Resolved {
        source: loaded.path.clone(),
        env: env.to_string(),
        backend_url,
        domain_key,
        session_path,
        chat_path,
        script_url,
        title: english.strings.title.clone(),
        greeting: english.strings.greeting.clone(),
        placeholder: english.strings.placeholder.clone(),
        prompts: english.prompts,
        locales,
        exclude,
        theme,
        offset_right,
        offset_bottom,
        z_index: w.z_index.unwrap_or(DEFAULT_Z_INDEX),
        position: w.position.unwrap_or_default(),
        replaces,
        corpus: corpus_path(&v, &file.corpus)?,
    })
}

/// `[corpus] path`, taken relative to the config file's folder.
fn corpus_path(v: &Validator<'_>, section: &CorpusSection) -> Result<Option<PathBuf>, ConfigError> {
    let Some(raw) = &section.path else {
        return Ok(None);
    };
    let path = Path::new(raw.get_ref().trim());
    if path.as_os_str().is_empty() {
        return Err(v.invalid_value(
            "corpus.path",
            raw,
            "expected the JSON Lines file to write, e.g. path = \"build/chatkit/corpus.jsonl\""
                .into(),
        ));
    }
    let dir = v.loaded.path.as_deref().and_then(Path::parent);
    Ok(Some(match dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }))
}

/// The widget's text for every known locale. Per key, for locale L (then L's primary subtag):
/// `[locales.L]` > the built-in L translation (unless `[widget]` sets the key) > `[widget]` >
/// built-in English.
fn resolve_locales(
    v: &Validator<'_>,
    file: &FileConfig,
) -> Result<BTreeMap<String, LocaleText>, ConfigError> {
    let mut tables: BTreeMap<String, &LocaleSection> = BTreeMap::new();
    for (tag, section) in &file.locales {
        let key = format!("locales.{tag}");
        let norm = i18n::normalize_tag(tag);
        if !i18n::is_valid_tag(&norm) {
            return Err(ConfigError::Invalid {
                location: v.at(section.span()),
                key,
                message: format!("{tag:?} is not a language tag; expected one such as fr, pt-br or zh-hans (as in the pages' <html lang>)"),
            });
        }
        let section_span = section.span();
        let section = section.get_ref();
        if tables.insert(norm.clone(), section).is_some() {
            return Err(ConfigError::Invalid {
                location: v.at(section_span),
                key,
                message: format!("a second table for the locale `{norm}` (tags are matched without regard to case, and _ as -)"),
            });
        }
        for k in string_keys() {
            if let Some(value) = section.get(k) {
                if value.get_ref().trim().is_empty() {
                    return Err(v.invalid_value(
                        &format!("{key}.{k}"),
                        value,
                        "must not be empty".into(),
                    ));
                }
            }
        }
        check_prompts(
            v,
            &format!("{key}.prompts"),
            section.prompts.as_deref().unwrap_or(&[]),
        )?;
    }

    let w = &file.widget;
    let widget_value = |k: &str| match k {
        "title" => w.title.as_ref(),
        "greeting" => w.greeting.as_ref(),
        "placeholder" => w.placeholder.as_ref(),
        _ => None,
    };
    let english = i18n::english();
    let built_in = i18n::built_in();
    let mut locales = BTreeMap::new();
    let tags: std::collections::BTreeSet<&String> = built_in.keys().chain(tables.keys()).collect();
    for tag in tags {
        let mut chain = vec![tag.as_str()];
        let primary = i18n::primary(tag);
        if primary != tag {
            chain.push(primary);
        }
        let mut strings = english.clone();
        for k in string_keys() {
            let own = chain
                .iter()
                .find_map(|t| tables.get(*t)?.get(k))
                .map(Spanned::get_ref);
            let translated = || {
                if widget_value(k).is_some() {
                    None
                } else {
                    chain.iter().find_map(|t| built_in.get(*t)?.get(k))
                }
            };
            let value = own
                .map(String::as_str)
                .or_else(translated)
                .or_else(|| widget_value(k).map(String::as_str));
            if let (Some(value), Some(slot)) = (value, strings.get_mut(k)) {
                *slot = value.to_string();
            }
        }
        let prompts = chain
            .iter()
            .find_map(|t| tables.get(*t)?.prompts.as_deref())
            .or(w.prompts.as_deref())
            .map(to_prompts)
            .unwrap_or_default();
        locales.insert(tag.clone(), LocaleText { strings, prompts });
    }
    Ok(locales)
}

fn check_prompts(v: &Validator<'_>, key: &str, prompts: &[PromptEntry]) -> Result<(), ConfigError> {
    for (i, p) in prompts.iter().enumerate() {
        if p.label.get_ref().trim().is_empty() {
            return Err(v.invalid_value(
                &format!("{key}[{i}].label"),
                &p.label,
                "must not be empty".into(),
            ));
        }
        if p.prompt.get_ref().trim().is_empty() {
            return Err(v.invalid_value(
                &format!("{key}[{i}].prompt"),
                &p.prompt,
                "must not be empty".into(),
            ));
        }
    }
    Ok(())
}

/// A CSS selector list that cannot break out of the rule the stylesheet puts it in: no
/// `{ } ; < > @ \`, no comment, no line break, brackets and quotes balanced.
pub fn check_selector(selector: &str) -> Result<String, String> {
    let s = selector.trim();
    if s.is_empty() {
        return Err("must not be empty: expected a CSS selector such as #old-chat-button".into());
    }
    if let Some(c) = s
        .chars()
        .find(|c| matches!(c, '{' | '}' | ';' | '<' | '>' | '@' | '\\') || c.is_control())
    {
        let hint = if c == '>' {
            " (the child combinator > is not supported: use a descendant selector)"
        } else {
            ""
        };
        return Err(format!(
            "contains {c:?}, which is not allowed in a selector here{hint}"
        ));
    }
    if s.contains("/*") {
        return Err("must not contain a CSS comment (/*)".into());
    }
    let mut stack = Vec::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[') => stack.push(c),
            (None, ')') if stack.pop() != Some('(') => return Err("unbalanced ( )".into()),
            (None, ']') if stack.pop() != Some('[') => return Err("unbalanced [ ]".into()),
            _ => {}
        }
    }
    if quote.is_some() {
        return Err("unbalanced quotes".into());
    }
    if let Some(open) = stack.last() {
        return Err(format!("unbalanced {open}: it is never closed"));
    }
    Ok(s.to_string())
}

struct Validator<'a> {
    loaded: &'a Loaded,
}

impl Validator<'_> {
    /// The place of byte offset range `span` of the file.
    fn at(&self, span: std::ops::Range<usize>) -> Location {
        let (line, column) = line_col(&self.loaded.text, span.start);
        Location {
            path: self.loaded.path.clone(),
            line,
            column,
        }
    }

    /// The file itself, for an error no line holds.
    fn file_location(&self) -> Location {
        Location {
            path: self.loaded.path.clone(),
            line: 0,
            column: 0,
        }
    }

    /// An error about the value of `key`, located at the value.
    fn invalid_value(&self, key: &str, value: &Spanned<String>, message: String) -> ConfigError {
        ConfigError::Invalid {
            location: self.at(value.span()),
            key: key.to_string(),
            message: format!("{message} (found {:?})", value.get_ref()),
        }
    }

    /// Refuse any string value that looks like an OpenAI secret key: the config ends up in
    /// every public page.
    fn refuse_secrets(&self) -> Result<(), ConfigError> {
        let Ok(doc) = toml::de::DeTable::parse(&self.loaded.text) else {
            return Ok(());
        };
        let mut found = None;
        for (k, value) in doc.get_ref() {
            let mut key = k.get_ref().to_string();
            walk_strings(value, &mut key, &mut |key, s, span| {
                if found.is_none() && looks_like_secret(s) {
                    found = Some((key.to_string(), span));
                }
            });
        }
        match found {
            Some((key, span)) => Err(ConfigError::Invalid {
                location: self.at(span),
                key,
                message: "looks like an OpenAI secret API key (sk-...). Nothing in this file may be secret: it is published in every page. Keep the key on the backend.".into(),
            }),
            None => Ok(()),
        }
    }
}

/// Call `f` with the dotted key, text and span of every string in `value`.
fn walk_strings(
    value: &Spanned<toml::de::DeValue<'_>>,
    key: &mut String,
    f: &mut impl FnMut(&str, &str, std::ops::Range<usize>),
) {
    match value.get_ref() {
        toml::de::DeValue::String(s) => f(key, s, value.span()),
        toml::de::DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = key.len();
                key.push_str(&format!("[{i}]"));
                walk_strings(item, key, f);
                key.truncate(len);
            }
        }
        toml::de::DeValue::Table(t) => {
            for (k, item) in t {
                let len = key.len();
                key.push('.');
                key.push_str(k.get_ref());
                walk_strings(item, key, f);
                key.truncate(len);
            }
        }
        _ => {}
    }
}

/// `sk-...`, `sk-proj-...`, `sk-svcacct-...` followed by a long run of key characters.
pub fn looks_like_secret(s: &str) -> bool {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|word| {
            word.strip_prefix("sk-").is_some_and(|rest| {
                rest.len() >= 20
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
        })
}

/// An absolute `http://` or `https://` URL with a host, a valid port and no credentials, and no
/// characters that would need escaping; parsed.
fn check_http_url(url: &str) -> Result<url::Url, String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err("expected an absolute http:// or https:// URL".into());
    }
    if let Some(c) = url.chars().find(|c| {
        c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | '\\' | '`')
    }) {
        return Err(format!(
            "contains a character that is not allowed in a URL: {c:?}"
        ));
    }
    let parsed = url::Url::parse(url).map_err(|e| match e {
        url::ParseError::EmptyHost => {
            "expected an absolute http:// or https:// URL with a host".to_string()
        }
        url::ParseError::InvalidPort => "the port must be a number from 1 to 65535".to_string(),
        other => format!("not a valid URL: {other}"),
    })?;
    if parsed.host().is_none() {
        return Err("expected an absolute http:// or https:// URL with a host".into());
    }
    if parsed.port() == Some(0) {
        return Err("the port must be a number from 1 to 65535".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not contain credentials (user:password@)".into());
    }
    Ok(parsed)
}

/// Does `url` point at this machine (localhost and its subdomains, any spelling the URL parser
/// normalises to a loopback or unspecified IPv4 or IPv6 address, IPv4-mapped ones included)?
/// A string that is not a URL is not local.
pub fn is_local_url(url: &str) -> bool {
    url::Url::parse(url.trim()).is_ok_and(|u| is_local(&u))
}

fn is_local(url: &url::Url) -> bool {
    fn local_v4(ip: Ipv4Addr) -> bool {
        ip.is_loopback() || ip.is_unspecified()
    }
    fn local_v6(ip: Ipv6Addr) -> bool {
        ip.is_loopback() || ip.is_unspecified() || ip.to_ipv4_mapped().is_some_and(local_v4)
    }
    match url.host() {
        Some(url::Host::Domain(d)) => {
            // The parser lowercases; a trailing dot is the same name, fully qualified.
            let d = d.trim_end_matches('.');
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => local_v4(ip),
        Some(url::Host::Ipv6(ip)) => local_v6(ip),
        None => false,
    }
}

fn path_value(
    v: &Validator<'_>,
    key: &str,
    value: &Option<Spanned<String>>,
    default: &str,
) -> Result<String, ConfigError> {
    let Some(spanned) = value else {
        return Ok(default.to_string());
    };
    let p = spanned.get_ref();
    let ok = p.starts_with('/')
        && !p.starts_with("//")
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c));
    if ok {
        Ok(p.trim_end_matches('/').to_string()).map(|s| if s.is_empty() { "/".into() } else { s })
    } else {
        Err(v.invalid_value(
            key,
            spanned,
            "expected a path on the backend starting with / (letters, digits, / - _ . ~)".into(),
        ))
    }
}

fn css_length_value(
    v: &Validator<'_>,
    key: &str,
    value: &Option<Spanned<String>>,
) -> Result<String, ConfigError> {
    let Some(s) = value else {
        return Ok(DEFAULT_OFFSET.to_string());
    };
    if is_css_length(s.get_ref()) {
        Ok(s.get_ref().trim().to_string())
    } else {
        Err(v.invalid_value(
            key,
            s,
            "expected a CSS length such as 16px, 1.5rem or 0".into(),
        ))
    }
}

/// `0`, or a non-negative number followed by px, rem, em, vh, vw.
pub fn is_css_length(s: &str) -> bool {
    let s = s.trim();
    if s == "0" {
        return true;
    }
    let Some(unit_start) = s.find(|c: char| c.is_ascii_alphabetic()) else {
        return false;
    };
    let (num, unit) = s.split_at(unit_start);
    matches!(unit, "px" | "rem" | "em" | "vh" | "vw")
        && !num.is_empty()
        && num.parse::<f64>().is_ok_and(|n| n >= 0.0 && n.is_finite())
}

fn color_value(
    v: &Validator<'_>,
    key: &str,
    value: &Option<Spanned<String>>,
) -> Result<Option<String>, ConfigError> {
    match value {
        None => Ok(None),
        Some(c) => theme::normalize_color(c.get_ref())
            .map(Some)
            .ok_or_else(|| {
                v.invalid_value(
                    key,
                    c,
                    "expected a color as #rgb, #rrggbb or rgb(r, g, b)".into(),
                )
            }),
    }
}

/// A font-family list that cannot break out of a CSS declaration.
pub fn check_font_family(f: &str) -> Result<String, String> {
    let collapsed = f.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(c) = collapsed
        .chars()
        .find(|c| matches!(c, ';' | '{' | '}' | '<' | '>' | '\\' | '(' | ')') || c.is_control())
    {
        return Err(format!(
            "contains {c:?}, which is not allowed in a font-family list"
        ));
    }
    Ok(collapsed)
}

/// ChatKit's radius name for a `[theme] radius` value: a name as-is, or a CSS length mapped.
fn radius_name(r: &str) -> Option<&'static str> {
    match r.trim() {
        "pill" => Some("pill"),
        "round" => Some("round"),
        "soft" => Some("soft"),
        "sharp" => Some("sharp"),
        other => theme::chatkit_radius(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_text(text: &str, env: &str) -> Result<Resolved, ConfigError> {
        let loaded = parse(text, Some(Path::new("chatkit.toml")))?;
        resolve(&loaded, env)
    }

    #[test]
    fn dev_works_without_a_file() {
        let r = resolve(&Loaded::default(), "dev").unwrap();
        assert_eq!(r.backend_url, DEV_BACKEND_URL);
        assert_eq!(r.domain_key, DEV_DOMAIN_KEY);
        assert_eq!(r.session_path, DEFAULT_SESSION_PATH);
        assert_eq!(r.chat_path, DEFAULT_CHAT_PATH);
        assert_eq!(r.script_url, DEFAULT_SCRIPT_URL);
    }

    #[test]
    fn undefined_profile_is_an_error_naming_the_choices() {
        let err = resolve_text(
            "[profiles.staging]\nbackend-url = \"https://s.example.edu\"\ndomain-key = \"k\"\n",
            "prod",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("no profile `prod`"), "{msg}");
        assert!(msg.contains("dev, staging"), "{msg}");
    }

    #[test]
    fn prod_needs_backend_url_and_domain_key() {
        let err = resolve_text("[profiles.prod]\ndomain-key = \"k\"\n", "prod").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("chatkit.toml:1:1: `profiles.prod.backend-url`: missing"),
            "{err}"
        );
        let err = resolve_text(
            "\n[profiles.prod]\nbackend-url = \"https://chat.example.edu\"\n",
            "prod",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("chatkit.toml:2:1: `profiles.prod.domain-key`: missing"),
            "{err}"
        );
    }

    #[test]
    fn prod_refuses_http_and_localhost() {
        let err = resolve_text(
            "[profiles.prod]\nbackend-url = \"http://chat.example.edu\"\ndomain-key = \"k\"\n",
            "prod",
        )
        .unwrap_err();
        assert!(err.to_string().contains("chatkit.toml:2:1"), "{err}");
        assert!(err.to_string().contains("https://"), "{err}");
        let err = resolve_text(
            "[profiles.prod]\nbackend-url = \"https://localhost:8000\"\ndomain-key = \"k\"\n",
            "prod",
        )
        .unwrap_err();
        assert!(err.to_string().contains("localhost"), "{err}");
        let err = resolve_text(
            "[profiles.prod]\nbackend-url = \"https://127.0.0.1\"\ndomain-key = \"k\"\n",
            "prod",
        )
        .unwrap_err();
        assert!(err.to_string().contains("localhost"), "{err}");
    }

    /// Each is refused for a published profile. On the hand-written checks these passed: a
    /// trailing dot and upper case, an IPv4-mapped IPv6 loopback, `127.1`, a port past 65535.
    #[test]
    fn prod_refuses_every_spelling_of_this_machine_and_bad_ports() {
        let local = [
            "https://LOCALHOST.:8000",
            "https://localhost.",
            "https://api.LocalHost",
            "https://[::ffff:127.0.0.1]:8000",
            "https://[::1]",
            "https://[0:0:0:0:0:0:0:1]:443",
            "https://[::]",
            "https://127.0.0.1",
            "https://127.3.2.1:9000",
            "https://127.1",
            "https://2130706433",
            "https://0x7f.0.0.1",
            "https://0.0.0.0",
        ];
        for url in local {
            let text =
                format!("[profiles.prod]\nbackend-url = {url:?}\ndomain-key = \"domain_pk_x\"\n");
            let err = resolve_text(&text, "prod").unwrap_err().to_string();
            assert!(
                err.starts_with("chatkit.toml:2:15: `profiles.prod.backend-url`: profile `prod` points at this machine"),
                "{url}: {err}"
            );
            assert!(is_local_url(url), "{url}");
        }
        for url in [
            "https://chat.example.edu:99999999",
            "https://chat.example.edu:65536",
            "https://chat.example.edu:0",
            "https://chat.example.edu:-1",
            "https://chat.example.edu:80a",
        ] {
            let text =
                format!("[profiles.prod]\nbackend-url = {url:?}\ndomain-key = \"domain_pk_x\"\n");
            let err = resolve_text(&text, "prod").unwrap_err().to_string();
            assert!(
                err.starts_with("chatkit.toml:2:15: `profiles.prod.backend-url`: the port must be a number from 1 to 65535"),
                "{url}: {err}"
            );
        }
        // Public hosts, including ones that merely look local, pass.
        for url in [
            "https://chat.example.edu:8443",
            "https://localhost.example.edu",
            "https://127.example.edu",
            "https://[2001:db8::1]",
            "https://[::ffff:8.8.8.8]",
            "https://128.0.0.1",
        ] {
            let text =
                format!("[profiles.prod]\nbackend-url = {url:?}\ndomain-key = \"domain_pk_x\"\n");
            let r = resolve_text(&text, "prod").unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(r.backend_url, url);
            assert!(!is_local_url(url), "{url}");
        }
        let err = resolve_text(
            "[profiles.prod]\nbackend-url = \"https://user:pw@chat.example.edu\"\ndomain-key = \"k\"\n",
            "prod",
        )
        .unwrap_err();
        assert!(err.to_string().contains("credentials"), "{err}");
        assert!(!is_local_url("not a url"));
    }

    /// A value also written in a comment (or in another key) above it: the error points at the
    /// key's own line, not at the first line holding the same text.
    #[test]
    fn errors_point_at_the_value_not_at_the_same_text_elsewhere() {
        let text = "# backend-url = \"https://localhost:8000\" was the old one\n[profiles.prod]\n# domain-key = \"k\"\nbackend-url = \"https://localhost:8000\"\ndomain-key = \"k\"\n";
        let err = resolve_text(text, "prod").unwrap_err().to_string();
        assert!(
            err.starts_with("chatkit.toml:4:15: `profiles.prod.backend-url`"),
            "{err}"
        );
        let text = "[widget]\n# offset-right = \"10px;\" broke it\ntitle = \"offset-right 10px;\"\noffset-right = \"10px;\"\n";
        let err = resolve_text(text, "dev").unwrap_err().to_string();
        assert!(
            err.starts_with("chatkit.toml:4:16: `widget.offset-right`"),
            "{err}"
        );
        let text = "# sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\n[locales.fr]\n\nretry = \"sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\"\n";
        let err = resolve_text(text, "dev").unwrap_err().to_string();
        assert!(
            err.starts_with("chatkit.toml:4:9: `locales.fr.retry`"),
            "{err}"
        );
        // A locale tag also named in a comment: the table's own header.
        let text = "# [locales.\"x y\"] would be wrong\n[widget]\ntitle = \"t\"\n\n[locales.\"x y\"]\ntitle = \"x\"\n";
        let err = resolve_text(text, "dev").unwrap_err().to_string();
        assert!(err.starts_with("chatkit.toml:5:1: `locales.x y`"), "{err}");
        let text = "[widget]\nprompts = [\n  { label = \"  \", prompt = \"p\" }, # label = \"  \"\n  { label = \"l\", prompt = \" \" },\n]\n";
        let err = resolve_text(text, "dev").unwrap_err().to_string();
        assert!(
            err.starts_with("chatkit.toml:3:13: `widget.prompts[0].label`"),
            "{err}"
        );
        let text = "[widget]\nprompts = [\n  { label = \"l\", prompt = \"p\" },\n  { label = \"l\", prompt = \" \" },\n]\n";
        let err = resolve_text(text, "dev").unwrap_err().to_string();
        assert!(
            err.starts_with("chatkit.toml:4:27: `widget.prompts[1].prompt`"),
            "{err}"
        );
    }

    #[test]
    fn a_public_backend_needs_a_real_domain_key() {
        let prod = |key: &str| {
            resolve_text(
                &format!("[profiles.prod]\nbackend-url = \"https://chat.example.edu\"\n\ndomain-key = {key:?}\n"),
                "prod",
            )
        };
        for (key, why) in [
            (EXAMPLE_DOMAIN_KEY, "placeholder"),
            (" domain_pk_replace_with_your_key ", "placeholder"),
            ("local-dev", "only works with a backend on this machine"),
            ("", "must not be empty"),
            ("   ", "must not be empty"),
        ] {
            let err = prod(key).unwrap_err().to_string();
            assert!(
                err.starts_with("chatkit.toml:4:14: `profiles.prod.domain-key`: "),
                "{key:?}: {err}"
            );
            assert!(err.contains(why), "{key:?}: {err}");
            if why != "must not be empty" {
                assert!(err.contains(DOMAIN_ALLOWLIST_URL), "{err}");
            }
        }
        assert_eq!(
            prod("domain_pk_68f0c0ffee").unwrap().domain_key,
            "domain_pk_68f0c0ffee"
        );
        // The dev profile (a site previewed on localhost) with a staging backend elsewhere: its
        // stand-in key works there, so the run takes it; doctor reports it instead.
        let text = "\n[profiles.dev]\nbackend-url = \"https://staging.example.edu\"\n";
        assert_eq!(
            resolve_text(text, "dev").unwrap().domain_key,
            DEV_DOMAIN_KEY
        );
        // On this machine the stand-in keys are fine.
        for backend in [
            "http://localhost:8000",
            "http://127.0.0.1:9000",
            "http://[::1]:8000",
        ] {
            for key in ["local-dev", EXAMPLE_DOMAIN_KEY] {
                let r = resolve_text(
                    &format!("[profiles.dev]\nbackend-url = {backend:?}\ndomain-key = {key:?}\n"),
                    "dev",
                )
                .unwrap_or_else(|e| panic!("{backend} {key}: {e}"));
                assert_eq!(r.domain_key, key);
            }
        }
        assert_eq!(resolve_text("", "dev").unwrap().domain_key, DEV_DOMAIN_KEY);
    }

    #[test]
    fn the_example_placeholder_is_the_one_the_example_config_holds() {
        let example = include_str!("../chatkit.example.toml");
        assert!(
            example.contains(&format!("domain-key = \"{EXAMPLE_DOMAIN_KEY}\"")),
            "chatkit.example.toml and EXAMPLE_DOMAIN_KEY disagree"
        );
    }

    #[test]
    fn backend_url_must_be_absolute_http() {
        for bad in [
            "chat.example.edu",
            "ftp://x.y",
            "javascript:alert(1)",
            "https://",
            "https://a b.c",
        ] {
            let text = format!("[profiles.dev]\nbackend-url = {bad:?}\n");
            let err = resolve_text(&text, "dev").unwrap_err();
            assert!(
                err.to_string().contains("profiles.dev.backend-url"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn trailing_slash_is_trimmed() {
        let r = resolve_text(
            "[profiles.dev]\nbackend-url = \"http://127.0.0.1:9000/\"\n",
            "dev",
        )
        .unwrap();
        assert_eq!(r.backend_url, "http://127.0.0.1:9000");
    }

    #[test]
    fn unknown_keys_are_errors_with_line() {
        let err = resolve_text("[widget]\ntitel = \"x\"\n", "dev").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("chatkit.toml:2:1: unknown field `titel`"),
            "{msg}"
        );
    }

    #[test]
    fn secret_keys_are_refused_wherever_they_are() {
        let err = resolve_text(
            "[widget]\ngreeting = \"use sk-proj-abcdefghijklmnopqrstuvwxyz012345\"\n",
            "dev",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("chatkit.toml:2:"), "{msg}");
        assert!(msg.contains("widget.greeting"), "{msg}");
        assert!(msg.contains("secret"), "{msg}");
        assert!(!looks_like_secret("ask-me anything"));
        assert!(!looks_like_secret("sk-short"));
    }

    #[test]
    fn theme_overrides_are_validated() {
        let r = resolve_text(
            "[theme]\naccent = \"#ABC\"\nradius = \"0\"\nfont-family = \"Inter,  sans-serif\"\n",
            "dev",
        )
        .unwrap();
        assert_eq!(r.theme.accent.as_deref(), Some("#aabbcc"));
        assert_eq!(r.theme.radius, Some("sharp"));
        assert_eq!(r.theme.font_family.as_deref(), Some("Inter, sans-serif"));
        let err =
            resolve_text("[theme]\naccent = \"red; } body { display:none\"\n", "dev").unwrap_err();
        assert!(err.to_string().contains("theme.accent"), "{err}");
        let err = resolve_text("[theme]\nfont-family = \"x; } a {\"\n", "dev").unwrap_err();
        assert!(err.to_string().contains("theme.font-family"), "{err}");
    }

    #[test]
    fn offsets_must_be_css_lengths() {
        let r = resolve_text("[widget]\noffset-right = \"5rem\"\n", "dev").unwrap();
        assert_eq!(r.offset_right, "5rem");
        assert_eq!(r.offset_bottom, DEFAULT_OFFSET);
        let err =
            resolve_text("[widget]\noffset-bottom = \"10px;color:red\"\n", "dev").unwrap_err();
        assert!(err.to_string().contains("widget.offset-bottom"), "{err}");
    }

    #[test]
    fn bad_globs_are_reported() {
        let err = resolve_text("[pages]\nexclude = [\"a/{b\"]\n", "dev").unwrap_err();
        assert!(err.to_string().contains("pages.exclude[0]"), "{err}");
    }

    #[test]
    fn script_url_scheme_is_checked() {
        let err =
            resolve_text("[widget]\nscript-url = \"javascript:alert(1)\"\n", "dev").unwrap_err();
        assert!(err.to_string().contains("widget.script-url"), "{err}");
    }

    #[test]
    fn position_and_z_index() {
        let r = resolve_text("", "dev").unwrap();
        assert_eq!(r.position, Position::Auto);
        assert_eq!(r.z_index, DEFAULT_Z_INDEX);
        assert!(
            i32::try_from(DEFAULT_Z_INDEX).is_ok(),
            "must fit a CSS integer"
        );
        let r = resolve_text(
            "[widget]\nposition = \"bottom-left\"\nz-index = 500\n",
            "dev",
        )
        .unwrap();
        assert_eq!(r.position, Position::BottomLeft);
        assert_eq!(r.position.as_str(), "bottom-left");
        assert_eq!(r.z_index, 500);
        let err = resolve_text("[widget]\nposition = \"top-left\"\n", "dev").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("chatkit.toml:2:"), "{msg}");
        assert!(msg.contains("bottom-left"), "{msg}");
    }

    #[test]
    fn replaces_selectors_are_checked_at_their_line() {
        let r = resolve_text(
            "[widget]\nreplaces = [\"#old-bot\", \" .chat-fab[data-x='a]'] \", \"div:not(.a, .b)\"]\n",
            "dev",
        )
        .unwrap();
        assert_eq!(
            r.replaces,
            vec!["#old-bot", ".chat-fab[data-x='a]']", "div:not(.a, .b)"]
        );
        for bad in [
            "",
            "  ",
            "a{}",
            "a;b",
            ".a > .b",
            "@media",
            "a\\\\b",
            "a/* x */",
            "a[b",
            "a)",
            "a(b]",
            "a[x=\\\"b]",
            "a\\nb",
        ] {
            let text = format!("[widget]\nreplaces = [\n  \"#ok\",\n  \"{bad}\",\n]\n");
            let err = resolve_text(&text, "dev").unwrap_err();
            let msg = err.to_string();
            assert!(
                msg.starts_with("chatkit.toml:4:3: `widget.replaces[1]`"),
                "{bad:?}: {msg}"
            );
        }
    }

    #[test]
    fn locales_follow_the_precedence_of_the_contract() {
        // No config: the built-in translations.
        let r = resolve_text("", "dev").unwrap();
        assert_eq!(
            r.locale_for(Some("fr")).1.strings.title,
            "Interroger le manuel"
        );
        assert_eq!(r.locale_for(Some("ur")).0, "ur");
        assert_eq!(r.locale_for(Some("zh-Hans")).0, "zh");
        assert_eq!(r.locale_for(Some("xx")).0, "en");
        assert_eq!(r.locale_for(None).1.strings, *i18n::english());
        assert_eq!(r.title, i18n::english().title);

        // [widget] title set: it wins over the built-in translation of the title only.
        let r = resolve_text(
            "[widget]\ntitle = \"Physics helper\"\n\n[locales.UR]\ngreeting = \"Salaam\"\nprompts = [{ label = \"l\", prompt = \"p\" }]\n\n[locales.pt-BR]\nretry = \"De novo\"\n",
            "dev",
        )
        .unwrap();
        let (_, fr) = r.locale_for(Some("fr"));
        assert_eq!(fr.strings.title, "Physics helper");
        assert_eq!(fr.strings.greeting, i18n::built_in()["fr"].greeting);
        assert_eq!(fr.strings.retry, "Réessayer");
        assert!(fr.prompts.is_empty());
        let (tag, ur) = r.locale_for(Some("ur"));
        assert_eq!(tag, "ur");
        assert_eq!(ur.strings.title, "Physics helper");
        assert_eq!(ur.strings.greeting, "Salaam");
        assert_eq!(ur.strings.close, i18n::built_in()["ur"].close);
        assert_eq!(ur.prompts.len(), 1);
        // A regional table inherits the rest from its language.
        let (tag, br) = r.locale_for(Some("pt-BR"));
        assert_eq!(tag, "pt-br");
        assert_eq!(br.strings.retry, "De novo");
        assert_eq!(br.strings.close, "Fechar");
        assert_eq!(r.locale_for(Some("pt-PT")).0, "pt");
        assert_eq!(r.title, "Physics helper");
    }

    #[test]
    fn locale_tables_are_checked() {
        let err = resolve_text("[locales.fr]\ntitel = \"x\"\n", "dev").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("chatkit.toml:2:1: unknown field `titel`"),
            "{err}"
        );
        let err = resolve_text("[locales.\"f r\"]\ntitle = \"x\"\n", "dev").unwrap_err();
        assert!(err.to_string().contains("not a language tag"), "{err}");
        let err = resolve_text(
            "[locales.fr]\ntitle = \"a\"\n[locales.FR]\ntitle = \"b\"\n",
            "dev",
        )
        .unwrap_err();
        assert!(err.to_string().contains("second table"), "{err}");
        let err = resolve_text("\n[locales.de]\nretry = \" \"\n", "dev").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("chatkit.toml:3:9: `locales.de.retry`"),
            "{err}"
        );
        let err = resolve_text(
            "[locales.de]\nclose = \"sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\"\n",
            "dev",
        )
        .unwrap_err();
        assert!(err.to_string().contains("secret"), "{err}");
    }
}
