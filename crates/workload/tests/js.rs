//! The generated JavaScript programs run under Node and do what the playground
//! predicts: the exact checksum, the engine's jitter to the iteration, waits
//! that overlap on the event loop, a race that loses updates across an await,
//! a limit that holds, well-formed spans, the documented report, and a cancel
//! that stops the run early. Node has no `Worker`, so the workers flavour runs
//! on a small shim over `worker_threads`, defined here in the harness, never
//! in the generated program.
//!
//! No check relies on a tight wall-time threshold: a loaded 2-core machine may
//! run anything late, so the checks are structural (spans overlap, or do not)
//! and the few time bounds have wide margins.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use workload::js::{program, JsFlavour};
use workload::{closed_form, parse, IncrMode, Phase, Workload};

mod common;
use common::{engine_values, expected_checksum};

/// Prints the report as lines the test can read without a JSON parser.
const REPORTER: &str = r#"
globalThis.nogilReport = (r) => {
  console.log("KEYS " + Object.keys(r).sort().join(","));
  if (r.error !== undefined) return console.log("ERROR " + r.error);
  const types = [typeof r.wallMs, typeof r.startMs, typeof r.endMs, typeof r.checksum, typeof r.counter, typeof r.increments,
    Array.isArray(r.spans), typeof r.lanes, typeof r.cancelled].join(",");
  console.log("TYPES " + types);
  console.log(["RESULT", r.model, r.wallMs, r.startMs, r.endMs, r.checksum, r.counter, r.increments, r.lanes, r.cancelled].join(" "));
  console.log("SPANS " + r.spans.length);
  if (r.spans.length <= 20000) for (const s of r.spans) console.log("SPAN " + s.length + " " + s.map(String).join(" "));
};
"#;

/// A browser-like `Worker` over Node's `worker_threads`: enough for the
/// workers flavour (a Blob URL of a classic script, onmessage, postMessage,
/// terminate).
const WORKER_SHIM: &str = r#"
const { Worker: Thread } = require("node:worker_threads");
const { resolveObjectURL } = require("node:buffer");
const PRELUDE = `const { parentPort } = require("node:worker_threads");
globalThis.self = globalThis;
self.postMessage = (data) => parentPort.postMessage(data);
parentPort.on("message", (data) => self.onmessage?.({ data }));
`;
globalThis.Worker = class {
  constructor(url) {
    this.pending = [];
    resolveObjectURL(url).text().then((code) => {
      if (this.dead) return;
      this.thread = new Thread(PRELUDE + code, { eval: true });
      this.thread.on("message", (data) => this.onmessage?.({ data }));
      this.thread.on("error", (e) => this.onerror?.({ message: e.message }));
      this.pending.forEach((m) => this.thread.postMessage(m));
    });
  }
  postMessage(m) {
    this.thread ? this.thread.postMessage(m) : this.pending.push(m);
  }
  terminate() {
    this.dead = true;
    this.thread?.terminate();
  }
};
"#;

#[derive(Debug, Clone, PartialEq)]
struct Span {
    task: u64,
    phase: usize,
    state: String,
    start: f64,
    end: f64,
    lane: Option<u16>,
}

#[derive(Debug)]
struct Report {
    keys: String,
    model: String,
    wall: f64,
    start: f64,
    end: f64,
    checksum: String,
    counter: u64,
    increments: u64,
    lanes: u16,
    cancelled: bool,
    span_count: usize,
    spans: Vec<Span>,
    stdout: String,
    /// How long node ran, seen from outside.
    elapsed: Duration,
}

