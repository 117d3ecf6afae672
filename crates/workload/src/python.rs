//! The equivalent Python program for a workload, in four flavours, ready to
//! copy and run with CPython. Each prints `wall: S s`, `checksum: N` (the exact
//! Σi² total, the same number the playground shows) and, when the workload
//! has `incr` phases, `counter: C of N`.
//!
//! Run with `--trace FILE`, a program also writes its own timeline, measured
//! inside Python with `time.perf_counter()` around each phase, as a Chrome
//! Trace Event JSON file (Perfetto, `chrome://tracing`, and the playground's
//! importer, `engine::import`, read it):
//!
//! ```text
//! {"traceEvents": [
//!    {"ph": "X", "name": "io", "cat": "waiting", "ts": 12.5, "dur": 50071.3, "pid": 1, "tid": 1,
//!     "args": {"task": 0, "phase": 0, "state": "waiting"}}, ...,
//!    {"ph": "M", "name": "process_name", "pid": 1, "tid": 0, "args": {"name": "python threading"}},
//!    {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "thread 1"}}, ...],
//!  "displayTimeUnit": "ms",
//!  "otherData": {"format": "nogil-playground-python-trace", "version": 1, "implementation": "CPython",
//!                "python": "3.11.7", "flavour": "threading", "workers": 2, "wall_s": 0.051, "checksum": "0",
//!                "counter": 0, "increments": 0, "machine": "your machine", "workload": "2*io(50ms)"}}
//! ```
//!
//! - one `X` event per phase of each task: `name` is the phase's kind (`io`,
//!   `cpu`, `block`, `incr`), `cat` and `args.state` say `waiting` for `io`
//!   and for an `incr` with an await between read and write (a wait that lets
//!   others run), `running` for the rest; `args.task` is the task's index in
//!   the workload, `args.phase` the phase's index in its recipe;
//! - `ts` and `dur` in µs (3 decimals), `ts` from the program's start; the
//!   X events sorted by `ts`, the M events after them;
//! - lanes: sequential and asyncio run everything on one thread (pid 1,
//!   tid 1); threading numbers its threads tid 1..N (pid 1) and
//!   multiprocessing its worker processes pid 1..N (tid 1), in order of their
//!   first span; `M` events name the processes and threads;
//! - `workers` is 1 for sequential and asyncio (one thread does everything);
//!   `checksum` is a decimal string (it can exceed 2⁵³); `counter` is the
//!   parent's value (a multiprocessing parent's never moves).
//!
//! The file holds no host or user names. Without `--trace` the programs
//! record nothing and print the same lines as ever. Task functions take the
//! task's global index (the playground's task number), so spans line up with
//! the playground's tasks.
//!
//! Jitter is drawn exactly as `engine::runner::steps` draws it, as in the
//! [`crate::js`] programs: from the run's seed (`SEED` in the program), one
//! SplitMix64 stream per task ([`crate::task_rng`], keyed by the task's
//! global index, so a process or thread gets the same values whatever runs
//! where) and the same [`crate::jitter`] formula on whole nanoseconds and
//! iterations, phase by phase in recipe order, for io, cpu and block (an
//! `incr` never draws). So a seed gives the playground's checksum to the
//! digit. Without such jitter the program has no random number code at all.

use std::fmt::Write;

use crate::ast::{Group, IncrMode, Nanos, Phase, Workload};
use crate::rng::phase_jitter_pct;

/// Which Python concurrency style to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// A plain loop.
    Sequential,
    /// `asyncio.gather`.
    Asyncio,
    /// `concurrent.futures.ThreadPoolExecutor`.
    Threading,
    /// `multiprocessing.Pool`.
    Multiprocessing,
}

