//! The scenario and its link form.

use engine::model::Model;
use engine::presets;

use crate::percent::{percent_decode, percent_encode};

/// The link format this code writes; it reads this one and every older one.
pub const CURRENT_VERSION: u32 = 1;

/// Which part of the page an embed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The timeline.
    Timeline,
    /// The comparison chart and table.
    Compare,
    /// The Python programs.
    Code,
    /// The editor and run bar only.
    Controls,
}

impl View {
    const ALL: [View; 4] = [View::Timeline, View::Compare, View::Code, View::Controls];
    /// The name used in links.
    pub fn name(self) -> &'static str {
        match self {
            View::Timeline => "timeline",
            View::Compare => "compare",
            View::Code => "code",
            View::Controls => "controls",
        }
    }
}

/// The colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Follow the system.
    #[default]
    Auto,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl Theme {
    const ALL: [Theme; 3] = [Theme::Auto, Theme::Light, Theme::Dark];
    /// The name used in links.
    pub fn name(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// Everything a link can say. `None` = not said (the page's default applies).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    /// The preset the link named, if any (its fields are already applied below).
    pub preset: Option<String>,
    /// The workload text, as written (it may not parse: the editor shows why).
    pub workload: String,
    /// Models to run; empty = the page's default.
    pub models: Vec<Model>,
    /// Worker lanes.
    pub workers: Option<u16>,
    /// Concurrency limit.
    pub limit: Option<u32>,
    /// GIL switch interval, in µs.
    pub switch_us: Option<u64>,
    /// Jitter seed.
    pub seed: Option<u64>,
    /// Embedded in another page.
    pub embed: bool,
    /// The embed's view.
    pub view: Option<View>,
    /// Theme.
    pub theme: Theme,
    /// Run as soon as the page is ready.
    pub autorun: bool,
    /// The reader may not edit.
    pub readonly: bool,
}

/// A field that could not be read, named as in the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The parameter's name.
    pub field: String,
    /// What is wrong and what would be valid.
    pub message: String,
}

/// What a link said: the scenario (every field that read), the errors, and
/// notices (ignored parameters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decoded {
    /// The scenario.
    pub scenario: Scenario,
    /// Fields that could not be read.
    pub errors: Vec<FieldError>,
    /// Things worth telling that are not errors.
    pub notices: Vec<String>,
}

/// Most characters of a link read (a longer one is cut, with an error).
const MAX_QUERY: usize = 20_000;
/// Most workers a link may ask for.
pub const MAX_WORKERS: u16 = 64;

