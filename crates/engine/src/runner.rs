//! One task's phases, written once.
//!
//! The browser's real event loop and the simulator's virtual one run the same
//! [`run_loop_task`]; only the [`Env`] differs (real kernel and timers, or a
//! virtual clock charged by calibrated costs). The sequential runner is shared
//! the same way. That is what makes the "predicted" column honest: it is this
//! code, not a formula.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use workload::{IncrMode, Options, Phase, Workload};

use crate::executor::{yield_now, Handle, Semaphore};
use crate::time::Nanos;
use crate::trace::{Failure, PhaseKind, Span, SpanState, Trace, MAIN_LANE, NO_LANE};

/// What a task needs from the world it runs in.
pub trait Env {
    /// The current time on the run's clock.
    fn now(&self) -> Nanos;
    /// A cooperative wait until `deadline` (other tasks run meanwhile).
    fn sleep_until(&self, deadline: Nanos) -> impl Future<Output = ()>;
    /// Lets every other ready task run once.
    fn yield_now(&self) -> impl Future<Output = ()>;
    /// Σ i² for `start <= i < end`, exactly, charging the time it takes.
    fn cpu(&self, start: u64, end: u64) -> u128;
    /// Holds the thread for `d` without yielding (`time.sleep` in a coroutine).
    fn block(&self, d: Nanos);
}

/// A phase with its options resolved and its jitter applied: what to do, concretely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The phase's index in the recipe.
    pub index: u8,
    /// What to do.
    pub action: Action,
    /// Payload to carry to and from a worker, in KiB.
    pub payload_kib: u32,
}

/// The concrete action of a [`Step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Wait cooperatively.
    Io(Nanos),
    /// Compute Σ i² for i < `n`, yielding every `yield_every` iterations (0 = never).
    Cpu {
        /// Iterations.
        n: u64,
        /// Iterations between yields; 0 = never yield.
        yield_every: u64,
    },
    /// Block the thread.
    Block(Nanos),
    /// Read the shared counter, maybe wait, write it back plus one.
    Incr(IncrMode),
}

impl Action {
    /// The kind of phase this action comes from.
    pub fn kind(&self) -> PhaseKind {
        match self {
            Action::Io(_) => PhaseKind::Io,
            Action::Cpu { .. } => PhaseKind::Cpu,
            Action::Block(_) => PhaseKind::Block,
            Action::Incr(_) => PhaseKind::Incr,
        }
    }
}

/// The concrete steps of task `index`, with jitter drawn from a stream of its
/// own (so the values never depend on the order tasks happen to run in).
pub fn steps(phases: &[Phase], group_opts: &Options, seed: u64, index: u64) -> Vec<Step> {
    let mut rng = workload::task_rng(seed, index);
    phases
        .iter()
        .enumerate()
        .map(|(i, phase)| {
            let o = Options::resolve(phase.opts(), group_opts);
            let action = match phase {
                Phase::Io { dur, .. } => Action::Io(workload::jitter(*dur, o.jitter_pct, &mut rng)),
                Phase::Cpu { n, .. } => Action::Cpu {
                    n: workload::jitter(*n, o.jitter_pct, &mut rng),
                    yield_every: o.yield_every,
                },
                Phase::Block { dur, .. } => Action::Block(workload::jitter(*dur, o.jitter_pct, &mut rng)),
                Phase::Incr { mode, .. } => Action::Incr(*mode),
            };
            Step { index: i as u8, action, payload_kib: o.payload_kib }
        })
        .collect()
}

/// Collects spans and run-wide tallies while tasks run.
#[derive(Debug, Default)]
pub struct Recorder {
    spans: RefCell<Vec<Span>>,
    checksum: Cell<u128>,
    increments: Cell<u64>,
    counter: Cell<u64>,
    gil_handovers: Cell<u64>,
    failures: RefCell<Vec<Failure>>,
}

impl Recorder {
    /// A new, empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a span; empty spans are dropped (they draw nothing and cost memory).
    pub fn span(&self, task: u32, lane: u16, step: &Step, state: SpanState, start: Nanos, end: Nanos) {
        self.push(Span { task, lane, phase: step.index, kind: step.action.kind(), state, start, end });
    }

