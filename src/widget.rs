//! What a run adds to the site, prepared once before any page: the theme (`[theme]` overrides >
//! values read from the built CSS > Infima's defaults) and where its accent came from, the
//! widget CSS rendered from its template, the hashed widget files, and the markup.

use std::fs;
use std::path::{Path, PathBuf};

use crate::assets::{self, AssetSet, CssContext};
use crate::config::{self, Resolved};
use crate::inject::{self, AssetUrls, Snippets};
use crate::report::{Accent, AccentSource};
use crate::runtime_config::RuntimeTheme;
use crate::site;
use crate::theme;

/// The widget of a run.
pub struct Widget {
    pub snippets: Snippets,
    pub assets: AssetSet,
    pub theme: RuntimeTheme,
    /// The accent colour and where it came from, for the report.
    pub accent: Accent,
    /// Values the site sets that the widget cannot use.
    pub warnings: Vec<String>,
}

/// Render the CSS, hash the assets and build the markup for this run.
pub fn prepare(
    config: &Resolved,
    info: &site::SiteInfo,
    base_url: &str,
    build_dir: &Path,
) -> Result<Widget, minijinja::Error> {
    let sheets: Vec<(&PathBuf, String)> = info
        .stylesheets
        .iter()
        .filter_map(|p| fs::read_to_string(p).ok().map(|text| (p, text)))
        .collect();
    let refs: Vec<&str> = sheets.iter().map(|(_, t)| t.as_str()).collect();
    let extracted = theme::extract(&refs);
    let (runtime_theme, warnings) = resolve_theme(&extracted, config);
    let source = if config.theme.accent.is_some() {
        AccentSource::Config {
            file: config.source.as_ref().map_or_else(
                || crate::cli::DEFAULT_CONFIG_FILE.to_string(),
                |p| p.display().to_string(),
            ),
        }
    } else if extracted.accent.is_some()
        && theme::normalize_color(extracted.accent.as_deref().unwrap_or_default()).is_some()
    {
        // The stylesheet that set it: the last one whose addition changed the value.
        let mut file = None;
        let mut value = None;
        for i in 0..refs.len() {
            let here = theme::extract(&refs[..=i]).accent;
            if here != value {
                file = Some(i);
                value = here;
            }
        }
        let file = file
            .and_then(|i| sheets.get(i))
            .map_or_else(String::new, |(p, _)| {
                p.strip_prefix(build_dir).unwrap_or(p).display().to_string()
            });
        AccentSource::SiteCss {
            file,
            variable: "--ifm-color-primary".into(),
        }
    } else {
        AccentSource::Default
    };
    let hint = (runtime_theme.accent == INFIMA_PRIMARY
        && !matches!(source, AccentSource::Config { .. }))
    .then(|| {
        format!("{INFIMA_PRIMARY} is Infima's stock blue: if the site's brand colour is set elsewhere (custom CSS that does not set --ifm-color-primary), set [theme] accent in chatkit.toml")
    });
    let accent = Accent {
        color: runtime_theme.accent.clone(),
        dark: runtime_theme.accent_dark.clone(),
        source,
        hint,
    };

    let css_ctx = CssContext {
        accent: runtime_theme.accent.clone(),
        accent_dark: runtime_theme.accent_dark.clone(),
        font_family: runtime_theme
            .font_family
            .clone()
            .unwrap_or_else(|| INFIMA_FONT_FAMILY.to_string()),
        offset_right: config.offset_right.clone(),
        offset_bottom: config.offset_bottom.clone(),
        z_index: config.z_index,
        accent_fixed: config.theme.accent.is_some() || config.theme.accent_dark.is_some(),
        position: config.position.as_str().to_string(),
        replaces: config.replaces.clone(),
    };
    let css = assets::render_css(&css_ctx)?;
    let set = assets::build(css);
    let snippets = inject::snippets(
        config,
        &runtime_theme,
        &AssetUrls {
            css: set.css.url(base_url),
            loader: set.loader.url(base_url),
            panel: set.panel.url(base_url),
        },
    );
    Ok(Widget {
        snippets,
        assets: set,
        theme: runtime_theme,
        accent,
        warnings,
    })
}

/// Infima's default primary color, used when the site's CSS says nothing.
const INFIMA_PRIMARY: &str = "#3578e5";
/// Infima's default font stack.
const INFIMA_FONT_FAMILY: &str =
    "system-ui, -apple-system, Segoe UI, Roboto, Ubuntu, Cantarell, Noto Sans, sans-serif";

/// `[theme]` overrides > values read from the built CSS > Infima defaults. A value the site
/// sets but the widget cannot use is named in a warning, never dropped silently.
fn resolve_theme(
    extracted: &theme::ExtractedTheme,
    config: &Resolved,
) -> (RuntimeTheme, Vec<String>) {
    let o = &config.theme;
    let mut warnings = Vec::new();
    let mut color = |override_: &Option<String>, found: &Option<String>, key: &str, css: &str| {
        if let Some(c) = override_ {
            return Some(c.clone());
        }
        let raw = found.as_deref()?;
        let normalized = theme::normalize_color(raw);
        if normalized.is_none() {
            warnings.push(format!(
                "the site's {css} is {raw:?}, which the widget cannot use (expected #rrggbb or rgb()); set [theme] {key} in chatkit.toml"
            ));
        }
        normalized
    };
    let accent = color(
        &o.accent,
        &extracted.accent,
        "accent",
        "--ifm-color-primary",
    )
    .unwrap_or_else(|| INFIMA_PRIMARY.to_string());
    // `[theme] accent` alone, on a site whose dark mode has no primary colour of its own (the
    // same as its light one, e.g. Infima's stock blue): the configured colour is the brand in
    // both modes, rather than the site's colour it was set to replace.
    let site_dark_is_own = extracted.accent_dark.is_some()
        && extracted.accent_dark.as_deref().map(theme::normalize_color)
            != extracted.accent.as_deref().map(theme::normalize_color);
    let dark_found = if o.accent.is_some() && !site_dark_is_own {
        None
    } else {
        extracted.accent_dark.clone()
    };
    let accent_dark = color(
        &o.accent_dark,
        &dark_found,
        "accent-dark",
        "dark --ifm-color-primary",
    )
    .unwrap_or_else(|| accent.clone());
    let font_family = o.font_family.clone().or_else(|| {
        let raw = extracted.font_family.as_deref()?;
        match config::check_font_family(raw) {
            Ok(f) => Some(f),
            Err(why) => {
                warnings.push(format!(
                    "the site's --ifm-font-family-base cannot be used by the widget ({why}); set [theme] font-family in chatkit.toml"
                ));
                None
            }
        }
    });
    let radius = o
        .radius
        .or_else(|| extracted.radius.as_deref().and_then(theme::chatkit_radius))
        .unwrap_or("round");
    (
        RuntimeTheme {
            accent,
            accent_dark,
            font_family,
            radius: radius.to_string(),
        },
        warnings,
    )
}
