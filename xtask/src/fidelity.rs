//! `cargo xtask fidelity`: how far the predictions are from the measurements,
//! for every preset and a set of mixed workloads, through every model they
//! run, in headless Chromium: isolated, not isolated, and embedded
//! cross-origin. The probe is `bench/fidelity.mjs`; this prints the table and
//! writes it into BENCHMARKS.md between its markers, with the machine and the
//! date. Fidelity is a measurement, not a test: nothing here fails on a miss.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::setup::Env;

/// The first run of a fresh page must be within this (percent).
pub const FIRST_RUN_PCT: f64 = 15.0;
/// After one earlier run, within this.
pub const LATER_RUN_PCT: f64 = 10.0;

const START: &str = "<!-- fidelity:start -->";
const END: &str = "<!-- fidelity:end -->";

/// One measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// isolated, plain or embedded.
    pub context: String,
    /// A preset's name or a mixed workload's.
    pub scenario: String,
    /// The model's link name.
    pub model: String,
    /// 1 for a fresh page's first run, 2 after one earlier run.
    pub round: u32,
    /// Measured wall time, ms.
    pub measured: f64,
    /// Predicted wall time, ms.
    pub predicted: f64,
}

impl Row {
    /// (predicted / measured − 1) × 100.
    pub fn error_pct(&self) -> f64 {
        (self.predicted / self.measured - 1.0) * 100.0
    }
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let at = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = &line[at..];
    let rest = rest.strip_prefix('"').map_or(rest, |r| r);
    let end = rest.find(['"', ',', '}']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Reads the probe's `FIDELITY {json}` lines.
pub fn parse(output: &str) -> Vec<Row> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("FIDELITY "))
        .filter_map(|l| {
            Some(Row {
                context: field(l, "context")?.to_string(),
                scenario: field(l, "scenario")?.to_string(),
                model: field(l, "model")?.to_string(),
                round: field(l, "round")?.parse().ok()?,
                measured: field(l, "measured_ms")?.parse().ok()?,
                predicted: field(l, "predicted_ms")?.parse().ok()?,
            })
        })
        .collect()
}

/// The table in Markdown: one line per (context, scenario, model), both rounds.
pub fn table(rows: &[Row]) -> String {
    let mut by: BTreeMap<(String, String, String), [Option<&Row>; 2]> = BTreeMap::new();
    for r in rows {
        let e = by
            .entry((r.context.clone(), r.scenario.clone(), r.model.clone()))
            .or_default();
        if let Some(slot) = e.get_mut(r.round as usize - 1) {
            *slot = Some(r);
        }
    }
    let mut out = String::from(
        "| context | scenario | model | 1st run: predicted / measured | error | after one run: predicted / measured | error |\n|---|---|---|---|---|---|---|\n",
    );
    let cell = |r: Option<&Row>, limit: f64| match r {
        Some(r) => {
            let e = r.error_pct();
            let mark = if e.abs() <= limit { "" } else { " **miss**" };
            (
                format!("{:.1} / {:.1} ms", r.predicted, r.measured),
                format!("{e:+.1} %{mark}"),
            )
        }
        None => ("not measured".into(), "–".into()),
    };
    for ((c, s, m), [a, b]) in &by {
        let (a1, a2) = cell(*a, FIRST_RUN_PCT);
        let (b1, b2) = cell(*b, LATER_RUN_PCT);
        out.push_str(&format!(
            "| {c} | {s} | {m} | {a1} | {a2} | {b1} | {b2} |\n"
        ));
    }
    let within = |round: u32, limit: f64| {
        let all: Vec<_> = rows.iter().filter(|r| r.round == round).collect();
        (
            all.iter().filter(|r| r.error_pct().abs() <= limit).count(),
            all.len(),
        )
    };
    let (f_ok, f_n) = within(1, FIRST_RUN_PCT);
    let (l_ok, l_n) = within(2, LATER_RUN_PCT);
    out.push_str(&format!(
        "\n{f_ok} of {f_n} first runs within ±{FIRST_RUN_PCT:.0} %; {l_ok} of {l_n} later runs within ±{LATER_RUN_PCT:.0} %.\n"
    ));
    out
}

/// Replaces the text between the markers of `doc` (appending a section if
/// there are none).
pub fn splice(doc: &str, section: &str) -> String {
    match (doc.find(START), doc.find(END)) {
        (Some(a), Some(b)) if b > a => format!(
            "{}{START}\n{section}{END}{}",
            &doc[..a],
            &doc[b + END.len()..]
        ),
        _ => format!("{doc}\n## Prediction fidelity\n\n{START}\n{section}{END}\n"),
    }
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    format!(
        "{cores} cores, headless Debian Chromium, run of {}",
        date.unwrap_or_default()
    )
}

/// Builds dist/, runs the probe, prints and records the table.
pub fn run(root: &Path, env: &Env) -> Result<(), String> {
    crate::dist(root, env)?;
    println!("\n==> fidelity: every preset and mixed workloads, isolated, plain and embedded (several minutes)");
    let out = env
        .cmd("node")
        .arg("bench/fidelity.mjs")
        .current_dir(root)
        .output()
        .map_err(|e| format!("node bench/fidelity.mjs: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    for l in text.lines().filter(|l| l.starts_with("FIDELITY-FAILED")) {
        println!("{l}");
    }
    let rows = parse(&text);
    if rows.is_empty() {
        return Err(format!(
            "the fidelity probe measured nothing:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let section = format!(
        "Machine: {}. Reproduce with `cargo xtask fidelity`.\n\n{}",
        machine(),
        table(&rows)
    );
    println!("\n{section}");
    let path = root.join("BENCHMARKS.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, splice(&doc, &section))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("written to {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_marks_misses() {
        let out = "noise\nFIDELITY {\"context\":\"plain\",\"scenario\":\"gather\",\"model\":\"loop\",\"round\":1,\"measured_ms\":2000,\"predicted_ms\":2100,\"error_pct\":5}\n\
                   FIDELITY {\"context\":\"plain\",\"scenario\":\"gather\",\"model\":\"loop\",\"round\":2,\"measured_ms\":100,\"predicted_ms\":120,\"error_pct\":20}\n";
        let rows = parse(out);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].model, "loop");
        assert!((rows[0].error_pct() - 5.0).abs() < 1e-9);
        let t = table(&rows);
        assert!(t.contains("+5.0 %"));
        assert!(t.contains("+20.0 % **miss**"));
        assert!(t.contains("1 of 1 first runs"));
    }

    #[test]
    fn splices_between_markers_or_appends() {
        let doc = format!("# B\n{START}\nold\n{END}\ntail\n");
        let new = splice(&doc, "new\n");
        assert!(new.contains("new\n") && !new.contains("old") && new.ends_with("tail\n"));
        assert!(splice("# B\n", "x\n").contains(START));
    }
}
