//! The generated Python programs run under CPython and print the shape the
//! playground predicts: the same exact checksum, asyncio overlapping waits,
//! and a race losing updates when an await sits between read and write.
//! With `--trace FILE` they write their own timeline as Trace Event JSON;
//! CPython's `json` module reads it back here (this crate has no JSON
//! dependency), and the checks are structural: counts, lanes, overlaps,
//! exact figures, never tight wall times.

use std::path::PathBuf;
use std::process::Command;

use workload::python::{program, Flavour, TRACE_FORMAT};
use workload::{closed_form, parse, Workload};

mod common;
use common::{engine_values, expected_checksum};

/// The playground's default seed (`engine::RunConfig`'s).
const DEFAULT_SEED: u64 = 1;

/// A fresh directory for one program.
fn scratch() -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nogil-py-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `src` as `prog.py` in `dir` with `args`; returns the wall line's seconds and stdout.
fn run_in(dir: &PathBuf, src: &str, args: &[&str]) -> (f64, String) {
    let file = dir.join("prog.py");
    std::fs::write(&file, src).unwrap();
    let out = Command::new("python3")
        .arg(&file)
        .args(args)
        .current_dir(dir)
        .output();
    let out = out.expect("python3 is on every machine of this project");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "python failed:\n{src}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wall = stdout
        .lines()
        .find_map(|l| l.strip_prefix("wall: ")?.strip_suffix(" s")?.parse().ok())
        .unwrap_or_else(|| panic!("no wall line in {stdout}"));
    (wall, stdout)
}

fn run(src: &str) -> (f64, String) {
    run_in(&scratch(), src, &[])
}

#[test]
fn every_flavour_runs_and_prints_the_exact_checksum() {
    let w = parse("2*io(200ms)+2*cpu(10k)+3*incr").unwrap();
    let want = format!("checksum: {}", 2 * closed_form(10_000));
    let mut walls = Vec::new();
    for f in Flavour::ALL {
        let (wall, out) = run(&program(&w, f, 4, None, DEFAULT_SEED));
        assert!(out.contains(&want), "{f:?}: {out}");
        assert!(out.contains("of 3"), "{f:?}: {out}");
        walls.push(wall);
    }
    let (seq, asy) = (walls[0], walls[1]);
    assert!(seq >= 0.4, "sequential sleeps 2 × 200 ms: {seq}");
    assert!(asy < 0.35, "asyncio overlaps the two sleeps: {asy}");
    assert!(
        walls[2] < 0.35,
        "threads overlap the sleeps too: {}",
        walls[2]
    );
}

#[test]
fn an_await_between_read_and_write_loses_updates_in_python_too() {
    let (_, out) = run(&program(
        &parse("50*incr(await)").unwrap(),
        Flavour::Asyncio,
        4,
        None,
        DEFAULT_SEED,
    ));
    assert!(out.contains("counter: 1 of 50"), "{out}");
    let (_, out) = run(&program(
        &parse("50*incr").unwrap(),
        Flavour::Asyncio,
        4,
        None,
        DEFAULT_SEED,
    ));
    assert!(out.contains("counter: 50 of 50"), "{out}");
}

#[test]
fn a_limit_becomes_a_semaphore() {
    let src = program(
        &parse("6*io(100ms)").unwrap(),
        Flavour::Asyncio,
        4,
        Some(2),
        DEFAULT_SEED,
    );
    assert!(src.contains("asyncio.Semaphore(2)"));
    let (wall, _) = run(&src);
    assert!(wall >= 0.3, "three rounds of 100 ms: {wall}");
}

/// One "X" event of a trace file.
#[derive(Debug, Clone, PartialEq)]
struct X {
    name: String,
    cat: String,
    state: String,
    task: u64,
    phase: u64,
    pid: u64,
    tid: u64,
    ts: f64,
    dur: f64,
}