fn flag(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn number(v: &str, lo: u64, hi: u64) -> Option<u64> {
    let v = v.trim().replace('_', "");
    let (digits, mult) = match v.strip_suffix(['k', 'K']) {
        Some(d) => (d.to_string(), 1000),
        None => (v, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mult).filter(|n| (lo..=hi).contains(n))
}

/// Reads a query string (with or without the leading `?`).
pub fn decode(query: &str) -> Decoded {
    let mut d = Decoded::default();
    let mut query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY {
        let mut cut = MAX_QUERY;
        while !query.is_char_boundary(cut) {
            cut -= 1;
        }
        query = &query[..cut];
        d.errors.push(FieldError { field: "link".into(), message: format!("the link is too long: only its first {MAX_QUERY} characters were read") });
    }
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k).trim().to_ascii_lowercase(), percent_decode(v)),
            None => (percent_decode(p).trim().to_ascii_lowercase(), String::new()),
        })
        .collect();
    let get = |name: &str| pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let err = |d: &mut Decoded, field: &str, message: String| d.errors.push(FieldError { field: field.into(), message });

    if let Some(v) = get("v") {
        match v.trim().parse::<u32>() {
            Ok(1) => {}
            Ok(n) => err(&mut d, "v", format!("this link is format v={n}, newer than this playground reads (v={CURRENT_VERSION}); it was read as v={CURRENT_VERSION}")),
            Err(_) => err(&mut d, "v", format!("v must be a version number such as v={CURRENT_VERSION}")),
        }
    }
    let s = &mut d.scenario;
    // A preset first: explicit fields override it.
    if let Some(name) = get("preset") {
        match presets::find(name.trim()) {
            Some(p) => {
                s.preset = Some(p.name.to_string());
                s.workload = p.workload.to_string();
                s.models = p.models.to_vec();
                s.workers = p.workers;
                s.limit = p.limit;
                s.switch_us = p.switch_ms.map(|ms| u64::from(ms) * 1000);
            }
            None => {
                let names: Vec<&str> = presets::PRESETS.iter().map(|p| p.name).collect();
                d.errors.push(FieldError { field: "preset".into(), message: format!("unknown preset \"{}\": try one of {}", name.trim(), names.join(", ")) });
            }
        }
    }
    let s = &mut d.scenario;
    let mut errors = Vec::new();
    if let Some(w) = get("w") {
        s.workload = w.trim().to_string();
        if let Err(e) = workload::parse(&s.workload) {
            errors.push(FieldError { field: "w".into(), message: format!("the workload has an error at character {}: {}", e.span.start + 1, e.message) });
        }
    }
    if let Some(v) = get("models") {
        let mut models = Vec::new();
        let mut bad = Vec::new();
        for name in v.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name.parse::<Model>() {
                Ok(m) if !models.contains(&m) => models.push(m),
                Ok(_) => {}
                Err(_) => bad.push(name.to_string()),
            }
        }
        if !bad.is_empty() {
            errors.push(FieldError { field: "models".into(), message: format!("unknown model(s) {}: expected seq, loop, pool, hybrid, gil or free", bad.join(", ")) });
        }
        if !models.is_empty() {
            s.models = models;
        }
    }
    if let Some(v) = get("workers") {
        match number(v, 1, u64::from(MAX_WORKERS)) {
            Some(n) => s.workers = Some(n as u16),
            None => errors.push(FieldError { field: "workers".into(), message: format!("workers must be a whole number from 1 to {MAX_WORKERS}, not \"{v}\"") }),
        }
    }
    if let Some(v) = get("limit") {
        match number(v, 1, 1_000_000) {
            Some(n) => s.limit = Some(n as u32),
            None if v.trim().is_empty() || v.trim() == "none" => s.limit = None,
            None => errors.push(FieldError { field: "limit".into(), message: format!("limit must be a whole number from 1 to 1000000, not \"{v}\"") }),
        }
    }
    if let Some(v) = get("switch") {
        match workload::parse(&format!("io({})", v.trim())).ok().and_then(|w| match w.groups.first()?.phases.first()? {
            workload::Phase::Io { dur, .. } => Some(*dur),
            _ => None,
        }) {
            Some(ns) if (1_000..=1_000_000_000).contains(&ns) => s.switch_us = Some(ns / 1_000),
            _ => errors.push(FieldError { field: "switch".into(), message: format!("switch must be a duration from 1us to 1s such as 5ms, not \"{v}\"") }),
        }
    }
    if let Some(v) = get("seed") {
        match v.trim().parse::<u64>() {
            Ok(n) => s.seed = Some(n),
            Err(_) => errors.push(FieldError { field: "seed".into(), message: format!("seed must be a whole number, not \"{v}\"") }),
        }
    }
    for (name, slot) in [("embed", &mut s.embed), ("autorun", &mut s.autorun), ("readonly", &mut s.readonly)] {
        if let Some(v) = get(name) {
            match flag(v) {
                Some(b) => *slot = b,
                None => errors.push(FieldError { field: name.into(), message: format!("{name} must be 1 or 0, not \"{v}\"") }),
            }
        }
    }
    if let Some(v) = get("view") {
        match View::ALL.into_iter().find(|x| x.name() == v.trim().to_ascii_lowercase()) {
            Some(view) => s.view = Some(view),
            None => errors.push(FieldError { field: "view".into(), message: format!("view must be timeline, compare, code or controls, not \"{v}\"") }),
        }
    }
    if let Some(v) = get("theme") {
        match Theme::ALL.into_iter().find(|x| x.name() == v.trim().to_ascii_lowercase()) {
            Some(t) => s.theme = t,
            None => errors.push(FieldError { field: "theme".into(), message: format!("theme must be light, dark or auto, not \"{v}\"") }),
        }
    }
    d.errors.extend(errors);
    let known = ["v", "preset", "w", "models", "workers", "limit", "switch", "seed", "embed", "view", "theme", "autorun", "readonly"];
    let mut unknown: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).filter(|k| !known.contains(k) && !k.is_empty()).collect();
    unknown.dedup();
    if !unknown.is_empty() {
        d.notices.push(format!("ignored unknown link parameter(s): {}", unknown.join(", ")));
    }
    d
}

/// Writes the scenario as a query string (without `?`), fields in a fixed
/// order, only those that are said. `preset` is not written: its fields are.
pub fn encode(s: &Scenario) -> String {
    let mut parts = vec![format!("v={CURRENT_VERSION}")];
    if !s.workload.is_empty() {
        parts.push(format!("w={}", percent_encode(&s.workload)));
    }
    if !s.models.is_empty() {
        parts.push(format!("models={}", s.models.iter().map(|m| m.name()).collect::<Vec<_>>().join(",")));
    }
    if let Some(w) = s.workers {
        parts.push(format!("workers={w}"));
    }
    if let Some(l) = s.limit {
        parts.push(format!("limit={l}"));
    }
    if let Some(us) = s.switch_us {
        parts.push(if us % 1000 == 0 { format!("switch={}ms", us / 1000) } else { format!("switch={us}us") });
    }
    if let Some(seed) = s.seed {
        parts.push(format!("seed={seed}"));
    }
    if s.embed {
        parts.push("embed=1".into());
    }
    if let Some(v) = s.view {
        parts.push(format!("view={}", v.name()));
    }
    if s.theme != Theme::Auto {
        parts.push(format!("theme={}", s.theme.name()));
    }
    if s.autorun {
        parts.push("autorun=1".into());
    }
    if s.readonly {
        parts.push("readonly=1".into());
    }
    parts.join("&")
}
