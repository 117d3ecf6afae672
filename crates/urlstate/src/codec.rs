//! The scenario and its link form.

use engine::model::Model;
use engine::presets;

use crate::percent::{percent_encode, query_pairs};

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
///
/// The link parameters (a public contract: tutorial authors write them by
/// hand, and every link ever written keeps working):
///
/// | parameter | field | example |
/// |---|---|---|
/// | `v` | the format version (this is 1; a newer one is read as 1, with an error) | `v=1` |
/// | `preset` | [`preset`](Self::preset), whose fields the explicit ones override | `preset=gather` |
/// | `w` | [`workload`](Self::workload); a literal `+` is fine | `w=1*io(1s)+1*io(2s)` |
/// | `models` | [`models`](Self::models): a comma list of model names | `models=seq,loop` |
/// | `workers` | [`workers`](Self::workers), 1 to 64 | `workers=4` |
/// | `limit` | [`limit`](Self::limit), 1 to 1000000 (`none` or empty: no limit) | `limit=10` |
/// | `switch` | [`switch_us`](Self::switch_us), a duration from 1us to 1s | `switch=5ms` |
/// | `seed` | [`seed`](Self::seed) | `seed=42` |
/// | `embed`, `autorun`, `readonly` | flags: `1`/`0` (also `true`, `yes`, `on`, …) | `embed=1` |
/// | `view` | [`view`](Self::view): `timeline`, `compare`, `code` or `controls` | `view=compare` |
/// | `theme` | [`theme`](Self::theme): `light`, `dark` or `auto` | `theme=dark` |
/// | `at` | [`at_ns`](Self::at_ns): the inspector's playhead, a duration from the run's start, 0 to 600s | `at=500ms` |
/// | `inspect` | [`inspect`](Self::inspect): the model the inspector shows | `inspect=loop` |
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scenario {
    /// The preset the link named, if any (its fields are already applied below).
    pub preset: Option<String>,
    /// The workload text, as written (it may not parse: the editor shows why).
    pub workload: String,
    /// Models to run, in the link's order without repeats; empty = the page's
    /// default. Every model the link names is kept, whether or not this page
    /// can run it (the page marks the ones it cannot as unavailable).
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
    /// `at`: where the inspector's playhead stands after an autorun run, in ns
    /// from the run's start (`at=500ms`, `at=1.5s`, `at=250us`), at most 600 s.
    /// Written back as whole ms when it is whole ms, else as us (or ns).
    pub at_ns: Option<u64>,
    /// `inspect`: which model's run the inspector shows (`inspect=gil`). Kept
    /// even if [`models`](Self::models) does not name it: the page decides.
    pub inspect: Option<Model>,
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
/// Latest playhead (`at`) a link may ask for: 600 s, the longest a phase may wait.
const MAX_AT_NS: u64 = 600_000_000_000;
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
    digits
        .parse::<u64>()
        .ok()?
        .checked_mul(mult)
        .filter(|n| (lo..=hi).contains(n))
}

/// The model names as a list for messages: `seq, loop, …, py or pyasync`.
fn model_names() -> String {
    let names: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(", "),
    }
}

/// A duration written as in the workload language (`500ms`, `1.5s`, `250us`),
/// read by the workload parser as the argument of `io(…)`, in ns. Strict: the
/// value must be exactly one duration, so neither options (`1s,jitter=5`) nor
/// more text (`1s)+io(2s`) sneak through.
fn duration(v: &str) -> Option<u64> {
    let w = workload::parse(&format!("io({})", v.trim())).ok()?;
    let [group] = w.groups.as_slice() else {
        return None;
    };
    let [workload::Phase::Io { dur, opts }] = group.phases.as_slice() else {
        return None;
    };
    (group.count == 1 && opts.is_empty() && group.opts.is_empty()).then_some(*dur)
}