fn temp_dir() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nogil-js-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `src` with node (after `prelude`), killing it after two minutes;
/// returns its stdout and how long it ran.
fn node(prelude: &str, src: &str) -> (String, Duration) {
    let dir = temp_dir();
    let file = dir.join("prog.js");
    std::fs::write(&file, format!("{prelude}\n{src}")).unwrap();
    let out = std::fs::File::create(dir.join("stdout")).unwrap();
    let err = std::fs::File::create(dir.join("stderr")).unwrap();
    let t0 = Instant::now();
    // stdout goes to a file: a pipe nobody reads while we wait could fill and stall node.
    let mut child = Command::new("node")
        .arg(&file)
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .expect("node is installed on every machine of this project");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if t0.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("node ran over two minutes:\n{src}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = t0.elapsed();
    let stdout = std::fs::read_to_string(dir.join("stdout")).unwrap();
    let stderr = std::fs::read_to_string(dir.join("stderr")).unwrap();
    assert!(status.success(), "node failed:\n{src}\n{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
    (stdout, elapsed)
}

/// Runs a program with the reporter (and, for workers, the shim, and an
/// abort after `abort_ms` if given) and reads back its report.
fn run_with(src: &str, flavour: JsFlavour, abort_ms: Option<u32>) -> Report {
    let mut prelude = REPORTER.to_string();
    if flavour == JsFlavour::Workers {
        prelude.push_str(WORKER_SHIM);
    }
    if let Some(ms) = abort_ms {
        prelude.push_str(&format!(
            "globalThis.nogilSignal = AbortSignal.timeout({ms});\n"
        ));
    }
    let (stdout, elapsed) = node(&prelude, src);
    parse_report(&stdout, elapsed)
}

fn run(w: &str, flavour: JsFlavour, workers: u16, limit: Option<u32>, seed: u64) -> Report {
    run_with(
        &program(&parse(w).unwrap(), flavour, workers, limit, seed),
        flavour,
        None,
    )
}

fn parse_report(stdout: &str, elapsed: Duration) -> Report {
    let line = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{stdout}"))
            .to_string()
    };
    assert_eq!(
        line("TYPES "),
        "number,number,number,string,number,number,true,number,boolean",
        "{stdout}"
    );
    let r: Vec<String> = line("RESULT ").split(' ').map(String::from).collect();
    assert_eq!(r.len(), 9, "{stdout}");
    let spans = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("SPAN "))
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f[0], "6", "a span has six fields: {l}");
            Span {
                task: f[1].parse().unwrap(),
                phase: f[2].parse().unwrap(),
                state: f[3].to_string(),
                start: f[4].parse().unwrap(),
                end: f[5].parse().unwrap(),
                lane: if f[6] == "null" {
                    None
                } else {
                    Some(f[6].parse().unwrap())
                },
            }
        })
        .collect();
    Report {
        keys: line("KEYS "),
        model: r[0].clone(),
        wall: r[1].parse().unwrap(),
        start: r[2].parse().unwrap(),
        end: r[3].parse().unwrap(),
        checksum: r[4].clone(),
        counter: r[5].parse().unwrap(),
        increments: r[6].parse().unwrap(),
        lanes: r[7].parse().unwrap(),
        cancelled: r[8] == "true",
        span_count: line("SPANS ").parse().unwrap(),
        spans,
        stdout: stdout.to_string(),
        elapsed,
    }
}

/// The most spans in `spans` that overlap at one instant (touching ends do not overlap).
fn max_overlap(spans: &[&Span]) -> usize {
    let mut edges: Vec<(f64, i32)> = spans
        .iter()
        .flat_map(|s| [(s.start, 1), (s.end, -1)])
        .collect();
    // Ends before starts at equal times: a span that starts when another ends does not overlap it.
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut most) = (0, 0);
    for (_, d) in edges {
        now += d;
        most = most.max(now);
    }
    most as usize
}

