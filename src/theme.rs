//! Theme extraction: reads the Infima variables a built Docusaurus site really uses from its CSS.
//!
//! This module owns the small CSS scanner and cascade model that answer one question: which value
//! of `--ifm-color-primary` (light and dark), `--ifm-font-family-base` and `--ifm-global-radius`
//! would a browser compute on the `<html>` element? The answer feeds ChatKit's `theme` option,
//! because ChatKit runs in a cross-origin iframe that cannot read the host page's CSS.
//!
//! The model, and where it is deliberately conservative:
//!
//! - Stylesheets are read in link order, as one document: layer order and source order run across
//!   them.
//! - Cascade layers (`@layer a.b { … }`, `@layer a, b;`, anonymous `@layer { … }`, nesting,
//!   `@import … layer(x);`): for normal declarations later-declared layers win, a layer's own
//!   rules beat its sub-layers, and unlayered rules beat every layer. For `!important`
//!   declarations the order reverses.
//! - Only rules whose selector can match `<html data-theme="light|dark">` count: `html`, `*|html`,
//!   `*`, `:root`, `:scope`, a top-level `&`, `[data-theme…]` (every attribute operator and the
//!   `i`/`s` flags), `:is()`, `:where()`, `:not()`, and selector lists. Classes, ids, other
//!   attributes, other pseudo-classes, pseudo-elements and any combinator never match (the
//!   `<html>` element's classes differ from page to page, and the root element has no ancestor
//!   or sibling).
//! - Then specificity, then source order, as the browser does.
//! - `@media` blocks apply only when the query list is unconditional for a screen (`all`,
//!   `screen`, `only screen`, `not print`, or empty). Any other query, `@supports`, `@container`,
//!   `@scope` and the like are skipped entirely: the extracted value is a site-wide default, so a
//!   value that holds only under a condition is never taken.
//! - CSS nesting: a nested rule's `&` stands for `:is(<parent>)`, a nested rule without `&` is a
//!   descendant (so never the root), and nested `@media`/`@layer` blocks follow the rules above.
//! - `var(--x)` and `var(--x, fallback)` are resolved among the custom properties of the same mode,
//!   with cycles and undefined references treated as the guaranteed-invalid value (absent). The
//!   CSS-wide keywords (`initial`, `inherit`, `unset`, `revert`, `revert-layer`) also count as
//!   absent, since `<html>` has no parent to inherit from.
//! - The font family and the radius are read in light mode.

use std::collections::{HashMap, HashSet};

/// The theme values read from a site's CSS. Every field is `None` when the site does not set it
/// in a way this module can read; `[theme]` in the config overrides any of them afterwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExtractedTheme {
    /// Light-mode `--ifm-color-primary`: lowercase `#rrggbb` when it is a hex or `rgb()` color,
    /// otherwise as written.
    pub accent: Option<String>,
    /// Dark-mode `--ifm-color-primary`, normalised like `accent`.
    pub accent_dark: Option<String>,
    /// `--ifm-font-family-base`, whitespace collapsed and commas followed by one space.
    pub font_family: Option<String>,
    /// `--ifm-global-radius` as written, e.g. `0.4rem`.
    pub radius: Option<String>,
}

/// Extract from the stylesheets of one site, in the order the page links them.
pub fn extract(stylesheets: &[&str]) -> ExtractedTheme {
    let mut cascade = Cascade::new();
    for sheet in stylesheets {
        cascade.add_stylesheet(sheet);
    }
    let light = cascade.computed(Mode::Light);
    let dark = cascade.computed(Mode::Dark);
    let mut light = Resolver::new(&light);
    let mut dark = Resolver::new(&dark);

    let color = |value: String| normalize_color(&value).unwrap_or(value);
    ExtractedTheme {
        accent: light.value("--ifm-color-primary").map(color),
        accent_dark: dark.value("--ifm-color-primary").map(color),
        font_family: light
            .value("--ifm-font-family-base")
            .map(|value| collapse_font_family(&value)),
        radius: light.value("--ifm-global-radius"),
    }
}

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

/// Collapse whitespace outside strings and write every comma outside strings as `", "`, so that
/// minified and pretty-printed builds give the same font stack.
fn collapse_font_family(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = String::with_capacity(value.len());
    let mut pos = 0;
    let mut pending_space = false;
    while pos < bytes.len() {
        let c = bytes[pos];
        if is_css_whitespace(c) {
            pending_space = true;
            pos += 1;
            continue;
        }
        if c == b',' {
            out.push_str(", ");
            pending_space = false;
            pos += 1;
            continue;
        }
        if pending_space && !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        pending_space = false;
        let start = pos;
        if c == b'"' || c == b'\'' {
            pos = skip_string(bytes, pos);
        } else {
            pos += char_len(value, pos);
        }
        out.push_str(&value[start..pos]);
    }
    out.trim_end().to_string()
}

// ---------------------------------------------------------------------------------------------
// The cascade
// ---------------------------------------------------------------------------------------------

/// The value of `data-theme` on `<html>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Light,
    Dark,
}

impl Mode {
    const ALL: [Mode; 2] = [Mode::Light, Mode::Dark];

    fn index(self) -> usize {
        self as usize
    }

    fn data_theme(self) -> &'static str {
        match self {
            Mode::Light => "light",
            Mode::Dark => "dark",
        }
    }
}

/// Selector specificity (ids, classes/attributes/pseudo-classes, types); compares as the cascade
/// does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Specificity(u32, u32, u32);

impl Specificity {
    fn plus(self, other: Specificity) -> Specificity {
        Specificity(
            self.0.saturating_add(other.0),
            self.1.saturating_add(other.1),
            self.2.saturating_add(other.2),
        )
    }
}

/// One cascade layer; index 0 in [`Cascade::layers`] is the implicit outer layer (unlayered
/// rules).
#[derive(Debug, Default)]
struct Layer {
    /// `None` for anonymous layers (and the root), which can never be reopened.
    name: Option<String>,
    /// Sub-layers in the order they were first declared.
    children: Vec<usize>,
}

/// A custom-property declaration from a rule that matches `<html>` in at least one mode.
#[derive(Debug)]
struct Declaration {
    name: String,
    value: String,
    important: bool,
    layer: usize,
    /// Specificity of the best matching selector, per [`Mode::index`]; `None` when no selector of
    /// the rule matches in that mode.
    matches: [Option<Specificity>; 2],
}

/// Where a declaration stands in the cascade; the greatest wins. Field order is comparison order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Precedence {
    important: bool,
    /// Layer rank for normal declarations, reversed for `!important` ones.
    layer: usize,
    specificity: Specificity,
    /// Source order across all stylesheets.
    order: usize,
}

/// Nesting depth of blocks (and of `:is()`-like selector functions, and of `var()` references)
/// past which the parser skips instead of recursing.
const MAX_DEPTH: usize = 64;
/// Longest selector list a nested rule may expand to.
const MAX_SELECTOR_LEN: usize = 16 * 1024;
/// Longest value `var()` substitution may produce; longer is treated as invalid.
const MAX_VALUE_LEN: usize = 64 * 1024;

#[derive(Debug)]
struct Cascade {
    layers: Vec<Layer>,
    /// In source order across all stylesheets.
    declarations: Vec<Declaration>,
}

impl Cascade {
    fn new() -> Self {
        Cascade {
            layers: vec![Layer::default()],
            declarations: Vec::new(),
        }
    }

    fn add_stylesheet(&mut self, css: &str) {
        // A byte order mark is part of the encoding, not of the first selector.
        let css = css.strip_prefix('\u{feff}').unwrap_or(css);
        let mut parser = Parser::new(css);
        self.parse_rule_list(&mut parser, 0, 0);
    }

    /// The winning raw value of every custom property on `<html>` in `mode`.
    fn computed(&self, mode: Mode) -> HashMap<String, String> {
        let ranks = self.layer_ranks();
        let last = self.layers.len();
        let mut winners: HashMap<&str, (Precedence, &str)> = HashMap::new();
        for (order, decl) in self.declarations.iter().enumerate() {
            let Some(specificity) = decl.matches[mode.index()] else {
                continue;
            };
            let rank = ranks[decl.layer];
            let layer_precedence = if decl.important { last - rank } else { rank };
            let key = Precedence {
                important: decl.important,
                layer: layer_precedence,
                specificity,
                order,
            };
            let entry = winners
                .entry(decl.name.as_str())
                .or_insert((key, decl.value.as_str()));
            if key > entry.0 {
                *entry = (key, decl.value.as_str());
            }
        }
        winners
            .into_iter()
            .map(|(name, (_, value))| (name.to_string(), value.to_string()))
            .collect()
    }

