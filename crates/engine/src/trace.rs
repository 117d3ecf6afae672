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

/// Everything recorded about one run of one model.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// The model that ran (`None` only for an empty default).
    pub model: Option<Model>,
    /// Lanes: 1 (main) + workers.
    pub lanes: u16,
    /// Tasks in the workload.
    pub tasks: u64,
    /// When the run started and ended, on the run's clock.
    pub start: Nanos,
    /// See `start`.
    pub end: Nanos,
    /// Every span, in the order recorded.
    pub spans: Vec<Span>,
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
            let lane = if s.lane == NO_LANE { "-".to_string() } else { s.lane.to_string() };
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
