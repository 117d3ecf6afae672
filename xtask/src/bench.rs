//! `cargo xtask bench`: every target in performance.md, measured beside its
//! peer on this machine, printed as a table and written to bench/results.json.
//!
//! Every probe prints a flat JSON object of numbers in which each figure `k`
//! comes with `k_n`, the number of samples behind it. A figure without
//! samples (absent, NaN, or `k_n` 0) is "not measured": it is never printed as
//! 0, and it fails the command. A figure that misses its target is only
//! reported (benchmarks are not tests; a noisy machine must not break a build).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::setup::Env;

type Probe = BTreeMap<String, f64>;

/// A flat JSON object of numbers, as our probes print them (anything that is
/// not a number, `null` included, is left out).
fn parse_flat(json: &str) -> Probe {
    json.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .filter_map(|kv| {
            let (k, v) = kv.split_once(':')?;
            Some((
                k.trim().trim_matches('"').to_string(),
                v.trim().parse().ok()?,
            ))
        })
        .collect()
}

/// Runs a probe and reads its `marker` line (or its first `{` line); a probe
/// that fails measures nothing: its figures are then "not measured".
fn capture(cmd: &mut Command, marker: &str) -> Probe {
    let shown = format!("{cmd:?}");
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("xtask bench: could not run {shown}: {e}");
            return Probe::new();
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        eprintln!(
            "xtask bench: {shown} failed ({}):\n{text}\n{err}",
            out.status
        );
        return Probe::new();
    }
    let line = text.lines().find_map(|l| {
        if marker.is_empty() {
            l.trim().starts_with('{').then_some(l)
        } else {
            l.split_once(marker).map(|(_, rest)| rest)
        }
    });
    match line {
        Some(l) => parse_flat(l),
        None => {
            eprintln!("xtask bench: {shown} printed no {marker:?} line:\n{text}\n{err}");
            Probe::new()
        }
    }
}

/// A measured figure: its value (a median, usually) and its samples.
#[derive(Clone, Copy, Debug)]
struct Fig {
    v: f64,
    n: u64,
}

impl Fig {
    fn measured(self) -> bool {
        self.v.is_finite() && self.n > 0
    }
    /// The same samples in another unit.
    fn scaled(self, by: f64) -> Fig {
        Fig {
            v: self.v * by,
            n: self.n,
        }
    }
}

/// Figure `k` of probe `m`, with `k_n` samples.
fn fig(m: &Probe, k: &str) -> Fig {
    Fig {
        v: m.get(k).copied().unwrap_or(f64::NAN),
        n: m.get(&format!("{k}_n"))
            .map_or(0, |n| if *n > 0.0 { *n as u64 } else { 0 }),
    }
}

/// What a figure is held against.
#[derive(Clone, Copy, Debug)]
enum Peer {
    /// A peer measured in the same run.
    Fig(Fig),
    /// A fixed bound from performance.md (no samples: nothing to measure).
    Bound(f64),
}

impl Peer {
    fn value(self) -> f64 {
        match self {
            Peer::Fig(f) => f.v,
            Peer::Bound(b) => b,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Pass,
    Miss,
    NotMeasured,
}

impl Outcome {
    fn text(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Miss => "MISS",
            Outcome::NotMeasured => "NOT MEASURED",
        }
    }
}

/// How the ratio column reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ratio {
    /// ours / peer.
    Over,
    /// peer / ours ("× faster").
    Faster,
}

struct Row {
    id: &'static str,
    what: String,
    ours: Fig,
    peer: Peer,
    unit: &'static str,
    ratio: f64,
    faster: bool,
    target: &'static str,
    outcome: Outcome,
    /// What the ours cell says instead of the number (e.g. no long task at all).
    ours_text: Option<String>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
}