/// A trace file as CPython's `json` reads it.
struct Traced {
    xs: Vec<X>,
    /// "M" events: (name, pid, tid, args.name).
    ms: Vec<(String, u64, u64, String)>,
    /// `otherData`, each value as JSON text.
    other: Vec<(String, String)>,
    /// Other phases seen (there should be none).
    others: usize,
    stdout: String,
}

impl Traced {
    fn other(&self, key: &str) -> &str {
        self.other
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no otherData.{key}"))
    }
}

/// Reads a trace file with CPython's strict JSON reader (NaN and Infinity
/// rejected) and prints one event a line, tab-separated, for Rust to check.
const SUMMARY: &str = r#"
import json, sys
def strict(c):
    raise ValueError("not JSON: " + c)
with open(sys.argv[1]) as f:
    doc = json.load(f, parse_constant=strict)
assert set(doc) == {"traceEvents", "displayTimeUnit", "otherData"}, sorted(doc)
assert doc["displayTimeUnit"] == "ms"
for e in doc["traceEvents"]:
    if e["ph"] == "X":
        a = e["args"]
        print("X", e["name"], e["cat"], a["state"], a["task"], a["phase"], e["pid"], e["tid"], e["ts"], e["dur"], sep="\t")
    elif e["ph"] == "M":
        print("M", e["name"], e["pid"], e["tid"], e["args"]["name"], sep="\t")
    else:
        print("?", e["ph"], sep="\t")
for k, v in doc["otherData"].items():
    print("O", k, json.dumps(v), sep="\t")
"#;

/// Runs `src` with `--trace trace.json`, and reads the file back.
fn run_traced(src: &str) -> Traced {
    let dir = scratch();
    let (_, stdout) = run_in(&dir, src, &["--trace", "trace.json"]);
    let trace = dir.join("trace.json");
    assert!(trace.exists(), "no trace file written:\n{src}");
    let out = Command::new("python3")
        .arg("-c")
        .arg(SUMMARY)
        .arg(&trace)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the trace does not read as JSON:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut t = Traced {
        xs: Vec::new(),
        ms: Vec::new(),
        other: Vec::new(),
        others: 0,
        stdout,
    };
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f[0] {
            "X" => t.xs.push(X {
                name: f[1].into(),
                cat: f[2].into(),
                state: f[3].into(),
                task: f[4].parse().unwrap(),
                phase: f[5].parse().unwrap(),
                pid: f[6].parse().unwrap(),
                tid: f[7].parse().unwrap(),
                ts: f[8].parse().unwrap(),
                dur: f[9].parse().unwrap(),
            }),
            "M" => t.ms.push((
                f[1].into(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
                f[4].into(),
            )),
            "O" => t.other.push((f[1].into(), f[2].into())),
            _ => t.others += 1,
        }
    }
    t
}

/// Every (task, phase kind name, phase index) of the workload, in order.
fn expected_phases(w: &Workload) -> Vec<(u64, u64, &'static str)> {
    w.tasks()
        .flat_map(|t| {
            t.phases
                .iter()
                .enumerate()
                .map(move |(k, p)| (t.index, k as u64, p.kind_name()))
        })
        .collect()
}

/// Whether two spans overlap, on whole nanoseconds as the importer reads
/// them (f64 sums of µs could make spans that touch seem to overlap).
fn overlap(a: &X, b: &X) -> bool {
    let ns = |us: f64| (us * 1000.0).round() as i64;
    let (a0, a1, b0, b1) = (
        ns(a.ts),
        ns(a.ts) + ns(a.dur),
        ns(b.ts),
        ns(b.ts) + ns(b.dur),
    );
    a0 < b1 && b0 < a1
}