    /// Precedence of each layer for normal declarations: a post-order walk of the layer tree, so
    /// sub-layers come before their parent's own rules and the root (unlayered) comes last.
    fn layer_ranks(&self) -> Vec<usize> {
        let mut ranks = vec![0; self.layers.len()];
        let mut next = 0;
        // Iterative post-order: (layer, children visited?).
        let mut stack = vec![(0usize, false)];
        while let Some((layer, visited)) = stack.pop() {
            if visited {
                ranks[layer] = next;
                next += 1;
            } else {
                stack.push((layer, true));
                for &child in self.layers[layer].children.iter().rev() {
                    stack.push((child, false));
                }
            }
        }
        ranks
    }

    /// Find or create the named layer `path` (dotted) inside `parent`.
    fn named_layer(&mut self, parent: usize, path: &str) -> usize {
        let mut current = parent;
        for segment in path.split('.') {
            let existing = self.layers[current]
                .children
                .iter()
                .copied()
                .find(|&child| self.layers[child].name.as_deref() == Some(segment));
            current = match existing {
                Some(child) => child,
                None => self.new_layer(current, Some(segment.to_string())),
            };
        }
        current
    }

    fn new_layer(&mut self, parent: usize, name: Option<String>) -> usize {
        let id = self.layers.len();
        self.layers.push(Layer {
            name,
            children: Vec::new(),
        });
        self.layers[parent].children.push(id);
        id
    }

    /// A list of rules, up to the end of input or the `}` that closes the enclosing block
    /// (consumed).
    fn parse_rule_list(&mut self, p: &mut Parser<'_>, layer: usize, depth: usize) {
        loop {
            p.skip_whitespace_and_comments();
            match p.peek() {
                None => return,
                Some(b'}') => {
                    p.pos += 1;
                    if depth > 0 {
                        return;
                    }
                }
                Some(b'@') => self.parse_at_rule(p, layer, depth),
                Some(_) if p.rest().starts_with("<!--") => p.pos += 4,
                Some(_) if p.rest().starts_with("-->") => p.pos += 3,
                Some(_) => self.parse_style_rule(p, layer, depth),
            }
        }
    }

    fn parse_at_rule(&mut self, p: &mut Parser<'_>, layer: usize, depth: usize) {
        let rule = read_at_rule(p);
        match rule.end {
            AtRuleEnd::Block if depth < MAX_DEPTH => match self.block_layer(&rule, layer) {
                Some(inner) => self.parse_rule_list(p, inner, depth + 1),
                None => p.skip_block(),
            },
            AtRuleEnd::Block => p.skip_block(),
            AtRuleEnd::Statement => self.layer_statement(&rule, layer),
            AtRuleEnd::Neither => {}
        }
    }

    /// The layer the contents of a conditional or layer block go into (a new one for `@layer`),
    /// or `None` when the block does not apply.
    fn block_layer(&mut self, rule: &AtRule, layer: usize) -> Option<usize> {
        match rule.name.as_str() {
            "media" if media_applies(&rule.prelude) => Some(layer),
            "layer" if rule.prelude.is_empty() => Some(self.new_layer(layer, None)),
            "layer" if is_layer_name(&rule.prelude) => Some(self.named_layer(layer, &rule.prelude)),
            _ => None,
        }
    }