/// What every report must satisfy: the fields, the clock, and spans that are
/// well formed and lie within the run.
fn check_well_formed(r: &Report, w: &Workload, flavour: JsFlavour, workers: u16) {
    assert_eq!(
        r.keys, "cancelled,checksum,counter,endMs,increments,lanes,model,spans,startMs,wallMs",
        "{}",
        r.stdout
    );
    assert_eq!(r.model, flavour.model_id());
    assert!(
        r.start <= r.end && (r.wall - (r.end - r.start)).abs() < 1e-6,
        "{r:?}"
    );
    let lanes = match flavour {
        JsFlavour::EventLoop => 1,
        JsFlavour::Workers => workers + 1,
    };
    assert_eq!(r.lanes, lanes);
    assert_eq!(r.span_count, r.spans.len(), "all spans printed");
    let phases: Vec<&[Phase]> = w.tasks().map(|t| t.phases).collect();
    for s in &r.spans {
        assert!(s.start <= s.end, "{s:?}");
        assert!(
            r.start <= s.start && s.end <= r.end,
            "within the run: {s:?} {} {}",
            r.start,
            r.end
        );
        let p = &phases[s.task as usize][s.phase];
        let wait = matches!(p, Phase::Io { .. })
            || matches!(
                p,
                Phase::Incr {
                    mode: IncrMode::Await | IncrMode::AwaitFor(_),
                    ..
                }
            );
        match (flavour, s.state.as_str()) {
            (_, "running") => assert!(!wait, "{s:?}"),
            (_, "waiting") => assert!(wait, "{s:?}"),
            (JsFlavour::Workers, "transfer") => assert!(!matches!(p, Phase::Incr { .. }), "{s:?}"),
            _ => panic!("unexpected state: {s:?}"),
        }
        // incr runs on the page; everything else runs on the page in the event loop, in a worker otherwise.
        let on_page = flavour == JsFlavour::EventLoop || matches!(p, Phase::Incr { .. });
        match (on_page, s.state.as_str()) {
            (true, "running") => assert_eq!(s.lane, Some(0), "{s:?}"),
            (true, _) => assert_eq!(s.lane, None, "{s:?}"),
            (false, _) => assert!(
                matches!(s.lane, Some(l) if (1..=workers).contains(&l)),
                "{s:?}"
            ),
        }
    }
    // Per task: its spans, in the order recorded, follow the recipe and never overlap each other.
    let mut by_task: BTreeMap<u64, Vec<&Span>> = BTreeMap::new();
    for s in &r.spans {
        by_task.entry(s.task).or_default().push(s);
    }
    for (task, spans) in &by_task {
        // In the workers flavour incr phases run first, on the page, then the rest on one worker.
        let (page, remote): (Vec<&Span>, Vec<&Span>) =
            spans.iter().partition(|s| s.lane.is_none_or(|l| l == 0));
        for part in [page, remote] {
            for pair in part.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                assert!(
                    a.phase <= b.phase && a.end <= b.start + 1e-9,
                    "task {task}: {a:?} then {b:?}"
                );
            }
        }
        let lanes: std::collections::HashSet<_> = spans
            .iter()
            .filter_map(|s| s.lane)
            .filter(|&l| l > 0)
            .collect();
        assert!(lanes.len() <= 1, "task {task} ran on one worker: {spans:?}");
    }
}

#[test]
fn flavours_name_themselves() {
    assert_eq!(JsFlavour::ALL, [JsFlavour::EventLoop, JsFlavour::Workers]);
    let ids: Vec<_> = JsFlavour::ALL
        .iter()
        .map(|f| (f.name(), f.model_id()))
        .collect();
    assert_eq!(ids, [("event loop", "js"), ("workers", "jsworker")]);
}

#[test]
fn the_checksum_is_exact_past_two_to_the_53() {
    // 65_536 and its neighbours: the block boundary of the kernel; 10M: the sum passes 2⁵³ early; 100M:
    // past 2^26.5 even i² no longer fits a double.
    for n in [
        0u64,
        1,
        2,
        3,
        65_535,
        65_536,
        65_537,
        131_073,
        10_000_000,
        100_000_000,
    ] {
        let w = format!("1*cpu({n})");
        let r = run(&w, JsFlavour::EventLoop, 1, None, 0);
        assert_eq!(r.checksum, closed_form(n).to_string(), "{w}");
        assert!(
            r.stdout
                .contains(&format!("checksum: {}\n", closed_form(n))),
            "{}",
            r.stdout
        );
    }
    let r = run("3*cpu(10M)+2*cpu(65537)", JsFlavour::EventLoop, 1, None, 0);
    assert_eq!(
        r.checksum,
        (3 * closed_form(10_000_000) + 2 * closed_form(65_537)).to_string()
    );
}

#[test]
fn jitter_matches_the_engine_to_the_iteration() {
    // Group and phase jitter, a phase overriding its group, an incr (which draws nothing) between draws, and
    // io and block draws between the cpu ones: a value drawn out of order would move every later cpu.
    let text = "3*[cpu(1M,jitter=50),io(2ms,jitter=30),incr(await),cpu(100k),block(3ms,jitter=80)]{jitter=20}+2*[incr,cpu(777k,jitter=5)]";
    let w = parse(text).unwrap();
    for seed in [42, 7] {
        let want = expected_checksum(&w, seed);
        assert_ne!(want, expected_checksum(&w, 0), "jitter moves the checksum");
        for flavour in JsFlavour::ALL {
            let src = program(&w, flavour, 2, None, seed);
            assert!(
                src.contains(&format!("const SEED = {seed}n;")),
                "the seed is in the program"
            );
            let r = run_with(&src, flavour, None);
            assert_eq!(r.checksum, want.to_string(), "{flavour:?}, seed {seed}");
            check_well_formed(&r, &w, flavour, 2);
            // io and block take at least their jittered duration: never less, as a wait never ends early.
            let values = engine_values(&w, seed);
            for s in r.spans.iter().filter(|s| s.state != "transfer") {
                let ns = match w.tasks().nth(s.task as usize).unwrap().phases[s.phase] {
                    Phase::Io { .. } | Phase::Block { .. } => {
                        values[s.task as usize][s.phase].unwrap()
                    }
                    _ => continue,
                };
                // Workers' times cross clocks: allow a hair for the conversion.
                let (want, took) = (ns as f64 / 1e6, s.end - s.start);
                assert!(
                    took >= want - 0.01 && took < want + 1000.0,
                    "{flavour:?} {s:?}: {took} ms for {want} ms"
                );
            }
        }
    }
}