    /// Records a ready-made span (empty ones are dropped).
    pub fn push(&self, span: Span) {
        if span.end > span.start {
            self.spans.borrow_mut().push(span);
        }
    }

    /// Adds a CPU phase's result to the run's checksum.
    pub fn add_checksum(&self, sum: u128) {
        self.checksum.set(self.checksum.get().wrapping_add(sum));
    }

    /// The shared counter's value (`incr` reads it).
    pub fn read_counter(&self) -> u64 {
        self.counter.get()
    }

    /// Writes the shared counter and counts one attempted increment.
    pub fn write_counter(&self, value: u64) {
        self.counter.set(value);
        self.increments.set(self.increments.get() + 1);
    }

    /// Sets the counter's final value and the increments attempted (for runs
    /// whose counter lives elsewhere, such as shared memory).
    pub fn set_counter(&self, counter: u64, increments: u64) {
        self.counter.set(counter);
        self.increments.set(increments);
    }

    /// Adds `n` GIL hand-overs counted elsewhere.
    pub fn add_gil_handovers(&self, n: u64) {
        self.gil_handovers.set(self.gil_handovers.get() + n);
    }

    /// Counts a GIL hand-over.
    pub fn gil_handover(&self) {
        self.gil_handovers.set(self.gil_handovers.get() + 1);
    }

    /// Records a failed task.
    pub fn fail(&self, task: u32, message: impl Into<String>) {
        self.failures.borrow_mut().push(Failure { task, message: message.into() });
    }

    /// Moves what was recorded into `trace` (spans, tallies, failures).
    pub fn finish_into(&self, trace: &mut Trace) {
        trace.spans = self.spans.take();
        trace.checksum = self.checksum.get();
        trace.increments = self.increments.get();
        trace.counter = self.counter.get();
        trace.gil_handovers = self.gil_handovers.get();
        trace.failures = self.failures.take();
    }

    /// Spans recorded so far.
    pub fn span_count(&self) -> usize {
        self.spans.borrow().len()
    }
}

/// Everything the loop's tasks share.
pub struct LoopCtx<E> {
    /// The world tasks run in.
    pub env: E,
    /// Where spans go.
    pub rec: Recorder,
    /// The workload being run.
    pub workload: Workload,
    /// The concurrency limit, if any.
    pub limit: Option<Semaphore>,
    /// Seed for jitter.
    pub seed: u64,
}

