//! Reading a Trace Event JSON file someone drops on the page: Chrome's
//! format (Perfetto, `chrome://tracing`, most profilers), our own export, and
//! the files the generated Python programs write with `--trace FILE` (see
//! `workload::python`).
//!
//! What becomes of the file:
//! - both shapes of the format: `{"traceEvents": [...], ...}` and a bare
//!   array (whose closing `]` may be missing, as the format allows for
//!   traces cut short);
//! - complete events (`"ph": "X"`) and `"B"`/`"E"` pairs (matched on a stack
//!   per pid and tid) become spans; everything else (metadata, counters,
//!   instants, flows, samples…) is ignored and counted in the notes, except
//!   the names of processes and threads (below);
//! - our own export ([`crate::export::trace_events`]) reads back as the runs
//!   it holds: it writes one process per run, named (`"M"` event
//!   `process_name`, `args.name`) by the model's label, and one thread per
//!   lane, named (`thread_name`) "main" for lane 0 and "worker N" for lane N,
//!   on tid N; spans off any lane go on threads it leaves unnamed. A file
//!   whose every span is in such a process gives one run per process: the
//!   model whose label it bears, label "Event loop (imported)", its lanes
//!   from the thread names, spans off the named threads on no lane
//!   ([`NO_LANE`]), times as written (from the run's start). Those names are
//!   used, so not counted as ignored;
//! - any other file is one run. Lanes: each distinct (pid, tid) pair becomes
//!   a lane `1..=N` in order of first appearance, and `trace.lanes = 1 + N`.
//!   A lane is named (`trace.lane_names`) by its thread's `thread_name`,
//!   followed by its process's `process_name` when the file has several
//!   processes; an unnamed thread is "tid T (pid P)" (or "tid T"), since
//!   "worker N" would say it was one of ours.
//!   Our own Python files from the sequential and asyncio programs
//!   (`otherData.flavour`) ran on one thread: they go on the main lane 0, and
//!   asyncio's waits go on no lane, since a task awaiting does not occupy
//!   the thread;
//! - a span's task is `args.task` (a number, or `"-"` for none); events
//!   without one count as one task per lane (the thread's own work), numbered
//!   after the largest `args.task` of the file; its phase is `args.phase`
//!   (else 0); its kind is the first word of the event's name (`io`, `cpu`,
//!   `block`, `incr`, else [`PhaseKind::None`]); its state is `args.state`,
//!   else `cat` (or one of its comma-separated parts), when either names a
//!   [`SpanState`] (`running`, `waiting`, …), else running;
//! - times: microseconds, as the format says, to nanoseconds, rebased (but
//!   for our export's runs) so the earliest span starts at 0
//!   (`trace.start = 0`, `trace.end` = the last end);
//! - `checksum`, `counter` and `increments` come from `otherData` when present.
//!
//! Hostile input gets an [`ImportError`] whose message says what to do, never
//! a panic: files above [`MAX_BYTES`] are refused before any parsing, at most
//! [`MAX_EVENTS`] events and [`MAX_LANES`] lanes are read, JSON errors say
//! where (line and byte column), nesting deeper than serde_json's recursion
//! limit (128) is an error rather than a stack overflow (the file is read one
//! event at a time, each with its own limit), and events with a negative,
//! missing, non-numeric or huge time are skipped and counted in the notes.
//!
//! Every string taken from the file (the label, the notes) is plain data:
//! markup such as `<script>` or `<img onerror=…>` is kept as it is, not
//! escaped and not stripped, because the page renders these strings as text
//! (Leptos text nodes, which escape them), never as HTML (`inner_html`).
//! Control and bidirectional-override characters are dropped from the label,
//! and its parts are shortened, so a file cannot make it unreadable.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};
use workload::python::{Flavour, TRACE_FORMAT, TRACE_VERSION};

use crate::model::Model;
use crate::time::Nanos;
use crate::trace::{PhaseKind, Source, Span, SpanState, Trace, MAIN_LANE, NO_LANE, NO_TASK};

/// Largest file read, in bytes (64 MiB).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Most events read from one file (of any kind).
pub const MAX_EVENTS: usize = 2_000_000;
/// Most tasks a run of our export may say it had (`args.tasks` of its
/// `process_name`): the most a workload may have.
const MAX_RUN_TASKS: u64 = workload::MAX_TASKS;

/// Most lanes (distinct pid and tid pairs with spans) in one file.
pub const MAX_LANES: usize = 256;
/// Largest task number taken from `args.task` (exclusive): the workload
/// language's own limit, so `trace.tasks` stays a size the page can hold.
pub const MAX_TASK: u64 = workload::MAX_TASKS;
/// Largest time or end accepted, in µs: 2⁵³, the last integer an f64 holds
/// exactly (about 285 years), and well inside `u64` nanoseconds.
pub const MAX_TIME_US: f64 = 9_007_199_254_740_992.0;

/// Longest part of a label taken from the file, in characters.
const MAX_LABEL_PART: usize = 64;
/// Distinct ignored `ph` values named in the notes; the rest are summed up.
const MAX_IGNORED_KINDS: usize = 16;
/// What the label of a run read from one of our own exports ends with, so
/// it is not taken for the live run of the same model.
const IMPORTED_MARK: &str = " (imported)";

/// A trace read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The spans, on lanes: `source` is [`Source::Imported`], `model` is
    /// `None`, `label` is the same as [`Imported::label`].
    pub trace: Trace,
    /// A name for people: "CPython 3.11.7, threading, your machine" for our
    /// own Python files, the run's name and " (imported)" for a run of our
    /// own exports ("Event loop (imported)"), else "Imported trace (N
    /// events)". Plain text.
    pub label: String,
    /// What was skipped or guessed, one sentence each, for people. Plain text.
    pub notes: Vec<String>,
}