#[test]
fn without_jitter_there_is_no_random_number_code() {
    for text in [
        "2*[io(1ms),cpu(1k),block(1ms),incr(await)]",
        "2*incr(jitter=50)",
        "1*cpu(10,jitter=5)",
    ] {
        let w = parse(text).unwrap();
        for flavour in JsFlavour::ALL {
            let src = program(&w, flavour, 2, None, 99);
            // cpu(10) with 5 %: a spread under one iteration, but the program still draws like the engine.
            let drawn = text.contains("cpu(10,");
            for word in ["SEED", "splitMix64", "taskRng", "jitter(", "99"] {
                assert_eq!(src.contains(word), drawn, "{text} {flavour:?}: {word}");
            }
        }
    }
}

#[test]
fn waits_overlap_on_the_event_loop_and_never_end_early() {
    let w = parse("2*io(200ms)+1*io(1500us)").unwrap();
    let r = run("2*io(200ms)+1*io(1500us)", JsFlavour::EventLoop, 1, None, 0);
    check_well_formed(&r, &w, JsFlavour::EventLoop, 1);
    let io: Vec<&Span> = r.spans.iter().filter(|s| s.state == "waiting").collect();
    assert_eq!(io.len(), 3);
    assert_eq!(max_overlap(&io[..]), 3, "all three wait at once: {io:?}");
    for s in &io {
        let want = if s.task < 2 { 200.0 } else { 1.5 };
        assert!(s.end - s.start >= want, "never early: {s:?}");
    }
    assert!(
        r.wall < 1.5 * 200.0 + 150.0,
        "the two 200 ms waits overlap: {}",
        r.wall
    );
    assert!(
        r.stdout.contains("wall: ") && r.stdout.contains(" ms\n"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("counter:"),
        "no incr, no counter line: {}",
        r.stdout
    );
}

#[test]
fn an_await_between_read_and_write_loses_updates() {
    for (text, want) in [
        ("50*incr(await)", 1),
        ("50*incr(await=5ms)", 1),
        ("50*incr", 50),
        ("50*incr(atomic)", 50),
    ] {
        let r = run(text, JsFlavour::EventLoop, 1, None, 0);
        assert_eq!((r.counter, r.increments), (want, 50), "{text}");
        assert!(
            r.stdout.contains(&format!("counter: {want} of 50\n")),
            "{text}: {}",
            r.stdout
        );
        check_well_formed(&r, &parse(text).unwrap(), JsFlavour::EventLoop, 1);
    }
}

#[test]
fn a_limit_is_a_semaphore() {
    let w = parse("6*io(100ms)").unwrap();
    let src = program(&w, JsFlavour::EventLoop, 4, Some(2), 0);
    assert!(src.contains("Semaphore(2)"), "{src}");
    let r = run_with(&src, JsFlavour::EventLoop, None);
    check_well_formed(&r, &w, JsFlavour::EventLoop, 4);
    let io: Vec<&Span> = r.spans.iter().collect();
    assert_eq!(io.len(), 6);
    assert_eq!(max_overlap(&io), 2, "two at a time: {io:?}");
    // The permits go in task order.
    let mut starts: Vec<(f64, u64)> = io.iter().map(|s| (s.start, s.task)).collect();
    starts.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert!(
        starts
            .windows(2)
            .all(|p| p[0].1 < p[1].1 || p[0].0 == p[1].0),
        "{starts:?}"
    );
    let r = run("6*io(100ms)", JsFlavour::EventLoop, 4, None, 0);
    assert_eq!(
        max_overlap(&r.spans.iter().collect::<Vec<_>>()),
        6,
        "no limit: all at once"
    );
}

#[test]
fn a_mixed_workload_gives_the_documented_report() {
    let text = "3*[io(20ms),cpu(200k),block(5ms),incr(await)]+2*[incr(atomic),cpu(65537)]+1*incr(await=3ms)";
    let w = parse(text).unwrap();
    let r = run(text, JsFlavour::EventLoop, 1, None, 0);
    check_well_formed(&r, &w, JsFlavour::EventLoop, 1);
    assert_eq!(
        r.checksum,
        (3 * closed_form(200_000) + 2 * closed_form(65_537)).to_string()
    );
    assert_eq!(r.increments, 6);
    assert!(!r.cancelled);
    // Every phase of every task has its span, numbered by task in workload order.
    let mut seen: Vec<(u64, usize)> = r.spans.iter().map(|s| (s.task, s.phase)).collect();
    seen.sort();
    let all: Vec<(u64, usize)> = w
        .tasks()
        .flat_map(|t| (0..t.phases.len()).map(move |p| (t.index, p)))
        .collect();
    assert_eq!(seen, all);
    // block is a blocking call: while one runs, nothing else on the page does (no running span overlaps it).
    let running: Vec<&Span> = r.spans.iter().filter(|s| s.state == "running").collect();
    assert_eq!(max_overlap(&running), 1);
}

#[test]
fn the_program_text_is_also_a_promise_of_the_report() {
    // Evaluated as text, as a page might, the completion value is a promise of the same result.
    let src = program(
        &parse("2*cpu(1000)+1*incr").unwrap(),
        JsFlavour::EventLoop,
        1,
        None,
        0,
    );
    let harness = format!(
        "const src = {};\nlet called = 0;\nglobalThis.nogilReport = () => called++;\n\
         (0, eval)(src).then((r) => console.log(`EVAL ${{r.checksum}} ${{r.counter}} ${{called}}`));",
        js_string(&src)
    );
    let (stdout, _) = node("", &harness);
    assert!(
        stdout.contains(&format!("EVAL {} 1 1\n", 2 * closed_form(1000))),
        "{stdout}"
    );
}

fn js_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn a_cancel_stops_the_run_early() {
    // Ten-second waits: a cancel after 200 ms wakes them, and the cpu phases after them never run.
    let text = "4*[io(10s),cpu(1M)]";
    let src = program(&parse(text).unwrap(), JsFlavour::EventLoop, 1, None, 0);
    let r = run_with(&src, JsFlavour::EventLoop, Some(200));
    assert!(r.cancelled, "{}", r.stdout);
    assert_eq!(r.checksum, "0");
    assert!(
        r.spans.iter().all(|s| s.state == "waiting"),
        "{:?}",
        r.spans
    );
    assert!(
        r.elapsed < Duration::from_secs(6),
        "stopped early: {:?}",
        r.elapsed
    );
    assert!(r.stdout.contains("cancelled"), "{}", r.stdout);

    // Workers busy in a ten-second blocking call are terminated.
    let w = parse("2*[cpu(1k),block(10s)]+1*incr").unwrap();
    let src = program(&w, JsFlavour::Workers, 2, None, 0);
    let r = run_with(&src, JsFlavour::Workers, Some(300));
    assert!(r.cancelled, "{}", r.stdout);
    assert!(
        r.elapsed < Duration::from_secs(6),
        "stopped early: {:?}",
        r.elapsed
    );
    assert_eq!(
        (r.counter, r.increments),
        (0, 0),
        "the incr task never started"
    );
    check_well_formed(&r, &w, JsFlavour::Workers, 2);
}

#[test]
fn the_workers_flavour_parses_and_runs_on_a_worker_shim() {
    let text =
        "3*[io(30ms),cpu(10M),block(2ms),incr(await)]{payload=16}+2*incr+1*cpu(65537,payload=1)";
    let w = parse(text).unwrap();
    let src = program(&w, JsFlavour::Workers, 2, None, 0);
    let dir = temp_dir();
    std::fs::write(dir.join("prog.js"), &src).unwrap();
    let check = Command::new("node")
        .arg("--check")
        .arg(dir.join("prog.js"))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        src.contains("new Worker(url)") && src.contains("performance.timeOrigin"),
        "{src}"
    );
    assert!(
        src.contains("g.payloadKib * 1024"),
        "payload goes along: {src}"
    );

    let r = run_with(&src, JsFlavour::Workers, None);
    check_well_formed(&r, &w, JsFlavour::Workers, 2);
    assert_eq!(
        r.checksum,
        (3 * closed_form(10_000_000) + closed_form(65_537)).to_string()
    );
    assert_eq!(r.increments, 5);
    // Which updates a gap loses depends on when the workers answer; that some may be lost, none gained, does not.
    assert!((1..=5).contains(&r.counter), "{}", r.counter);
    // Every task with work for a worker has a transfer span before and after it, on its worker's lane.
    for t in w
        .tasks()
        .filter(|t| t.phases.iter().any(|p| !matches!(p, Phase::Incr { .. })))
    {
        let mine: Vec<&Span> = r
            .spans
            .iter()
            .filter(|s| s.task == t.index && s.lane.is_some_and(|l| l > 0))
            .collect();
        let states: Vec<&str> = mine.iter().map(|s| s.state.as_str()).collect();
        assert_eq!(states.first(), Some(&"transfer"), "{mine:?}");
        assert_eq!(states.last(), Some(&"transfer"), "{mine:?}");
        let worked = t
            .phases
            .iter()
            .filter(|p| !matches!(p, Phase::Incr { .. }))
            .count();
        assert_eq!(mine.len(), worked + 2, "{mine:?}");
    }
    // Two workers: two lanes busy at once at most, and the first three tasks' io waits overlap (two at a time).
    let io: Vec<&Span> = r
        .spans
        .iter()
        .filter(|s| s.state == "waiting" && s.lane.is_some())
        .collect();
    assert_eq!(io.len(), 3);
    assert!(max_overlap(&io) <= 2);

    // Without a gap, nothing is lost: the counter lives on the page and every incr runs there.
    let r = run("6*[incr,cpu(1k)]", JsFlavour::Workers, 3, None, 0);
    assert_eq!((r.counter, r.increments), (6, 6));
    assert!(r.stdout.contains("counter: 6 of 6\n"), "{}", r.stdout);

    // A limit below the pool leaves workers idle.
    let src = program(
        &parse("4*block(20ms)").unwrap(),
        JsFlavour::Workers,
        3,
        Some(1),
        0,
    );
    assert!(src.contains("pool.slice(0, 1)"), "{src}");
    let r = run_with(&src, JsFlavour::Workers, None);
    assert_eq!(r.lanes, 4);
    let busy: Vec<&Span> = r.spans.iter().filter(|s| s.state == "running").collect();
    assert_eq!(max_overlap(&busy), 1, "{busy:?}");
    assert!(busy.iter().all(|s| s.lane == Some(1)));
}