impl Flavour {
    /// All four, in tab order.
    pub const ALL: [Flavour; 4] = [
        Flavour::Sequential,
        Flavour::Asyncio,
        Flavour::Threading,
        Flavour::Multiprocessing,
    ];

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Sequential => "sequential",
            Flavour::Asyncio => "asyncio",
            Flavour::Threading => "threading",
            Flavour::Multiprocessing => "multiprocessing",
        }
    }

    /// The flavour called `name` (as [`Flavour::name`] spells it).
    pub fn from_name(name: &str) -> Option<Flavour> {
        Flavour::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// The `format` tag in `otherData` of a trace written by a generated program.
pub const TRACE_FORMAT: &str = "nogil-playground-python-trace";

/// The `version` in `otherData` of a trace written by a generated program.
pub const TRACE_VERSION: u32 = 1;

fn secs(ns: Nanos) -> String {
    let s = format!("{:.6}", ns as f64 / 1e9);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}

fn py_int(n: u64) -> String {
    // Python accepts 10_000_000: keep big numbers readable.
    crate::units::group_digits(n, '_')
}

/// `s` as a Python string literal. Canonical workload text is plain ASCII
/// without quotes, but escaping keeps the program valid whatever it holds.
fn py_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            ' '..='~' => out.push(c),
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// The state a phase's span is recorded in: the waits that let others run
/// (`io`, an await inside `incr`) are "waiting"; computing and blocking calls,
/// which keep their thread, are "running".
fn phase_state(p: &Phase) -> &'static str {
    match p {
        Phase::Io { .. }
        | Phase::Incr {
            mode: IncrMode::Await | IncrMode::AwaitFor(_),
            ..
        } => "waiting",
        Phase::Cpu { .. } | Phase::Block { .. } | Phase::Incr { .. } => "running",
    }
}

/// Jitter, ported from [`crate::rng`] (Python's integers do not overflow, so
/// the 64-bit wrapping is a mask); `@SEED@` is the run's seed.
const RNG: &str = r#"
# Jitter, drawn exactly as the playground draws it: from the run's seed, one SplitMix64 stream per task.
SEED = @SEED@
MASK = 2**64 - 1