/// One task on the event loop: CPU on the main thread in slices between
/// yields, waits that overlap, blocking calls that stall everyone. `ready_at`
/// is when it was spawned (it is queued from then until first polled).
pub async fn run_loop_task<E: Env>(ctx: Rc<LoopCtx<E>>, group: usize, index: u64, ready_at: Nanos) {
    let env = &ctx.env;
    let rec = &ctx.rec;
    let task = index as u32;
    let g = &ctx.workload.groups[group];
    let steps = steps(&g.phases, &g.opts, ctx.seed, index);
    let Some(first) = steps.first() else { return };
    // `at` is where the task's last span ended: each span starts there, so a
    // task's spans tile its life with no gap, whatever the clock reads between.
    let mut at = env.now();
    rec.span(task, NO_LANE, first, SpanState::Queued, ready_at, at);
    let _permit = match &ctx.limit {
        Some(sem) => {
            let permit = sem.acquire().await;
            let t = env.now();
            rec.span(task, NO_LANE, first, SpanState::Queued, at, t);
            at = t;
            Some(permit)
        }
        None => None,
    };
    for step in &steps {
        match step.action {
            Action::Io(d) => {
                let due = at.saturating_add(d);
                env.sleep_until(due).await;
                let t1 = env.now();
                // Waiting until the I/O is due; after that the task is ready
                // and any delay is the loop's (lag, or others hogging it).
                rec.span(task, NO_LANE, step, SpanState::Waiting, at, due.min(t1));
                rec.span(task, NO_LANE, step, SpanState::Queued, due.min(t1), t1);
                at = t1;
            }
            Action::Cpu { n, yield_every } => {
                let mut i: u64 = 0;
                let mut sum = 0u128;
                loop {
                    let end = if yield_every == 0 { n } else { n.min(i.saturating_add(yield_every)) };
                    sum += env.cpu(i, end);
                    let t1 = env.now();
                    rec.span(task, MAIN_LANE, step, SpanState::Running, at, t1);
                    at = t1;
                    i = end;
                    if i >= n {
                        break;
                    }
                    env.yield_now().await;
                    let t2 = env.now();
                    rec.span(task, NO_LANE, step, SpanState::Queued, at, t2);
                    at = t2;
                }
                rec.add_checksum(sum);
            }
            Action::Block(d) => {
                env.block(d);
                let t1 = env.now();
                rec.span(task, MAIN_LANE, step, SpanState::Running, at, t1);
                at = t1;
            }
            Action::Incr(mode) => {
                let value = rec.read_counter();
                let state = match mode {
                    IncrMode::Plain | IncrMode::Atomic => SpanState::Running,
                    IncrMode::Await => {
                        env.yield_now().await;
                        SpanState::Queued
                    }
                    IncrMode::AwaitFor(d) => {
                        env.sleep_until(env.now().saturating_add(d as Nanos)).await;
                        SpanState::Waiting
                    }
                };
                // The write uses the value read before the await: the race.
                let value = if mode == IncrMode::Atomic { rec.read_counter() } else { value };
                rec.write_counter(value + 1);
                let t1 = env.now();
                let lane = if state == SpanState::Running { MAIN_LANE } else { NO_LANE };
                rec.span(task, lane, step, state, at, t1);
                at = t1;
            }
        }
    }
}

/// Runs the whole workload task after task, every wait blocking: a plain
/// Python loop with `time.sleep`. Returns early if `stop` says so between tasks.
pub fn run_sequential<E: Env>(
    env: &E,
    rec: &Recorder,
    workload: &Workload,
    seed: u64,
    mut stop: impl FnMut() -> bool,
) {
    let mut index = 0u64;
    for g in &workload.groups {
        for _ in 0..g.count {
            if stop() {
                return;
            }
            let task = index as u32;
            for step in steps(&g.phases, &g.opts, seed, index) {
                let t0 = env.now();
                let state = match step.action {
                    Action::Io(d) => {
                        env.block(d);
                        SpanState::Waiting
                    }
                    Action::Cpu { n, .. } => {
                        rec.add_checksum(env.cpu(0, n));
                        SpanState::Running
                    }
                    Action::Block(d) => {
                        env.block(d);
                        SpanState::Running
                    }
                    Action::Incr(mode) => {
                        if let IncrMode::AwaitFor(d) = mode {
                            env.block(d);
                        }
                        rec.write_counter(rec.read_counter() + 1);
                        SpanState::Running
                    }
                };
                rec.span(task, MAIN_LANE, &step, state, t0, env.now());
            }
            index += 1;
        }
    }
}

/// Tasks spawned per poll by [`spawn_batched`].
pub const SPAWN_BATCH: u64 = 2_000;

/// Spawns, from a task of its own, `f(handle, group, index, now)` for every
/// task of `workload` in order, [`SPAWN_BATCH`] per poll with a yield between
/// batches: spawning 100,000 tasks in one go would block the page for a long
/// frame. The browser and the simulator spawn the same way, so they agree.
pub fn spawn_batched(handle: &Handle, workload: &Workload, f: impl Fn(&Handle, usize, u64, Nanos) + 'static) {
    let h = handle.clone();
    let counts: Vec<u32> = workload.groups.iter().map(|g| g.count).collect();
    handle.spawn(async move {
        let mut index = 0u64;
        for (group, count) in counts.into_iter().enumerate() {
            for _ in 0..count {
                f(&h, group, index, h.now());
                index += 1;
                if index.is_multiple_of(SPAWN_BATCH) {
                    yield_now().await;
                }
            }
        }
    });
}
