//! Importing Trace Event JSON: the files the generated Python programs write
//! with `--trace` (run for real under `python3` when it is installed), our
//! own export, and a table of hostile inputs that must give a clear error,
//! never a panic.

use std::collections::BTreeSet;
use std::process::Command;

use engine::import::{
    import_trace_events, ImportError, Imported, MAX_BYTES, MAX_EVENTS, MAX_LANES,
};
use engine::trace::{PhaseKind, Source, Span, SpanState, MAIN_LANE, NO_LANE, NO_TASK};
use workload::python::{program, Flavour};
use workload::{closed_form, parse};

fn import(text: &str) -> Imported {
    import_trace_events(text).unwrap_or_else(|e| panic!("{e}\n{}", &text[..text.len().min(500)]))
}

fn error(text: &str) -> ImportError {
    match import_trace_events(text) {
        Ok(i) => panic!(
            "imported {} spans from a bad file: {:?}",
            i.trace.spans.len(),
            i.notes
        ),
        Err(e) => e,
    }
}

fn overlap(a: &Span, b: &Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// Runs the program with `--trace`, returns the file's text; `None` without python3.
fn python_trace(src: &str, name: &str) -> Option<String> {
    if Command::new("python3")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        eprintln!(
            "python3 is not installed: skipping the test that runs the generated Python programs"
        );
        return None;
    }
    let dir = std::env::temp_dir().join(format!("nogil-import-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("prog.py");
    std::fs::write(&file, src).unwrap();
    let trace = dir.join("trace.json");
    let out = Command::new("python3")
        .arg(&file)
        .arg("--trace")
        .arg(&trace)
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{src}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&trace).expect("the program writes its trace");
    // Leave nothing behind in the temp dir: CI machines and developers run this often.
    let _ = std::fs::remove_dir_all(&dir);
    Some(text)
}

#[test]
fn the_python_programs_traces_import_with_their_lanes_and_states() {
    let w = parse("2*[io(50ms),cpu(200k)]+1*block(20ms)").unwrap();
    let checksum = 2 * closed_form(200_000);
    for f in Flavour::ALL {
        let Some(text) = python_trace(&program(&w, f, 2, None, 1), f.name()) else {
            return;
        };
        let got = import(&text);
        let t = &got.trace;
        let name = f.name();
        assert_eq!((t.source, t.model), (Source::Imported, None), "{name}");
        assert!(got.label.starts_with("CPython 3."), "{name}: {}", got.label);
        assert!(
            got.label.contains(name) && got.label.ends_with(", your machine"),
            "{name}: {}",
            got.label
        );
        assert_eq!(t.label.as_deref(), Some(got.label.as_str()));
        assert!(
            got.notes.iter().all(|n| !n.contains("Skipped")),
            "{name}: {:?}",
            got.notes
        );
        assert!(
            got.notes.iter().any(|n| n.contains("\"M\"")),
            "{name}: the metadata events are mentioned: {:?}",
            got.notes
        );

        // One span per phase, with the phase's kind and state.
        let mut phases: Vec<(u32, u8, PhaseKind, SpanState)> = t
            .spans
            .iter()
            .map(|s| (s.task, s.phase, s.kind, s.state))
            .collect();
        phases.sort_by_key(|p| (p.0, p.1));
        let (io, cpu, block, waiting, running) = (
            PhaseKind::Io,
            PhaseKind::Cpu,
            PhaseKind::Block,
            SpanState::Waiting,
            SpanState::Running,
        );
        assert_eq!(
            phases,
            [
                (0, 0, io, waiting),
                (0, 1, cpu, running),
                (1, 0, io, waiting),
                (1, 1, cpu, running),
                (2, 0, block, running)
            ],
            "{name}"
        );
        assert_eq!(t.tasks, 3);
        assert_eq!(
            (t.checksum, t.counter, t.increments),
            (checksum, 0, 0),
            "{name}"
        );
        assert_eq!(t.start, 0);
        assert_eq!(t.end, t.spans.iter().map(|s| s.end).max().unwrap());
        for s in t.spans.iter().filter(|s| s.kind == PhaseKind::Io) {
            assert!(
                s.duration() >= 49_000_000,
                "{name}: io(50ms) lasted {} ns",
                s.duration()
            );
        }

        let lanes: BTreeSet<u16> = t.spans.iter().map(|s| s.lane).collect();
        match f {
            Flavour::Sequential => {
                assert_eq!(t.lanes, 1);
                assert_eq!(lanes, BTreeSet::from([MAIN_LANE]));
                let s = &t.spans;
                assert!(
                    s.iter()
                        .enumerate()
                        .all(|(i, a)| s[i + 1..].iter().all(|b| !overlap(a, b))),
                    "one phase at a time"
                );
            }
            Flavour::Asyncio => {
                assert_eq!(t.lanes, 1);
                for s in &t.spans {
                    let want = if s.state == SpanState::Waiting {
                        NO_LANE
                    } else {
                        MAIN_LANE
                    };
                    assert_eq!(s.lane, want, "asyncio's waits leave the thread free: {s:?}");
                }
                let waits: Vec<&Span> =
                    t.spans.iter().filter(|s| s.kind == PhaseKind::Io).collect();
                assert!(
                    overlap(waits[0], waits[1]),
                    "asyncio's two waits overlap: {waits:?}"
                );
            }
            Flavour::Threading | Flavour::Multiprocessing => {
                // Lanes 1..=N, one per thread or process used; waits stay on their lane.
                assert!(
                    lanes.iter().all(|l| (1..=2).contains(l)),
                    "{name}: {lanes:?}"
                );
                assert_eq!(usize::from(t.lanes), 1 + lanes.len(), "{name}");
                // Each lane is named as the program named its thread (in
                // multiprocessing, with its process after it).
                let want = if f == Flavour::Threading {
                    "thread "
                } else {
                    "main thread (process "
                };
                for &l in &lanes {
                    assert!(
                        t.name_of_lane(l).starts_with(want),
                        "{name}: lane {l} is {:?}",
                        t.name_of_lane(l)
                    );
                }
                if f == Flavour::Threading {
                    // Not parallelism (the GIL): just that the pool's two threads both took work.
                    assert_eq!(lanes.len(), 2, "threading: both threads used");
                }
            }
        }
    }
}

#[test]
fn our_own_export_reads_back_span_for_span() {
    use engine::costs::Costs;
    use engine::export::{trace_events, Exported};
    use engine::metrics::Metrics;
    use engine::model::{Model, RunConfig};
    use engine::sim::simulate;

    let w: workload::Workload = "3*[io(10ms),cpu(1M)]".parse().unwrap();
    let t = simulate(&w, &RunConfig::new(Model::Loop), &Costs::default());
    let m = Metrics::from_trace(&t, None);
    let text = trace_events(&[Exported {
        trace: &t,
        metrics: &m,
        predicted_wall_ms: None,
    }]);
    let got = import(&text);
    assert_eq!(got.trace.spans.len(), t.spans.len());
    assert_eq!(got.label, "Event loop (imported)");
    assert_eq!(got.trace.model, Some(Model::Loop));
    let kinds = |spans: &[Span]| spans.iter().filter(|s| s.kind == PhaseKind::Cpu).count();
    assert_eq!(kinds(&got.trace.spans), kinds(&t.spans));
    assert_eq!(got.trace.tasks, 3);
}

#[test]
fn generic_files_get_a_lane_per_thread_and_a_task_per_lane() {
    // A bare array (no otherData), pids and tids as numbers or strings, B/E
    // pairs nested on one thread, unknown names, metadata and a counter.
    let text = r#"[
        {"ph": "M", "name": "thread_name", "pid": 7, "tid": 3, "args": {"name": "render"}},
        {"ph": "X", "name": "Paint", "cat": "devtools.timeline", "ts": 1000, "dur": 500, "pid": 7, "tid": 3},
        {"ph": "B", "name": "outer", "ts": 1200, "pid": "7", "tid": "9"},
        {"ph": "B", "name": "inner", "cat": "x,waiting", "ts": 1300, "pid": 7, "tid": 9},
        {"ph": "E", "ts": 1400, "pid": 7, "tid": 9},
        {"ph": "E", "ts": 1900, "pid": 7, "tid": 9},
        {"ph": "C", "name": "heap", "ts": 1000, "pid": 7, "args": {"v": 1}},
        {"ph": "X", "name": "cpu", "ts": 1100, "dur": 100, "pid": 8, "tid": 1, "args": {"task": 4, "phase": 2, "state": "running"}}
    ]"#;
    let got = import(text);
    let t = &got.trace;
    assert_eq!(got.label, "Imported trace (8 events)");
    assert_eq!(t.lanes, 4, "three (pid, tid) pairs: {}", t.to_text());
    assert_eq!(
        t.to_text().lines().skip(1).collect::<Vec<_>>(),
        [
            "t5 l1 p0:- running 0..500000",
            "t4 l3 p2:cpu running 100000..200000",
            "t6 l2 p0:- running 200000..900000",
            "t6 l2 p0:- waiting 300000..400000",
        ],
        "lanes in order of first appearance; tasks without args.task: one per lane after task 4"
    );
    assert_eq!((t.tasks, t.start, t.end), (7, 0, 900_000));
    // Lanes keep the file's names; threads it did not name say which they
    // are, not "worker N".
    assert_eq!(
        (1..t.lanes).map(|l| t.name_of_lane(l)).collect::<Vec<_>>(),
        ["render", "tid 9 (pid 7)", "tid 1 (pid 8)"]
    );
    assert!(
        got.notes
            .iter()
            .any(|n| n.contains("\"C\" × 1") && !n.contains("\"M\"")),
        "{:?}",
        got.notes
    );
}