/// Why a file could not be read. `Display` says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportError {
    /// The file is larger than [`MAX_BYTES`].
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// Not JSON, or nested too deeply to read.
    NotJson {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in bytes) of the problem.
        column: usize,
        /// What the reader expected or found.
        message: String,
    },
    /// JSON, but not shaped like a Trace Event file.
    Shape(String),
    /// More than [`MAX_EVENTS`] events.
    TooManyEvents,
    /// More than [`MAX_LANES`] lanes.
    TooManyLanes,
    /// Read, but nothing became a span.
    NoSpans {
        /// Events read.
        events: usize,
        /// What was ignored or skipped, as in [`Imported::notes`].
        notes: Vec<String>,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::TooLarge { bytes } => write!(
                f,
                "The file is {:.1} MB; the playground reads trace files up to {} MB. \
                 Record a shorter run, or cut the file down, and try again.",
                *bytes as f64 / (1024.0 * 1024.0),
                MAX_BYTES / (1024 * 1024)
            ),
            ImportError::NotJson { line, column, message } => {
                if message.contains("recursion limit") {
                    write!(f, "The JSON is nested too deeply to read (line {line}, column {column}). Is this a Trace Event file?")
                } else {
                    write!(f, "This is not valid JSON: {message} at line {line}, column {column}. Is it a Trace Event JSON file?")
                }
            }
            ImportError::Shape(why) => write!(f, "This file is not a trace: {why}"),
            ImportError::TooManyEvents => write!(
                f,
                "The file has more than {} events; the playground reads up to {}. Record a shorter run, or keep only some threads.",
                thousands(MAX_EVENTS as u64),
                thousands(MAX_EVENTS as u64)
            ),
            ImportError::TooManyLanes => write!(
                f,
                "The trace has spans on more than {MAX_LANES} threads (pid and tid pairs); the playground draws up to {MAX_LANES}. \
                 Keep only some threads and try again."
            ),
            ImportError::NoSpans { events, notes } => {
                write!(
                    f,
                    "Nothing to draw: of {} events, none is a complete (\"X\") event or a \"B\"/\"E\" pair with valid times.",
                    thousands(*events as u64)
                )?;
                for n in notes {
                    write!(f, " {n}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ImportError {}

/// Reads a Trace Event JSON file as one run (see the module's doc for what it
/// keeps). A file of several runs (our export of several models) gives the
/// first, with a note; [`import_trace_event_runs`] gives them all.
pub fn import_trace_events(text: &str) -> Result<Imported, ImportError> {
    let mut runs = import_trace_event_runs(text)?.into_iter();
    // `finish` never returns an empty list.
    let mut first = runs.next().ok_or(ImportError::NoSpans {
        events: 0,
        notes: Vec::new(),
    })?;
    let others = runs.count();
    if others > 0 {
        first.notes.push(format!(
            "The file holds {} runs; only the first is read here.",
            1 + others
        ));
    }
    Ok(first)
}

/// Reads a Trace Event JSON file: one run per process of our own export,
/// else one run (see the module's doc for what it keeps). Never empty.
pub fn import_trace_event_runs(text: &str) -> Result<Vec<Imported>, ImportError> {
    // Refuse big files before parsing anything: parsing is where memory goes.
    if text.len() > MAX_BYTES {
        return Err(ImportError::TooLarge { bytes: text.len() });
    }
    let mut r = Reader { text, pos: 0 };
    if text.starts_with('\u{feff}') {
        r.pos = '\u{feff}'.len_utf8();
    }
    let mut b = Builder::default();
    let mut other = None;
    r.skip_ws();
    match r.peek() {
        Some(b'[') => {
            if !r.events(&mut b)? {
                b.notes.push(format!(
                    "The events array is not closed (a trace cut short?): read the {} events before the end.",
                    thousands(b.events as u64)
                ));
            }
        }
        Some(b'{') => other = r.object(&mut b)?,
        Some(_) => {
            let v = r.value()?;
            return Err(ImportError::Shape(format!(
                "expected an array of events or an object with a \"traceEvents\" array, found {}.",
                kind_of(&v)
            )));
        }
        None => return Err(ImportError::Shape("it is empty.".into())),
    }
    r.skip_ws();
    if r.peek().is_some() {
        return Err(r.syntax("unexpected text after the trace"));
    }
    b.finish(other.as_ref())
}

/// Reads the file one value at a time, so memory holds one event (not a
/// tree of the whole file) and each value gets serde_json's recursion limit.
struct Reader<'a> {
    text: &'a str,
    /// Byte offset of the next unread byte.
    pos: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Consumes `byte` if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        let next = self.peek() == Some(byte);
        if next {
            self.pos += 1;
        }
        next
    }

    /// 1-based line and 0-based byte column of `pos` (only computed for errors).
    fn position(&self, pos: usize) -> (usize, usize) {
        let before = &self.text.as_bytes()[..pos];
        let line_start = before
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |i| i + 1);
        (
            1 + before.iter().filter(|&&c| c == b'\n').count(),
            pos - line_start,
        )
    }

    /// A syntax error at the next byte.
    fn syntax(&self, message: &str) -> ImportError {
        let (line, col) = self.position(self.pos);
        let message = match self.peek() {
            None => format!("{message}, found the end of the file"),
            Some(_) => message.to_string(),
        };
        ImportError::NotJson {
            line,
            column: col + 1,
            message,
        }
    }

    /// The next JSON value.
    fn value(&mut self) -> Result<Value, ImportError> {
        // `pos` only ever moves past ASCII bytes or whole values, so it is on a character boundary.
        let Some(rest) = self.text.get(self.pos..) else {
            return Err(self.syntax("expected a value"));
        };
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        match values.next() {
            Some(Ok(v)) => {
                self.pos += values.byte_offset();
                Ok(v)
            }
            Some(Err(e)) => {
                // serde_json counts from where this value began: make it the file's position.
                let (line, col) = self.position(self.pos);
                let (line, column) = if e.line() <= 1 {
                    (line, col + e.column())
                } else {
                    (line + e.line() - 1, e.column())
                };
                let text = e.to_string();
                let message = text
                    .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
                    .unwrap_or(&text)
                    .to_string();
                Err(ImportError::NotJson {
                    line,
                    column,
                    message,
                })
            }
            None => Err(self.syntax("expected a value")),
        }
    }

    /// An events array, each event handed to `b`. `Ok(false)` if the file
    /// ends before the closing `]`, which the format allows.
    fn events(&mut self, b: &mut Builder) -> Result<bool, ImportError> {
        self.pos += 1; // the `[`
        self.skip_ws();
        if self.eat(b']') {
            return Ok(true);
        }
        loop {
            self.skip_ws();
            if self.peek().is_none() {
                return Ok(false);
            }
            let event = self.value()?;
            b.event(event)?;
            self.skip_ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(true);
            }
            if self.peek().is_none() {
                return Ok(false);
            }
            return Err(self.syntax("expected `,` or `]` after an event"));
        }
    }

    /// The object form: events go to `b`; returns `otherData`.
    fn object(&mut self, b: &mut Builder) -> Result<Option<Value>, ImportError> {
        self.pos += 1; // the `{`
        let mut other = None;
        let mut saw_events = false;
        self.skip_ws();
        if !self.eat(b'}') {
            loop {
                self.skip_ws();
                if self.peek() != Some(b'"') {
                    return Err(self.syntax("expected a key in quotes"));
                }
                let Value::String(key) = self.value()? else {
                    return Err(self.syntax("expected a key in quotes"));
                };
                self.skip_ws();
                if !self.eat(b':') {
                    return Err(self.syntax("expected `:` after a key"));
                }
                self.skip_ws();
                match key.as_str() {
                    "traceEvents" if self.peek() == Some(b'[') => {
                        if !self.events(b)? {
                            return Err(self.syntax("expected `]` closing \"traceEvents\""));
                        }
                        saw_events = true;
                    }
                    "traceEvents" => {
                        let v = self.value()?;
                        return Err(ImportError::Shape(format!(
                            "\"traceEvents\" should be an array of events, but it is {}.",
                            kind_of(&v)
                        )));
                    }
                    "otherData" => other = Some(self.value()?),
                    // displayTimeUnit, systemTraceEvents, stackFrames, samples, metadata…: read and dropped.
                    _ => {
                        self.value()?;
                    }
                }
                self.skip_ws();
                if self.eat(b',') {
                    continue;
                }
                if self.eat(b'}') {
                    break;
                }
                return Err(self.syntax("expected `,` or `}` after a value"));
            }
        }
        if !saw_events {
            return Err(ImportError::Shape(
                "its JSON object has no \"traceEvents\" array, so it is not in the Trace Event format \
                 (the JSON that chrome://tracing reads)."
                    .into(),
            ));
        }
        Ok(other)
    }
}

