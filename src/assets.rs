//! The widget assets: the bundle files embedded in the binary, the themed CSS rendered from
//! `templates/widget.css.j2`, the site modules (the runtime config's site part, one per distinct
//! locale config), their content-hashed names, and writing them into the build.
//!
//! Hashed names let CDNs cache the files forever; a file of an earlier run whose name matches
//! [`is_hashed_asset_name`] but is not part of this run is stale and removed. Nothing else in
//! the asset folder is ever touched.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use minijinja::{context, Environment, UndefinedBehavior};
use sha2::{Digest, Sha256};

use crate::fsx::{self, PathError};

/// Folder, relative to the build directory (and to the site's baseUrl), holding our assets.
pub const ASSET_DIR: &str = "chatkit";

/// The loader bundle: the only script every page loads before the first open.
pub const LOADER_JS: &[u8] = include_bytes!("../widget-assets/dist/loader.js");
/// The panel chunk (ChatKit bindings), loaded on first open.
pub const PANEL_JS: &[u8] = include_bytes!("../widget-assets/dist/panel.js");
/// The widget CSS template (themed per site).
pub const CSS_TEMPLATE: &str = include_str!("../templates/widget.css.j2");

/// One file to write into `BUILD_DIR/chatkit/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// `widget`, `loader`, `panel` or `site`.
    pub stem: &'static str,
    /// `css` or `js`.
    pub ext: &'static str,
    pub bytes: Vec<u8>,
    /// First 8 hex digits of the SHA-256 of `bytes`.
    pub hash: String,
}

impl Asset {
    pub fn new(stem: &'static str, ext: &'static str, bytes: Vec<u8>) -> Self {
        let digest = Sha256::digest(&bytes);
        let hash = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
        Asset {
            stem,
            ext,
            bytes,
            hash,
        }
    }

    /// `loader.3f9a1c2b.js`
    pub fn file_name(&self) -> String {
        format!("{}.{}.{}", self.stem, self.hash, self.ext)
    }

    /// The URL a page uses, under the site's baseUrl (which ends with `/`).
    pub fn url(&self, base_url: &str) -> String {
        format!("{base_url}{ASSET_DIR}/{}", self.file_name())
    }
}

/// The assets of one run.
#[derive(Debug, Clone)]
pub struct AssetSet {
    pub css: Asset,
    pub loader: Asset,
    pub panel: Asset,
    /// The site modules (see `runtime_config::SiteConfig`), one per distinct content.
    pub sites: Vec<Asset>,
}

impl AssetSet {
    pub fn all(&self) -> Vec<&Asset> {
        [&self.css, &self.loader, &self.panel]
            .into_iter()
            .chain(&self.sites)
            .collect()
    }
}

/// Values the CSS template needs; all validated so none can break out of a declaration.
/// (Serialize: a test checks that the template uses every one of them and no other.)
#[derive(Debug, Clone, serde::Serialize)]
pub struct CssContext {
    /// Light mode's accent: `[theme] accent`, else the fallback of `var(--ifm-color-primary, …)`
    /// for a page without Infima (Infima's stock blue).
    pub accent: String,
    /// Dark mode's, as `accent` (`[theme] accent-dark`).
    pub accent_dark: String,
    pub offset_right: String,
    pub offset_bottom: String,
    pub z_index: u32,
    /// `[theme] accent` is set in chatkit.toml: in light mode the toggle uses `accent` as it is
    /// instead of the page's primary colour (as the panel does).
    pub accent_fixed: bool,
    /// `[theme] accent-dark` is set: the same for dark mode and `accent_dark`. Each mode is fixed
    /// on its own, so with `accent` alone dark mode still shows the page's colour.
    pub accent_dark_fixed: bool,
    /// `auto` (bottom right, mirrored on right-to-left pages), `bottom-right` or `bottom-left`.
    pub position: String,
    /// Validated CSS selectors to hide (`[widget] replaces`).
    pub replaces: Vec<String>,
}

