//! `cargo xtask bench`: every target in performance.md, measured beside its
//! peer on this machine, printed as a table and written to bench/results.json.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::setup::Env;

/// A flat JSON object of numbers, as our probes print them.
fn parse_flat(json: &str) -> BTreeMap<String, f64> {
    json.trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .filter_map(|kv| {
            let (k, v) = kv.split_once(':')?;
            Some((k.trim().trim_matches('"').to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

fn capture(cmd: &mut Command, marker: &str) -> Result<BTreeMap<String, f64>, String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("{shown}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!("{shown} failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    let line = text
        .lines()
        .find_map(|l| if marker.is_empty() { l.trim().starts_with('{').then_some(l) } else { l.split_once(marker).map(|(_, rest)| rest) })
        .ok_or_else(|| format!("{shown} printed no {marker} line:\n{text}"))?;
    Ok(parse_flat(line))
}

struct Row {
    id: &'static str,
    what: &'static str,
    ours: f64,
    peer: f64,
    unit: &'static str,
    ratio: f64,
    target: &'static str,
    pass: bool,
}

/// Runs every probe and prints the table.
pub fn run(root: &Path, env: &Env) -> Result<(), String> {
    println!("\n==> CPython peers");
    let py = capture(env.cmd("python3").arg("bench/python_peers.py").current_dir(root), "")?;
    println!("\n==> native kernel (target-cpu=native)");
    let native = capture(
        env.cmd("cargo")
            .args(["run", "--quiet", "--release", "-p", "workload", "--example", "kernel_bench"])
            .env("RUSTFLAGS", "-C target-cpu=native")
            .env("CARGO_TARGET_DIR", root.join("target/native-bench"))
            .current_dir(root),
        "",
    )?;
    println!("\n==> wasm probes in headless Chromium");
    let wasm = capture(
        env.cmd("cargo")
            .args(["test", "--release", "--target", "wasm32-unknown-unknown", "-p", "nogil-playground", "--test", "bench", "--", "--nocapture"])
            .current_dir(root),
        "BENCH ",
    )?;
    crate::dist(root, env)?;
    println!("\n==> page probes against dist/");
    let page = capture(env.cmd("node").arg("bench/page.mjs").current_dir(root), "PAGE ")?;
    let g = |m: &BTreeMap<String, f64>, k: &str| m.get(k).copied().unwrap_or(f64::NAN);

    let mut rows = Vec::new();
    let mut row = |id, what, ours: f64, peer: f64, unit, ratio: f64, target, pass: bool| {
        rows.push(Row { id, what, ours, peer, unit, ratio, target, pass })
    };
    let (yo, ysl, ylp, ypy) = (g(&wasm, "ours_yield_ns"), g(&wasm, "spawn_local_yield_ns"), g(&wasm, "localpool_yield_ns"), g(&py, "py_sleep0_ns"));
    row("P1", "yield round trip vs spawn_local", yo, ysl, "ns", yo / ysl, "≤ 0.25", yo / ysl <= 0.25);
    row("P1", "yield round trip vs LocalPool", yo, ylp, "ns", yo / ylp, "≤ 1.5", yo / ylp <= 1.5);
    row("P1", "yield round trip vs asyncio.sleep(0)", yo, ypy, "ns", ypy / yo, "≥ 30× faster", ypy / yo >= 30.0);
    let (so, ssl) = (g(&wasm, "ours_spawn_ns"), g(&wasm, "spawn_local_spawn_ns"));
    row("P2", "spawn + complete vs spawn_local", so, ssl, "ns", so / ssl, "≤ 0.5", so / ssl <= 0.5);
    let (mo, mpy) = (g(&wasm, "ours_task_bytes"), g(&py, "py_task_bytes"));
    row("P2", "memory per suspended task vs asyncio (1M tasks)", mo, mpy, "B", mo / mpy, "≤ 0.2", mo / mpy <= 0.2);
    let long = g(&page, "loop_1m_longest_task_ms");
    row("P3", "longest main-thread task, loop running 1M tasks", long, 50.0, "ms", long / 50.0, "≤ 1 (50 ms)", long <= 50.0);
    let (fb, fi) = (g(&page, "loop_1m_frame_p95_ms"), g(&page, "idle_frame_p95_ms"));
    row("P3", "p95 frame gap, 1M tasks vs idle", fb, fi, "ms", fb / fi, "≤ 1.2", fb / fi <= 1.2);
    let (hop, mc) = (g(&wasm, "slice_hop_ns"), g(&wasm, "message_channel_ns"));
    row("P3", "slice hop vs bare MessageChannel self-post", hop, mc, "ns", hop / mc, "≤ 1.2", hop / mc <= 1.2);
    let (ps, bs) = (g(&page, "pool_start_ms"), g(&page, "bare_start_ms"));
    row("P4", "pool start vs bare workers + compileStreaming", ps, bs, "ms", ps / bs, "≤ 1.2", ps / bs <= 1.2);
    let (d, be) = (g(&page, "dispatch_ms"), g(&page, "bare_echo_ms"));
    row("P4", "dispatch round trip vs bare postMessage echo", d, be, "ms", d / be, "≤ 1.5", d / be <= 1.5);
    let eff = g(&page, "pool_efficiency_pct");
    row("P4", "parallel efficiency at hardwareConcurrency, 100M-iteration jobs", eff, 100.0, "%", eff / 100.0, "≥ 0.9", eff >= 90.0);
    let (kw, kn, kp) = (g(&wasm, "kernel_wasm_ns"), g(&native, "kernel_native_ns"), g(&py, "py_sum_squares_ns"));
    row("P5", "Σi² n=10⁷, wasm vs native", kw, kn, "ns", kw / kn, "≤ 3", kw / kn <= 3.0);
    row("P5", "Σi² n=10⁷, wasm vs CPython", kw, kp, "ns", kp / kw, "≥ 100× faster", kp / kw >= 100.0);
    let ab = g(&page, "app_brotli_bytes");
    row("P6", "app wasm + JS, brotli", ab / 1024.0, 250.0, "KiB", ab / 1024.0 / 250.0, "≤ 1 (250 KB)", ab <= 250.0 * 1024.0);
    let wb = g(&page, "worker_wasm_bytes");
    row("P6", "worker wasm (uncompressed)", wb / 1024.0, 60.0, "KiB", wb / 1024.0 / 60.0, "≤ 1 (60 KB)", wb <= 60.0 * 1024.0);
    let fr = g(&page, "first_render_ms");
    row("P6", "first render from navigation (localhost)", fr, 300.0, "ms", fr / 300.0, "≤ 1 (300 ms)", fr <= 300.0);

    let (t100k, t1m, t10k, s10k) = (g(&wasm, "timeline_100k_ms"), g(&wasm, "timeline_1m_ms"), g(&wasm, "timeline_10k_ms"), g(&wasm, "svg_10k_ms"));
    row("P7", "timeline pan/zoom frame, 100k spans", t100k, 10.0, "ms", t100k / 10.0, "≤ 1 (10 ms)", t100k <= 10.0);
    row("P7", "timeline pan/zoom frame, 1M spans", t1m, 16.0, "ms", t1m / 16.0, "≤ 1 (16 ms)", t1m <= 16.0);
    row("P7", "timeline 10k spans: canvas vs SVG", t10k, s10k, "ms", s10k / t10k, "≥ 4× faster", s10k / t10k >= 4.0);

    println!("\n| id | figure | ours | peer | ratio | target | result |\n|---|---|---|---|---|---|---|");
    let mut json = String::from("[\n");
    for (i, r) in rows.iter().enumerate() {
        println!(
            "| {} | {} | {:.3} {} | {:.3} {} | {:.3} | {} | {} |",
            r.id, r.what, r.ours, r.unit, r.peer, r.unit, r.ratio, r.target, if r.pass { "pass" } else { "MISS" }
        );
        json.push_str(&format!(
            "  {{\"id\": \"{}\", \"figure\": \"{}\", \"ours\": {}, \"peer\": {}, \"unit\": \"{}\", \"ratio\": {}, \"target\": \"{}\", \"pass\": {}}}{}\n",
            r.id, r.what, r.ours, r.peer, r.unit, r.ratio, r.target, r.pass, if i + 1 < rows.len() { "," } else { "" }
        ));
    }
    json.push_str("]\n");
    let path = root.join("bench/results.json");
    std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("\nwritten to {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_flat_json() {
        let m = super::parse_flat("{\"a\": 1.5, \"b\":2,\"c\": 3e3}");
        assert_eq!(m["a"], 1.5);
        assert_eq!(m["b"], 2.0);
        assert_eq!(m["c"], 3000.0);
    }
}
