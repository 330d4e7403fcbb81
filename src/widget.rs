//! What a run adds to the site, prepared once before any page: the widget CSS rendered from its
//! template with the `[theme]` overrides, the hashed widget files (the site modules with the
//! runtime config's site part among them), and the markup.
//!
//! Nothing is read from the site's CSS: the widget reads the page's accent (light and dark),
//! radius and font from its computed styles, where the reader sees them; the `[theme]` keys a
//! maintainer sets win over what it reads, in the runtime config and in the CSS alike.

use crate::assets::{self, AssetSet, CssContext};
use crate::config::Resolved;
use crate::inject::{self, AssetUrls, Snippets};
use crate::report::ThemeReport;
use crate::runtime_config::RuntimeTheme;

/// The widget of a run.
pub struct Widget {
    pub snippets: Snippets,
    pub assets: AssetSet,
    /// The theme overrides and what the widget reads from the page instead, for the report.
    pub theme: ThemeReport,
}

/// Infima's stock primary colour: the toggle's fallback for `var(--ifm-color-primary, …)` on a
/// page without Infima, in each mode `[theme]` does not fix.
const INFIMA_PRIMARY: &str = "#3578e5";

/// Render the CSS, hash the assets and build the markup for this run.
pub fn prepare(config: &Resolved, base_url: &str) -> Result<Widget, minijinja::Error> {
    let t = &config.theme;
    let css_ctx = CssContext {
        accent: t.accent.clone().unwrap_or_else(|| INFIMA_PRIMARY.into()),
        accent_dark: t
            .accent_dark
            .clone()
            .unwrap_or_else(|| INFIMA_PRIMARY.into()),
        offset_right: config.offset_right.clone(),
        offset_bottom: config.offset_bottom.clone(),
        z_index: config.z_index,
        accent_fixed: t.accent.is_some(),
        accent_dark_fixed: t.accent_dark.is_some(),
        position: config.position.as_str().to_string(),
        replaces: config.replaces.clone(),
    };
    let css = assets::render_css(&css_ctx)?;
    let mut set = assets::build(css);
    let snippets = inject::snippets(
        config,
        &AssetUrls {
            css: set.css.url(base_url),
            loader: set.loader.url(base_url),
            panel: set.panel.url(base_url),
            dir: format!("{base_url}{}/", assets::ASSET_DIR),
        },
    );
    set.sites.clone_from(&snippets.sites);
    let overrides = RuntimeTheme::from_config(config);
    let file = (!overrides.is_empty()).then(|| {
        config.source.as_ref().map_or_else(
            || crate::cli::DEFAULT_CONFIG_FILE.to_string(),
            |p| p.display().to_string(),
        )
    });
    Ok(Widget {
        snippets,
        assets: set,
        theme: ThemeReport::new(overrides, file),
    })
}