#[test]
fn markup_in_names_is_kept_as_plain_text() {
    // The page renders labels and notes as text nodes: a name that looks like
    // HTML must arrive unchanged (not escaped twice, not stripped), as data.
    let text = r#"{"traceEvents": [
        {"ph": "X", "name": "<img src=x onerror=alert(1)>", "ts": 0, "dur": 5, "pid": 1, "tid": 1, "args": {"task": 0}},
        {"ph": "<script>", "ts": 0}
    ], "otherData": {"format": "nogil-playground-python-trace", "version": 1, "implementation": "CPython",
        "python": "3.13.0", "flavour": "threading", "machine": "<script>alert('x')</script>\u202e\n"}}"#;
    let got = import(text);
    assert_eq!(
        got.label,
        "CPython 3.13.0, threading, <script>alert('x')</script>"
    );
    assert_eq!(got.trace.display_name(), got.label);
    assert_eq!(got.trace.spans[0].kind, PhaseKind::None);
    assert!(
        got.notes.iter().any(|n| n.contains("\"<script>\" × 1")),
        "{:?}",
        got.notes
    );
}

#[test]
fn bad_times_are_skipped_and_counted() {
    let text = r#"[
        {"ph": "X", "name": "cpu", "ts": -5, "dur": 1, "pid": 1, "tid": 1},
        {"ph": "X", "name": "cpu", "ts": "NaN", "dur": 1, "pid": 1, "tid": 1},
        {"ph": "X", "name": "cpu", "ts": 1e300, "dur": 1, "pid": 1, "tid": 1},
        {"ph": "X", "name": "cpu", "ts": 9007199254740990, "dur": 10, "pid": 1, "tid": 1},
        {"ph": "X", "name": "cpu", "ts": 10, "dur": -1, "pid": 1, "tid": 1},
        {"ph": "X", "name": "cpu", "ts": 10, "pid": 1, "tid": 1},
        {"ph": "B", "name": "cpu", "ts": 50, "pid": 1, "tid": 1},
        {"ph": "E", "ts": 40, "pid": 1, "tid": 1},
        {"ph": "E", "ts": 60, "pid": 1, "tid": 2},
        {"ph": "B", "name": "cpu", "ts": 70, "pid": 1, "tid": 1},
        {"ph": "X", "name": "cpu", "ts": 2.5, "dur": 0.0015, "pid": 1, "tid": 1, "args": {"task": 99999999999}},
        7, "x", null
    ]"#;
    let got = import(text);
    assert_eq!(got.trace.spans.len(), 1);
    let s = got.trace.spans[0];
    assert_eq!(
        (s.start, s.end, s.lane, s.task),
        (0, 2, 1, 0),
        "µs to ns, rebased to 0, a bad task is its lane's"
    );
    let notes = got.notes.join("\n");
    assert!(
        notes.contains("Skipped 7 events with a missing, negative"),
        "{notes}"
    );
    assert!(
        notes.contains("Skipped 3 entries of the events array that are not objects"),
        "{notes}"
    );
    assert!(
        notes.contains("Skipped 1 \"E\" event without a \"B\" and 1 \"B\" event never ended"),
        "{notes}"
    );
    assert!(
        notes.contains("args.task that is not a task number"),
        "{notes}"
    );
}