/// A span's task, before the lanes' own tasks get their numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    /// `args.task`.
    Number(u32),
    /// `"args": {"task": "-"}`: no task (our export's start-ups).
    None,
    /// No usable `args.task`: its lane's own task.
    Lane,
}

/// Where a span was read, before lanes are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    /// A (pid, tid) pair: its index in [`Builder::keys`], in order of first
    /// appearance.
    Pair(u16),
    /// A thread of a process that was named as one of our export's runs
    /// when the span was read (see [`Process`]): not a lane yet, since the
    /// export's spans off any lane each have a thread of their own.
    Run {
        /// Index in [`Builder::processes`].
        process: u16,
        /// The thread's id.
        tid: u64,
    },
}

/// A span as read, before lanes are decided (that needs `otherData` and the
/// names, which may come after the events).
#[derive(Debug, Clone, Copy)]
struct Raw {
    row: Row,
    task: Task,
    phase: u8,
    kind: PhaseKind,
    state: SpanState,
    start: Nanos,
    end: Nanos,
}

/// A `"B"` event waiting for its `"E"`.
#[derive(Debug, Clone, Copy)]
struct Open {
    start: Nanos,
    task: Task,
    phase: u8,
    kind: PhaseKind,
    state: SpanState,
}

/// A process the file names, followed to tell whether it is one of our
/// export's runs: a process named by a model's label (or "-", a run of no
/// model) whose threads are named as the export names lanes, tid N "main"
/// (N = 0) or "worker N".
#[derive(Debug)]
struct Process {
    /// The `pid`, as JSON text (as in [`lane_key`]).
    pid: String,
    /// `args.name` of its `process_name` event, cleaned.
    name: Option<String>,
    /// The lanes its `thread_name` events named (tid = lane).
    lanes: BTreeSet<u16>,
    /// Every name read for it is one our export writes.
    like_run: bool,
    /// Its `process_name` and `thread_name` events.
    name_events: usize,
    /// Tasks and wall time (µs) our export writes beside the run's name: a
    /// task that recorded no span (an increment between two clock ticks),
    /// and the time after the last span, would otherwise be lost.
    tasks: Option<u64>,
    wall_us: Option<f64>,
}

impl Process {
    /// Named like one of our export's runs, as far as its names go yet.
    fn is_run(&self) -> bool {
        self.like_run && self.name.is_some()
    }
}

/// Spans and counts gathered event by event.
#[derive(Default)]
struct Builder {
    events: usize,
    raws: Vec<Raw>,
    /// (pid, tid) as JSON text → key.
    keys: HashMap<(String, String), u16>,
    /// pid as JSON text → index in `processes`.
    pids: HashMap<String, u16>,
    /// The processes named by `process_name` or `thread_name` events, in
    /// order of their first name (at most [`MAX_LANES`]).
    processes: Vec<Process>,
    /// Open `"B"` events per (pid, tid) key, innermost last.
    open: HashMap<u16, Vec<Open>>,
    /// `thread_name` events' names, by (pid, tid) as JSON text.
    thread_names: HashMap<(String, String), String>,
    /// Ignored `ph` values (shortened) and how many of each, in order seen.
    ignored: Vec<(String, usize)>,
    /// Ignored events whose `ph` did not fit in `ignored`.
    ignored_rest: usize,
    bad_time: usize,
    not_objects: usize,
    unmatched_ends: usize,
    bad_tasks: usize,
    notes: Vec<String>,
}

