//! The values a maintainer may set in `[theme]`, checked and mapped to what the runtime config
//! and the widget CSS carry: a colour as `#rrggbb`, a radius as one of ChatKit's names.
//!
//! Nothing here reads the site. The widget reads the page's accent (light and dark), radius and
//! font from its computed styles where the reader sees them (`widget-assets/src/theme.ts`); these
//! keys only override it (docs/architecture.md, "Runtime config").

/// Map a CSS length to ChatKit's radius names: 0 → "sharp", ≤ 4px/0.25rem → "soft",
/// ≤ 10px/0.625rem → "round", larger → "pill". 1rem = 16px. Unparseable → None.
///
/// `em` counts as `rem` (the root font size); percentages, `calc()` and negative lengths are
/// unparseable.
pub fn chatkit_radius(css_length: &str) -> Option<&'static str> {
    let value = css_length.trim().to_ascii_lowercase();
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number = parse_number(number)?;
    let px = match unit {
        "px" => number,
        "rem" | "em" => number * 16.0,
        "" if number == 0.0 => 0.0,
        _ => return None,
    };
    Some(if px == 0.0 {
        "sharp"
    } else if px <= 4.0 {
        "soft"
    } else if px <= 10.0 {
        "round"
    } else {
        "pill"
    })
}

/// `#abc`, `#aabbcc`, `rgb(1 2 3)`, `rgb(1,2,3)` → `#rrggbb` (lowercase). Anything else → None.
///
/// Also accepted: `rgba()`, percentage channels, negative or too large channels (clamped), and
/// an alpha of `1`/`100%` or more (an opaque color). Any other alpha is not representable as `#rrggbb` and gives `None`.
pub fn normalize_color(value: &str) -> Option<String> {
    let value = value.trim().to_ascii_lowercase();
    if let Some(hex) = value.strip_prefix('#') {
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return match hex.len() {
            3 => Some(hex.chars().fold(String::from("#"), |mut out, c| {
                out.push(c);
                out.push(c);
                out
            })),
            6 => Some(format!("#{hex}")),
            _ => None,
        };
    }
    let inner = value
        .strip_prefix("rgba(")
        .or_else(|| value.strip_prefix("rgb("))?
        .strip_suffix(')')?;
    let (channels, alpha): (Vec<&str>, Option<&str>) = if inner.contains(',') {
        let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
        match parts.len() {
            3 => (parts, None),
            4 => (parts[..3].to_vec(), Some(parts[3])),
            _ => return None,
        }
    } else {
        let (channels, alpha) = match inner.split_once('/') {
            Some((channels, alpha)) => (channels, Some(alpha.trim())),
            None => (inner, None),
        };
        (channels.split_ascii_whitespace().collect(), alpha)
    };
    if channels.len() != 3 {
        return None;
    }
    if let Some(alpha) = alpha {
        let opaque = match alpha.strip_suffix('%') {
            Some(percent) => parse_number(percent)? >= 100.0,
            None => parse_number(alpha)? >= 1.0,
        };
        if !opaque {
            return None;
        }
    }
    let mut out = String::from("#");
    for channel in channels {
        // A negative channel is valid and clamps to 0.
        let (negative, channel) = match channel.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, channel),
        };
        let level = match channel.strip_suffix('%') {
            Some(percent) => parse_number(percent)? * 255.0 / 100.0,
            None => parse_number(channel)?,
        };
        let level = if negative { -level } else { level };
        // Clamped to 0..=255 first, so the cast cannot truncate.
        let byte = level.clamp(0.0, 255.0).round() as u8;
        out.push_str(&format!("{byte:02x}"));
    }
    Some(out)
}

/// A plain non-negative decimal number (`12`, `0.4`, `.5`, `+3`); no exponents, no `inf`/`nan`.
fn parse_number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !plain {
        return None;
    }
    digits.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radius_names() {
        let cases = [
            ("0", Some("sharp")),
            ("0px", Some("sharp")),
            ("0rem", Some("sharp")),
            ("2px", Some("soft")),
            ("4px", Some("soft")),
            ("0.25rem", Some("soft")),
            ("4.5px", Some("round")),
            (" .4rem ", Some("round")),
            ("10px", Some("round")),
            ("0.625rem", Some("round")),
            ("0.7rem", Some("pill")),
            ("11PX", Some("pill")),
            ("999px", Some("pill")),
            ("1em", Some("pill")),
            ("4", None),
            ("-2px", None),
            ("50%", None),
            ("calc(2px + 1rem)", None),
            ("", None),
            ("px", None),
            ("1e3px", None),
            ("inf px", None),
        ];
        for (input, expected) in cases {
            assert_eq!(chatkit_radius(input), expected, "{input:?}");
        }
    }

    #[test]
    fn color_normalisation() {
        let cases = [
            ("#ABC", Some("#aabbcc")),
            ("#2E8555", Some("#2e8555")),
            ("  #25c2a0 ", Some("#25c2a0")),
            ("rgb(1 2 3)", Some("#010203")),
            ("rgb(1,2,3)", Some("#010203")),
            ("RGB( 46 , 133 , 85 )", Some("#2e8555")),
            ("rgba(255, 255, 255, 1)", Some("#ffffff")),
            ("rgb(255 0 0 / 100%)", Some("#ff0000")),
            ("rgb(100% 0% 50%)", Some("#ff0080")),
            ("rgb(300 -5 12.6)", Some("#ff000d")),
            ("rgba(0,0,0,.5)", None),
            ("rgb(0 0 0 / 0.3)", None),
            ("rgb(1 2)", None),
            ("rgb(1,2,3,4,5)", None),
            ("#abcd", None),
            ("#aabbccdd", None),
            ("#ggg", None),
            ("red", None),
            ("hsl(0 0% 0%)", None),
            ("rgb(a b c)", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_color(input).as_deref(), expected, "{input:?}");
        }
    }
}