impl Table {
    /// A row: `ours` against `peer`, the ratio as `ratio` says, and `pass`
    /// judging (ours, ratio). Without samples on either side: not measured.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        id: &'static str,
        what: impl Into<String>,
        ours: Fig,
        peer: Peer,
        unit: &'static str,
        ratio: Ratio,
        target: &'static str,
        pass: impl Fn(f64, f64) -> bool,
    ) -> &mut Row {
        let peer_ok = match peer {
            Peer::Fig(f) => f.measured(),
            Peer::Bound(_) => true,
        };
        let measured = ours.measured() && peer_ok;
        let r = match ratio {
            Ratio::Over => ours.v / peer.value(),
            Ratio::Faster => peer.value() / ours.v,
        };
        let ratio_v = if measured { r } else { f64::NAN };
        let outcome = if !measured || !ratio_v.is_finite() && peer.value() != 0.0 {
            Outcome::NotMeasured
        } else if pass(ours.v, ratio_v) {
            Outcome::Pass
        } else {
            Outcome::Miss
        };
        self.rows.push(Row {
            id,
            what: what.into(),
            ours,
            peer,
            unit,
            ratio: ratio_v,
            faster: ratio == Ratio::Faster,
            target,
            outcome,
            ours_text: None,
        });
        self.rows.last_mut().expect("just pushed")
    }

    /// A row whose ratio is the median of per-run ratios `paired` (ours and
    /// the peer measured in turn, run after run), not a ratio of medians.
    #[allow(clippy::too_many_arguments)]
    fn add_paired(
        &mut self,
        id: &'static str,
        what: impl Into<String>,
        ours: Fig,
        peer: Fig,
        paired: Fig,
        unit: &'static str,
        target: &'static str,
        pass: impl Fn(f64) -> bool,
    ) {
        let row = self.add(
            id,
            what,
            ours,
            Peer::Fig(peer),
            unit,
            Ratio::Over,
            target,
            |_, _| true,
        );
        if row.outcome == Outcome::NotMeasured || !paired.measured() {
            row.outcome = Outcome::NotMeasured;
            row.ratio = f64::NAN;
        } else {
            row.ratio = paired.v;
            row.outcome = if pass(paired.v) {
                Outcome::Pass
            } else {
                Outcome::Miss
            };
        }
    }
}