    /// `@layer a, b.c;` declares layers in order; `@import … layer(x);` declares `x` (the
    /// imported sheet itself is not read: the caller passes every stylesheet the page links).
    fn layer_statement(&mut self, rule: &AtRule, layer: usize) {
        match rule.name.as_str() {
            "layer" => {
                let paths: Vec<&str> = rule.prelude.split(',').map(trim_css).collect();
                if paths.iter().all(|path| is_layer_name(path)) {
                    for path in paths {
                        self.named_layer(layer, path);
                    }
                }
            }
            "import" => {
                let lower = rule.prelude.to_ascii_lowercase();
                if let Some(start) = lower.find("layer(") {
                    let inner = &rule.prelude[start + "layer(".len()..];
                    if let Some(end) = inner.find(')') {
                        let path = trim_css(&inner[..end]);
                        if is_layer_name(path) {
                            self.named_layer(layer, path);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn parse_style_rule(&mut self, p: &mut Parser<'_>, layer: usize, depth: usize) {
        let prelude_start = p.pos;
        if p.scan_until(b"{}") != Some(b'{') {
            // A selector without a block: invalid, dropped (a `}` is left for the caller).
            return;
        }
        let selectors = strip_comments(&p.css[prelude_start..p.pos]);
        p.pos += 1;
        self.parse_style_block(p, layer, selectors.trim(), depth);
    }

    /// The block of a style rule (its `{` consumed) whose selector list is `selectors`.
    fn parse_style_block(
        &mut self,
        p: &mut Parser<'_>,
        layer: usize,
        selectors: &str,
        depth: usize,
    ) {
        if depth >= MAX_DEPTH {
            p.skip_block();
            return;
        }
        let matches = Mode::ALL.map(|mode| selector_list_matches(selectors, mode));
        self.parse_declarations(p, layer, selectors, matches, depth + 1);
    }

    /// The contents of a style rule, up to and including its closing `}`: declarations, nested
    /// style rules (CSS nesting) and nested `@media`/`@layer` blocks.
    fn parse_declarations(
        &mut self,
        p: &mut Parser<'_>,
        layer: usize,
        selectors: &str,
        matches: [Option<Specificity>; 2],
        depth: usize,
    ) {
        loop {
            p.skip_whitespace_and_comments();
            match p.peek() {
                None => return,
                Some(b'}') => {
                    p.pos += 1;
                    return;
                }
                Some(b';') => p.pos += 1,
                Some(b'@') => self.parse_nested_at_rule(p, layer, selectors, matches, depth),
                Some(_) if p.rest().starts_with("--") => {
                    let start = p.pos;
                    let stop = p.scan_until(b";}");
                    if matches.iter().any(Option::is_some) {
                        if let Some(decl) = custom_property(&p.css[start..p.pos], layer, matches) {
                            self.declarations.push(decl);
                        }
                    }
                    if stop == Some(b';') {
                        p.pos += 1;
                    }
                }
                Some(_) => {
                    // A standard property (not needed) or a nested style rule.
                    let start = p.pos;
                    match p.scan_until(b";{}") {
                        Some(b'{') => {
                            let nested =
                                nest_selectors(selectors, &strip_comments(&p.css[start..p.pos]));
                            p.pos += 1;
                            match nested {
                                Some(nested) => self.parse_style_block(p, layer, &nested, depth),
                                None => p.skip_block(),
                            }
                        }
                        Some(b';') => p.pos += 1,
                        _ => {}
                    }
                }
            }
        }
    }

    /// An at-rule inside a style rule: `@media` and `@layer` blocks hold more of the same rule's
    /// contents; anything else is skipped.
    fn parse_nested_at_rule(
        &mut self,
        p: &mut Parser<'_>,
        layer: usize,
        selectors: &str,
        matches: [Option<Specificity>; 2],
        depth: usize,
    ) {
        let rule = read_at_rule(p);
        match rule.end {
            AtRuleEnd::Block if depth < MAX_DEPTH => match self.block_layer(&rule, layer) {
                Some(inner) => self.parse_declarations(p, inner, selectors, matches, depth + 1),
                None => p.skip_block(),
            },
            AtRuleEnd::Block => p.skip_block(),
            AtRuleEnd::Statement => self.layer_statement(&rule, layer),
            AtRuleEnd::Neither => {}
        }
    }
}

/// An at-rule's head, read by [`read_at_rule`].
struct AtRule {
    /// Lowercase, without the `@`.
    name: String,
    /// Comments removed, trimmed.
    prelude: String,
    end: AtRuleEnd,
}

enum AtRuleEnd {
    /// `{` (consumed): the block follows.
    Block,
    /// `;` (consumed).
    Statement,
    /// A `}` that closes the enclosing block (left for the caller), or the end of input.
    Neither,
}

/// Read an at-rule's name and prelude, `p` at its `@`.
fn read_at_rule(p: &mut Parser<'_>) -> AtRule {
    p.pos += 1;
    let name_start = p.pos;
    p.pos = skip_ident(p.bytes, p.pos);
    let name = p.css[name_start..p.pos].to_ascii_lowercase();
    let prelude_start = p.pos;
    let stop = p.scan_until(b";{}");
    let prelude = trim_css(&strip_comments(&p.css[prelude_start..p.pos])).to_string();
    let end = match stop {
        Some(b'{') => AtRuleEnd::Block,
        Some(b';') => AtRuleEnd::Statement,
        _ => AtRuleEnd::Neither,
    };
    if !matches!(end, AtRuleEnd::Neither) {
        p.pos += 1;
    }
    AtRule { name, prelude, end }
}

/// A layer name: identifiers joined by `.`, no spaces (`docusaurus.infima`).
fn is_layer_name(path: &str) -> bool {
    path.split('.').all(|segment| {
        let b = segment.as_bytes();
        is_ident_start(b, 0) && skip_ident(b, 0) == b.len()
    })
}

/// Parse `--name: value [!important]`; `None` when it is not a declaration.
fn custom_property(
    text: &str,
    layer: usize,
    matches: [Option<Specificity>; 2],
) -> Option<Declaration> {
    let text = strip_comments(text);
    let (name, value) = text.split_once(':')?;
    let name = name.trim_matches(|c: char| c.is_ascii() && is_css_whitespace(c as u8));
    if name.len() <= 2 || name.bytes().any(is_css_whitespace) {
        return None;
    }
    let mut value = trim_css(value);
    let mut important = false;
    if let Some(before) = strip_suffix_ignore_case(value, "important") {
        if let Some(before_bang) = trim_css(before).strip_suffix('!') {
            important = true;
            value = trim_css(before_bang);
        }
    }
    Some(Declaration {
        name: name.to_string(),
        value: value.to_string(),
        important,
        layer,
        matches,
    })
}

fn strip_suffix_ignore_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let split = text.len().checked_sub(suffix.len())?;
    if !text.is_char_boundary(split) {
        return None;
    }
    let (head, tail) = text.split_at(split);
    tail.eq_ignore_ascii_case(suffix).then_some(head)
}

/// Whether a `@media` query list holds for every screen (see the module doc).
fn media_applies(prelude: &str) -> bool {
    let prelude = prelude.to_ascii_lowercase();
    if prelude.trim().is_empty() {
        return true;
    }
    split_top_level(&prelude, b',').into_iter().any(|query| {
        let words: Vec<&str> = query.split_ascii_whitespace().collect();
        matches!(
            words.as_slice(),
            ["all"] | ["screen"] | ["only", "screen"] | ["only", "all"] | ["not", "print"]
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Selectors, evaluated against `<html data-theme="…">`
// ---------------------------------------------------------------------------------------------

/// The selector list of a nested style rule, written out in full: `&` stands for
/// `:is(<parent list>)` (which also gives it the right specificity), and a selector without `&`
/// is relative to the parent as a descendant (`:is(<parent>) child`), or through its leading
/// combinator.
///
/// `&` cannot represent a pseudo-element, so parent selectors with one are left out of the
/// `:is()` (and add nothing to its specificity), as Chromium does. `None` when the result grows
/// past [`MAX_SELECTOR_LEN`] (each `&` copies the parent, so nesting can double it per level).
fn nest_selectors(parent: &str, nested: &str) -> Option<String> {
    let parent: Vec<&str> = split_top_level(parent, b',')
        .into_iter()
        .filter(|selector| !has_pseudo_element(selector))
        .collect();
    let wrapped = format!(":is({})", parent.join(","));
    let full = split_top_level(nested, b',')
        .into_iter()
        .map(|selector| {
            let selector = trim_css(selector);
            let b = selector.as_bytes();
            let mut out = String::with_capacity(selector.len() + wrapped.len());
            let mut has_nesting = false;
            let mut pos = 0;
            let mut copied = 0;
            while pos < b.len() {
                match b[pos] {
                    b'"' | b'\'' => pos = skip_string(b, pos),
                    b'\\' => pos = skip_escape(selector, pos),
                    b'[' => pos = (matching_close(selector, pos, b']') + 1).min(b.len()),
                    b'&' => {
                        out.push_str(&selector[copied..pos]);
                        out.push_str(&wrapped);
                        has_nesting = true;
                        pos += 1;
                        copied = pos;
                    }
                    _ => pos += char_len(selector, pos),
                }
            }
            out.push_str(&selector[copied..]);
            if has_nesting {
                out
            } else {
                format!("{wrapped} {out}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    (full.len() <= MAX_SELECTOR_LEN).then_some(full)
}

fn has_pseudo_element(selector: &str) -> bool {
    let lower = selector.to_ascii_lowercase();
    lower.contains("::")
        || [":before", ":after", ":first-line", ":first-letter"]
            .iter()
            .any(|legacy| lower.contains(legacy))
}

/// The specificity of the most specific selector in the list that matches `<html>`, if any.
fn selector_list_matches(list: &str, mode: Mode) -> Option<Specificity> {
    split_top_level(list, b',')
        .into_iter()
        .filter_map(|selector| {
            let (matches, specificity) = evaluate_selector(selector, mode, 0);
            matches.then_some(specificity)
        })
        .max()
}

/// Whether one complex selector matches `<html>` in `mode`, and its specificity (computed even
/// when it does not match, as `:is()` and `:not()` need it).
///
/// `depth` counts the enclosing `:is()`-like functions; past [`MAX_DEPTH`] nothing matches.
fn evaluate_selector(selector: &str, mode: Mode, depth: usize) -> (bool, Specificity) {
    let s = trim_css(selector);
    if s.is_empty() || depth > MAX_DEPTH {
        return (false, Specificity::default());
    }
    let b = s.as_bytes();
    let mut matches = true;
    let mut spec = Specificity::default();
    let mut after_compound = false;
    let mut whitespace = false;
    let mut pos = 0;
    while pos < b.len() {
        let c = b[pos];
        if is_css_whitespace(c) {
            whitespace = true;
            pos += 1;
            continue;
        }
        if matches!(c, b'>' | b'+' | b'~') {
            // Any combinator means the subject is not the root element.
            matches = false;
            after_compound = false;
            whitespace = false;
            pos += 1;
            continue;
        }
        if whitespace && after_compound {
            matches = false; // descendant combinator
        }
        whitespace = false;
        after_compound = true;
        match c {
            // `*|` (any namespace) before a type selector or `*`.
            b'*' if b.get(pos + 1) == Some(&b'|') && b.get(pos + 2) != Some(&b'=') => {
                pos += 2;
                after_compound = false;
            }
            b'*' => pos += 1,
            // `&` outside any style rule means `:scope` (the root), with no specificity.
            b'&' => pos += 1,
            b'.' => {
                spec.1 += 1;
                matches = false;
                pos = skip_ident(b, pos + 1);
            }
            b'#' => {
                spec.0 += 1;
                matches = false;
                pos = skip_ident(b, pos + 1);
            }
            b'[' => {
                let end = matching_close(s, pos, b']');
                spec.1 += 1;
                matches &= attribute_matches(&s[pos + 1..end], mode);
                pos = (end + 1).min(b.len());
            }
            b':' if b.get(pos + 1) == Some(&b':') => {
                // Pseudo-element: never the element itself.
                spec.2 += 1;
                matches = false;
                pos = skip_ident(b, pos + 2);
                if b.get(pos) == Some(&b'(') {
                    pos = (matching_close(s, pos, b')') + 1).min(b.len());
                }
            }
            b':' => {
                let name_start = pos + 1;
                pos = skip_ident(b, name_start);
                let name = s[name_start..pos].to_ascii_lowercase();
                if b.get(pos) == Some(&b'(') {
                    let end = matching_close(s, pos, b')');
                    let (m, sp) =
                        evaluate_pseudo_function(&name, &s[pos + 1..end], mode, depth + 1);
                    matches &= m;
                    spec = spec.plus(sp);
                    pos = (end + 1).min(b.len());
                } else {
                    match name.as_str() {
                        "root" | "scope" => spec.1 += 1,
                        "before" | "after" | "first-line" | "first-letter" => {
                            spec.2 += 1;
                            matches = false;
                        }
                        _ => {
                            spec.1 += 1;
                            matches = false;
                        }
                    }
                }
            }
            _ if is_ident_start(b, pos) => {
                let end = skip_ident(b, pos);
                spec.2 += 1;
                matches &= s[pos..end].eq_ignore_ascii_case("html");
                pos = end;
            }
            _ => {
                // Namespaces (`|`) and anything unknown: not matched.
                matches = false;
                pos += char_len(s, pos);
            }
        }
    }
    (matches, spec)
}

fn evaluate_pseudo_function(
    name: &str,
    args: &str,
    mode: Mode,
    depth: usize,
) -> (bool, Specificity) {
    let evaluated: Vec<(bool, Specificity)> = split_top_level(args, b',')
        .into_iter()
        .map(|selector| evaluate_selector(selector, mode, depth))
        .collect();
    let any = evaluated.iter().any(|(m, _)| *m);
    let max = evaluated
        .iter()
        .map(|(_, spec)| *spec)
        .max()
        .unwrap_or_default();
    match name {
        "is" | "matches" | "-webkit-any" | "-moz-any" => (any, max),
        "where" => (any, Specificity::default()),
        "not" => (!any, max),
        "has" => (false, max),
        _ => (false, Specificity(0, 1, 0)),
    }
}

/// Evaluate the inside of `[…]` against `<html data-theme="light|dark">`. Other attributes are
/// treated as absent.
fn attribute_matches(inner: &str, mode: Mode) -> bool {
    let b = inner.as_bytes();
    let mut pos = skip_whitespace(b, 0);
    // An optional namespace prefix: `ns|`, `*|` or `|`.
    let prefix_end = if b.get(pos) == Some(&b'*') {
        pos + 1
    } else {
        skip_ident(b, pos)
    };
    if b.get(prefix_end) == Some(&b'|') && b.get(prefix_end + 1) != Some(&b'=') {
        pos = prefix_end + 1;
    }
    let name_end = skip_ident(b, pos);
    let name = unescape(&inner[pos..name_end]);
    if !name.eq_ignore_ascii_case("data-theme") {
        return false;
    }
    let actual = mode.data_theme();
    pos = skip_whitespace(b, name_end);
    if pos >= b.len() {
        return true; // presence
    }
    let operator = match b[pos] {
        b'=' => {
            pos += 1;
            b'='
        }
        op @ (b'~' | b'|' | b'^' | b'$' | b'*') if b.get(pos + 1) == Some(&b'=') => {
            pos += 2;
            op
        }
        _ => return false,
    };
    pos = skip_whitespace(b, pos);
    let value_start = pos;
    let value = match b.get(pos) {
        Some(b'"' | b'\'') => {
            pos = skip_string(b, pos);
            let quoted = &inner[value_start..pos];
            let body = quoted
                .get(1..quoted.len().saturating_sub(1))
                .unwrap_or_default();
            unescape(body)
        }
        _ => {
            pos = skip_ident(b, pos);
            unescape(&inner[value_start..pos])
        }
    };
    let flag = inner[pos.min(b.len())..].trim();
    let (actual, value) = match flag {
        "" | "s" | "S" => (actual.to_string(), value),
        "i" | "I" => (actual.to_ascii_lowercase(), value.to_ascii_lowercase()),
        _ => return false,
    };
    let non_empty = !value.is_empty();
    match operator {
        b'=' => actual == value,
        b'~' => non_empty && actual.split_ascii_whitespace().any(|word| word == value),
        b'|' => actual == value || actual.starts_with(&format!("{value}-")),
        b'^' => non_empty && actual.starts_with(&value),
        b'$' => non_empty && actual.ends_with(&value),
        b'*' => non_empty && actual.contains(&value),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// var() resolution
// ---------------------------------------------------------------------------------------------

/// Substitutes `var()` references among the custom properties of one mode.
struct Resolver<'a> {
    raw: &'a HashMap<String, String>,
    memo: HashMap<String, Option<String>>,
    stack: Vec<String>,
    in_cycle: HashSet<String>,
    /// Nesting of `substitute` calls (references and fallbacks), bounded by [`MAX_DEPTH`].
    depth: usize,
}

impl<'a> Resolver<'a> {
    fn new(raw: &'a HashMap<String, String>) -> Self {
        Resolver {
            raw,
            memo: HashMap::new(),
            stack: Vec::new(),
            in_cycle: HashSet::new(),
            depth: 0,
        }
    }

    /// The computed value of a custom property; `None` when unset, invalid or empty.
    fn value(&mut self, name: &str) -> Option<String> {
        self.get(name).filter(|value| !value.is_empty())
    }

    fn get(&mut self, name: &str) -> Option<String> {
        if let Some(done) = self.memo.get(name) {
            return done.clone();
        }
        if let Some(index) = self.stack.iter().position(|n| n == name) {
            self.in_cycle.extend(self.stack[index..].iter().cloned());
            return None;
        }
        let raw = self.raw.get(name)?;
        let keyword = raw.to_ascii_lowercase();
        if matches!(
            keyword.as_str(),
            "initial" | "inherit" | "unset" | "revert" | "revert-layer"
        ) {
            self.memo.insert(name.to_string(), None);
            return None;
        }
        self.stack.push(name.to_string());
        let substituted = self.substitute(raw);
        self.stack.pop();
        let result = if self.in_cycle.contains(name) {
            None
        } else {
            substituted.map(|value| trim_css(&value).to_string())
        };
        self.memo.insert(name.to_string(), result.clone());
        result
    }

    /// Replace every `var()` in `value`; `None` when one of them has neither a value nor a
    /// fallback.
    fn substitute(&mut self, value: &str) -> Option<String> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let result = self.substitute_inner(value);
        self.depth -= 1;
        result.filter(|out| out.len() <= MAX_VALUE_LEN)
    }

    fn substitute_inner(&mut self, value: &str) -> Option<String> {
        let b = value.as_bytes();
        let mut out = String::with_capacity(value.len());
        let mut pos = 0;
        let mut copied = 0;
        while pos < b.len() {
            match b[pos] {
                b'"' | b'\'' => pos = skip_string(b, pos),
                b'\\' => pos = skip_escape(value, pos),
                b'(' if pos >= 3
                    && b[pos - 3..pos].eq_ignore_ascii_case(b"var")
                    && (pos == 3 || !is_ident_byte(b[pos - 4])) =>
                {
                    let end = matching_close(value, pos, b')');
                    let args = &value[pos + 1..end];
                    let (name, fallback) = match split_first_top_level(args, b',') {
                        Some((name, fallback)) => (name, Some(fallback)),
                        None => (args, None),
                    };
                    let name = trim_css(name);
                    if !name.starts_with("--") {
                        return None;
                    }
                    let replacement = match self.get(name) {
                        Some(found) => found,
                        None => self.substitute(fallback?)?,
                    };
                    out.push_str(&value[copied..pos - 3]);
                    out.push_str(trim_css(&replacement));
                    pos = (end + 1).min(b.len());
                    copied = pos;
                }
                _ => pos += char_len(value, pos),
            }
        }
        out.push_str(&value[copied..]);
        Some(out)
    }
}

// ---------------------------------------------------------------------------------------------
// The scanner
// ---------------------------------------------------------------------------------------------

/// A cursor over one stylesheet. Every position it stops at is an ASCII byte (or the end), so
/// slicing the source there is always on a character boundary.
struct Parser<'a> {
    css: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(css: &'a str) -> Self {
        Parser {
            css,
            bytes: css.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn rest(&self) -> &'a str {
        &self.css[self.pos..]
    }

    fn skip_whitespace_and_comments(&mut self) {
        loop {
            self.pos = skip_whitespace(self.bytes, self.pos);
            if self.rest().starts_with("/*") {
                self.pos = skip_comment(self.bytes, self.pos);
            } else {
                return;
            }
        }
    }

    /// Advance to the first byte in `stops` that is outside any comment, string, escape,
    /// `url(…)` and nested `()`/`[]`/`{}` block; returns it, or `None` at the end of input.
    fn scan_until(&mut self, stops: &[u8]) -> Option<u8> {
        let mut open: Vec<u8> = Vec::new();
        while let Some(c) = self.peek() {
            if open.is_empty() && stops.contains(&c) {
                return Some(c);
            }
            match c {
                b'/' if self.bytes.get(self.pos + 1) == Some(&b'*') => {
                    self.pos = skip_comment(self.bytes, self.pos);
                    continue;
                }
                b'"' | b'\'' => {
                    self.pos = skip_string(self.bytes, self.pos);
                    continue;
                }
                b'\\' => {
                    self.pos = skip_escape(self.css, self.pos);
                    continue;
                }
                b'(' if self.at_unquoted_url() => {
                    self.pos = skip_unquoted_url(self.css, self.pos);
                    continue;
                }
                b'(' => open.push(b')'),
                b'[' => open.push(b']'),
                b'{' => open.push(b'}'),
                b')' | b']' | b'}' if open.last() == Some(&c) => {
                    open.pop();
                }
                _ => {}
            }
            self.pos += char_len(self.css, self.pos);
        }
        None
    }

    /// Skip the rest of a block whose `{` has been consumed, including its `}`.
    fn skip_block(&mut self) {
        if self.scan_until(b"}").is_some() {
            self.pos += 1;
        }
    }

    /// At a `(` that opens `url(` with an unquoted argument (which may hold `{`, `;` …).
    fn at_unquoted_url(&self) -> bool {
        let pos = self.pos;
        if pos < 3 || !self.bytes[pos - 3..pos].eq_ignore_ascii_case(b"url") {
            return false;
        }
        if pos > 3 && is_ident_byte(self.bytes[pos - 4]) {
            return false;
        }
        let next = skip_whitespace(self.bytes, pos + 1);
        !matches!(self.bytes.get(next), Some(b'"' | b'\''))
    }
}

fn is_css_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c >= 0x80
}

/// Whether an identifier (type selector) starts at `pos`.
fn is_ident_start(b: &[u8], pos: usize) -> bool {
    match b.get(pos) {
        Some(&c) if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 || c == b'\\' => true,
        Some(b'-') => matches!(b.get(pos + 1), Some(&c) if !c.is_ascii_digit()),
        _ => false,
    }
}

fn trim_css(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_ascii() && is_css_whitespace(c as u8))
}

/// Length in bytes of the character at `pos` (1 past the end, so loops always advance).
fn char_len(text: &str, pos: usize) -> usize {
    text.get(pos..)
        .and_then(|rest| rest.chars().next())
        .map_or(1, char::len_utf8)
}

fn skip_whitespace(b: &[u8], mut pos: usize) -> usize {
    while b.get(pos).is_some_and(|&c| is_css_whitespace(c)) {
        pos += 1;
    }
    pos
}

/// `pos` at `/*`; returns the position after `*/` (or the end).
fn skip_comment(b: &[u8], pos: usize) -> usize {
    let body = pos + 2;
    b.get(body..)
        .and_then(|rest| rest.windows(2).position(|w| w == b"*/"))
        .map_or(b.len(), |end| body + end + 2)
}

/// `pos` at a quote; returns the position after the closing quote, or at the newline that ends
/// an unterminated string, or the end.
fn skip_string(b: &[u8], pos: usize) -> usize {
    let quote = b[pos];
    let mut i = pos + 1;
    while let Some(&c) = b.get(i) {
        match c {
            c if c == quote => return i + 1,
            b'\\' => i += 2,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    b.len()
}

/// `pos` at a backslash; returns the position after the escaped character.
fn skip_escape(text: &str, pos: usize) -> usize {
    let next = pos + 1;
    if next >= text.len() {
        return text.len();
    }
    next + char_len(text, next)
}

/// `pos` at the `(` of an unquoted `url(`; returns the position after its `)`.
fn skip_unquoted_url(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    let mut i = pos + 1;
    while let Some(&c) = b.get(i) {
        match c {
            b')' => return i + 1,
            b'\\' => i = skip_escape(text, i),
            _ => i += char_len(text, i),
        }
    }
    b.len()
}

/// `pos` past the identifier (with escapes) starting at `pos`.
fn skip_ident(b: &[u8], mut pos: usize) -> usize {
    while let Some(&c) = b.get(pos) {
        if c == b'\\' {
            pos += 2;
            while b.get(pos).is_some_and(|c| (0x80..0xc0).contains(c)) {
                pos += 1; // rest of an escaped multi-byte character
            }
        } else if is_ident_byte(c) {
            pos += 1;
        } else {
            break;
        }
    }
    pos.min(b.len())
}

/// `open` at `(` or `[`; the position of the matching `closer`, or the end of `text`.
fn matching_close(text: &str, open: usize, closer: u8) -> usize {
    let mut p = Parser::new(text);
    p.pos = open + 1;
    p.scan_until(&[closer]);
    p.pos
}

/// Split at every top-level `sep` (outside strings, comments and brackets).
fn split_top_level(text: &str, sep: u8) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut p = Parser::new(text);
    let mut start = 0;
    while p.scan_until(&[sep]).is_some() {
        parts.push(&text[start..p.pos]);
        p.pos += 1;
        start = p.pos;
    }
    parts.push(&text[start..]);
    parts
}

fn split_first_top_level(text: &str, sep: u8) -> Option<(&str, &str)> {
    let mut p = Parser::new(text);
    p.scan_until(&[sep])?;
    Some((&text[..p.pos], &text[p.pos + 1..]))
}

/// Remove comments outside strings.
fn strip_comments(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut copied = 0;
    while pos < b.len() {
        match b[pos] {
            b'/' if b.get(pos + 1) == Some(&b'*') => {
                out.push_str(&text[copied..pos]);
                pos = skip_comment(b, pos);
                copied = pos;
            }
            b'"' | b'\'' => pos = skip_string(b, pos),
            b'\\' => pos = skip_escape(text, pos),
            _ => pos += char_len(text, pos),
        }
    }
    out.push_str(&text[copied.min(b.len())..]);
    out
}

/// Resolve CSS escapes (`\64 ark`, `\"`) in an identifier or string body.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let mut hex = String::new();
        while hex.len() < 6 && chars.peek().is_some_and(char::is_ascii_hexdigit) {
            hex.extend(chars.next());
        }
        if hex.is_empty() {
            match chars.next() {
                Some('\n') | None => {}
                Some(other) => out.push(other),
            }
        } else {
            if chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                chars.next();
            }
            let decoded = u32::from_str_radix(&hex, 16)
                .ok()
                .and_then(char::from_u32)
                .filter(|&c| c != '\0')
                .unwrap_or('\u{fffd}');
            out.push(decoded);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn primary(css: &str) -> (Option<String>, Option<String>) {
        let theme = extract(&[css]);
        (theme.accent, theme.accent_dark)
    }

    fn pair(light: &str, dark: &str) -> (Option<String>, Option<String>) {
        (Some(light.to_string()), Some(dark.to_string()))
    }

    #[test]
    fn empty_input_gives_nothing() {
        assert_eq!(extract(&[]), ExtractedTheme::default());
        assert_eq!(
            extract(&["", "  /* only a comment */ "]),
            ExtractedTheme::default()
        );
    }

    #[test]
    fn root_applies_to_both_modes() {
        assert_eq!(
            primary(":root { --ifm-color-primary: #2E8555; }"),
            pair("#2e8555", "#2e8555")
        );
    }

    #[test]
    fn later_rule_wins_at_equal_specificity() {
        let css =
            ":root{--ifm-color-primary:#111111} html:root{} :root{--ifm-color-primary:#222222}";
        assert_eq!(primary(css), pair("#222222", "#222222"));
    }

    #[test]
    fn unlayered_beats_layered_whatever_the_order() {
        let css = ":root{--ifm-color-primary:#2e8555}\
                   @layer docusaurus.infima{:root{--ifm-color-primary:#3578e5}}";
        assert_eq!(primary(css), pair("#2e8555", "#2e8555"));
        // Even a more specific selector in a layer loses to an unlayered rule.
        let css = "@layer base{html[data-theme=light]:root{--ifm-color-primary:#3578e5}}\
                   :root{--ifm-color-primary:#2e8555}";
        assert_eq!(primary(css).0.as_deref(), Some("#2e8555"));
    }

    #[test]
    fn later_declared_layer_wins() {
        let css = "@layer a{:root{--ifm-color-primary:#aaaaaa}}\
                   @layer b{:root{--ifm-color-primary:#bbbbbb}}\
                   @layer a{:root{--ifm-color-primary:#a0a0a0}}";
        assert_eq!(primary(css), pair("#bbbbbb", "#bbbbbb"));
    }

    #[test]
    fn layer_statement_fixes_the_order_up_front() {
        let css = "@layer b, a;\
                   @layer a{:root{--ifm-color-primary:#aaaaaa}}\
                   @layer b{:root{--ifm-color-primary:#bbbbbb}}";
        assert_eq!(primary(css), pair("#aaaaaa", "#aaaaaa"));
    }

    #[test]
    fn sub_layers_lose_to_their_parents_own_rules() {
        let css = "@layer docusaurus{:root{--ifm-color-primary:#111111}}\
                   @layer docusaurus.infima{:root{--ifm-color-primary:#222222}}";
        assert_eq!(primary(css).0.as_deref(), Some("#111111"));
        let css = "@layer outer{@layer inner{:root{--ifm-color-primary:#222222}}\
                   :root{--ifm-color-primary:#111111}}";
        assert_eq!(primary(css).0.as_deref(), Some("#111111"));
        // `outer.inner` named from outside reopens the same nested layer.
        let css = "@layer outer.inner, outer.later;\
                   @layer outer{@layer later{:root{--ifm-color-primary:#333333}}}\
                   @layer outer.inner{:root{--ifm-color-primary:#222222}}";
        assert_eq!(primary(css).0.as_deref(), Some("#333333"));
    }

    #[test]
    fn invalid_layer_names_drop_the_rule() {
        let css = ":root{--ifm-color-primary:#111111}\
                   @layer a b{:root{--ifm-color-primary:#999999}}\
                   @layer a, b{:root{--ifm-color-primary:#999999}}\
                   @layer 1x{:root{--ifm-color-primary:#999999}}";
        assert_eq!(primary(css).0.as_deref(), Some("#111111"));
        // An invalid statement declares nothing, not even its valid names.
        let css = "@layer late, 2bad;@layer early{:root{--ifm-color-primary:#111111}}\
                   @layer late{:root{--ifm-color-primary:#222222}}";
        assert_eq!(primary(css).0.as_deref(), Some("#222222"));
    }

    #[test]
    fn anonymous_layers_are_distinct_and_ordered() {
        let css = "@layer{:root{--ifm-color-primary:#111111}}\
                   @layer{:root{--ifm-color-primary:#222222}}\
                   @layer named{:root{--ifm-color-primary:#333333}}";
        assert_eq!(primary(css).0.as_deref(), Some("#333333"));
    }

    #[test]
    fn specificity_beats_order() {
        let css = "html[data-theme=light]{--ifm-color-primary:#111111}\
                   :root{--ifm-color-primary:#222222}";
        // (0,1,1) beats the later (0,1,0) in light mode; dark only sees :root.
        assert_eq!(primary(css), pair("#111111", "#222222"));
        let css = "html{--ifm-color-primary:#111111} :root{--ifm-color-primary:#222222}\
                   *{--ifm-color-primary:#333333}";
        assert_eq!(primary(css), pair("#222222", "#222222"));
    }

    #[test]
    fn light_and_dark_selectors() {
        let cases = [
            "[data-theme='dark']",
            "[data-theme=dark]",
            "html[data-theme=\"dark\"]",
            "[data-theme=dark]:root",
            ":root[data-theme=DARK i]",
            "[ data-theme = 'dark' ]",
            "*|html[data-theme=dark]",
            "&[data-theme=dark]",
            "html:is([data-theme=dark])",
            ":is(.x, [data-theme^=da])",
            "html:not([data-theme=light])",
        ];
        for selector in cases {
            let css = format!(
                ":root{{--ifm-color-primary:#111111}} {selector}{{--ifm-color-primary:#222222}}"
            );
            assert_eq!(primary(&css), pair("#111111", "#222222"), "{selector}");
        }
        let css = "html[data-theme=light]{--ifm-color-primary:#111111}\
                   html[data-theme=dark]{--ifm-color-primary:#222222}";
        assert_eq!(primary(css), pair("#111111", "#222222"));
        // `:where()` adds no specificity, so a later zero-specificity rule loses to `:root`.
        let css = ":root{--ifm-color-primary:#111111}\
                   :where([data-theme=dark]){--ifm-color-primary:#222222}";
        assert_eq!(primary(css), pair("#111111", "#111111"));
    }

    #[test]
    fn selector_lists_match_through_any_member() {
        let css = "a, .navbar--dark, :root { --ifm-color-primary: #123456 }";
        assert_eq!(primary(css), pair("#123456", "#123456"));
        // The most specific matching member decides.
        let css = "html[data-theme=dark], :root { --ifm-color-primary: #111111 }\
                   [data-theme=dark] { --ifm-color-primary: #222222 }";
        assert_eq!(primary(css), pair("#111111", "#111111"));
    }

    #[test]
    fn rules_not_on_the_html_element_are_ignored() {
        let ignored = [
            ".navbar",
            "[data-theme=dark] .foo",
            "html > body",
            "html body",
            ":root :root",
            "[data-theme] [data-theme=dark]",
            "html>html",
            "html.plugin-docs",
            ":root::before",
            "#__docusaurus",
            "body",
            ":root:hover",
            "[dir=rtl]",
            "html ~ html",
            ":where(.x)",
        ];
        for selector in ignored {
            let css = format!(
                ":root{{--ifm-color-primary:#111111}} {selector}{{--ifm-color-primary:#999999}}"
            );
            assert_eq!(primary(&css), pair("#111111", "#111111"), "{selector}");
        }
    }

    #[test]
    fn var_references_resolve_per_mode() {
        let css = ":root{--brand:#2e8555;--ifm-color-primary:var(--brand)}\
                   [data-theme=dark]{--brand:#25c2a0}";
        assert_eq!(primary(css), pair("#2e8555", "#25c2a0"));
        let css = ":root{--ifm-color-primary:var(--missing, var(--also-missing, #abc))}";
        assert_eq!(primary(css), pair("#aabbcc", "#aabbcc"));
        let css = ":root{--ifm-color-primary:VAR( --a );--a:rgb(1 2 3)}";
        assert_eq!(primary(css).0.as_deref(), Some("#010203"));
        // Undefined without a fallback, or a cycle: guaranteed-invalid, so absent.
        assert_eq!(
            primary(":root{--ifm-color-primary:var(--nope)}"),
            (None, None)
        );
        let css = ":root{--ifm-color-primary:var(--a, red);--a:var(--ifm-color-primary)}";
        assert_eq!(primary(css), (None, None));
        // A fallback can be used for one mode only.
        let css = ":root{--ifm-color-primary:var(--dark-only, #111)}\
                   [data-theme=dark]{--dark-only:#222}";
        assert_eq!(primary(css), pair("#111111", "#222222"));
    }

    #[test]
    fn var_inside_a_longer_value() {
        let css = ":root{--w:400;--ifm-font-family-base:var(--f,  Inter) ,  sans-serif}";
        assert_eq!(
            extract(&[css]).font_family.as_deref(),
            Some("Inter, sans-serif")
        );
    }

    #[test]
    fn css_wide_keywords_are_absent() {
        let css = "@layer x{:root{--ifm-color-primary:#111}} :root{--ifm-color-primary:initial}";
        assert_eq!(primary(css), (None, None));
    }

    #[test]
    fn comments_and_strings_containing_braces() {
        let css = r#"
            /* :root { --ifm-color-primary: #999999; } } */
            .a::after { content: "}"; background: url(data:x{}.png) }
            .b { content: '{ :root { --ifm-color-primary: #888888 } ' }
            :root {
              --ifm-color-primary: /* the brand */ #2e8555; /* } */
              --ifm-font-family-base: "Open } Sans", serif;
            }
            [data-theme='dark'] { --x: { a: b }; --ifm-color-primary: #25c2a0 }
        "#;
        let theme = extract(&[css]);
        assert_eq!(theme.accent.as_deref(), Some("#2e8555"));
        assert_eq!(theme.accent_dark.as_deref(), Some("#25c2a0"));
        assert_eq!(theme.font_family.as_deref(), Some("\"Open } Sans\", serif"));
    }

    #[test]
    fn minified_and_pretty_printed_agree() {
        let pretty = r#"
            @layer docusaurus.infima {
              :root {
                --ifm-color-primary: #3578e5;
                --ifm-font-family-base: system-ui, -apple-system, Segoe UI,
                  Roboto, "Helvetica Neue", sans-serif;
                --ifm-global-radius: 0.4rem;
              }
            }

            :root {
              --ifm-color-primary: #2e8555;
            }

            [data-theme='dark'] {
              --ifm-color-primary: #25c2a0;
            }
        "#;
        let minified = "@layer docusaurus.infima{:root{--ifm-color-primary:#3578e5;\
            --ifm-font-family-base:system-ui,-apple-system,Segoe UI,Roboto,\"Helvetica Neue\",sans-serif;\
            --ifm-global-radius:.4rem}}:root{--ifm-color-primary:#2e8555}\
            [data-theme=dark]{--ifm-color-primary:#25c2a0}";
        let pretty = extract(&[pretty]);
        let minified = extract(&[minified]);
        assert_eq!(pretty.accent.as_deref(), Some("#2e8555"));
        assert_eq!(pretty.accent_dark.as_deref(), Some("#25c2a0"));
        assert_eq!(
            pretty.font_family.as_deref(),
            Some("system-ui, -apple-system, Segoe UI, Roboto, \"Helvetica Neue\", sans-serif")
        );
        assert_eq!(pretty.radius.as_deref(), Some("0.4rem"));
        assert_eq!(minified.radius.as_deref(), Some(".4rem"));
        assert_eq!(
            ExtractedTheme {
                radius: None,
                ..pretty
            },
            ExtractedTheme {
                radius: None,
                ..minified
            }
        );
    }

    #[test]
    fn important_beats_normal_and_reverses_layer_order() {
        let css = ":root{--ifm-color-primary:#222222}\
                   @layer a{:root{--ifm-color-primary:#111111 !important}}";
        assert_eq!(primary(css).0.as_deref(), Some("#111111"));
        // Among important declarations the earlier layer wins, and unlayered loses.
        let css = "@layer a, b;\
                   :root{--ifm-color-primary:#333333!IMPORTANT}\
                   @layer b{:root{--ifm-color-primary:#222222 ! important}}\
                   @layer a{:root{--ifm-color-primary:#111111 !important}}";
        assert_eq!(primary(css).0.as_deref(), Some("#111111"));
        let css = ":root{--ifm-color-primary:#111111 !important}\
                   html[data-theme]{--ifm-color-primary:#222222}";
        assert_eq!(primary(css), pair("#111111", "#111111"));
    }

    #[test]
    fn media_blocks() {
        let css = ":root{--ifm-color-primary:#111111}\
                   @media (max-width:996px){:root{--ifm-color-primary:#999999}}\
                   @media print{:root{--ifm-color-primary:#999999}}\
                   @media (prefers-color-scheme:dark){:root{--ifm-color-primary:#999999}}\
                   @supports (color:red){:root{--ifm-color-primary:#999999}}";
        assert_eq!(primary(css), pair("#111111", "#111111"));
        for query in [
            "screen",
            "all",
            "only screen",
            "print, screen",
            "not print",
            "",
        ] {
            let css = format!(
                ":root{{--ifm-color-primary:#111111}}\
                 @media {query}{{@layer x{{}}:root{{--ifm-color-primary:#222222}}}}"
            );
            assert_eq!(primary(&css).0.as_deref(), Some("#222222"), "{query}");
        }
        // A layer first named inside a skipped block does not take a place in the order.
        let css = "@media print{@layer late{}}@layer early{:root{--ifm-color-primary:#111}}\
                   @layer late{:root{--ifm-color-primary:#222}}";
        assert_eq!(primary(css).0.as_deref(), Some("#222222"));
    }

    #[test]
    fn nested_rules() {
        // A nested rule without `&` is a descendant: never the root.
        let css = ":root{--ifm-color-primary:#111111;.x{--ifm-color-primary:#999999}\
                   [data-theme=dark]{--ifm-color-primary:#999999}--ifm-global-radius:4px}";
        let theme = extract(&[css]);
        assert_eq!(theme.accent.as_deref(), Some("#111111"));
        assert_eq!(theme.accent_dark.as_deref(), Some("#111111"));
        assert_eq!(theme.radius.as_deref(), Some("4px"));
        // `&` is the parent, with the parent's specificity.
        let css = "html{--ifm-color-primary:#111111;&[data-theme=dark]{--ifm-color-primary:#222222}\
                   [data-theme=light] &{--ifm-color-primary:#999999}&.x{--ifm-color-primary:#999999}}";
        assert_eq!(primary(css), pair("#111111", "#222222"));
        // `:is(html, #main)` counts as an id even though only `html` matches.
        let css = "html, #main { &[data-theme=dark] { --ifm-color-primary: #222222 } }\
                   html[data-theme=dark]:root { --ifm-color-primary: #333333 }";
        assert_eq!(primary(css), (None, Some("#222222".into())));
        // `&` never stands for a pseudo-element: here it matches nothing and weighs nothing.
        let css = ":root::before{:not(&){--ifm-color-primary:#111111}}\
                   :root::after, html{&[data-theme=dark]{--ifm-color-primary:#222222}}\
                   :where(html){--ifm-color-primary:#333333}";
        assert_eq!(primary(css), pair("#333333", "#222222"));
        // Nested conditional blocks hold declarations of the same rule.
        let css = ":root{@media screen{--ifm-color-primary:#111111}\
                   @media print{--ifm-color-primary:#999999}\
                   @supports (color:red){--ifm-color-primary:#999999}}";
        assert_eq!(primary(css), pair("#111111", "#111111"));
        let css = ":root{@layer x{--ifm-color-primary:#999999}}:root{@layer y{--ifm-color-primary:#111111}}\
                   @layer x{:root{--ifm-color-primary:#999999}}";
        assert_eq!(primary(css).0.as_deref(), Some("#111111"));
    }

    #[test]
    fn empty_selectors_match_nothing() {
        assert_eq!(primary("{--ifm-color-primary:#111}"), (None, None));
        assert_eq!(primary(", {--ifm-color-primary:#111}"), (None, None));
        assert_eq!(primary(":is(){--ifm-color-primary:#111}"), (None, None));
    }

    #[test]
    fn import_statements_declare_their_layer() {
        let css = "@import url(theme.css) layer(late);@import \"x.css\" layer( early );\
                   @layer early{:root{--ifm-color-primary:#111111}}\
                   @layer late{:root{--ifm-color-primary:#222222}}";
        // Without the imports `late` would be declared last and win.
        assert_eq!(primary(css).0.as_deref(), Some("#111111"));
    }

    #[test]
    fn byte_order_mark_and_charset() {
        let css = "\u{feff}@charset \"utf-8\";:root{--ifm-color-primary:#111111}";
        assert_eq!(primary(css), pair("#111111", "#111111"));
    }

    #[test]
    fn several_stylesheets_form_one_cascade() {
        let first = "@layer docusaurus.infima, docusaurus.theme-classic;\
                     @layer docusaurus.theme-classic{:root{--ifm-color-primary:#222222}}";
        let second = "@layer docusaurus.infima{:root{--ifm-color-primary:#111111}}";
        assert_eq!(extract(&[first, second]).accent.as_deref(), Some("#222222"));
        // Unterminated blocks end with their stylesheet.
        let broken = ":root{--ifm-color-primary:#111111";
        let next = ":root{--ifm-global-radius:2px}";
        let theme = extract(&[broken, next]);
        assert_eq!(theme.accent.as_deref(), Some("#111111"));
        assert_eq!(theme.radius.as_deref(), Some("2px"));
    }

    #[test]
    fn non_color_accent_is_kept_as_written() {
        let css = ":root{--ifm-color-primary:  RebeccaPurple }[data-theme=dark]{--ifm-color-primary:hsl(0 0% 50%)}";
        assert_eq!(primary(css), pair("RebeccaPurple", "hsl(0 0% 50%)"));
    }

    #[test]
    fn malformed_css_does_not_panic() {
        let inputs = [
            "}}}{{{",
            ":root{--ifm-color-primary:",
            "@layer",
            "@media",
            "@layer a{",
            ":root{--a:\"unterminated",
            ":root{--a:url(",
            "/* unterminated",
            "[data-theme=\"é\\",
            "é{--ifm-color-primary:#fff}",
            ":root{--ifm-color-primary:var(",
            ":root{--ifm-color-primary:var(--a,",
            "\\",
            ":root{--x:\\é;--ifm-color-primary:#fff}",
        ];
        for css in inputs {
            let _ = extract(&[css]);
        }
        let deep = "@layer a{".repeat(10_000) + ":root{--ifm-color-primary:#fff}";
        assert_eq!(extract(&[&deep]).accent, None);
        let deep = ":is(".repeat(10_000) + ":root{--ifm-color-primary:#fff}";
        assert_eq!(extract(&[&deep]).accent, None);
        let deep = ":root{".to_string() + &"&,&{".repeat(200) + "--ifm-color-primary:#fff";
        assert_eq!(extract(&[&deep]).accent, None);
        // Each step doubles the value: past the cap it is invalid, and it stays fast.
        let mut doubling = String::from(":root{--v0:#fff;--ifm-color-primary:var(--v40)");
        for i in 1..=40 {
            doubling.push_str(&format!(";--v{i}:var(--v{}) var(--v{})", i - 1, i - 1));
        }
        assert_eq!(extract(&[&doubling]).accent, None);
        let mut chain = String::from(":root{--ifm-color-primary:var(--v0)");
        for i in 0..10_000 {
            chain.push_str(&format!(";--v{i}:var(--v{})", i + 1));
        }
        chain.push_str(";--v10000:#fff}");
        assert_eq!(extract(&[&chain]).accent, None);
        let short = ":root{--ifm-color-primary:var(--v0);--v0:var(--v1);--v1:#fff}";
        assert_eq!(extract(&[short]).accent.as_deref(), Some("#ffffff"));
    }

    #[test]
    fn real_infima_defaults_and_classic_custom_css() {
        // The shape of Docusaurus 3.10's built styles.css: Infima's defaults in the
        // `docusaurus.infima` layer (copied values from infima's dist), then the classic
        // template's src/css/custom.css unlayered.
        let css = r#"@layer docusaurus.infima,docusaurus.theme-common,docusaurus.theme-classic,docusaurus.core;@layer docusaurus.infima{:root{--ifm-color-scheme:light;--ifm-dark-value:10%;--ifm-color-primary:#3578e5;--ifm-color-secondary:#ebedf0;--ifm-color-primary-dark:#306cce;--ifm-global-radius:0.4rem;--ifm-font-family-base:system-ui,-apple-system,Segoe UI,Roboto,Ubuntu,Cantarell,Noto Sans,sans-serif,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif,"Apple Color Emoji","Segoe UI Emoji","Segoe UI Symbol";--ifm-font-family-monospace:SFMono-Regular,Menlo,Monaco,Consolas,"Liberation Mono","Courier New",monospace;--ifm-link-color:var(--ifm-color-primary)}@media (min-width:1440px){.container{max-width:var(--ifm-container-width-xl)}}.navbar--dark,html[data-theme=dark]{--ifm-menu-link-sublist-icon-filter:invert(100%) sepia(94%) saturate(17%) hue-rotate(223deg) brightness(104%) contrast(98%)}html[data-theme=dark]{--ifm-color-scheme:dark;--ifm-color-emphasis-0:var(--ifm-color-gray-1000);--ifm-background-color:#1b1b1d}}@layer docusaurus.theme-classic{:root{--docusaurus-progress-bar-color:var(--ifm-color-primary)}}:root{--ifm-color-primary:#2e8555;--ifm-color-primary-dark:#29784c;--ifm-code-font-size:95%;--docusaurus-highlighted-code-line-bg:rgba(0,0,0,.1)}[data-theme=dark]{--ifm-color-primary:#25c2a0;--ifm-color-primary-dark:#21af90;--docusaurus-highlighted-code-line-bg:rgba(0,0,0,.3)}"#;
        let theme = extract(&[css]);
        assert_eq!(
            theme,
            ExtractedTheme {
                accent: Some("#2e8555".into()),
                accent_dark: Some("#25c2a0".into()),
                font_family: Some(
                    "system-ui, -apple-system, Segoe UI, Roboto, Ubuntu, Cantarell, Noto Sans, \
                     sans-serif, BlinkMacSystemFont, \"Segoe UI\", Helvetica, Arial, sans-serif, \
                     \"Apple Color Emoji\", \"Segoe UI Emoji\", \"Segoe UI Symbol\""
                        .into()
                ),
                radius: Some("0.4rem".into()),
            }
        );
        assert_eq!(
            theme.radius.as_deref().and_then(chatkit_radius),
            Some("round")
        );
        // Without custom.css, Infima's own default shows through in both modes.
        let infima_only = css
            .split("}}:root{--ifm-color-primary:#2e8555")
            .next()
            .unwrap();
        assert_eq!(primary(infima_only), pair("#3578e5", "#3578e5"));
    }

    /// The theme of a real Docusaurus 3.10 build under `fixtures/` (the stylesheet's name carries
    /// a content hash, so the directory is listed at test time).
    fn fixture_theme(build: &str, layered: bool) -> ExtractedTheme {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(build)
            .join("assets/css");
        let sheets: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with("styles.") && name.ends_with(".css"))
            })
            .map(|path| std::fs::read_to_string(path).unwrap())
            .collect();
        assert_eq!(sheets.len(), 1, "one styles.*.css in {}", dir.display());
        // Infima's own default is in the build (inside its layer for the v4 pipeline, first in
        // source order for the legacy one): the site's value must win.
        assert_eq!(sheets[0].contains("@layer docusaurus.infima{"), layered);
        assert!(sheets[0].contains("--ifm-color-primary:#3578e5"));
        extract(&[&sheets[0]])
    }

    const INFIMA_FONT: &str = "system-ui, -apple-system, Segoe UI, Roboto, Ubuntu, Cantarell, Noto Sans, \
                           sans-serif, BlinkMacSystemFont, \"Segoe UI\", Helvetica, Arial, sans-serif, \
                           \"Apple Color Emoji\", \"Segoe UI Emoji\", \"Segoe UI Symbol\"";

    #[test]
    fn fixture_classic_site() {
        let expected = ExtractedTheme {
            accent: Some("#2e8555".into()),
            accent_dark: Some("#25c2a0".into()),
            font_family: Some(INFIMA_FONT.into()),
            radius: Some(".4rem".into()),
        };
        assert_eq!(fixture_theme("site", true), expected);
        assert_eq!(fixture_theme("site/fr", true), expected);
        assert_eq!(fixture_theme("site-flat", true), expected);
        assert_eq!(chatkit_radius(".4rem"), Some("round"));
    }

    #[test]
    fn fixture_legacy_site_without_layers() {
        let expected = ExtractedTheme {
            accent: Some("#2e8555".into()),
            accent_dark: Some("#25c2a0".into()),
            font_family: Some(INFIMA_FONT.into()),
            radius: Some("0.4rem".into()),
        };
        assert_eq!(fixture_theme("site-legacy", false), expected);
    }

    #[test]
    fn fixture_textbook_site() {
        let theme = fixture_theme("site-textbook", true);
        assert_eq!(
            theme,
            ExtractedTheme {
                accent: Some("#7c3aed".into()),
                accent_dark: Some("#a78bfa".into()),
                font_family: Some(
                    "\"Inter\", \"Segoe UI\", Roboto, \"Helvetica Neue\", Arial, sans-serif".into()
                ),
                radius: Some("2px".into()),
            }
        );
        assert_eq!(
            theme.radius.as_deref().and_then(chatkit_radius),
            Some("soft")
        );
    }

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