#[test]
fn a_trace_cut_short_still_reads() {
    let text = r#"[{"ph": "X", "name": "io", "ts": 0, "dur": 1, "pid": 1, "tid": 1},
                   {"ph": "X", "name": "io", "ts": 1, "dur": 1, "pid": 1, "tid": 1},"#;
    let got = import(text);
    assert_eq!(got.trace.spans.len(), 2);
    assert!(
        got.notes.iter().any(|n| n.contains("not closed")),
        "{:?}",
        got.notes
    );
    assert_eq!(import(&text[..text.len() - 1]).trace.spans.len(), 2);
    assert_eq!(
        import("\u{feff}[{\"ph\":\"X\",\"ts\":0,\"dur\":1}]")
            .trace
            .spans
            .len(),
        1,
        "a byte-order mark is fine"
    );
}

#[test]
fn hostile_inputs_give_clear_errors() {
    let deep = |open: &str, n: usize| open.repeat(n);
    let table: Vec<(&str, String, &str)> = vec![
        (
            "empty",
            String::new(),
            "This file is not a trace: it is empty.",
        ),
        ("blank", " \n ".into(), "it is empty"),
        (
            "not JSON",
            "hello".into(),
            "not valid JSON: expected value at line 1, column 1",
        ),
        (
            "broken on line 3",
            "{\"traceEvents\": [\n{\"ph\": \"X\"},\n{\"ph\" \"X\"}]}".into(),
            "at line 3, column 7",
        ),
        ("a number", "42".into(), "found a number"),
        ("a string", "\"<script>\"".into(), "found a string"),
        (
            "no traceEvents",
            "{\"foo\": 1}".into(),
            "no \"traceEvents\" array",
        ),
        (
            "traceEvents not an array",
            "{\"traceEvents\": {}}".into(),
            "should be an array of events, but it is an object",
        ),
        (
            "unclosed object",
            "{\"traceEvents\": [], ".into(),
            "expected a key in quotes, found the end of the file",
        ),
        (
            "unclosed traceEvents",
            "{\"traceEvents\": [{}".into(),
            "expected `]` closing \"traceEvents\"",
        ),
        (
            "trailing text",
            "[] [".into(),
            "unexpected text after the trace at line 1, column 4",
        ),
        (
            "bad separator",
            "[{} {}]".into(),
            "expected `,` or `]` after an event",
        ),
        ("trailing comma", "[{},]".into(), "not valid JSON"),
        (
            "not events",
            "[1, \"two\", [3]]".into(),
            "Nothing to draw: of 3 events",
        ),
        (
            "only metadata",
            "[{\"ph\": \"M\", \"name\": \"process_name\"}]".into(),
            "\"M\" × 1",
        ),
        (
            "huge number",
            "[{\"ph\": \"X\", \"ts\": 1e999}]".into(),
            "number out of range",
        ),
        (
            "NaN literal",
            "[{\"ph\": \"X\", \"ts\": NaN}]".into(),
            "not valid JSON",
        ),
        ("deep array", deep("[", 100_000), "nested too deeply"),
        (
            "deep event",
            format!("{{\"traceEvents\": [{}", deep("{\"a\":", 100_000)),
            "nested too deeply",
        ),
        (
            "deep otherData",
            format!("{{\"otherData\": {}", deep("[", 100_000)),
            "nested too deeply to read (line 1, column 142)",
        ),
    ];
    for (what, text, want) in &table {
        let e = error(text).to_string();
        assert!(e.contains(want), "{what}: {e}");
    }
}

