//! What happened in a run: spans on lanes, and a few run-wide records.
//!
//! The same types come out of a real run in the browser and out of the
//! simulator, so the page draws and measures both with one code path.

use crate::model::Model;
use crate::time::Nanos;

/// What a task (or a lane) was doing during a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum SpanState {
    /// Executing: computing, or blocked in a blocking call while holding its lane.
    Running,
    /// Waiting for I/O (a timer, a `sleep`).
    Waiting,
    /// Ready (or waiting for a slot: a lane, a connection) but not running.
    Queued,
    /// A thread that wants to run but waits for the GIL.
    GilBlocked,
    /// A worker starting up (loading and compiling its wasm).
    Startup,
    /// Moving a job and its payload to or from a worker.
    Transfer,
}

impl SpanState {
    /// Every state, in legend order.
    pub const ALL: [SpanState; 6] = [
        SpanState::Running,
        SpanState::Waiting,
        SpanState::Queued,
        SpanState::GilBlocked,
        SpanState::Startup,
        SpanState::Transfer,
    ];

    /// The name used in exports and CSS classes.
    pub fn name(self) -> &'static str {
        match self {
            SpanState::Running => "running",
            SpanState::Waiting => "waiting",
            SpanState::Queued => "queued",
            SpanState::GilBlocked => "gil-blocked",
            SpanState::Startup => "startup",
            SpanState::Transfer => "transfer",
        }
    }
}

/// Which kind of phase a span belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PhaseKind {
    /// `io(..)`
    Io,
    /// `cpu(..)`
    Cpu,
    /// `block(..)`
    Block,
    /// `incr(..)`
    Incr,
    /// Not part of a task's recipe (start-up, slices).
    None,
}

impl PhaseKind {
    /// The phase's name in the workload language (`-` for none).
    pub fn name(self) -> &'static str {
        match self {
            PhaseKind::Io => "io",
            PhaseKind::Cpu => "cpu",
            PhaseKind::Block => "block",
            PhaseKind::Incr => "incr",
            PhaseKind::None => "-",
        }
    }
}

/// The lane of the main thread.
pub const MAIN_LANE: u16 = 0;
/// For spans that occupy no lane (a loop task waiting on a timer): they appear
/// only in the per-task view.
pub const NO_LANE: u16 = u16::MAX;
/// For spans that belong to no task (a worker starting up).
pub const NO_TASK: u32 = u32::MAX;

/// A lane's name, as the chart, its table and the exports show it: `main`
/// for the page's thread (lane 0), `worker N` for the others.
pub fn lane_name(lane: u16) -> String {
    match lane {
        0 => "main".into(),
        NO_LANE => "none".into(),
        l => format!("worker {l}"),
    }
}

/// One stretch of time in one state. 32 bytes, so a million fit in 32 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The task's index in the workload, or [`NO_TASK`].
    pub task: u32,
    /// 0 is the main thread, 1..=N the workers, [`NO_LANE`] none.
    pub lane: u16,
    /// The phase's index within the task's recipe.
    pub phase: u8,
    /// The phase's kind.
    pub kind: PhaseKind,
    /// What was happening.
    pub state: SpanState,
    /// Start, on the run's clock.
    pub start: Nanos,
    /// End (≥ start).
    pub end: Nanos,
}

impl Span {
    /// `end - start`.
    pub fn duration(&self) -> Nanos {
        self.end - self.start
    }
}

/// A task that did not finish, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The task's index.
    pub task: u32,
    /// What went wrong, for people.
    pub message: String,
}

/// Something a task can wait its turn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Resource {
    /// Nothing (events that are not about a resource).
    None,
    /// The global interpreter lock.
    Gil,
    /// A slot of the concurrency limit (`limit=`: "the database allows ten connections").
    Semaphore,
    /// A worker of the pool: a task waiting for one sits in the pool's queue.
    Lane,
}

impl Resource {
    /// The name used in exports and in the inspector.
    pub fn name(self) -> &'static str {
        match self {
            Resource::None => "-",
            Resource::Gil => "gil",
            Resource::Semaphore => "semaphore",
            Resource::Lane => "pool queue",
        }
    }
}