impl Builder {
    fn event(&mut self, v: Value) -> Result<(), ImportError> {
        self.events += 1;
        if self.events > MAX_EVENTS {
            return Err(ImportError::TooManyEvents);
        }
        let Value::Object(e) = v else {
            self.not_objects += 1;
            return Ok(());
        };
        match e.get("ph").and_then(Value::as_str).unwrap_or("") {
            "X" => {
                let (Some(ts), Some(dur)) = (micros(e.get("ts")), micros(e.get("dur"))) else {
                    self.bad_time += 1;
                    return Ok(());
                };
                if ts + dur > MAX_TIME_US {
                    self.bad_time += 1;
                    return Ok(());
                }
                let row = self.row(&e)?;
                let open = self.describe(&e, nanos(ts));
                let end = open.start.saturating_add(nanos(dur));
                self.raws.push(Raw {
                    row,
                    task: open.task,
                    phase: open.phase,
                    kind: open.kind,
                    state: open.state,
                    start: open.start,
                    end,
                });
            }
            "B" => {
                let Some(ts) = micros(e.get("ts")) else {
                    self.bad_time += 1;
                    return Ok(());
                };
                // Our export writes only "X" events: pairs are on (pid, tid) keys, at most MAX_LANES.
                let key = self.pair(&e)?;
                let open = self.describe(&e, nanos(ts));
                self.open.entry(key).or_default().push(open);
            }
            "E" => {
                // An "E" closes the innermost "B" of its thread; a thread never seen has none.
                let key = self.keys.get(&lane_key(&e)).copied();
                let Some((key, o)) = key.and_then(|k| Some((k, self.open.get_mut(&k)?.pop()?)))
                else {
                    self.unmatched_ends += 1;
                    return Ok(());
                };
                match micros(e.get("ts")).map(nanos) {
                    Some(end) if end >= o.start => self.raws.push(Raw {
                        row: Row::Pair(key),
                        task: o.task,
                        phase: o.phase,
                        kind: o.kind,
                        state: o.state,
                        start: o.start,
                        end,
                    }),
                    _ => self.bad_time += 1,
                }
            }
            "M" => {
                // Counted as ignored until `finish` knows the names were used.
                self.name(&e);
                self.ignore("M");
            }
            other => self.ignore(other),
        }
        Ok(())
    }

    /// Counts an ignored event under its (shortened) `ph`.
    fn ignore(&mut self, ph: &str) {
        let ph: String = if ph.is_empty() {
            "(none)".into()
        } else {
            ph.chars().take(12).collect()
        };
        if let Some((_, n)) = self.ignored.iter_mut().find(|(k, _)| *k == ph) {
            *n += 1;
        } else if self.ignored.len() < MAX_IGNORED_KINDS {
            self.ignored.push((ph, 1));
        } else {
            self.ignored_rest += 1;
        }
    }

    /// Takes back `n` events counted as ignored under `ph`: they were used.
    fn unignore(&mut self, ph: &str, n: usize) {
        if let Some(i) = self.ignored.iter().position(|(k, _)| k == ph) {
            let left = self.ignored[i].1.saturating_sub(n);
            if left == 0 {
                self.ignored.remove(i);
            } else {
                self.ignored[i].1 = left;
            }
        } else {
            self.ignored_rest = self.ignored_rest.saturating_sub(n);
        }
    }

    /// Reads a `process_name` or `thread_name` metadata event into its
    /// [`Process`]; any other metadata is left alone.
    fn name(&mut self, e: &Map<String, Value>) {
        let what = e.get("name").and_then(Value::as_str);
        let name = e
            .get("args")
            .and_then(|a| a.get("name")?.as_str())
            .map(clean);
        let (Some(what @ ("process_name" | "thread_name")), Some(name)) = (what, name) else {
            return;
        };
        if what == "thread_name" && self.thread_names.len() < MAX_LANES {
            self.thread_names.insert(lane_key(e), name.clone());
        }
        let pid = lane_key(e).0;
        let p = match self.pids.get(&pid) {
            Some(&p) => p,
            // Past the limit the file is not one of ours: its names stay unread.
            None if self.processes.len() >= MAX_LANES => return,
            None => {
                // processes.len() < MAX_LANES < u16::MAX.
                let p = self.processes.len() as u16;
                self.processes.push(Process {
                    pid: pid.clone(),
                    name: None,
                    lanes: BTreeSet::new(),
                    like_run: true,
                    name_events: 0,
                    tasks: None,
                    wall_us: None,
                });
                self.pids.insert(pid, p);
                p
            }
        };
        let p = &mut self.processes[usize::from(p)];
        p.name_events += 1;
        if what == "process_name" {
            let args = e.get("args");
            p.tasks = args
                .and_then(|a| a.get("tasks")?.as_u64())
                .filter(|&n| n <= MAX_RUN_TASKS);
            p.wall_us = micros(args.and_then(|a| a.get("wall_us")));
            let a_model = name == "-" || Model::ALL.iter().any(|m| m.label() == name);
            if !a_model || p.name.as_ref().is_some_and(|n| *n != name) {
                p.like_run = false;
            }
            p.name = Some(name);
        } else {
            let lane = match name.as_str() {
                "main" => Some(MAIN_LANE),
                n => n
                    .strip_prefix("worker ")
                    .and_then(|l| l.parse::<u16>().ok())
                    .filter(|&l| l > 0),
            };
            match (lane, id(e.get("tid"))) {
                (Some(lane), Some(tid))
                    if tid == u64::from(lane) && usize::from(lane) < MAX_LANES =>
                {
                    p.lanes.insert(lane);
                }
                _ => p.like_run = false,
            }
        }
    }

    /// The row of a complete event: its thread in one of our export's runs,
    /// else its (pid, tid) pair.
    fn row(&mut self, e: &Map<String, Value>) -> Result<Row, ImportError> {
        match self.run_row(e) {
            Some(row) => Ok(row),
            None => self.pair(e).map(Row::Pair),
        }
    }

    /// The key of the event's (pid, tid), new ones numbered in order.
    fn pair(&mut self, e: &Map<String, Value>) -> Result<u16, ImportError> {
        let k = lane_key(e);
        if let Some(&key) = self.keys.get(&k) {
            return Ok(key);
        }
        if self.keys.len() >= MAX_LANES {
            return Err(ImportError::TooManyLanes);
        }
        // MAX_LANES < u16::MAX, so the count fits.
        let key = self.keys.len() as u16;
        self.keys.insert(k, key);
        Ok(key)
    }

    /// The row of a span in a process named as one of our export's runs.
    fn run_row(&self, e: &Map<String, Value>) -> Option<Row> {
        let (pid, _) = lane_key(e);
        let &process = self.pids.get(&pid)?;
        if !self.processes[usize::from(process)].is_run() {
            return None;
        }
        let tid = id(e.get("tid"))?;
        Some(Row::Run { process, tid })
    }