#[test]
fn limits_are_errors_that_say_what_to_do() {
    let big = " ".repeat(MAX_BYTES + 1);
    let e = error(&big);
    assert_eq!(
        e,
        ImportError::TooLarge {
            bytes: MAX_BYTES + 1
        }
    );
    assert!(e.to_string().contains("up to 64 MB"), "{e}");

    let mut many = String::with_capacity(3 * MAX_EVENTS + 10);
    many.push('[');
    for _ in 0..=MAX_EVENTS {
        many.push_str("0,");
    }
    many.push_str("0]");
    let e = error(&many);
    assert_eq!(e, ImportError::TooManyEvents);
    assert!(e.to_string().contains("more than 2,000,000 events"), "{e}");

    let lanes: Vec<String> = (0..=MAX_LANES)
        .map(|i| format!("{{\"ph\": \"X\", \"ts\": 0, \"dur\": 1, \"pid\": 1, \"tid\": {i}}}"))
        .collect();
    let e = error(&format!("[{}]", lanes.join(",")));
    assert_eq!(e, ImportError::TooManyLanes);
    assert!(e.to_string().contains("more than 256 threads"), "{e}");
    // Exactly the limit is fine.
    assert_eq!(
        import(&format!("[{}]", lanes[..MAX_LANES].join(",")))
            .trace
            .lanes,
        1 + MAX_LANES as u16
    );
}