/// What an [`Event`] says happened. These are the scheduler's own steps, recorded
/// as they happen, so the inspector can rebuild the state of a run at any instant
/// (which task runs where, the ready queue in order, the pending timers, who holds
/// the GIL) instead of guessing it from the spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventKind {
    /// The task was created and put on the ready queue.
    Spawn,
    /// The task starts running on `lane`: a poll begins on the main thread, or a
    /// worker starts its job (or its next step, after a wait).
    Start,
    /// The task stops running and goes back to the end of the ready queue (a
    /// cooperative yield between CPU slices, `await asyncio.sleep(0)`).
    Yield,
    /// The task waits for I/O: a timer due at `arg`. On `lane` if it keeps that
    /// lane while it waits (a worker, a thread), else on no lane.
    Wait,
    /// The task's wait is over and it is ready: its timer fired, or its job's
    /// reply arrived. It joins the end of the ready queue.
    Wake,
    /// The task waits for `res` (the GIL, a semaphore slot, a worker).
    Block,
    /// The task got `res`; for the GIL, it now holds it on `lane`.
    Acquire,
    /// The task gave `res` back; `arg` is 1 when another thread was waiting for
    /// it (a GIL hand-off), else 0.
    Release,
    /// The task's job is sent to worker `lane`; it runs there from now on.
    Dispatch,
    /// The task wrote the shared counter; `arg` is the value it wrote.
    Incr,
    /// The task finished (or failed).
    Done,
}

impl EventKind {
    /// The name used in exports, tests and the inspector.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Spawn => "spawn",
            EventKind::Start => "start",
            EventKind::Yield => "yield",
            EventKind::Wait => "wait",
            EventKind::Wake => "wake",
            EventKind::Block => "block",
            EventKind::Acquire => "acquire",
            EventKind::Release => "release",
            EventKind::Dispatch => "dispatch",
            EventKind::Incr => "incr",
            EventKind::Done => "done",
        }
    }

    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 11] = [
        EventKind::Spawn,
        EventKind::Start,
        EventKind::Yield,
        EventKind::Wait,
        EventKind::Wake,
        EventKind::Block,
        EventKind::Acquire,
        EventKind::Release,
        EventKind::Dispatch,
        EventKind::Incr,
        EventKind::Done,
    ];
}

/// One scheduler event. 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// When, on the run's clock.
    pub at: Nanos,
    /// The kind's argument: a timer's due time ([`EventKind::Wait`]), the value
    /// written ([`EventKind::Incr`]), 1 for a hand-off ([`EventKind::Release`]); else 0.
    pub arg: u64,
    /// The task (the workload's task index).
    pub task: u32,
    /// The lane it happened on: [`MAIN_LANE`], a worker `1..=N`, or [`NO_LANE`].
    pub lane: u16,
    /// What happened.
    pub kind: EventKind,
    /// The resource, for [`EventKind::Block`], [`EventKind::Acquire`] and [`EventKind::Release`].
    pub res: Resource,
}

impl Event {
    /// Puts `events` in time order, keeping simultaneous events in the order
    /// they were recorded (a stable sort). Every caller goes through here so
    /// that the sort is compiled into the app once, not once per call site.
    pub fn sort_by_time(events: &mut [Event]) {
        events.sort_by_key(|e| e.at);
    }

    /// The event as one line of text, for tests and debugging:
    /// `1000000 t3 l1 wait due=5000000`.
    pub fn to_text(&self) -> String {
        let lane = if self.lane == NO_LANE {
            "-".to_string()
        } else {
            self.lane.to_string()
        };
        let mut s = format!("{} t{} l{} {}", self.at, self.task, lane, self.kind.name());
        match self.kind {
            EventKind::Wait => s.push_str(&format!(" due={}", self.arg)),
            EventKind::Incr => s.push_str(&format!(" value={}", self.arg)),
            EventKind::Block | EventKind::Acquire => s.push_str(&format!(" {}", self.res.name())),
            EventKind::Release => {
                s.push_str(&format!(" {}", self.res.name()));
                if self.arg == 1 {
                    s.push_str(" handoff");
                }
            }
            _ => {}
        }
        s
    }
}

/// Most events one trace keeps; later ones are counted in
/// [`Trace::events_dropped`] (about 96 MB: a million tasks of a few steps each).
pub const MAX_EVENTS: usize = 4_000_000;

/// Where a trace came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// A real run in this browser.
    #[default]
    Measured,
    /// The engine on its virtual clock.
    Predicted,
    /// A file someone brought (a Trace Event JSON, or our own export).
    Imported,
}

