//! Theme extraction from the site's built CSS (being replaced by the full cascade model).

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExtractedTheme {
    pub accent: Option<String>,
    pub accent_dark: Option<String>,
    pub font_family: Option<String>,
    pub radius: Option<String>,
}

pub fn extract(_stylesheets: &[&str]) -> ExtractedTheme {
    ExtractedTheme::default()
}

pub fn chatkit_radius(css_length: &str) -> Option<&'static str> {
    let s = css_length.trim();
    let px = if let Some(n) = s.strip_suffix("rem") {
        n.parse::<f64>().ok()? * 16.0
    } else if let Some(n) = s.strip_suffix("px") {
        n.parse::<f64>().ok()?
    } else if s == "0" {
        0.0
    } else {
        return None;
    };
    Some(if px <= 0.0 {
        "sharp"
    } else if px <= 4.0 {
        "soft"
    } else if px <= 10.0 {
        "round"
    } else {
        "pill"
    })
}

pub fn normalize_color(value: &str) -> Option<String> {
    let v = value.trim().to_ascii_lowercase();
    let hex = v.strip_prefix('#')?;
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match hex.len() {
        3 => Some(format!(
            "#{}",
            hex.chars().flat_map(|c| [c, c]).collect::<String>()
        )),
        6 => Some(format!("#{hex}")),
        _ => None,
    }
}