#[test]
fn thread_names_come_with_their_process_name_when_a_file_has_several() {
    let one = import(
        r#"[
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 5, "args": {"name": "MainThread"}},
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 6, "args": {"name": "ThreadPoolExecutor-0_0"}},
        {"ph": "X", "name": "a", "ts": 0, "dur": 5, "pid": 1, "tid": 5},
        {"ph": "X", "name": "b", "ts": 1, "dur": 5, "pid": 1, "tid": 6},
        {"ph": "X", "name": "c", "ts": 2, "dur": 5, "pid": 1, "tid": 7}
    ]"#,
    );
    let names =
        |t: &engine::trace::Trace| (0..t.lanes).map(|l| t.name_of_lane(l)).collect::<Vec<_>>();
    assert_eq!(
        names(&one.trace),
        ["main", "MainThread", "ThreadPoolExecutor-0_0", "tid 7"],
        "one process: thread names alone"
    );
    let two = import(
        r#"[
        {"ph": "M", "name": "process_name", "pid": 10, "args": {"name": "Renderer"}},
        {"ph": "M", "name": "process_name", "pid": 11, "args": {"name": "GPU"}},
        {"ph": "M", "name": "thread_name", "pid": 10, "tid": 1, "args": {"name": "CrRendererMain"}},
        {"ph": "X", "name": "a", "ts": 0, "dur": 5, "pid": 10, "tid": 1},
        {"ph": "X", "name": "b", "ts": 1, "dur": 5, "pid": 11, "tid": 2}
    ]"#,
    );
    assert_eq!(
        names(&two.trace),
        ["main", "CrRendererMain (Renderer)", "tid 2 (GPU)"]
    );
    // The names travel through our export and back.
    let m = engine::metrics::Metrics::from_trace(&two.trace, None);
    let out = engine::export::trace_events(&[engine::export::Exported {
        trace: &two.trace,
        metrics: &m,
        predicted_wall_ms: None,
    }]);
    assert_eq!(names(&import(&out).trace)[1..], names(&two.trace)[1..]);
}

#[test]
fn our_python_flavours_decide_the_lanes() {
    // Hand-written files in the Python programs' format: the flavour decides.
    let file = |flavour: &str| {
        let x = |name: &str, state: &str, ts: u32, dur: u32, tid: u32, task: u32, phase: u32| {
            format!(
                r#"{{"ph": "X", "name": "{name}", "cat": "{state}", "ts": {ts}, "dur": {dur}, "pid": 1, "tid": {tid},
                    "args": {{"task": {task}, "phase": {phase}, "state": "{state}"}}}}"#
            )
        };
        let events = [
            x("io", "waiting", 0, 10, 1, 0, 0),
            x("io", "waiting", 1, 10, 2, 1, 0),
            x("incr", "running", 11, 1, 1, 0, 1),
        ];
        format!(
            r#"{{"traceEvents": [{}], "otherData": {{"format": "nogil-playground-python-trace", "version": 1, "implementation": "CPython",
                "python": "3.12.1", "flavour": "{flavour}", "workers": 2, "checksum": "340282366920938463463374607431768211455",
                "counter": 1, "increments": 2, "machine": "your machine", "workload": "2*[io(10us),incr]"}}}}"#,
            events.join(",")
        )
    };
    let lanes = |flavour: &str| {
        let got = import(&file(flavour));
        assert_eq!(
            got.trace.checksum,
            u128::MAX,
            "the checksum is a decimal string: no precision lost"
        );
        assert_eq!(
            (
                got.trace.counter,
                got.trace.increments,
                got.trace.lost_updates()
            ),
            (1, 2, 1)
        );
        assert!(got.label.contains(flavour), "{}", got.label);
        (
            got.trace.lanes,
            got.trace.spans.iter().map(|s| s.lane).collect::<Vec<_>>(),
        )
    };
    assert_eq!(lanes("threading"), (3, vec![1, 2, 1]));
    assert_eq!(lanes("multiprocessing"), (3, vec![1, 2, 1]));
    assert_eq!(
        lanes("sequential"),
        (1, vec![MAIN_LANE, MAIN_LANE, MAIN_LANE])
    );
    assert_eq!(lanes("asyncio"), (1, vec![NO_LANE, NO_LANE, MAIN_LANE]));
    let odd = import(&file("gevent"));
    assert_eq!(odd.trace.lanes, 3);
    assert!(
        odd.notes
            .iter()
            .any(|n| n.contains("does not say which Python flavour")),
        "{:?}",
        odd.notes
    );
    let newer = import(&file("threading").replace("\"version\": 1", "\"version\": 2"));
    assert!(
        newer.notes.iter().any(|n| n.contains("version 2")),
        "{:?}",
        newer.notes
    );
    assert!(newer.trace.spans.iter().all(|s| s.task != NO_TASK));
}