def split_mix64(state):
    """A SplitMix64 generator from `state`: each call returns the next 64 random bits."""
    def next_u64():
        nonlocal state
        state = (state + 0x9E37_79B9_7F4A_7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & MASK
        return z ^ (z >> 31)
    return next_u64


def task_rng(task):
    """Task `task`'s own stream, so its jitter never depends on the order in which the tasks run."""
    mix = split_mix64(SEED ^ ((task * 0xD1B5_4A32_D192_ED03) & MASK))
    return split_mix64(mix())


def jitter(value, pct, rng):
    """`value` (whole ns or iterations) moved by a uniform integer in ±⌊value·pct/100⌋ (no draw if 0)."""
    spread = value * pct // 100
    if spread == 0:
        return value
    wide = (rng() << 64) | rng()  # 128 random bits: their remainder is uniform to within 2⁻⁶²
    return value - spread + wide % (2 * spread + 1)

"#;

/// Parsing `--trace FILE` and recording spans; `@WHO@` is the lane key's
/// expression and `@WHAT@` what it names.
const RECORDER: &str = r#"
# `--trace FILE` also writes this run's timeline as a Chrome Trace Event file
# (open it in https://ui.perfetto.dev or drop it on the playground).
TRACE = sys.argv[sys.argv.index("--trace") + 1] if "--trace" in sys.argv[1:-1] else None
SPANS = []  # (task, phase, kind, state, start, end, @WHAT@), filled only with --trace


def mark(task, phase, kind, state, start):
    """Phase `phase` of task `task` ran from `start` until now: note it, return now."""
    now = time.perf_counter()
    if TRACE:
        SPANS.append((task, phase, kind, state, start, now, @WHO@))
    return now

"#;

/// Writing the trace file and printing the figures; the `@NAME@` placeholders
/// are filled in per flavour and workload.
const REPORT: &str = r#"

def write_trace(path, start, wall, checksum):
    """Write SPANS as a Chrome Trace Event file, times in µs from `start`."""
    lanes = {}  # @LANES@, in order of first span
    events = []
    for task, phase, kind, state, begin, end, who in sorted(SPANS, key=lambda s: s[4]):
        lane = lanes.setdefault(who, len(lanes) + 1)
        # µs from the start; both ends rounded the same way, so phases that touch still touch
        ts, until = round(max(0, begin - start) * 1e6, 3), round(max(0, end - start) * 1e6, 3)
        events.append({"ph": "X", "name": kind, "cat": state, "ts": ts, "dur": round(until - ts, 3),
                       @PIDTID@, "args": {"task": task, "phase": phase, "state": state}})
@NAMES@
    events += [{"ph": "M", "name": n, "pid": p, "tid": t, "args": {"name": v}} for n, p, t, v in names]
    info = {"format": "@FORMAT@", "version": @VERSION@,
            "implementation": platform.python_implementation(), "python": platform.python_version(),
            "flavour": "@FLAVOUR@", "workers": @WORKERS@, "wall_s": wall, "checksum": str(checksum),
            "counter": counter, "increments": @INCRS@, "machine": "your machine",
            "workload": @WORKLOAD@}
    with open(path, "w") as f:
        json.dump({"traceEvents": events, "displayTimeUnit": "ms", "otherData": info}, f)


def finish(start, results):
    """Print the run's figures; with --trace, write its timeline too."""
    wall = time.perf_counter() - start
    print(f"wall: {wall:.3f} s")
    print(f"checksum: {sum(results)}")
@COUNTER@    if TRACE:
        write_trace(TRACE, start, wall, sum(results))
"#;

/// The multiprocessing flavour's `main`: tasks run in worker processes and
/// send their spans back with their results.
const MP_MAIN: &str = r#"
def run(i):
    """Task i, in a worker process: its result, and its spans for the parent."""
    del SPANS[:]  # the spans of this process's earlier tasks went back with them
    total = FUNCS[TASKS[i]](i)
    # perf_counter() may count from a different zero in each process; time.time() is one
    # clock for all but coarse on some systems and it can jump. So spans stay on perf_counter(),
    # and this process sends its offset between the two: the parent moves the spans onto its
    # own perf_counter() by the difference of the offsets.
    return total, time.time() - time.perf_counter(), SPANS[:]


def main():
    with multiprocessing.Pool(@WORKERS@) as pool:
        replies = pool.map(run, range(len(TASKS)))
    here = time.time() - time.perf_counter()
    for _, there, spans in replies:
        shift = there - here
        SPANS.extend(s[:4] + (s[4] + shift, s[5] + shift, s[6]) for s in spans)
    return [total for total, _, _ in replies]
"#;

/// The Python program for `w` in `flavour`, with `workers` threads or
/// processes, an optional concurrency `limit` and the run's `seed` for
/// jitter. See the module's doc for the `--trace FILE` option and the file
/// it writes, and for how jitter is drawn.
///
/// Its last lines run `main()` under `if __name__ == "__main__":` and pass the
/// results to `finish(start, results)`, so a runner that cannot use
/// `asyncio.run` (Pyodide) can execute the source under another `__name__`,
/// then await `main()` itself and call `finish`.
pub fn program(
    w: &Workload,
    flavour: Flavour,
    workers: u16,
    limit: Option<u32>,
    seed: u64,
) -> String {
    let is_async = flavour == Flavour::Asyncio;
    // Only io, cpu and block draw; a group whose jitter reaches only `incr`
    // phases has none, as in the engine.
    let draws = |g: &Group| g.phases.iter().any(|p| phase_jitter_pct(p, g) > 0);
    let jitter = w.groups.iter().any(draws);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "\"\"\"No-GIL Playground workload {w}, {} version.",
        flavour.name()
    );
    if jitter {
        let _ = writeln!(
            o,
            "Jitter is drawn from the seed {seed} (SEED below), exactly as the playground draws it."
        );
    }
    let _ = writeln!(
        o,
        "Run with: python3 this_file.py  (add --trace trace.json to save its timeline)\"\"\""
    );
    let mut imports = vec!["json", "platform", "sys", "time"];
    imports.extend(match flavour {
        Flavour::Sequential => &[][..],
        Flavour::Asyncio => &["asyncio"][..],
        Flavour::Threading => &["threading"][..],
        Flavour::Multiprocessing => &["multiprocessing", "os"][..],
    });
    imports.sort_unstable();
    for m in imports {
        let _ = writeln!(o, "import {m}");
    }
    if flavour == Flavour::Threading {
        o.push_str("from concurrent.futures import ThreadPoolExecutor\n");
    }
    o.push_str("\n\ndef cpu(n):\n    \"\"\"Σ i² for i < n, exactly.\"\"\"\n    return sum(i * i for i in range(n))\n\n\n");
    if jitter {
        o.push_str(
            RNG.trim_start_matches('\n')
                .replace("@SEED@", &seed.to_string())
                .as_str(),
        );
        o.push('\n');
    }
    // What tells the lanes apart: one thread, the pool's threads, the pool's processes.
    let (who, what, lanes) = match flavour {
        Flavour::Sequential | Flavour::Asyncio => {
            ("0", "0: the one thread", "the one thread (0) → lane 1")
        }
        Flavour::Threading => (
            "threading.get_ident()",
            "thread id",
            "thread id → lane 1..N",
        ),
        Flavour::Multiprocessing => ("os.getpid()", "process id", "process id → lane 1..N"),
    };
    o.push_str(
        RECORDER
            .trim_start_matches('\n')
            .replace("@WHO@", who)
            .replace("@WHAT@", what)
            .as_str(),
    );
    o.push_str("\ncounter = 0\n");
    if flavour == Flavour::Threading {
        o.push_str("lock = threading.Lock()\n");
    }
    if flavour == Flavour::Multiprocessing
        && w.groups
            .iter()
            .any(|g| g.phases.iter().any(|p| matches!(p, Phase::Incr { .. })))
    {
        o.push_str("# Each process has its own copy of `counter`: the parent's never moves.\n");
    }
    o.push('\n');
    let sleep = if is_async {
        "await asyncio.sleep"
    } else {
        "time.sleep"
    };
    for (gi, g) in w.groups.iter().enumerate() {
        let def = if is_async { "async def" } else { "def" };
        let _ = writeln!(o, "{}\n{def} task_{gi}(i):", if gi > 0 { "\n" } else { "" });
        let _ = writeln!(o, "    global counter");
        let _ = writeln!(o, "    total = 0");
        if draws(g) {
            o.push_str("    rng = task_rng(i)\n");
        }
        o.push_str("    t = time.perf_counter()\n");
        for (k, p) in g.phases.iter().enumerate() {
            let pct = phase_jitter_pct(p, g);
            // A duration in seconds: a literal, or drawn in whole ns like the engine's.
            let wait = |d: Nanos| {
                if pct > 0 {
                    format!("jitter({}, {pct}, rng) / 1e9", py_int(d))
                } else {
                    secs(d)
                }
            };
            match p {
                Phase::Io { dur, .. } => {
                    let _ = writeln!(
                        o,
                        "    {sleep}({})  # io: a wait{}",
                        wait(*dur),
                        if is_async {
                            " that lets others run"
                        } else {
                            " that blocks"
                        }
                    );
                }
                Phase::Cpu { n, .. } => {
                    let n = if pct > 0 {
                        format!("jitter({}, {pct}, rng)", py_int(*n))
                    } else {
                        py_int(*n)
                    };
                    let _ = writeln!(o, "    total += cpu({n})");
                }
                Phase::Block { dur, .. } => {
                    let _ = writeln!(
                        o,
                        "    time.sleep({})  # block: a blocking call{}",
                        wait(*dur),
                        if is_async { " stalls the loop" } else { "" }
                    );
                }
                Phase::Incr { mode, .. } => {
                    let pause = match mode {
                        IncrMode::Plain | IncrMode::Atomic => None,
                        IncrMode::Await => Some("0".to_string()),
                        IncrMode::AwaitFor(d) => Some(secs(*d)),
                    };
                    if *mode == IncrMode::Atomic && flavour == Flavour::Threading {
                        o.push_str("    with lock:\n        counter += 1\n");
                    } else {
                        o.push_str("    value = counter\n");
                        if let Some(p) = pause {
                            let _ =
                                writeln!(o, "    {sleep}({p})  # the gap between read and write");
                        }
                        o.push_str("    counter = value + 1\n");
                    }
                }
            }
            let _ = writeln!(
                o,
                "    t = mark(i, {k}, \"{}\", \"{}\", t)",
                p.kind_name(),
                phase_state(p)
            );
        }
        o.push_str("    return total\n");
    }
    let incrs: u64 = w
        .groups
        .iter()
        .map(|g| {
            u64::from(g.count)
                * g.phases
                    .iter()
                    .filter(|p| matches!(p, Phase::Incr { .. }))
                    .count() as u64
        })
        .sum();
    let jobs: Vec<String> = w
        .groups
        .iter()
        .enumerate()
        .map(|(gi, g)| format!("({gi}, {})", g.count))
        .collect();
    let _ = writeln!(o, "\n\nGROUPS = [{}]  # (group, count)", jobs.join(", "));
    o.push_str("TASKS = [g for g, count in GROUPS for _ in range(count)]  # task i runs FUNCS[TASKS[i]](i)\n");
    let funcs: Vec<String> = (0..w.groups.len()).map(|gi| format!("task_{gi}")).collect();
    let _ = writeln!(o, "FUNCS = [{}]\n", funcs.join(", "));
    match flavour {
        Flavour::Sequential => {
            o.push_str("\ndef main():\n    return [FUNCS[g](i) for i, g in enumerate(TASKS)]\n");
        }
        Flavour::Asyncio => match limit {
            Some(l) => {
                let _ = writeln!(
                    o,
                    "\nasync def main():\n    sem = asyncio.Semaphore({l})  # a concurrency limit\n\n    async def limited(g, i):\n        \
                     async with sem:\n            return await FUNCS[g](i)\n\n    \
                     return await asyncio.gather(*(limited(g, i) for i, g in enumerate(TASKS)))"
                );
            }
            None => o.push_str("\nasync def main():\n    return await asyncio.gather(*(FUNCS[g](i) for i, g in enumerate(TASKS)))\n"),
        },
        Flavour::Threading => {
            let _ = writeln!(
                o,
                "\ndef main():\n    with ThreadPoolExecutor(max_workers={workers}) as pool:\n        \
                 return list(pool.map(lambda i: FUNCS[TASKS[i]](i), range(len(TASKS))))"
            );
        }
        Flavour::Multiprocessing => o.push_str(&MP_MAIN.replace("@WORKERS@", &workers.to_string())),
    }
    // Which Trace Event process and thread each lane is, and their names.
    let (pid_tid, names) = match flavour {
        Flavour::Sequential | Flavour::Asyncio => (
            "\"pid\": 1, \"tid\": lane",
            format!("    names = [(\"process_name\", 1, 0, \"python {}\"), (\"thread_name\", 1, 1, \"main thread\")]", flavour.name()),
        ),
        Flavour::Threading => (
            "\"pid\": 1, \"tid\": lane",
            "    names = [(\"process_name\", 1, 0, \"python threading\")]\n    \
             names += [(\"thread_name\", 1, lane, f\"thread {lane}\") for lane in lanes.values()]"
                .to_string(),
        ),
        Flavour::Multiprocessing => (
            "\"pid\": lane, \"tid\": 1",
            "    names = [(\"process_name\", lane, 0, f\"process {lane}\") for lane in lanes.values()]\n    \
             names += [(\"thread_name\", lane, 1, \"main thread\") for lane in lanes.values()]"
                .to_string(),
        ),
    };
    let used_workers = match flavour {
        Flavour::Sequential | Flavour::Asyncio => 1,
        Flavour::Threading | Flavour::Multiprocessing => workers,
    };
    let counter_line = if incrs > 0 {
        format!("    print(f\"counter: {{counter}} of {incrs}\")\n")
    } else {
        String::new()
    };
    // Filled last: the workload's text could hold a placeholder's name, the others cannot.
    let report = REPORT
        .replace("@LANES@", lanes)
        .replace("@PIDTID@", pid_tid)
        .replace("@NAMES@", &names)
        .replace("@FORMAT@", TRACE_FORMAT)
        .replace("@VERSION@", &TRACE_VERSION.to_string())
        .replace("@FLAVOUR@", flavour.name())
        .replace("@WORKERS@", &used_workers.to_string())
        .replace("@INCRS@", &incrs.to_string())
        .replace("@COUNTER@", &counter_line)
        .replace("@WORKLOAD@", &py_str(&w.to_string()));
    o.push_str(&report);
    let call = if is_async {
        "asyncio.run(main())"
    } else {
        "main()"
    };
    let _ = writeln!(o, "\n\nif __name__ == \"__main__\":\n    start = time.perf_counter()\n    finish(start, {call})");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_strings_escape_quotes_backslashes_and_non_ascii() {
        assert_eq!(py_str("2*io(1s)"), "\"2*io(1s)\"");
        assert_eq!(py_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(py_str("é\n"), "\"\\U000000e9\\U0000000a\"");
    }

    #[test]
    fn flavours_round_trip_their_names() {
        for f in Flavour::ALL {
            assert_eq!(Flavour::from_name(f.name()), Some(f));
        }
        assert_eq!(Flavour::from_name("gevent"), None);
    }
}