    /// Task, phase, kind and state of an event starting at `start`.
    fn describe(&mut self, e: &Map<String, Value>, start: Nanos) -> Open {
        let args = e.get("args").and_then(Value::as_object);
        let task = match args.and_then(|a| a.get("task")) {
            None => Task::Lane,
            Some(Value::String(s)) if s == "-" => Task::None,
            Some(v) => match v.as_u64().or_else(|| v.as_str()?.parse().ok()) {
                // MAX_TASK < u32::MAX, so the number fits.
                Some(n) if n < MAX_TASK => Task::Number(n as u32),
                _ => {
                    self.bad_tasks += 1;
                    Task::Lane
                }
            },
        };
        let phase = args
            .and_then(|a| a.get("phase")?.as_u64())
            .and_then(|p| u8::try_from(p).ok())
            .unwrap_or(0);
        let name = e.get("name").and_then(Value::as_str).unwrap_or("");
        let kind = match name.split_whitespace().next().unwrap_or("") {
            "io" => PhaseKind::Io,
            "cpu" => PhaseKind::Cpu,
            "block" => PhaseKind::Block,
            "incr" => PhaseKind::Incr,
            _ => PhaseKind::None,
        };
        let named = |s: &str| SpanState::ALL.into_iter().find(|st| st.name() == s.trim());
        let state = args
            .and_then(|a| a.get("state")?.as_str())
            .and_then(named)
            .or_else(|| e.get("cat")?.as_str()?.split(',').find_map(named))
            .unwrap_or(SpanState::Running);
        Open {
            start,
            task,
            phase,
            kind,
            state,
        }
    }

    /// The processes that are our export's runs, in order, if every span is
    /// in one of them: then the file is our export.
    fn our_runs(&self) -> Option<Vec<u16>> {
        let run = |p: &Process| p.is_run() && p.lanes.contains(&MAIN_LANE);
        let all_in_runs = !self.raws.is_empty()
            && self.raws.iter().all(|r| match r.row {
                Row::Run { process, .. } => run(&self.processes[usize::from(process)]),
                Row::Pair(_) => false,
            });
        all_in_runs.then(|| {
            (0..self.processes.len() as u16)
                .filter(|&p| run(&self.processes[usize::from(p)]))
                .collect()
        })
    }

    /// Each span's (pid, tid) key, for a file read as one run: threads first
    /// taken for a run's (a file named like our export until a later name
    /// said otherwise) get theirs now, after the others.
    fn pair_keys(&mut self) -> Result<Vec<u16>, ImportError> {
        let mut keys = Vec::with_capacity(self.raws.len());
        for i in 0..self.raws.len() {
            let key = match self.raws[i].row {
                Row::Pair(key) => key,
                Row::Run { process, tid } => {
                    let k = (
                        self.processes[usize::from(process)].pid.clone(),
                        tid.to_string(),
                    );
                    match self.keys.get(&k) {
                        Some(&key) => key,
                        None if self.keys.len() >= MAX_LANES => {
                            return Err(ImportError::TooManyLanes)
                        }
                        None => {
                            let key = self.keys.len() as u16;
                            self.keys.insert(k, key);
                            key
                        }
                    }
                }
            };
            keys.push(key);
        }
        Ok(keys)
    }

    /// How many `thread_name` and `process_name` events [`Builder::lane_names`]
    /// uses for a file read as one run (they are not ignored).
    fn names_used(&self) -> usize {
        let mut pairs: Vec<Option<&(String, String)>> = vec![None; self.keys.len()];
        for (pair, &key) in &self.keys {
            pairs[usize::from(key)] = Some(pair);
        }
        let mut runs: HashSet<(u16, u64)> = HashSet::new();
        let mut threads: HashSet<(String, String)> = HashSet::new();
        for r in &self.raws {
            match r.row {
                Row::Pair(key) => {
                    if let Some(Some(pair)) = pairs.get(usize::from(key)) {
                        threads.insert((*pair).clone());
                    }
                }
                Row::Run { process, tid } => {
                    if runs.insert((process, tid)) {
                        threads.insert((
                            self.processes[usize::from(process)].pid.clone(),
                            tid.to_string(),
                        ));
                    }
                }
            }
        }
        let pids: HashSet<&str> = threads.iter().map(|(p, _)| p.as_str()).collect();
        let processes = if pids.len() > 1 {
            self.processes
                .iter()
                .filter(|p| p.name.is_some() && pids.contains(p.pid.as_str()))
                .count()
        } else {
            0
        };
        self.thread_names
            .keys()
            .filter(|k| threads.contains(*k))
            .count()
            + processes
    }

    /// The lanes' names for a file read as one run (lane = key + 1; lane 0
    /// is left to the playground's name): a thread's `thread_name`, with its
    /// process's `process_name` after it when the file has several processes
    /// (the thread first: a narrow label column keeps what tells rows apart);
    /// a thread no event named is "tid T (pid P)" in other tools' files ("worker N" would claim it was one of ours), and keeps the
    /// playground's name in our Python programs' files.
    fn lane_names(&self, ours: bool) -> Vec<String> {
        let pids: BTreeSet<&str> = self.keys.keys().map(|(p, _)| p.as_str()).collect();
        let several = pids.len() > 1;
        let mut names = vec![String::new(); 1 + self.keys.len()];
        for (k @ (pid, tid), &key) in &self.keys {
            let process = self
                .pids
                .get(pid)
                .and_then(|&p| self.processes[usize::from(p)].name.as_deref());
            let name = match (self.thread_names.get(k), process) {
                (Some(t), Some(p)) if several => format!("{t} ({p})"),
                (Some(t), _) => t.clone(),
                (None, Some(p)) if several => format!("tid {tid} ({p})"),
                (None, _) if ours => String::new(),
                (None, _) if several => format!("tid {tid} (pid {pid})"),
                (None, _) => format!("tid {tid}"),
            };
            names[usize::from(key) + 1] = name;
        }
        names
    }