#[test]
fn our_results_export_round_trips_with_its_events() {
    use engine::costs::Costs;
    use engine::export::{results_json, Exported};
    use engine::metrics::Metrics;
    use engine::model::{Model, RunConfig};
    let w: workload::Workload = "1*io(1s)+1*io(2s)".parse().unwrap();
    let t = engine::sim::simulate(&w, &RunConfig::new(Model::Loop), &Costs::zero());
    let m = Metrics::from_trace(&t, None);
    let text = results_json(
        "v=1",
        serde_json::json!({}),
        &[Exported {
            trace: &t,
            metrics: &m,
            predicted_wall_ms: None,
        }],
    );
    let back = engine::import::import_any(&text).unwrap();
    assert_eq!(back.len(), 1);
    let b = &back[0].trace;
    assert_eq!(b.model, Some(Model::Loop));
    assert_eq!(b.spans.len(), t.spans.len());
    assert_eq!(
        b.events_text(),
        t.events_text(),
        "times are from the run's start, which is 0 here"
    );
    assert_eq!(b.wall(), t.wall());
    assert!(engine::import::import_any(
        "{\"format\":\"nogil-playground-results\",\"version\":1,\"models\":[]}"
    )
    .is_err());
}

/// The first word said twice in a row ("Imported Imported"), if any.
fn doubled_word(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words
        .windows(2)
        .find(|w| w[0] == w[1])
        .map(|w| w[0].clone())
}

/// Our Trace Event export, written out as `export::trace_events` writes it:
/// a process per run named by the model's label, a thread per lane named
/// "main" / "worker N" on tid N, spans off any lane on tid 1000 + task.
const OUR_TRACE_EXPORT: &str = r#"{"traceEvents": [
    {"ph": "M", "name": "process_name", "pid": 1, "tid": 0, "args": {"name": "Event loop"}},
    {"ph": "M", "name": "thread_name", "pid": 1, "tid": 0, "args": {"name": "main"}},
    {"ph": "X", "name": "io waiting", "cat": "waiting", "pid": 1, "tid": 1000, "ts": 0.0, "dur": 10.0, "args": {"task": "0", "phase": 0, "state": "waiting"}},
    {"ph": "X", "name": "io waiting", "cat": "waiting", "pid": 1, "tid": 1001, "ts": 0.5, "dur": 10.0, "args": {"task": "1", "phase": 0, "state": "waiting"}},
    {"ph": "X", "name": "cpu running", "cat": "running", "pid": 1, "tid": 0, "ts": 10.0, "dur": 2.25, "args": {"task": "0", "phase": 1, "state": "running"}},
    {"ph": "X", "name": "cpu running", "cat": "running", "pid": 1, "tid": 0, "ts": 12.25, "dur": 2.0, "args": {"task": "1", "phase": 1, "state": "running"}},
    {"ph": "M", "name": "process_name", "pid": 2, "tid": 0, "args": {"name": "Worker pool"}},
    {"ph": "M", "name": "thread_name", "pid": 2, "tid": 0, "args": {"name": "main"}},
    {"ph": "M", "name": "thread_name", "pid": 2, "tid": 1, "args": {"name": "worker 1"}},
    {"ph": "M", "name": "thread_name", "pid": 2, "tid": 2, "args": {"name": "worker 2"}},
    {"ph": "X", "name": "- running", "cat": "running", "pid": 2, "tid": 1, "ts": 1.0, "dur": 3.0, "args": {"task": "-", "phase": 0, "state": "running"}},
    {"ph": "X", "name": "io waiting", "cat": "waiting", "pid": 2, "tid": 1, "ts": 4.0, "dur": 10.0, "args": {"task": "0", "phase": 0, "state": "waiting"}},
    {"ph": "X", "name": "io waiting", "cat": "waiting", "pid": 2, "tid": 2, "ts": 4.5, "dur": 10.0, "args": {"task": "1", "phase": 0, "state": "waiting"}}
], "displayTimeUnit": "ms"}"#;