#[test]
fn every_flavour_writes_its_own_trace_with_one_event_per_phase() {
    let text = "2*[io(50ms),cpu(200k)]+1*[block(20ms),incr(await)]";
    let w = parse(text).unwrap();
    let checksum = 2 * closed_form(200_000);
    for f in Flavour::ALL {
        let t = run_traced(&program(&w, f, 2, None, DEFAULT_SEED));
        // Same figures on stdout as without --trace.
        assert!(
            t.stdout.contains(&format!("checksum: {checksum}")),
            "{f:?}: {}",
            t.stdout
        );
        assert!(
            t.stdout.contains("counter: ") && t.stdout.contains(" of 1"),
            "{f:?}: {}",
            t.stdout
        );
        assert_eq!(t.others, 0, "{f:?}: only X and M events");

        let mut got: Vec<(u64, u64, &str)> =
            t.xs.iter()
                .map(|x| (x.task, x.phase, x.name.as_str()))
                .collect();
        got.sort_unstable();
        assert_eq!(
            got,
            expected_phases(&w),
            "{f:?}: one X event per (task, phase)"
        );
        for x in &t.xs {
            let want = if x.name == "io" || x.name == "incr" {
                "waiting"
            } else {
                "running"
            };
            assert_eq!(
                (x.state.as_str(), x.cat.as_str()),
                (want, want),
                "{f:?}: {x:?}"
            );
            assert!(x.ts >= 0.0 && x.dur >= 0.0, "{f:?}: {x:?}");
        }
        // Sleeps last at least what they ask for (perf_counter is monotonic); no upper bound.
        for x in t.xs.iter().filter(|x| x.name == "io") {
            assert!(x.dur >= 49_000.0, "{f:?}: io(50ms) took {} µs", x.dur);
        }

        let pids: std::collections::BTreeSet<u64> = t.xs.iter().map(|x| x.pid).collect();
        let tids: std::collections::BTreeSet<u64> = t.xs.iter().map(|x| x.tid).collect();
        match f {
            Flavour::Sequential | Flavour::Asyncio => {
                assert_eq!((pids.len(), tids.len()), (1, 1), "{f:?}: one thread");
                assert!(
                    pids.contains(&1) && tids.contains(&1),
                    "{f:?}: pid 1, tid 1"
                );
            }
            Flavour::Threading => {
                assert_eq!(
                    pids.into_iter().collect::<Vec<_>>(),
                    [1],
                    "{f:?}: one process"
                );
                assert!(
                    tids.iter().all(|t| (1..=2).contains(t)),
                    "{f:?}: threads numbered 1..=2: {tids:?}"
                );
                assert!(tids.contains(&1));
            }
            Flavour::Multiprocessing => {
                assert_eq!(
                    tids.into_iter().collect::<Vec<_>>(),
                    [1],
                    "{f:?}: one thread per process"
                );
                assert!(
                    pids.iter().all(|p| (1..=2).contains(p)),
                    "{f:?}: processes numbered 1..=2: {pids:?}"
                );
                assert!(pids.contains(&1));
            }
        }
        let spans: Vec<&X> = t.xs.iter().collect();
        let any_overlap = spans
            .iter()
            .enumerate()
            .any(|(i, a)| spans[i + 1..].iter().any(|b| overlap(a, b)));
        match f {
            Flavour::Sequential => assert!(!any_overlap, "sequential: one phase at a time"),
            Flavour::Asyncio => {
                let wait = |task| {
                    t.xs.iter()
                        .find(|x| x.task == task && x.phase == 0)
                        .unwrap()
                };
                assert!(
                    overlap(wait(0), wait(1)),
                    "asyncio: the two io waits overlap: {:?} {:?}",
                    wait(0),
                    wait(1)
                );
            }
            Flavour::Threading | Flavour::Multiprocessing => {}
        }
        // Every lane used is named.
        for x in &t.xs {
            let named = |what: &str, tid: Option<u64>| {
                t.ms.iter()
                    .any(|(n, p, t, _)| n == what && *p == x.pid && tid.is_none_or(|tid| *t == tid))
            };
            assert!(
                named("thread_name", Some(x.tid)),
                "{f:?}: unnamed thread {x:?}"
            );
            assert!(named("process_name", None), "{f:?}: unnamed process {x:?}");
        }

        assert_eq!(t.other("format"), format!("\"{TRACE_FORMAT}\""));
        assert_eq!(t.other("version"), "1");
        assert_eq!(t.other("implementation"), "\"CPython\"");
        assert!(
            t.other("python").starts_with("\"3."),
            "{}",
            t.other("python")
        );
        assert_eq!(t.other("flavour"), format!("\"{}\"", f.name()));
        let workers = if matches!(f, Flavour::Threading | Flavour::Multiprocessing) {
            "2"
        } else {
            "1"
        };
        assert_eq!(t.other("workers"), workers, "{f:?}");
        assert_eq!(t.other("workload"), format!("\"{}\"", w));
        assert_eq!(t.other("checksum"), format!("\"{checksum}\""));
        assert_eq!(t.other("increments"), "1");
        let counter = if f == Flavour::Multiprocessing {
            "0"
        } else {
            "1"
        };
        assert_eq!(t.other("counter"), counter, "{f:?}: the parent's counter");
        assert_eq!(t.other("machine"), "\"your machine\"");
        assert!(t.other("wall_s").parse::<f64>().unwrap() > 0.0);
        let mut keys: Vec<&str> = t.other.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "checksum",
                "counter",
                "flavour",
                "format",
                "implementation",
                "increments",
                "machine",
                "python",
                "version",
                "wall_s",
                "workers",
                "workload"
            ],
            "nothing else (no host or user names)"
        );
    }
}