    /// What was skipped, ignored or cut short, one sentence each.
    fn skipped_notes(&mut self) -> Vec<String> {
        // A "B" never closed has no end to draw: counted, not guessed.
        let unclosed: usize = self.open.values().map(Vec::len).sum();
        let mut notes = std::mem::take(&mut self.notes);
        let ignored: usize = self.ignored.iter().map(|(_, n)| n).sum::<usize>() + self.ignored_rest;
        if ignored > 0 {
            let mut kinds: Vec<String> = self
                .ignored
                .iter()
                .map(|(k, n)| format!("\"{k}\" × {}", thousands(*n as u64)))
                .collect();
            if self.ignored_rest > 0 {
                kinds.push(format!(
                    "other kinds × {}",
                    thousands(self.ignored_rest as u64)
                ));
            }
            notes.push(format!(
                "Ignored {} of kinds other than spans ({}): only complete (\"X\") events and \"B\"/\"E\" pairs are drawn.",
                count(ignored, "event"),
                kinds.join(", ")
            ));
        }
        if self.bad_time > 0 {
            notes.push(format!(
                "Skipped {} with a missing, negative, non-numeric or too large time or duration.",
                count(self.bad_time, "event")
            ));
        }
        if self.not_objects > 0 {
            notes.push(format!(
                "Skipped {} of the events array that are not objects.",
                count(self.not_objects, "entry")
            ));
        }
        if self.unmatched_ends > 0 || unclosed > 0 {
            let ends = (self.unmatched_ends > 0).then(|| {
                format!(
                    "{} without a \"B\"",
                    count(self.unmatched_ends, "\"E\" event")
                )
            });
            let opens =
                (unclosed > 0).then(|| format!("{} never ended", count(unclosed, "\"B\" event")));
            let said: Vec<String> = ends.into_iter().chain(opens).collect();
            notes.push(format!("Skipped {}.", said.join(" and ")));
        }
        if self.bad_tasks > 0 {
            notes.push(format!(
                "{} an args.task that is not a task number below {}: each counts as its thread's own task.",
                if self.bad_tasks == 1 { "1 event has".to_string() } else { format!("{} events have", thousands(self.bad_tasks as u64)) },
                thousands(MAX_TASK)
            ));
        }
        notes
    }

    fn finish(mut self, other: Option<&Value>) -> Result<Vec<Imported>, ImportError> {
        let ours =
            other.is_some_and(|o| o.get("format").and_then(Value::as_str) == Some(TRACE_FORMAT));
        // Our Python files name their processes otherwise, but say so anyway.
        let runs = if ours { None } else { self.our_runs() };
        if let Some(runs) = &runs {
            let used = runs
                .iter()
                .map(|&p| self.processes[usize::from(p)].name_events)
                .sum();
            self.unignore("M", used);
        } else if !ours {
            // Another tool's file: the names of its threads with spans (and
            // of their processes, when there are several) name the lanes.
            let used = self.names_used();
            self.unignore("M", used);
        }
        let notes = self.skipped_notes();
        if self.raws.is_empty() {
            return Err(ImportError::NoSpans {
                events: self.events,
                notes,
            });
        }
        match runs {
            Some(runs) => Ok(self.runs(&runs, notes)),
            None => self.one_run(other, ours, notes).map(|i| vec![i]),
        }
    }