#[test]
fn our_trace_export_reads_back_as_its_runs_with_model_and_lane_names() {
    use engine::model::Model;
    let runs = engine::import::import_any(OUR_TRACE_EXPORT).unwrap();
    let got: Vec<(&str, Option<Model>, Option<&str>, Source)> = runs
        .iter()
        .map(|r| {
            (
                r.label.as_str(),
                r.trace.model,
                r.trace.label.as_deref(),
                r.trace.source,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Event loop (imported)",
                Some(Model::Loop),
                None,
                Source::Imported
            ),
            (
                "Worker pool (imported)",
                Some(Model::Pool),
                None,
                Source::Imported
            ),
        ],
        "one run per process, named by its process_name"
    );
    assert_eq!(
        runs[0].trace.to_text(),
        "model=loop lanes=1 tasks=2 wall=14250 checksum=0 counter=0/0\n\
         t0 l- p0:io waiting 0..10000\n\
         t1 l- p0:io waiting 500..10500\n\
         t0 l0 p1:cpu running 10000..12250\n\
         t1 l0 p1:cpu running 12250..14250\n",
        "\"main\" is lane 0; the unnamed threads 1000 + task hold spans off any lane; times as written"
    );
    assert_eq!(
        runs[1].trace.to_text(),
        "model=pool lanes=3 tasks=2 wall=14500 checksum=0 counter=0/0\n\
         t4294967295 l1 p0:- running 1000..4000\n\
         t0 l1 p0:io waiting 4000..14000\n\
         t1 l2 p0:io waiting 4500..14500\n",
        "\"worker N\" is lane N"
    );
    // Every event is used: the names are not reported as ignored.
    for r in &runs {
        assert!(r.notes.is_empty(), "{}: {:?}", r.label, r.notes);
    }
    let said = engine::import::summary(&runs);
    assert_eq!(said, "Imported 2 runs: Event loop and Worker pool.");
    assert_eq!(doubled_word(&said), None, "{said}");

    // Read as one run, the file gives its first and says so.
    let first = import(OUR_TRACE_EXPORT);
    assert_eq!(first.trace, runs[0].trace);
    assert_eq!(
        first.notes,
        ["The file holds 2 runs; only the first is read here."]
    );
}

#[test]
fn our_trace_export_round_trips_every_model_span_for_span() {
    use engine::costs::Costs;
    use engine::export::trace_events;
    use engine::model::{Model, RunConfig};
    use engine::sim::simulate;

    // The increment records no span where no time passes: the task count
    // must come back all the same.
    let w: workload::Workload = "3*[io(10ms),cpu(1M)]+2*block(5ms)+1*incr(await)"
        .parse()
        .unwrap();
    // Our own models (the first six; the others run JavaScript and CPython).
    let models = &Model::ALL[..6];
    let traces: Vec<_> = models
        .iter()
        .map(|&m| {
            let mut cfg = RunConfig::new(m);
            cfg.workers = 2;
            simulate(&w, &cfg, &Costs::default())
        })
        .collect();
    let runs = engine::import::import_any(&exported(&traces, trace_events)).unwrap();
    assert_eq!(runs.len(), models.len());
    let sorted = |spans: &[Span], start: u64| {
        let mut v: Vec<Span> = spans
            .iter()
            .map(|s| Span {
                start: s.start - start,
                end: s.end - start,
                ..*s
            })
            .collect();
        v.sort_by_key(|s| (s.start, s.end, s.task, s.lane, s.phase));
        v
    };
    for ((r, t), m) in runs.iter().zip(&traces).zip(models) {
        assert_eq!(r.trace.model, Some(*m));
        assert_eq!(r.label, format!("{} (imported)", m.label()));
        assert_eq!(r.trace.lanes, t.lanes, "{m}: a lane per thread_name");
        assert_eq!(r.trace.tasks, t.tasks, "{m}");
        assert!(
            r.trace.wall().abs_diff(t.wall()) <= 1_000,
            "{m}: wall {} against {}",
            r.trace.wall(),
            t.wall()
        );
        assert_eq!(
            sorted(&r.trace.spans, 0),
            sorted(&t.spans, t.start),
            "{m}: every span, on its lane"
        );
        assert!(r.notes.is_empty(), "{m}: {:?}", r.notes);
    }
    assert!(
        runs.iter()
            .any(|r| r.trace.spans.iter().any(|s| s.lane == NO_LANE)),
        "the loop's waits are off any lane"
    );
    let said = engine::import::summary(&runs);
    assert_eq!(
        said,
        "Imported 6 runs: Sequential, Event loop, Worker pool, Loop + pool, Threads + GIL and Free threads."
    );
    assert_eq!(doubled_word(&said), None, "{said}");
}