/// Render the widget CSS.
pub fn render_css(ctx: &CssContext) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template("widget.css.j2", CSS_TEMPLATE)?;
    env.get_template("widget.css.j2")?.render(context! {
        accent => ctx.accent.clone(),
        accent_dark => ctx.accent_dark.clone(),
        offset_right => ctx.offset_right.clone(),
        offset_bottom => ctx.offset_bottom.clone(),
        z_index => ctx.z_index,
        position => ctx.position.clone(),
        replaces => ctx.replaces.clone(),
        accent_fixed => ctx.accent_fixed,
        accent_dark_fixed => ctx.accent_dark_fixed,
    })
}

/// Build the asset set for a run (the site modules are added once the markup is built, see
/// `widget::prepare`).
pub fn build(css: String) -> AssetSet {
    AssetSet {
        css: Asset::new("widget", "css", css.into_bytes()),
        loader: Asset::new("loader", "js", LOADER_JS.to_vec()),
        panel: Asset::new("panel", "js", PANEL_JS.to_vec()),
        sites: Vec::new(),
    }
}

/// The stems of the files this tool writes.
const STEMS: [&str; 4] = ["widget", "loader", "panel", "site"];

/// `widget.0123abcd.css`, `loader.0123abcd.js`, `panel.0123abcd.js`, `site.0123abcd.js`: names
/// this tool owns.
pub fn is_hashed_asset_name(name: &str) -> bool {
    let mut parts = name.split('.');
    let (Some(stem), Some(hash), Some(ext), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let stem_ok = matches!(
        (stem, ext),
        ("widget", "css") | ("loader", "js") | ("panel", "js") | ("site", "js")
    );
    stem_ok
        && hash.len() == 8
        && hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The names of our hashed files that `page` mentions (a page loads them through its link, its
/// loader script and its page config's panel and site URLs).
pub fn names_in(page: &[u8]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in page.iter().enumerate().filter(|(_, b)| **b == b'.') {
        for stem in STEMS {
            let Some(start) = i.checked_sub(stem.len()) else {
                continue;
            };
            if !page[start..i].eq_ignore_ascii_case(stem.as_bytes()) {
                continue;
            }
            for ext in [".css", ".js"] {
                let end = i + 1 + 8 + ext.len();
                if let Some(candidate) = page.get(start..end) {
                    let candidate = String::from_utf8_lossy(candidate);
                    if is_hashed_asset_name(&candidate) {
                        names.insert(candidate.into_owned());
                    }
                }
            }
        }
    }
    names
}

/// What writing (or checking) the assets did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AssetChanges {
    /// Files written (or that would be), relative to the build directory.
    pub written: Vec<String>,
    /// Current files already present with the right bytes.
    pub unchanged: Vec<String>,
    /// Stale files removed (or that would be).
    pub removed: Vec<String>,
    /// Files that would have been removed but that a page this run could not rewrite (a failed
    /// page) may still load, so they stay.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<String>,
}

/// Our hashed files currently in `dir/chatkit/`, sorted.
fn existing_hashed(dir: &Path) -> Result<Vec<String>, PathError> {
    let asset_dir = dir.join(ASSET_DIR);
    let entries = match std::fs::read_dir(&asset_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(PathError::new(&asset_dir, "cannot list", e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| PathError::new(&asset_dir, "cannot list", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_hashed_asset_name(&name) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

fn rel(name: &str) -> String {
    format!("{ASSET_DIR}/{name}")
}

/// Write the files of this set that are missing or differ. With `dry_run`, only report.
pub fn write_current(dir: &Path, set: &AssetSet, dry_run: bool) -> Result<AssetChanges, PathError> {
    let asset_dir = dir.join(ASSET_DIR);
    let mut changes = AssetChanges::default();
    for asset in set.all() {
        let path = asset_dir.join(asset.file_name());
        let same = std::fs::read(&path).is_ok_and(|b| b == asset.bytes);
        if same {
            changes.unchanged.push(rel(&asset.file_name()));
            continue;
        }
        if !dry_run {
            fsx::create_dir_all(&asset_dir)?;
            fsx::write_atomic(&path, &asset.bytes, None)?;
        }
        changes.written.push(rel(&asset.file_name()));
    }
    Ok(changes)
}

/// Remove our hashed files that are not part of `set` (pages of an older run loaded them; call
/// this once every page loads the current set), except those `still_loaded` says a page still
/// loads (a page the run could not rewrite). With `dry_run`, only report.
pub fn remove_stale(
    dir: &Path,
    set: &AssetSet,
    dry_run: bool,
    changes: &mut AssetChanges,
    still_loaded: &dyn Fn(&str) -> bool,
) -> Result<(), PathError> {
    let asset_dir = dir.join(ASSET_DIR);
    let current: Vec<String> = set.all().iter().map(|a| a.file_name()).collect();
    for name in existing_hashed(dir)? {
        if !current.contains(&name) {
            if still_loaded(&name) {
                changes.kept.push(rel(&name));
                continue;
            }
            if !dry_run {
                fsx::remove_file(&asset_dir.join(&name))?;
            }
            changes.removed.push(rel(&name));
        }
    }
    Ok(())
}

/// Which current assets are missing or differ (for `--check`).
pub fn check(dir: &Path, set: &AssetSet) -> (Vec<String>, Vec<String>) {
    let asset_dir = dir.join(ASSET_DIR);
    let mut missing = Vec::new();
    let mut present = Vec::new();
    for asset in set.all() {
        let path = asset_dir.join(asset.file_name());
        if std::fs::read(&path).is_ok_and(|b| b == asset.bytes) {
            present.push(rel(&asset.file_name()));
        } else {
            missing.push(rel(&asset.file_name()));
        }
    }
    (missing, present)
}

/// Remove every hashed file of ours (for `--strip`) but those `still_loaded` says a page still
/// loads (a page the run could not strip), and the folder if that leaves it empty.
pub fn remove_all(
    dir: &Path,
    dry_run: bool,
    still_loaded: &dyn Fn(&str) -> bool,
) -> Result<AssetChanges, PathError> {
    let asset_dir = dir.join(ASSET_DIR);
    let mut changes = AssetChanges::default();
    for name in existing_hashed(dir)? {
        if still_loaded(&name) {
            changes.kept.push(rel(&name));
            continue;
        }
        if !dry_run {
            fsx::remove_file(&asset_dir.join(&name))?;
        }
        changes.removed.push(rel(&name));
    }
    if !dry_run && !changes.removed.is_empty() {
        // Only succeeds when empty: anything the site put there stays.
        let _ = std::fs::remove_dir(&asset_dir);
    }
    Ok(changes)
}

/// The folder our assets live in, for messages.
pub fn asset_dir(dir: &Path) -> PathBuf {
    dir.join(ASSET_DIR)
}

/// The asset names the pages a run failed on still mention, as they are in the target tree.
pub struct StillLoaded {
    names: std::collections::BTreeSet<String>,
    /// A failed page could not be read: it may load anything.
    pub unknown: bool,
}

impl StillLoaded {
    pub fn read(target: &Path, failed: &[PathBuf]) -> Self {
        let mut loaded = StillLoaded {
            names: std::collections::BTreeSet::new(),
            unknown: false,
        };
        for rel in failed {
            match std::fs::read(target.join(rel)) {
                Ok(page) => loaded.names.extend(names_in(&page)),
                // Under --out a failed page is not copied: nothing there loads anything.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => loaded.unknown = true,
            }
        }
        loaded
    }

    pub fn loads(&self, name: &str) -> bool {
        self.unknown || self.names.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> CssContext {
        CssContext {
            accent: "#2e8555".into(),
            accent_dark: "#25c2a0".into(),
            offset_right: "16px".into(),
            offset_bottom: "20px".into(),
            z_index: 300,
            accent_fixed: false,
            accent_dark_fixed: false,
            position: "auto".into(),
            replaces: Vec::new(),
        }
    }

    #[test]
    fn css_template_renders_every_value() {
        let css = render_css(&ctx()).unwrap();
        for v in ["#2e8555", "#25c2a0", "16px", "20px", "300"] {
            assert!(css.contains(v), "{v} missing from rendered CSS");
        }
        assert!(!css.contains("{{"), "unrendered placeholder");
    }

    #[test]
    fn css_template_uses_position_replaces_and_fixed_accent() {
        let default = render_css(&ctx()).unwrap();
        assert!(!default.contains("display:none!important"), "{default}");
        assert!(default.contains("var(--ifm-color-primary,#2e8555)"));
        assert!(
            default.contains("html[dir=rtl]"),
            "auto mirrors on RTL pages"
        );

        let mut c = ctx();
        c.replaces = vec!["#old-bot".into(), ".chat-fab[data-x='a']".into()];
        c.accent_fixed = true;
        c.position = "bottom-left".into();
        let css = render_css(&c).unwrap();
        // Light mode fixed; dark mode still follows the page.
        assert!(css.contains("var(--ifm-color-primary,#25c2a0)"), "{css}");
        let mut both = c.clone();
        both.accent_dark_fixed = true;
        let both = render_css(&both).unwrap();
        assert!(!both.contains("--ifm-color-primary"), "{both}");
        assert!(
            css.contains("#old-bot,.chat-fab[data-x='a']{display:none!important}"),
            "{css}"
        );
        assert!(!css.contains("var(--ifm-color-primary,#2e8555)"), "{css}");
        assert!(css.contains("#2e8555") && css.contains("#25c2a0"));
        assert!(
            !css.contains("html[dir=rtl]"),
            "a chosen corner is not mirrored"
        );
        assert_ne!(css, default);
        let mut right = c.clone();
        right.position = "bottom-right".into();
        assert_ne!(render_css(&right).unwrap(), css);
    }

    #[test]
    fn css_template_uses_every_value_of_its_context_and_no_other() {
        // Strict undefined fails only on a branch taken; this sees every branch.
        let mut env = Environment::new();
        env.add_template("widget.css.j2", CSS_TEMPLATE).unwrap();
        let used = env
            .get_template("widget.css.j2")
            .unwrap()
            .undeclared_variables(false);
        let given: std::collections::HashSet<String> = serde_json::to_value(ctx())
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(used, given);
    }

    #[test]
    fn hash_is_content_based() {
        let a = Asset::new("loader", "js", b"one".to_vec());
        let b = Asset::new("loader", "js", b"two".to_vec());
        assert_ne!(a.hash, b.hash);
        assert_eq!(a.hash, Asset::new("loader", "js", b"one".to_vec()).hash);
        assert!(is_hashed_asset_name(&a.file_name()), "{}", a.file_name());
        assert_eq!(
            a.url("/textbook/"),
            format!("/textbook/chatkit/{}", a.file_name())
        );
    }

    #[test]
    fn only_our_names_count_as_hashed_assets() {
        assert!(is_hashed_asset_name("panel.0123abcd.js"));
        assert!(is_hashed_asset_name("site.0123abcd.js"));
        assert!(!is_hashed_asset_name("site.0123abcd.css"));
        assert!(!is_hashed_asset_name("panel.0123ABCD.js"));
        assert!(!is_hashed_asset_name("panel.0123abc.js"));
        assert!(!is_hashed_asset_name("widget.0123abcd.js"));
        assert!(!is_hashed_asset_name("logo.0123abcd.css"));
        assert!(!is_hashed_asset_name("index.html"));
    }

    #[test]
    fn write_removes_stale_and_keeps_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let asset_dir = dir.path().join(ASSET_DIR);
        std::fs::create_dir_all(&asset_dir).unwrap();
        std::fs::write(asset_dir.join("loader.deadbeef.js"), b"old").unwrap();
        std::fs::write(asset_dir.join("site.deadbeef.js"), b"old").unwrap();
        std::fs::write(asset_dir.join("README.txt"), b"site's own").unwrap();
        let mut set = build(render_css(&ctx()).unwrap());
        let site = Asset::new("site", "js", b"export default {};".to_vec());
        set.sites.push(site.clone());
        let mut changes = write_current(dir.path(), &set, false).unwrap();
        remove_stale(dir.path(), &set, false, &mut changes, &|_| false).unwrap();
        assert_eq!(changes.written.len(), 4);
        assert!(changes
            .written
            .contains(&format!("chatkit/{}", site.file_name())));
        assert_eq!(
            changes.removed,
            vec![
                "chatkit/loader.deadbeef.js".to_string(),
                "chatkit/site.deadbeef.js".to_string()
            ]
        );
        assert!(asset_dir.join("README.txt").exists());
        let mut again = write_current(dir.path(), &set, false).unwrap();
        remove_stale(dir.path(), &set, false, &mut again, &|_| false).unwrap();
        assert!(again.written.is_empty() && again.removed.is_empty());
        assert_eq!(again.unchanged.len(), 4);
        assert_eq!(check(dir.path(), &set).0, Vec::<String>::new());
        std::fs::remove_file(asset_dir.join(site.file_name())).unwrap();
        assert_eq!(
            check(dir.path(), &set).0,
            vec![format!("chatkit/{}", site.file_name())]
        );
        let stripped = remove_all(dir.path(), false, &|_| false).unwrap();
        assert_eq!(stripped.removed.len(), 3);
        assert!(asset_dir.join("README.txt").exists());
    }

    #[test]
    fn names_a_page_loads_are_found() {
        let page = br#"<link href="/b/chatkit/widget.0123abcd.css" data-chatkit-inject><script>{"panelUrl":"/chatkit/panel.89abcdef.js","siteUrl":"/chatkit/site.01234567.js"}</script><script src="/chatkit/loader.deadbeef.js?v=1"></script> widget.0123abcd.js loader.xyz"#;
        let names: Vec<String> = names_in(page).into_iter().collect();
        assert_eq!(
            names,
            [
                "loader.deadbeef.js",
                "panel.89abcdef.js",
                "site.01234567.js",
                "widget.0123abcd.css"
            ]
        );
        assert!(names_in(b"").is_empty() && names_in(b".widget.").is_empty());
    }

    #[test]
    fn assets_a_page_still_loads_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let asset_dir = dir.path().join(ASSET_DIR);
        std::fs::create_dir_all(&asset_dir).unwrap();
        std::fs::write(asset_dir.join("loader.deadbeef.js"), b"old").unwrap();
        std::fs::write(asset_dir.join("widget.deadbeef.css"), b"old").unwrap();
        let set = build(render_css(&ctx()).unwrap());
        let mut changes = write_current(dir.path(), &set, false).unwrap();
        let old_css = |name: &str| name == "widget.deadbeef.css";
        remove_stale(dir.path(), &set, false, &mut changes, &old_css).unwrap();
        assert_eq!(changes.removed, vec!["chatkit/loader.deadbeef.js"]);
        assert_eq!(changes.kept, vec!["chatkit/widget.deadbeef.css"]);
        assert!(asset_dir.join("widget.deadbeef.css").exists());
        let stripped = remove_all(dir.path(), false, &old_css).unwrap();
        assert_eq!(stripped.removed.len(), 3);
        assert_eq!(stripped.kept, vec!["chatkit/widget.deadbeef.css"]);
        assert!(asset_dir.join("widget.deadbeef.css").exists());
    }
}