    /// Our export's runs, one per process in `runs`; the file's notes go
    /// with the first, so they are said once.
    fn runs(&self, runs: &[u16], mut notes: Vec<String>) -> Vec<Imported> {
        let mut out = Vec::new();
        for &p in runs {
            let process = &self.processes[usize::from(p)];
            let raws: Vec<&Raw> = self
                .raws
                .iter()
                .filter(|r| matches!(r.row, Row::Run { process, .. } if process == p))
                .collect();
            let name = process.name.clone().unwrap_or_default();
            if raws.is_empty() {
                notes.push(format!("Left out {name}: the file holds no spans for it."));
                continue;
            }
            let model = Model::ALL.into_iter().find(|m| m.label() == name);
            let first_lane_task = raws
                .iter()
                .filter_map(|r| match r.task {
                    Task::Number(n) => Some(n + 1),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            let mut spans: Vec<Span> = raws
                .iter()
                .map(|r| {
                    // Threads the export named are lanes (tid = lane); the others hold spans off any lane.
                    let lane = match r.row {
                        Row::Run { tid, .. } => u16::try_from(tid)
                            .ok()
                            .filter(|l| process.lanes.contains(l))
                            .unwrap_or(NO_LANE),
                        Row::Pair(_) => NO_LANE,
                    };
                    Span {
                        task: match r.task {
                            Task::Number(n) => n,
                            Task::None => NO_TASK,
                            Task::Lane if lane == NO_LANE => NO_TASK,
                            Task::Lane => first_lane_task + u32::from(lane),
                        },
                        lane,
                        phase: r.phase,
                        kind: r.kind,
                        state: r.state,
                        // The export's times are already from the run's start.
                        start: r.start,
                        end: r.end,
                    }
                })
                .collect();
            spans.sort_by_key(|s| s.start);
            let trace = Trace {
                model,
                // The model's own label names it; a run of no model keeps its name, unless "-".
                label: (model.is_none() && name != "-").then_some(name),
                source: Source::Imported,
                lanes: process.lanes.last().map_or(1, |l| l + 1),
                tasks: task_count(&spans).max(process.tasks.unwrap_or(0)),
                start: 0,
                end: last_end(&spans).max(process.wall_us.map_or(0, |us| (us * 1e3) as Nanos)),
                spans,
                ..Trace::default()
            };
            out.push(Imported {
                label: marked(&trace.display_name()),
                trace,
                notes: Vec::new(),
            });
        }
        // `runs` holds the process of every span, so `out` is not empty.
        if let Some(first) = out.first_mut() {
            first.notes = notes;
        }
        out
    }

    /// Any other file, as one run: a lane per (pid, tid), or our Python
    /// files' flavour's lanes.
    fn one_run(
        mut self,
        other: Option<&Value>,
        ours: bool,
        mut notes: Vec<String>,
    ) -> Result<Imported, ImportError> {
        let keys = self.pair_keys()?;
        let text = |key: &str| other.and_then(|o| o.get(key)?.as_str()).map(clean);
        let flavour = if ours {
            text("flavour").as_deref().and_then(Flavour::from_name)
        } else {
            None
        };
        if ours {
            if let Some(v) = other
                .and_then(|o| o.get("version")?.as_u64())
                .filter(|&v| v > u64::from(TRACE_VERSION))
            {
                notes.push(format!("The file is version {v} of the playground's Python trace; this page reads version {TRACE_VERSION}."));
            }
            if flavour.is_none() {
                notes.push("The file does not say which Python flavour wrote it: each thread is drawn as a lane.".into());
            }
        }
        let one_thread = matches!(flavour, Some(Flavour::Sequential | Flavour::Asyncio));
        let asyncio = flavour == Some(Flavour::Asyncio);

        let origin = self.raws.iter().map(|r| r.start).min().unwrap_or(0);
        let explicit = self
            .raws
            .iter()
            .filter_map(|r| {
                if let Task::Number(n) = r.task {
                    Some(n)
                } else {
                    None
                }
            })
            .max();
        let first_lane_task = explicit.map_or(0, |n| n + 1);
        let mut spans: Vec<Span> = self
            .raws
            .iter()
            .zip(&keys)
            .map(|(r, &key)| Span {
                task: match r.task {
                    Task::Number(n) => n,
                    Task::None => NO_TASK,
                    Task::Lane => first_lane_task + u32::from(key),
                },
                lane: match (one_thread, asyncio && r.state == SpanState::Waiting) {
                    (true, true) => NO_LANE,
                    (true, false) => MAIN_LANE,
                    (false, _) => key + 1,
                },
                phase: r.phase,
                kind: r.kind,
                state: r.state,
                start: r.start - origin,
                end: r.end - origin,
            })
            .collect();
        // B/E pairs end up in end order: draw everything in start order.
        spans.sort_by_key(|s| s.start);

        let label = if ours {
            let mut parts = vec![format!(
                "{} {}",
                text("implementation").unwrap_or_else(|| "Python".into()),
                text("python").unwrap_or_default()
            )
            .trim()
            .to_string()];
            parts.extend(text("flavour"));
            parts.extend(text("machine").filter(|m| !m.is_empty()));
            parts.join(", ")
        } else {
            format!("Imported trace ({})", count(self.events, "event"))
        };
        let number = |key: &str| other.and_then(|o| o.get(key)?.as_u64());
        let checksum = other
            .and_then(|o| match o.get("checksum")? {
                Value::String(s) => s.trim().parse::<u128>().ok(),
                v => v.as_u64().map(u128::from),
            })
            .unwrap_or(0);
        let lane_names = if one_thread {
            Vec::new()
        } else {
            self.lane_names(ours)
        };
        let trace = Trace {
            model: None,
            label: Some(label.clone()),
            source: Source::Imported,
            lane_names,
            lanes: if one_thread {
                1
            } else {
                1 + self.keys.len() as u16
            },
            tasks: task_count(&spans),
            start: 0,
            end: last_end(&spans),
            spans,
            checksum,
            counter: number("counter").unwrap_or(0),
            increments: number("increments").unwrap_or(0),
            ..Trace::default()
        };
        Ok(Imported {
            trace,
            label,
            notes,
        })
    }
}

/// A run's name marked as imported, so it is not taken for the live run of
/// the same model (once, should the name already say so).
fn marked(name: &str) -> String {
    if name.ends_with(IMPORTED_MARK) {
        name.to_string()
    } else {
        format!("{name}{IMPORTED_MARK}")
    }
}

/// A pid or tid as a number (JSON numbers and numeric strings alike).
fn id(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::String(s) => s.parse().ok(),
        v => v.as_u64(),
    }
}

/// The (pid, tid) pair of an event, as JSON text (numbers and strings alike).
fn lane_key(e: &Map<String, Value>) -> (String, String) {
    let text = |k: &str| match e.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    (text("pid"), text("tid"))
}

/// A time or duration in µs, if it is a number in `0..=MAX_TIME_US`.
fn micros(v: Option<&Value>) -> Option<f64> {
    let us = v?.as_f64()?;
    (us.is_finite() && (0.0..=MAX_TIME_US).contains(&us)).then_some(us)
}

/// µs (checked by [`micros`]) to ns.
fn nanos(us: f64) -> Nanos {
    // In range: us ≤ 2⁵³, so us × 1000 < u64::MAX.
    (us * 1000.0).round() as Nanos
}

/// A label part from the file: control and direction-override characters
/// dropped (they could hide or reorder the rest), at most MAX_LABEL_PART
/// characters. Markup stays: it is text.
fn clean(s: &str) -> String {
    let kept: String = s
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}'))
        .collect();
    let kept = kept.trim();
    if kept.chars().count() > MAX_LABEL_PART {
        kept.chars().take(MAX_LABEL_PART - 1).chain(['…']).collect()
    } else {
        kept.to_string()
    }
}

/// "1 event", "2,000 events" ("entry" → "entries").
fn count(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("1 {noun}"),
        (n, Some(stem)) => format!("{} {stem}ies", thousands(n as u64)),
        (n, None) => format!("{} {noun}s", thousands(n as u64)),
    }
}

/// What a JSON value is, for messages.
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// 2000000 → "2,000,000".
fn thousands(n: u64) -> String {
    workload::units::group_digits(n, ',')
}

/// What a dropped file held: our own results export (every run, with the
/// events replay needs) or a Trace Event file (one run).
pub fn import_any(text: &str) -> Result<Vec<Imported>, ImportError> {
    if text.len() > MAX_BYTES {
        return Err(ImportError::TooLarge { bytes: text.len() });
    }
    // Our results export says so in its first bytes; anything else is read
    // as Trace Event JSON (one event at a time, whatever its size).
    let head: String = text.chars().take(400).collect();
    if head.contains("\"nogil-playground-results\"") {
        return import_results(text);
    }
    import_trace_event_runs(text)
}

/// What the page says once a file is imported: what it held, then what was
/// skipped or guessed, each note once. Plain text.
///
/// # Examples
///
/// ```
/// let runs = engine::import::import_any(r#"[{"ph": "X", "name": "cpu", "ts": 0, "dur": 5}]"#).unwrap();
/// assert_eq!(engine::import::summary(&runs), "Imported trace (1 event).");
/// ```
pub fn summary(runs: &[Imported]) -> String {
    let mut out = match runs {
        [] => "Imported nothing.".to_string(),
        // A file read as one run: its label says what it is ("Imported trace (…)" already says "Imported").
        [one] if !one.label.ends_with(IMPORTED_MARK) => {
            let lead = if one.label.starts_with("Imported ") {
                one.label.clone()
            } else {
                format!("Imported {}", one.label)
            };
            sentence(lead)
        }
        // Runs of our own exports: name them, without the mark each label carries.
        runs => {
            let names: Vec<&str> = runs
                .iter()
                .map(|r| r.label.strip_suffix(IMPORTED_MARK).unwrap_or(&r.label))
                .collect();
            sentence(format!(
                "Imported {}: {}",
                count(runs.len(), "run"),
                listed(&names)
            ))
        }
    };
    let mut said: Vec<&str> = Vec::new();
    for note in runs.iter().flat_map(|r| &r.notes) {
        if !said.contains(&note.as_str()) {
            said.push(note);
            out.push(' ');
            out.push_str(note);
        }
    }
    out
}