#[test]
fn a_file_named_otherwise_is_one_run_and_its_names_name_its_lanes() {
    // Named like our export at first, but a later thread name is not one the
    // export writes, and another process is not a model: read as one run.
    let text = r#"[
        {"ph": "M", "name": "process_name", "pid": 1, "args": {"name": "Event loop"}},
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 0, "args": {"name": "main"}},
        {"ph": "X", "name": "cpu", "ts": 0, "dur": 1, "pid": 1, "tid": 0, "args": {"task": 0}},
        {"ph": "X", "name": "io", "ts": 0, "dur": 2, "pid": 1, "tid": 1000, "args": {"task": 0}},
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 5, "args": {"name": "render"}},
        {"ph": "X", "name": "cpu", "ts": 1, "dur": 1, "pid": 2, "tid": 0, "args": {"task": 1}},
        {"ph": "M", "name": "process_name", "pid": 2, "args": {"name": "Browser"}}
    ]"#;
    let runs = engine::import::import_any(text).unwrap();
    assert_eq!(runs.len(), 1);
    let got = &runs[0];
    assert_eq!(got.label, "Imported trace (7 events)");
    assert_eq!((got.trace.model, got.trace.lanes), (None, 4));
    assert_eq!(
        got.trace.to_text().lines().skip(1).collect::<Vec<_>>(),
        [
            "t0 l2 p0:cpu running 0..1000",
            "t0 l3 p0:io running 0..2000",
            "t1 l1 p0:cpu running 1000..2000"
        ],
        "a lane per (pid, tid); the threads first taken for a run's come after"
    );
    // Its names are not read as our runs' and lanes', but they name the
    // lanes: only the thread without spans goes unused.
    assert_eq!(
        (1..got.trace.lanes)
            .map(|l| got.trace.name_of_lane(l))
            .collect::<Vec<_>>(),
        [
            "tid 0 (Browser)",
            "main (Event loop)",
            "tid 1000 (Event loop)"
        ]
    );
    assert!(
        got.notes.iter().any(|n| n.contains("\"M\" × 1")),
        "{:?}",
        got.notes
    );
    let said = engine::import::summary(&runs);
    assert!(
        said.starts_with("Imported trace (7 events). Ignored 1 event of"),
        "{said}"
    );
    assert_eq!(doubled_word(&said), None, "{said}");
}

#[test]
fn the_status_says_what_was_imported_once() {
    use engine::costs::Costs;
    use engine::export::results_json;
    use engine::model::{Model, RunConfig};

    // A generic file: its label already says "Imported".
    let generic = engine::import::import_any(
        r#"[{"ph": "X", "name": "cpu", "ts": 0, "dur": 5}, {"ph": "C", "name": "heap", "ts": 0}]"#,
    )
    .unwrap();
    let said = engine::import::summary(&generic);
    assert_eq!(
        said,
        "Imported trace (2 events). Ignored 1 event of kinds other than spans (\"C\" × 1): \
         only complete (\"X\") events and \"B\"/\"E\" pairs are drawn."
    );

    // Our results export: the runs by name, no "run 1 of N" per run.
    let w: workload::Workload = "2*[io(1ms),cpu(10k)]".parse().unwrap();
    let models = [Model::Sequential, Model::Loop, Model::Pool];
    let traces: Vec<_> = models
        .iter()
        .map(|&m| engine::sim::simulate(&w, &RunConfig::new(m), &Costs::zero()))
        .collect();
    let text = exported(&traces, |e| results_json("v=1", serde_json::json!({}), e));
    let runs = engine::import::import_any(&text).unwrap();
    let said = engine::import::summary(&runs);
    assert_eq!(
        said,
        "Imported 3 runs: Sequential, Event loop and Worker pool."
    );
    assert_eq!(doubled_word(&said), None, "{said}");

    // What was skipped is said once, with the run it was in.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let run = &mut v["runs"][1];
    run["spans"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!([0, 0, 0, 0, 99, 0, 1]));
    run["spans"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!("x"));
    run["events"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!([1, 2]));
    let runs = engine::import::import_any(&v.to_string()).unwrap();
    assert_eq!(runs[1].trace.spans.len(), traces[1].spans.len());
    let said = engine::import::summary(&runs);
    assert_eq!(
        said,
        "Imported 3 runs: Sequential, Event loop and Worker pool. \
         Skipped 2 spans and 1 event of Event loop that are not rows of numbers in range, as the export writes them."
    );

    // The Python programs' files keep their label.
    let python = engine::import::import_any(
        r#"{"traceEvents": [{"ph": "X", "name": "io", "ts": 0, "dur": 5, "pid": 1, "tid": 1, "args": {"task": 0}}],
            "otherData": {"format": "nogil-playground-python-trace", "version": 1, "implementation": "CPython",
                          "python": "3.12.1", "flavour": "threading", "machine": "your machine"}}"#,
    )
    .unwrap();
    assert_eq!(
        engine::import::summary(&python),
        "Imported CPython 3.12.1, threading, your machine."
    );
}

/// `f` of the traces as the page exports them (with their metrics, no prediction).
fn exported<R>(
    traces: &[engine::trace::Trace],
    f: impl FnOnce(&[engine::export::Exported]) -> R,
) -> R {
    use engine::export::Exported;
    use engine::metrics::Metrics;
    let metrics: Vec<Metrics> = traces
        .iter()
        .map(|t| Metrics::from_trace(t, None))
        .collect();
    let exported: Vec<Exported> = traces
        .iter()
        .zip(&metrics)
        .map(|(trace, metrics)| Exported {
            trace,
            metrics,
            predicted_wall_ms: None,
        })
        .collect();
    f(&exported)
}