#[test]
fn threads_and_processes_get_small_lane_numbers() {
    // Six waits on two threads (or processes): both lanes get used, and no
    // number beyond the pool's size appears.
    let w = parse("6*io(30ms)").unwrap();
    for f in [Flavour::Threading, Flavour::Multiprocessing] {
        let t = run_traced(&program(&w, f, 2, None, DEFAULT_SEED));
        assert_eq!(t.xs.len(), 6);
        let lanes: std::collections::BTreeSet<u64> =
            t.xs.iter()
                .map(|x| {
                    if f == Flavour::Threading {
                        x.tid
                    } else {
                        x.pid
                    }
                })
                .collect();
        assert!(
            lanes.iter().all(|l| (1..=2).contains(l)),
            "{f:?}: {lanes:?}"
        );
        assert!(lanes.contains(&1), "{f:?}: {lanes:?}");
    }
}

#[test]
fn without_trace_nothing_is_recorded_or_written() {
    let w = parse("2*[io(10ms),cpu(1k)]+1*incr").unwrap();
    for f in Flavour::ALL {
        let dir = scratch();
        let (_, out) = run_in(&dir, &program(&w, f, 2, None, DEFAULT_SEED), &[]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{f:?}: {out}");
        assert!(lines[0].starts_with("wall: ") && lines[0].ends_with(" s"));
        assert_eq!(lines[1], format!("checksum: {}", 2 * closed_form(1_000)));
        assert!(lines[2].starts_with("counter: ") && lines[2].ends_with(" of 1"));
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(files, ["prog.py"], "{f:?}: no file but the program");
    }
}

#[test]
fn tasks_are_numbered_across_groups_and_jitter_still_traces() {
    // Task numbers are global (the playground's), not per group, and
    // options do not break the recorder.
    let w = parse("2*cpu(1k,jitter=10)+3*[io(1ms),incr(atomic)]{jitter=5}").unwrap();
    let t = run_traced(&program(&w, Flavour::Threading, 3, None, DEFAULT_SEED));
    let mut got: Vec<(u64, u64, &str)> =
        t.xs.iter()
            .map(|x| (x.task, x.phase, x.name.as_str()))
            .collect();
    got.sort_unstable();
    assert_eq!(got, expected_phases(&w));
    assert!(
        t.xs.iter()
            .filter(|x| x.name == "incr")
            .all(|x| x.state == "running"),
        "an atomic incr does not wait"
    );
    assert!(t.stdout.contains("counter: 3 of 3"), "{}", t.stdout);
}

#[test]
fn the_programs_stay_readable() {
    // Learners read these: short lines, except the ones quoting the workload.
    let w = parse("100*[io(200ms),cpu(1M,jitter=10)]+1*block(500ms)+2*incr(await=5ms)").unwrap();
    for f in Flavour::ALL {
        for limit in [None, Some(8)] {
            let src = program(&w, f, 4, limit, DEFAULT_SEED);
            for line in src.lines().filter(|l| !l.contains(&w.to_string())) {
                assert!(
                    line.chars().count() <= 110,
                    "{f:?}: {} chars: {line}",
                    line.chars().count()
                );
            }
            assert!(!src.contains('@'), "{f:?}: a placeholder left over:\n{src}");
        }
    }
}

#[test]
fn jitter_matches_the_engine_to_the_iteration() {
    // Group and phase jitter, a phase overriding its group, an incr (which draws nothing) between draws, and
    // io and block draws between the cpu ones: a value drawn out of order would move every later cpu.
    let text = "3*[cpu(200k,jitter=50),io(2ms,jitter=30),incr(await),cpu(10k),block(3ms,jitter=80)]{jitter=20}\
                +2*[incr,cpu(77k,jitter=5)]";
    let w = parse(text).unwrap();
    for seed in [42, 7] {
        let want = expected_checksum(&w, seed);
        assert_ne!(want, expected_checksum(&w, 0), "jitter moves the checksum");
        let values = engine_values(&w, seed);
        for f in Flavour::ALL {
            let src = program(&w, f, 2, None, seed);
            assert!(
                src.contains(&format!("\nSEED = {seed}\n")),
                "{f:?}: the seed is in the program"
            );
            let t = run_traced(&src);
            assert!(
                t.stdout.contains(&format!("checksum: {want}\n")),
                "{f:?}, seed {seed}: want {want}, got {}",
                t.stdout
            );
            assert_eq!(t.other("checksum"), format!("\"{want}\""), "{f:?}");
            // io and block take at least their jittered duration (a sleep never ends early), and the
            // 80 % on block(3ms) moves it by more than a sleep's slack: waits are not the bare 3 ms.
            for x in t.xs.iter().filter(|x| x.name == "io" || x.name == "block") {
                let ns = values[x.task as usize][x.phase as usize].unwrap();
                let want_us = ns as f64 / 1e3;
                assert!(
                    x.dur >= want_us - 1.0 && x.dur < want_us + 1e6,
                    "{f:?}, seed {seed}: {x:?} took {} µs for {want_us} µs",
                    x.dur
                );
            }
        }
    }
}

#[test]
fn jitter_only_on_incr_draws_nothing_as_in_the_engine() {
    // `{jitter=10}` on a group of incr phases: the engine draws nothing for an incr, so neither does the
    // program; a spread under one unit still draws (as the engine does), so the code is there.
    for (text, draws) in [
        (
            "2*[io(100ms),cpu(100k)]+20*incr(await=1ms){jitter=10}",
            false,
        ),
        ("2*[io(1ms),cpu(1k),block(1ms),incr(await)]", false),
        ("1*cpu(10,jitter=5)", true),
        ("1*[incr,io(1ms)]{jitter=5}", true),
    ] {
        let w = parse(text).unwrap();
        for f in Flavour::ALL {
            let src = program(&w, f, 2, None, 99);
            for word in [
                "SEED = 99",
                "split_mix64",
                "task_rng",
                "jitter(",
                "import random",
            ] {
                let want = draws && word != "import random";
                assert_eq!(src.contains(word), want, "{text} {f:?}: {word}\n{src}");
            }
            if draws {
                assert!(src.contains("    rng = task_rng(i)\n"), "{text} {f:?}");
            }
        }
    }
}