/// `text` ending with a full stop (once).
fn sentence(mut text: String) -> String {
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// "a", "a and b", "a, b and c".
fn listed(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn results_error(message: impl Into<String>) -> ImportError {
    ImportError::Shape(message.into())
}

/// Reads our own results export (version 2, with `runs`) back into traces,
/// events included, so the inspector works on them as on a fresh run.
pub fn import_results(text: &str) -> Result<Vec<Imported>, ImportError> {
    use crate::trace::{Event, EventKind, Resource};
    let v: Value = serde_json::from_str(text).map_err(|e| ImportError::NotJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let runs = v.get("runs").and_then(Value::as_array).ok_or_else(|| {
        results_error("this results file has no runs in it (files from before version 2 hold only the metrics): export it again from the playground")
    })?;
    let mut out = Vec::new();
    for r in runs {
        let num = |k: &str| r.get(k).and_then(Value::as_u64).unwrap_or(0);
        let model = r
            .get("model")
            .and_then(Value::as_str)
            .and_then(|m| m.parse::<crate::model::Model>().ok());
        let lanes = (num("lanes").clamp(1, MAX_LANES as u64)) as u16;
        let tasks = num("tasks").min(MAX_TASK);
        let mut trace = Trace {
            model,
            label: r.get("label").and_then(Value::as_str).map(clean),
            source: Source::Imported,
            implementation: r.get("implementation").and_then(Value::as_str).map(clean),
            lanes,
            tasks,
            start: 0,
            end: num("wall_ns"),
            cancelled: r.get("cancelled").and_then(Value::as_bool).unwrap_or(false),
            checksum: r
                .get("checksum")
                .and_then(Value::as_str)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
            counter: num("counter"),
            increments: num("increments"),
            gil_handovers: num("gil_handovers"),
            detail_tasks: r
                .get("detail_tasks")
                .and_then(Value::as_u64)
                .map(|d| d.min(u64::from(u32::MAX)) as u32),
            events_dropped: num("events_dropped"),
            ..Trace::default()
        };
        let rows = |k: &str| {
            r.get(k)
                .and_then(Value::as_array)
                .map(|a| a.as_slice())
                .unwrap_or(&[])
        };
        if rows("spans").len() + rows("events").len() > MAX_EVENTS * 4 {
            return Err(ImportError::TooManyEvents);
        }
        let field = |a: &[Value], i: usize| a.get(i).and_then(Value::as_u64);
        // Rows that are not what the export writes: counted, and said once per run.
        let (mut bad_spans, mut bad_events) = (0, 0);
        for s in rows("spans") {
            let Some(a) = s.as_array() else {
                bad_spans += 1;
                continue;
            };
            let (
                Some(task),
                Some(lane),
                Some(phase),
                Some(kind),
                Some(state),
                Some(start),
                Some(end),
            ) = (
                field(a, 0),
                field(a, 1),
                field(a, 2),
                field(a, 3),
                field(a, 4),
                field(a, 5),
                field(a, 6),
            )
            else {
                bad_spans += 1;
                continue;
            };
            let kind = [
                PhaseKind::Io,
                PhaseKind::Cpu,
                PhaseKind::Block,
                PhaseKind::Incr,
                PhaseKind::None,
            ]
            .get(kind as usize)
            .copied()
            .unwrap_or(PhaseKind::None);
            let Some(state) = SpanState::ALL.get(state as usize).copied() else {
                bad_spans += 1;
                continue;
            };
            let lane = if lane >= u64::from(lanes) {
                NO_LANE
            } else {
                lane as u16
            };
            if end >= start && task <= u64::from(u32::MAX) {
                trace.spans.push(Span {
                    task: task as u32,
                    lane,
                    phase: phase.min(255) as u8,
                    kind,
                    state,
                    start,
                    end,
                });
            } else {
                bad_spans += 1;
            }
        }
        for e in rows("events") {
            let Some(a) = e.as_array() else {
                bad_events += 1;
                continue;
            };
            let (Some(at), Some(task), Some(lane), Some(kind), Some(res), Some(arg)) = (
                field(a, 0),
                field(a, 1),
                field(a, 2),
                field(a, 3),
                field(a, 4),
                field(a, 5),
            ) else {
                bad_events += 1;
                continue;
            };
            let Some(kind) = EventKind::ALL.get(kind as usize).copied() else {
                bad_events += 1;
                continue;
            };
            let res = [
                Resource::None,
                Resource::Gil,
                Resource::Semaphore,
                Resource::Lane,
            ]
            .get(res as usize)
            .copied()
            .unwrap_or(Resource::None);
            let lane = if lane >= u64::from(lanes) {
                NO_LANE
            } else {
                lane as u16
            };
            if task <= u64::from(u32::MAX) {
                trace.events.push(Event {
                    at,
                    arg,
                    task: task as u32,
                    lane,
                    kind,
                    res,
                });
            } else {
                bad_events += 1;
            }
        }
        Event::sort_by_time(&mut trace.events);
        let name = trace.display_name();
        let mut notes = Vec::new();
        if bad_spans + bad_events > 0 {
            let what: Vec<String> = [(bad_spans, "span"), (bad_events, "event")]
                .into_iter()
                .filter(|&(n, _)| n > 0)
                .map(|(n, noun)| count(n, noun))
                .collect();
            let what: Vec<&str> = what.iter().map(String::as_str).collect();
            notes.push(format!(
                "Skipped {} of {name} that are not rows of numbers in range, as the export writes them.",
                listed(&what)
            ));
        }
        out.push(Imported {
            label: marked(&name),
            trace,
            notes,
        });
    }
    if out.is_empty() {
        return Err(results_error("this results file has no runs in it"));
    }
    Ok(out)
}

/// Tasks in `spans`: one more than the highest task index (spans of no task aside).
fn task_count(spans: &[Span]) -> u64 {
    spans
        .iter()
        .filter(|s| s.task != NO_TASK)
        .map(|s| u64::from(s.task) + 1)
        .max()
        .unwrap_or(0)
}

/// Where the last span ends (0 for none).
fn last_end(spans: &[Span]) -> Nanos {
    spans.iter().map(|s| s.end).max().unwrap_or(0)
}