/// A number with about three significant digits.
fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn with_unit(v: f64, unit: &str) -> String {
    match unit {
        "%" => format!("{} %", num(v)),
        "" => num(v),
        u => format!("{} {u}", num(v)),
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_num(v: f64) -> String {
    if v.is_finite() {
        format!("{v}")
    } else {
        "null".to_string()
    }
}

/// The machine's load averages (1, 5, 15 min), to read a noisy run by.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Runs every probe and prints the table.
pub fn run(root: &Path, env: &Env) -> Result<(), String> {
    let load_before = load_average();
    println!("\n==> CPython peers (about a minute: 1,000,000 asyncio sleeps once)");
    let py = capture(
        env.cmd("python3")
            .arg("bench/python_peers.py")
            .current_dir(root),
        "",
    );
    println!("\n==> native kernel (target-cpu=native)");
    let native = capture(
        env.cmd("cargo")
            .args([
                "run",
                "--quiet",
                "--release",
                "-p",
                "workload",
                "--example",
                "kernel_bench",
            ])
            .env("RUSTFLAGS", "-C target-cpu=native")
            .env("CARGO_TARGET_DIR", root.join("target/native-bench"))
            .current_dir(root),
        "",
    );
    println!("\n==> wasm probes in headless Chromium");
    let wasm = capture(
        env.cmd("cargo")
            .args([
                "test",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "nogil-playground",
                "--test",
                "bench",
                "--",
                "--nocapture",
            ])
            .current_dir(root),
        "BENCH ",
    );
    // DIST=<dir> measures a site already built (no trunk build).
    let built = match std::env::var_os("DIST") {
        Some(dir) => {
            println!(
                "\n==> page probes against {} (DIST is set: not rebuilt)",
                Path::new(&dir).display()
            );
            Ok(())
        }
        None => crate::dist(root, env).map(|()| println!("\n==> page probes against dist/")),
    };
    let page = match built {
        Ok(()) => capture(
            env.cmd("node").arg("bench/page.mjs").current_dir(root),
            "PAGE ",
        ),
        Err(e) => {
            eprintln!("xtask bench: {e}: the page probes cannot run");
            Probe::new()
        }
    };
    let rows = table(&py, &native, &wasm, &page);
    let load_after = load_average();
    print_and_write(root, &rows, &load_before, &load_after)
}

/// The table: every row of performance.md, each beside its peer.
fn table(py: &Probe, native: &Probe, wasm: &Probe, page: &Probe) -> Vec<Row> {
    use Peer::{Bound, Fig as P};
    use Ratio::{Faster, Over};
    let w = |k: &str| fig(wasm, k);
    let p = |k: &str| fig(page, k);
    let y = |k: &str| fig(py, k);
    let mut t = Table::default();

    let yo = w("ours_yield_ns");
    t.add(
        "P1",
        "yield round trip vs `spawn_local`",
        yo,
        P(w("spawn_local_yield_ns")),
        "ns",
        Over,
        "≤ 0.25",
        |_, r| r <= 0.25,
    );
    t.add(
        "P1",
        "yield round trip vs `LocalPool`",
        yo,
        P(w("localpool_yield_ns")),
        "ns",
        Over,
        "≤ 1.5",
        |_, r| r <= 1.5,
    );
    t.add(
        "P1",
        "yield round trip vs `asyncio.sleep(0)`",
        yo,
        P(y("py_sleep0_ns")),
        "ns",
        Faster,
        "≥ 30× faster",
        |_, r| r >= 30.0,
    );
    t.add(
        "P2",
        "spawn + complete, detached (as `spawn_local` and the workload's tasks), vs `spawn_local`",
        w("ours_spawn_ns"),
        P(w("spawn_local_spawn_ns")),
        "ns",
        Over,
        "≤ 0.5",
        |_, r| r <= 0.5,
    );
    t.add(
        "P2",
        "memory per suspended task, 1M tasks, vs asyncio",
        w("ours_task_bytes"),
        P(y("py_task_bytes")),
        "B",
        Over,
        "≤ 0.2",
        |_, r| r <= 0.2,
    );

    let longest = p("loop_1m_longest_task_ms");
    let row = t.add(
        "P3",
        "longest main-thread task, loop running 1M tasks (Run to 2 s after)",
        longest,
        Bound(50.0),
        "ms",
        Over,
        "< 50 ms",
        |o, _| o < 50.0,
    );
    if longest.measured() && longest.v == 0.0 {
        row.ours_text = Some("none ≥ 50 ms".into());
    }
    t.add(
        "P3",
        "long tasks (≥ 50 ms) per run, loop running 1M tasks",
        p("loop_1m_long_tasks"),
        Bound(0.0),
        "",
        Over,
        "0",
        |o, _| o == 0.0,
    );
    t.add(
        "P3",
        "p95 frame gap, 1M tasks vs idle",
        p("loop_1m_frame_p95_ms"),
        P(p("idle_frame_p95_ms")),
        "ms",
        Over,
        "≤ 1.2",
        |_, r| r <= 1.2,
    );
    // Like for like: the hop follows an 8 ms slice, so the browser renders a
    // frame in about every other hop; the same self-post after an 8 ms task does too.
    t.add(
        "P3",
        "slice hop (CPU-only loop run, mean) vs bare `MessageChannel` self-post after an 8 ms task",
        p("slice_hop_us"),
        P(p("message_channel_busy_us")),
        "µs",
        Over,
        "≤ 1.2",
        |_, r| r <= 1.2,
    );
    t.add(
        "P3",
        "slice hop (same) vs bare `MessageChannel` ping-pong, back to back (no work between)",
        p("slice_hop_us"),
        P(p("message_channel_idle_us")),
        "µs",
        Over,
        "≤ 1.2",
        |_, r| r <= 1.2,
    );

    t.add("P4", "pool start at page load (compile + workers ready, beside the app's own load) vs bare workers + one `compileStreaming` on the idle page", p("pool_start_ms"), P(p("bare_start_ms")), "ms", Over, "≤ 1.2", |_, r| r <= 1.2);
    t.add("P4", "pool start on the idle page (a second pool: spawn to all ready, module compiled once per page) vs the same bare peer", p("pool_restart_ms"), P(p("bare_start_ms")), "ms", Over, "≤ 1.2", |_, r| r <= 1.2);
    t.add(
        "P4",
        "dispatch round trip (task's view, trivial job) vs bare `postMessage` echo",
        p("dispatch_ms"),
        P(p("bare_echo_ms")),
        "ms",
        Over,
        "≤ 1.5",
        |_, r| r <= 1.5,
    );
    let workers = page
        .get("efficiency_workers")
        .map_or("N".to_string(), |n| num(*n));
    let job = page
        .get("efficiency_job_ms")
        .map_or("?".to_string(), |j| num(*j));
    let eff = p("pool_efficiency_pct");
    t.add("P4", format!("parallel efficiency, {workers} workers (hardwareConcurrency), {workers}×cpu(100M), jobs of {job} ms, vs linear"), eff, Bound(100.0), "%", Over, "≥ 0.9", |_, r| r >= 0.9);
    t.add(
        "P4",
        "parallel efficiency vs hand-written bare JS workers, same run",
        eff,
        P(p("bare_efficiency_pct")),
        "%",
        Over,
        "≥ 0.95",
        |_, r| r >= 0.95,
    );

    let kw = w("kernel_wasm_ns").scaled(1e-6);
    // kernel_bench prints the median of its 7 runs (with their min and max).
    let kn = Fig {
        v: native.get("kernel_native_ns").copied().unwrap_or(f64::NAN) * 1e-6,
        n: if native.contains_key("kernel_native_min_ns")
            && native.contains_key("kernel_native_max_ns")
        {
            7
        } else {
            0
        },
    };
    t.add(
        "P5",
        "Σi², n = 10⁷, wasm vs native (`target-cpu=native`)",
        kw,
        P(kn),
        "ms",
        Over,
        "≤ 3",
        |_, r| r <= 3.0,
    );
    t.add(
        "P5",
        "Σi², n = 10⁷, wasm vs CPython",
        kw,
        P(y("py_sum_squares_ns").scaled(1e-6)),
        "ms",
        Faster,
        "≥ 100× faster",
        |_, r| r >= 100.0,
    );

    // Sizes in kB of 1,000 bytes, as performance.md writes them.
    t.add(
        "P6",
        "app wasm + JS (with snippets), brotli",
        p("app_brotli_bytes").scaled(1e-3),
        Bound(250.0),
        "kB",
        Over,
        "≤ 250 kB",
        |o, _| o <= 250.0,
    );
    t.add(
        "P6",
        "worker wasm, uncompressed",
        p("worker_wasm_bytes").scaled(1e-3),
        Bound(60.0),
        "kB",
        Over,
        "≤ 60 kB",
        |o, _| o <= 60.0,
    );
    t.add(
        "P6",
        "first render (Run button painted) from navigation, localhost",
        p("first_render_ms"),
        Bound(300.0),
        "ms",
        Over,
        "≤ 300 ms",
        |o, _| o <= 300.0,
    );

    t.add(
        "P7",
        "timeline pan/zoom frame, 100k spans",
        w("timeline_100k_ms"),
        Bound(10.0),
        "ms",
        Over,
        "≤ 10 ms",
        |o, _| o <= 10.0,
    );
    t.add(
        "P7",
        "timeline pan/zoom frame, 1M spans",
        w("timeline_1m_ms"),
        Bound(16.0),
        "ms",
        Over,
        "≤ 16 ms",
        |o, _| o <= 16.0,
    );
    t.add(
        "P7",
        "10k spans: canvas draw vs SVG (built, inserted, laid out)",
        w("timeline_10k_ms"),
        P(w("svg_10k_ms")),
        "ms",
        Faster,
        "≥ 4× faster",
        |_, r| r >= 4.0,
    );

    t.add(
        "P8",
        "Run usable (painted, enabled) from navigation, localhost",
        p("run_usable_ms"),
        Bound(300.0),
        "ms",
        Over,
        "≤ 300 ms",
        |o, _| o <= 300.0,
    );
    t.add(
        "P8",
        "long tasks (≥ 50 ms), navigation through a 20000×[io(5ms),cpu(20k)] run and scrubbing",
        p("load_long_tasks"),
        Bound(0.0),
        "",
        Over,
        "0",
        |o, _| o == 0.0,
    );
    let longest = p("load_longest_task_ms");
    let row = t.add(
        "P8",
        "longest main-thread task, same window",
        longest,
        Bound(50.0),
        "ms",
        Over,
        "< 50 ms",
        |o, _| o < 50.0,
    );
    if longest.measured() && longest.v == 0.0 {
        row.ours_text = Some("none ≥ 50 ms".into());
    }
    for (k, what) in [
        ("loop", "loop run of 400×cpu(50M)"),
        ("pool", "pool run of 4×block(10s), 2 workers"),
        ("gil", "GIL run of 4×cpu(2G), 2 workers (shared memory)"),
    ] {
        // No bound in performance.md: a cancel must answer within a long task's 50 ms.
        t.add(
            "P8",
            format!("cancel latency (click event to `data-run-state=cancelled`), {what}"),
            p(&format!("cancel_{k}_ms")),
            Bound(50.0),
            "ms",
            Over,
            "≤ 50 ms",
            |o, _| o <= 50.0,
        );
    }

    t.add("P9", "live redraw at ≥ 100k spans, in the page (index update + draw) vs the finished run's redraw", p("live_redraw_100k_ms"), P(p("finished_redraw_ms")), "ms", Over, "≤ 4 ms", |o, _| o <= 4.0);
    t.add(
        "P9",
        "live redraws: longest gap between two during a run",
        p("live_redraw_gap_max_ms"),
        Bound(250.0),
        "ms",
        Over,
        "≤ 250 ms",
        |o, _| o <= 250.0,
    );
    t.add("P9", "live redraw at 100k spans, wasm probe (1,000 new spans indexed + whole-run draw) vs the draw alone", w("live_redraw_100k_ms"), P(w("timeline_full_100k_ms")), "ms", Over, "≤ 4 ms", |o, _| o <= 4.0);

    t.add(
        "P10",
        "1,000,000 × io(1s) on the loop, wall, vs asyncio",
        p("loop_1m_1s_wall_ms"),
        P(y("py_sleep_1m_1s_ns").scaled(1e-6)),
        "ms",
        Over,
        "≤ 1.5 s",
        |o, _| o <= 1500.0,
    );
    t.add(
        "P10",
        "100,000 × io(100ms) on the loop, wall, vs asyncio",
        p("loop_100k_100ms_wall_ms"),
        P(y("py_sleep_100k_100ms_ns").scaled(1e-6)),
        "ms",
        Over,
        "≤ 150 ms",
        |o, _| o <= 150.0,
    );

    t.add_paired("LOOP", "loop overhead on CPU-only work: 8×cpu(20M), loop wall vs sequential (alternating runs, median of the pairs' ratios)", p("overhead_loop_ms"), p("overhead_seq_ms"), p("loop_over_seq"), "ms", "≤ 1.10", |r| r <= 1.10);
    t.add_paired(
        "GIL",
        "no shared memory (no COOP/COEP): 4×cpu(20M), 2 workers, GIL by messages vs sequential",
        p("gil_wall_ms"),
        p("gil_seq_wall_ms"),
        p("gil_over_seq"),
        "ms",
        "≥ 0.9",
        |r| r >= 0.9,
    );
    t.add_paired(
        "GIL",
        "no shared memory (no COOP/COEP): 4×cpu(20M), 2 workers, free threads vs sequential",
        p("free_wall_ms"),
        p("gil_seq_wall_ms"),
        p("free_over_seq"),
        "ms",
        "≤ 0.8",
        |r| r <= 0.8,
    );
    // No bound in performance.md: a hand-off is a message to the page and one to the next worker, like one echo.
    t.add("GIL", "GIL hand-off by messages (per tenure: the page's acquire → release minus the worker's compute) vs bare `postMessage` echo, same page", p("gil_handoff_ms"), P(p("plain_bare_echo_ms")), "ms", Over, "≤ 1.5", |_, r| r <= 1.5);
    t.rows
}

fn print_and_write(
    root: &Path,
    rows: &[Row],
    load_before: &str,
    load_after: &str,
) -> Result<(), String> {
    println!("\n| id | figure | ours | peer | ratio | target | result | samples |\n|---|---|---|---|---|---|---|---|");
    let mut json = String::from("[\n");
    for (i, r) in rows.iter().enumerate() {
        let measured = r.outcome != Outcome::NotMeasured;
        let ours = if !r.ours.measured() {
            "not measured".to_string()
        } else {
            r.ours_text
                .clone()
                .unwrap_or_else(|| with_unit(r.ours.v, r.unit))
        };
        let peer = match r.peer {
            Peer::Fig(f) if !f.measured() => "not measured".to_string(),
            Peer::Fig(f) => with_unit(f.v, r.unit),
            Peer::Bound(b) => format!("{} (bound)", with_unit(b, r.unit)),
        };
        let ratio = if !measured || !r.ratio.is_finite() {
            "–".to_string()
        } else if r.faster {
            format!("{}× faster", num(r.ratio))
        } else {
            num(r.ratio)
        };
        let peer_n = match r.peer {
            Peer::Fig(f) => Some(f.n),
            Peer::Bound(_) => None,
        };
        let samples = match peer_n {
            Some(n) => format!("{} / {n}", r.ours.n),
            None => r.ours.n.to_string(),
        };
        let result = match r.outcome {
            Outcome::Pass => "pass".to_string(),
            o => format!("**{}**", o.text()),
        };
        println!(
            "| {} | {} | {ours} | {peer} | {ratio} | {} | {result} | {samples} |",
            r.id, r.what, r.target
        );
        let _ = writeln!(
            json,
            "  {{\"id\": {}, \"figure\": {}, \"ours\": {}, \"ours_samples\": {}, \"peer\": {}, \"peer_samples\": {}, \"peer_is_bound\": {}, \"unit\": {}, \"ratio\": {}, \"ratio_is_faster\": {}, \"target\": {}, \"result\": {}, \"pass\": {}}}{}",
            json_str(r.id),
            json_str(&r.what),
            if r.ours.measured() { json_num(r.ours.v) } else { "null".into() },
            r.ours.n,
            json_num(r.peer.value()),
            peer_n.map_or("null".to_string(), |n| n.to_string()),
            matches!(r.peer, Peer::Bound(_)),
            json_str(r.unit),
            json_num(if measured { r.ratio } else { f64::NAN }),
            r.faster,
            json_str(r.target),
            json_str(r.outcome.text()),
            match r.outcome {
                Outcome::Pass => "true",
                Outcome::Miss => "false",
                Outcome::NotMeasured => "null",
            },
            if i + 1 < rows.len() { "," } else { "" }
        );
    }
    json.push_str("]\n");
    let missing = rows
        .iter()
        .filter(|r| r.outcome == Outcome::NotMeasured)
        .count();
    let misses = rows.iter().filter(|r| r.outcome == Outcome::Miss).count();
    println!("\nload average before / after: {load_before} / {load_after}");
    println!(
        "{} figures: {} pass, {misses} miss, {missing} not measured",
        rows.len(),
        rows.len() - misses - missing
    );
    let path = root.join("bench/results.json");
    std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("written to {}", path.display());
    if missing > 0 {
        return Err(format!("{missing} figure(s) not measured (see the table)"));
    }
    Ok(())
}

/// The table from saved probe outputs (each file holds its probe's output),
/// without running anything: see the ignored test `table_from_saved_outputs`.
#[cfg(test)]
fn table_from_files(root: &Path, files: [&Path; 4]) -> Result<(), String> {
    let read = |p: &Path, marker: &str| -> Probe {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        text.lines()
            .find_map(|l| {
                if marker.is_empty() {
                    l.trim().starts_with('{').then_some(l)
                } else {
                    l.split_once(marker).map(|(_, rest)| rest)
                }
            })
            .map(parse_flat)
            .unwrap_or_default()
    };
    let [py, native, wasm, page] = files;
    let rows = table(
        &read(py, ""),
        &read(native, ""),
        &read(wasm, "BENCH "),
        &read(page, "PAGE "),
    );
    let load = load_average();
    print_and_write(root, &rows, &load, &load)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_flat_json() {
        let m = parse_flat("{\"a\": 1.5, \"b\":2,\"c\": 3e3, \"d\": null}");
        assert_eq!(m["a"], 1.5);
        assert_eq!(m["b"], 2.0);
        assert_eq!(m["c"], 3000.0);
        assert!(!m.contains_key("d"));
    }

    #[test]
    fn a_figure_without_samples_is_not_measured_and_never_zero() {
        let m = parse_flat("{\"x\": 0, \"y\": 5, \"y_n\": 3, \"z\": 1, \"z_n\": 0}");
        assert!(!fig(&m, "x").measured(), "no x_n: no samples");
        assert!(fig(&m, "y").measured());
        assert!(!fig(&m, "z").measured(), "z_n = 0");
        assert!(!fig(&m, "missing").measured());
        let mut t = Table::default();
        t.add(
            "T",
            "x",
            fig(&m, "x"),
            Peer::Bound(1.0),
            "ms",
            Ratio::Over,
            "≤ 1",
            |o, _| o <= 1.0,
        );
        t.add(
            "T",
            "y vs missing",
            fig(&m, "y"),
            Peer::Fig(fig(&m, "missing")),
            "ms",
            Ratio::Over,
            "≤ 1",
            |_, r| r <= 1.0,
        );
        t.add(
            "T",
            "y",
            fig(&m, "y"),
            Peer::Bound(10.0),
            "ms",
            Ratio::Over,
            "≤ 10",
            |o, _| o <= 10.0,
        );
        let outcomes: Vec<Outcome> = t.rows.iter().map(|r| r.outcome).collect();
        assert_eq!(
            outcomes,
            [Outcome::NotMeasured, Outcome::NotMeasured, Outcome::Pass]
        );
        assert!(t.rows[0].ratio.is_nan());
    }

    /// Prints the table and writes bench/results.json from the outputs of
    /// the probes run one by one (python3 bench/python_peers.py, the native
    /// kernel_bench, the wasm probes, node bench/page.mjs), saved as py.json,
    /// native.json, wasm.log and page.log in $BENCH_OUT:
    /// `BENCH_OUT=/tmp/b cargo test -p xtask -- --ignored --nocapture table_from_saved_outputs`.
    #[test]
    #[ignore = "reads saved probe outputs from $BENCH_OUT and writes bench/results.json"]
    fn table_from_saved_outputs() {
        let dir = std::path::PathBuf::from(
            std::env::var("BENCH_OUT").expect("BENCH_OUT: the directory of the saved outputs"),
        );
        let root = crate::project_root();
        let result = table_from_files(
            &root,
            [
                &dir.join("py.json"),
                &dir.join("native.json"),
                &dir.join("wasm.log"),
                &dir.join("page.log"),
            ],
        );
        assert!(result.is_ok(), "{result:?}");
    }

    #[test]
    fn every_row_is_not_measured_without_probes() {
        let empty = Probe::new();
        let rows = table(&empty, &empty, &empty, &empty);
        assert!(rows.len() >= 35);
        assert!(
            rows.iter().all(|r| r.outcome == Outcome::NotMeasured),
            "{:?}",
            rows.iter()
                .find(|r| r.outcome != Outcome::NotMeasured)
                .map(|r| &r.what)
        );
    }
}