#[test]
fn the_program_is_readable_and_does_not_grow_with_the_task_count() {
    let small = program(
        &parse("1*[io(1ms),cpu(1M)]").unwrap(),
        JsFlavour::EventLoop,
        4,
        None,
        0,
    );
    let big = program(
        &parse("1000000*[io(1ms),cpu(1M)]").unwrap(),
        JsFlavour::EventLoop,
        4,
        None,
        0,
    );
    assert!(
        big.len() < small.len() + 40,
        "a loop, not a million calls: {} vs {}",
        big.len(),
        small.len()
    );
    for flavour in JsFlavour::ALL {
        let w =
            parse("100*[io(200ms),cpu(1M,jitter=10)]+1*block(500ms)+2*incr(await=5ms)").unwrap();
        let src = program(&w, flavour, 4, Some(8), 1);
        assert!(
            src.starts_with(&format!("// No-GIL Playground workload {w}\n")),
            "{src}"
        );
        assert!(
            src.contains(&format!("(model \"{}\")", flavour.model_id())),
            "{src}"
        );
        assert!(
            !src.contains("import ") && !src.contains("export "),
            "runs as a plain script"
        );
        for line in src.lines() {
            // The workload's own text (or a group's, in a comment) may be long; nothing else is.
            let quoted = line.contains(&w.to_string())
                || line
                    .trim_start()
                    .strip_prefix("// ")
                    .is_some_and(|g| w.to_string().contains(g));
            assert!(
                line.chars().count() <= 120 || quoted,
                "{} chars: {line}",
                line.chars().count()
            );
        }
    }
}

#[test]
fn many_tasks_run() {
    let r = run("100k*cpu(2)+1*incr", JsFlavour::EventLoop, 1, Some(1000), 0);
    assert_eq!(r.checksum, "100000");
    assert_eq!((r.counter, r.increments, r.span_count), (1, 1, 100_001));
}