/// Everything recorded about one run of one model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// The model that ran (`None` for an empty default or an imported trace).
    pub model: Option<Model>,
    /// A name for people that overrides the model's label (imported traces:
    /// "CPython 3.13, threading, your machine").
    pub label: Option<String>,
    /// Measured, predicted or imported.
    pub source: Source,
    /// How the model was implemented in this run, when there is a choice
    /// (the GIL: "shared memory (Atomics)" or "messages through the page").
    pub implementation: Option<String>,
    /// Lanes: 1 (main) + workers.
    pub lanes: u16,
    /// The lanes' names where a file named them (an imported trace's
    /// `thread_name` events), by lane; empty (or an empty name) for the
    /// playground's own ([`lane_name`]). See [`Trace::name_of_lane`].
    pub lane_names: Vec<String>,
    /// Tasks in the workload.
    pub tasks: u64,
    /// When the run started and ended, on the run's clock.
    pub start: Nanos,
    /// See `start`.
    pub end: Nanos,
    /// Every span, in the order recorded.
    pub spans: Vec<Span>,
    /// The scheduler's events, sorted by time (ties in recorded order).
    pub events: Vec<Event>,
    /// Events not kept because the trace already held [`MAX_EVENTS`].
    pub events_dropped: u64,
    /// If set, only tasks below this index have their full record (events and
    /// off-lane spans); later tasks kept their spans on lanes only.
    pub detail_tasks: Option<u32>,
    /// What the loop's driver measured about itself (our loop models only).
    pub driver: Option<crate::driver::DriverStats>,
    /// Time spent loading the runtime before the run (CPython in the
    /// browser), kept apart from the wall time.
    pub load: Option<Nanos>,
    /// Cost figures the runtime measured directly during the run (job round
    /// trips, GIL messages), for [`crate::refine`].
    pub observed: Vec<crate::refine::Observation>,
    /// How late each timer fired (event-loop lag samples).
    pub lag: Vec<Nanos>,
    /// Stretches the main thread ran without yielding to the browser (the
    /// loop driver's slices; a sequential run is one). Empty in simulations,
    /// where metrics derive them from main-lane spans.
    pub main_blocks: Vec<(Nanos, Nanos)>,
    /// Gaps between animation frames during the run (browser only).
    pub frame_gaps: Vec<Nanos>,
    /// Σ of every CPU phase's result: proves the work was done, exactly.
    pub checksum: u128,
    /// Increments attempted on the shared counter.
    pub increments: u64,
    /// The counter's final value.
    pub counter: u64,
    /// GIL hand-overs from one thread to another.
    pub gil_handovers: u64,
    /// The run was cancelled; the trace is partial.
    pub cancelled: bool,
    /// Tasks that failed.
    pub failures: Vec<Failure>,
    /// The wall time of each run the page made of this workload and model in
    /// a row (a short run is repeated, its noise being as large as what it
    /// measures), in order; this trace is the median one. Empty: one run.
    pub repeats: Vec<Nanos>,
}

impl Trace {
    /// Wall time of the run.
    pub fn wall(&self) -> Nanos {
        self.end.saturating_sub(self.start)
    }

    /// Updates lost to races: attempted increments that did not stick.
    pub fn lost_updates(&self) -> u64 {
        self.increments.saturating_sub(self.counter)
    }

    /// The name to show for `lane`: the file's, if it named it, else the
    /// playground's (`main`, `worker N`).
    pub fn name_of_lane(&self, lane: u16) -> String {
        self.lane_names
            .get(usize::from(lane))
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| lane_name(lane))
    }

    /// The name to show for this run: its label, else its model's.
    pub fn display_name(&self) -> String {
        match (&self.label, self.model) {
            (Some(l), _) => l.clone(),
            (None, Some(m)) => m.label().to_string(),
            (None, None) => "Run".to_string(),
        }
    }

    /// The events as text, one a line (for tests that compare recordings).
    pub fn events_text(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            out.push_str(&e.to_text());
            out.push('\n');
        }
        out
    }

    /// Spans on `lane`, in recorded order.
    pub fn lane_spans(&self, lane: u16) -> impl Iterator<Item = &Span> {
        self.spans.iter().filter(move |s| s.lane == lane)
    }

    /// The trace as text, one span a line: for tests that compare traces.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = format!(
            "model={} lanes={} tasks={} wall={} checksum={} counter={}/{}\n",
            self.model.map_or("-", |m| m.name()),
            self.lanes,
            self.tasks,
            self.wall(),
            self.checksum,
            self.counter,
            self.increments
        );
        for s in &self.spans {
            let lane = if s.lane == NO_LANE {
                "-".to_string()
            } else {
                s.lane.to_string()
            };
            let _ = writeln!(
                out,
                "t{} l{} p{}:{} {} {}..{}",
                s.task,
                lane,
                s.phase,
                s.kind.name(),
                s.state.name(),
                s.start,
                s.end
            );
        }
        out
    }
}