/// Writes a duration in ns for a link: whole ms as `ms`, else whole µs as `us`,
/// else `ns` (which the workload parser also reads), so nothing is rounded away.
fn write_duration(ns: u64) -> String {
    if ns.is_multiple_of(1_000_000) {
        format!("{}ms", ns / 1_000_000)
    } else if ns.is_multiple_of(1_000) {
        format!("{}us", ns / 1_000)
    } else {
        format!("{ns}ns")
    }
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
        d.errors.push(FieldError {
            field: "link".into(),
            message: format!(
                "the link is too long: only its first {MAX_QUERY} characters were read"
            ),
        });
    }
    let pairs = query_pairs(query);
    let get = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let err = |d: &mut Decoded, field: &str, message: String| {
        d.errors.push(FieldError {
            field: field.into(),
            message,
        })
    };

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
                d.errors.push(FieldError {
                    field: "preset".into(),
                    message: format!(
                        "unknown preset \"{}\": try one of {}",
                        name.trim(),
                        names.join(", ")
                    ),
                });
            }
        }
    }
    let s = &mut d.scenario;
    let mut errors = Vec::new();
    if let Some(w) = get("w") {
        s.workload = w.trim().to_string();
        if let Err(e) = workload::parse(&s.workload) {
            errors.push(FieldError {
                field: "w".into(),
                message: format!(
                    "the workload has an error at character {}: {}",
                    e.span.start + 1,
                    e.message
                ),
            });
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
            let message = format!(
                "unknown model(s) {}: expected {}",
                bad.join(", "),
                model_names()
            );
            errors.push(FieldError {
                field: "models".into(),
                message,
            });
        } else if models.is_empty() {
            // `models=` with nothing in it: the page keeps its default
            // models, and says so rather than ignoring the field silently.
            errors.push(FieldError {
                field: "models".into(),
                message: format!(
                    "the field names no model, so the default models are used (expected one or more of {})",
                    model_names()
                ),
            });
        }
        if !models.is_empty() {
            s.models = models;
        }
    }
    if let Some(v) = get("workers") {
        match number(v, 1, u64::from(MAX_WORKERS)) {
            Some(n) => s.workers = Some(n as u16),
            None => errors.push(FieldError {
                field: "workers".into(),
                message: format!(
                    "workers must be a whole number from 1 to {MAX_WORKERS}, not \"{v}\""
                ),
            }),
        }
    }
    if let Some(v) = get("limit") {
        match number(v, 1, 1_000_000) {
            Some(n) => s.limit = Some(n as u32),
            None if v.trim().is_empty() || v.trim() == "none" => s.limit = None,
            None => errors.push(FieldError {
                field: "limit".into(),
                message: format!("limit must be a whole number from 1 to 1000000, not \"{v}\""),
            }),
        }
    }
    if let Some(v) = get("switch") {
        match workload::parse(&format!("io({})", v.trim()))
            .ok()
            .and_then(|w| match w.groups.first()?.phases.first()? {
                workload::Phase::Io { dur, .. } => Some(*dur),
                _ => None,
            }) {
            Some(ns) if (1_000..=1_000_000_000).contains(&ns) => s.switch_us = Some(ns / 1_000),
            _ => errors.push(FieldError {
                field: "switch".into(),
                message: format!(
                    "switch must be a duration from 1us to 1s such as 5ms, not \"{v}\""
                ),
            }),
        }
    }
    if let Some(v) = get("seed") {
        match v.trim().parse::<u64>() {
            Ok(n) => s.seed = Some(n),
            Err(_) => errors.push(FieldError {
                field: "seed".into(),
                message: format!("seed must be a whole number, not \"{v}\""),
            }),
        }
    }
    for (name, slot) in [
        ("embed", &mut s.embed),
        ("autorun", &mut s.autorun),
        ("readonly", &mut s.readonly),
    ] {
        if let Some(v) = get(name) {
            match flag(v) {
                Some(b) => *slot = b,
                None => errors.push(FieldError {
                    field: name.into(),
                    message: format!("{name} must be 1 or 0, not \"{v}\""),
                }),
            }
        }
    }
    if let Some(v) = get("view") {
        match View::ALL
            .into_iter()
            .find(|x| x.name() == v.trim().to_ascii_lowercase())
        {
            Some(view) => s.view = Some(view),
            None => errors.push(FieldError {
                field: "view".into(),
                message: format!("view must be timeline, compare, code or controls, not \"{v}\""),
            }),
        }
    }
    if let Some(v) = get("theme") {
        match Theme::ALL
            .into_iter()
            .find(|x| x.name() == v.trim().to_ascii_lowercase())
        {
            Some(t) => s.theme = t,
            None => errors.push(FieldError {
                field: "theme".into(),
                message: format!("theme must be light, dark or auto, not \"{v}\""),
            }),
        }
    }
    if let Some(v) = get("at") {
        match duration(v).filter(|ns| *ns <= MAX_AT_NS) {
            Some(ns) => s.at_ns = Some(ns),
            None => {
                let message = format!(
                    "at must be a duration from 0ms to 600s such as 500ms or 1.5s, not \"{v}\""
                );
                errors.push(FieldError {
                    field: "at".into(),
                    message,
                });
            }
        }
    }
    if let Some(v) = get("inspect") {
        match v.parse::<Model>() {
            Ok(m) => s.inspect = Some(m),
            Err(_) => {
                let message = format!(
                    "inspect must be a model name: {}, not \"{v}\"",
                    model_names()
                );
                errors.push(FieldError {
                    field: "inspect".into(),
                    message,
                });
            }
        }
    }
    d.errors.extend(errors);
    let known = [
        "v", "preset", "w", "models", "workers", "limit", "switch", "seed", "embed", "view",
        "theme", "autorun", "readonly", "at", "inspect",
    ];
    // Each name once, in link order, however often or far apart it repeats (a
    // set, because a long garbage link can hold thousands of names).
    let mut seen = std::collections::HashSet::new();
    let unknown: Vec<&str> = pairs
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !known.contains(k) && !k.is_empty() && seen.insert(*k))
        .collect();
    if !unknown.is_empty() {
        d.notices.push(format!(
            "ignored unknown link parameter(s): {}",
            unknown.join(", ")
        ));
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
        parts.push(format!(
            "models={}",
            s.models
                .iter()
                .map(|m| m.name())
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    if let Some(w) = s.workers {
        parts.push(format!("workers={w}"));
    }
    if let Some(l) = s.limit {
        parts.push(format!("limit={l}"));
    }
    if let Some(us) = s.switch_us {
        parts.push(if us % 1000 == 0 {
            format!("switch={}ms", us / 1000)
        } else {
            format!("switch={us}us")
        });
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
    if let Some(ns) = s.at_ns {
        parts.push(format!("at={}", write_duration(ns)));
    }
    if let Some(m) = s.inspect {
        parts.push(format!("inspect={}", m.name()));
    }
    if s.readonly {
        parts.push("readonly=1".into());
    }
    parts.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_one_plain_duration() {
        assert_eq!(duration("500ms"), Some(500_000_000));
        assert_eq!(duration(" 1.5s "), Some(1_500_000_000));
        assert_eq!(duration("250us"), Some(250_000));
        assert_eq!(duration("0s"), Some(0));
        for bad in [
            "",
            "1",
            "1s,jitter=5",
            "1s)+io(2s",
            "1s)+(io(2s",
            "2*io(1s",
            "x",
            "1s)",
            "1s){jitter=1}",
        ] {
            assert_eq!(duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_are_written_without_rounding() {
        for ns in [
            0,
            1,
            999,
            1_000,
            1_500,
            250_000,
            500_000_000,
            1_500_000_000,
            MAX_AT_NS,
        ] {
            assert_eq!(duration(&write_duration(ns)), Some(ns), "{ns}");
        }
        assert_eq!(write_duration(1_500_000_000), "1500ms");
        assert_eq!(write_duration(1_500_000), "1500us");
    }

    #[test]
    fn messages_list_every_model() {
        assert_eq!(
            model_names(),
            "seq, loop, pool, hybrid, gil, free, js, jsworker, py or pyasync"
        );
    }
}
