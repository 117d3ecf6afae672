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

use crate::executor::{yield_now, Handle, Hooks, Semaphore, TaskRef, UNTAGGED};
use crate::time::{Clock, Nanos, VirtualClock};
use crate::trace::{
    Event, EventKind, Failure, PhaseKind, Resource, Span, SpanState, Trace, MAIN_LANE, MAX_EVENTS,
    NO_LANE, NO_TASK,
};

/// What a task needs from the world it runs in.
pub trait Env {
    /// The current time on the run's clock.
    fn now(&self) -> Nanos;
    /// The time for bookkeeping when no work of the task's own ran since the
    /// clock was last read (see [`Clock::coarse_now`]); the default is
    /// [`Env::now`].
    fn coarse_now(&self) -> Nanos {
        self.now()
    }
    /// A cooperative wait until `deadline` (other tasks run meanwhile).
    fn sleep_until(&self, deadline: Nanos) -> impl Future<Output = ()>;
    /// Lets every other ready task run once.
    fn yield_now(&self) -> impl Future<Output = ()>;
    /// Σ i² for `start <= i < end`, exactly, charging the time it takes.
    fn cpu(&self, start: u64, end: u64) -> u128;
    /// Holds the thread for `d` without yielding (`time.sleep` in a coroutine).
    fn block(&self, d: Nanos);
    /// Whether a CPU phase runs as one call that never yields (JavaScript's
    /// and CPython's loops), whatever the workload's `yield=` says.
    fn cpu_never_yields(&self) -> bool {
        false
    }
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
    Steps::new(phases, group_opts, seed, index).collect()
}

/// The steps of one task, made one at a time: what [`steps`] collects, with
/// the same values (each step draws its jitter in recipe order either way),
/// but without a vector per task, which a million tasks on the loop would
/// each allocate and free.
#[derive(Debug, Clone)]
pub struct Steps<'a> {
    phases: std::slice::Iter<'a, Phase>,
    group_opts: &'a Options,
    rng: workload::SplitMix64,
    next_index: u8,
}

impl<'a> Steps<'a> {
    /// The steps of task `index` of a group with `phases` and `group_opts`.
    pub fn new(phases: &'a [Phase], group_opts: &'a Options, seed: u64, index: u64) -> Self {
        Self {
            phases: phases.iter(),
            group_opts,
            rng: workload::task_rng(seed, index),
            next_index: 0,
        }
    }
}

impl Iterator for Steps<'_> {
    type Item = Step;

    fn next(&mut self) -> Option<Step> {
        let phase = self.phases.next()?;
        let rng = &mut self.rng;
        let o = Options::resolve(phase.opts(), self.group_opts);
        let action = match phase {
            Phase::Io { dur, .. } => Action::Io(workload::jitter(*dur, o.jitter_pct, rng)),
            Phase::Cpu { n, .. } => Action::Cpu {
                n: workload::jitter(*n, o.jitter_pct, rng),
                yield_every: o.yield_every,
            },
            Phase::Block { dur, .. } => Action::Block(workload::jitter(*dur, o.jitter_pct, rng)),
            Phase::Incr { mode, .. } => Action::Incr(*mode),
        };
        let index = self.next_index;
        self.next_index = self.next_index.wrapping_add(1);
        Some(Step {
            index,
            action,
            payload_kib: o.payload_kib,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.phases.size_hint()
    }
}

/// Collects spans and run-wide tallies while tasks run.
#[derive(Debug, Default)]
pub struct Recorder {
    spans: RefCell<Vec<Span>>,
    events: RefCell<Vec<Event>>,
    events_dropped: Cell<u64>,
    /// Tasks at or past this index keep only their spans on lanes (see
    /// [`Recorder::set_detail_limit`]); `None` = every task in full.
    detail: Cell<Option<u32>>,
    detail_dropped: Cell<u64>,
    checksum: Cell<u128>,
    increments: Cell<u64>,
    counter: Cell<u64>,
    gil_handovers: Cell<u64>,
    failures: RefCell<Vec<Failure>>,
    /// Work under way on a lane whose span is only known when it ends (a
    /// job on a worker: its instants come back with the reply). Kept so a
    /// cancelled run's trace, and a live run's drawing, still show it.
    under_way: RefCell<Vec<Span>>,
    /// The steps of each job under way (by task): a cancel cuts the job
    /// into them.
    under_way_steps: RefCell<Vec<(u32, Vec<Step>)>>,
}

impl Recorder {
    /// A new, empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the full record (off-lane spans and events) only for the first
    /// `tasks` tasks; later tasks keep their spans on lanes, which is what the
    /// lanes view draws and the metrics read. A million tasks' waits would
    /// otherwise cost hundreds of MB.
    pub fn set_detail_limit(&self, tasks: u32) {
        self.detail.set(Some(tasks));
    }

    fn detailed(&self, task: u32) -> bool {
        self.detail
            .get()
            .is_none_or(|d| task < d || task == crate::trace::NO_TASK)
    }

    /// Records a span; empty spans are dropped (they draw nothing and cost memory).
    pub fn span(
        &self,
        task: u32,
        lane: u16,
        step: &Step,
        state: SpanState,
        start: Nanos,
        end: Nanos,
    ) {
        self.push(Span {
            task,
            lane,
            phase: step.index,
            kind: step.action.kind(),
            state,
            start,
            end,
        });
    }

    /// Records a ready-made span (empty ones are dropped).
    pub fn push(&self, span: Span) {
        if span.end > span.start {
            if span.lane == NO_LANE && !self.detailed(span.task) {
                self.detail_dropped.set(self.detail_dropped.get() + 1);
                return;
            }
            self.spans.borrow_mut().push(span);
        }
    }

    /// Records a scheduler event (see [`EventKind`]); past [`MAX_EVENTS`] it
    /// is only counted.
    pub fn event(&self, at: Nanos, task: u32, lane: u16, kind: EventKind, res: Resource, arg: u64) {
        if !self.detailed(task) {
            self.detail_dropped.set(self.detail_dropped.get() + 1);
            return;
        }
        let mut events = self.events.borrow_mut();
        if events.len() < MAX_EVENTS {
            events.push(Event {
                at,
                arg,
                task,
                lane,
                kind,
                res,
            });
        } else {
            self.events_dropped.set(self.events_dropped.get() + 1);
        }
    }

    /// Makes room, up front, for `spans` spans and `events` events (at most
    /// [`MAX_EVENTS`] of them, and [`MAX_SPANS_RESERVED`] spans): a run of a
    /// million tasks otherwise grows its vectors a score of times, each time
    /// copying everything recorded so far.
    pub fn reserve(&self, spans: u64, events: u64) {
        let mut s = self.spans.borrow_mut();
        let more = spans.min(MAX_SPANS_RESERVED as u64) as usize;
        let len = s.len();
        s.reserve(more.saturating_sub(len));
        let mut e = self.events.borrow_mut();
        let more = events.min(MAX_EVENTS as u64) as usize;
        let len = e.len();
        e.reserve(more.saturating_sub(len));
    }

    /// Events recorded so far.
    pub fn event_count(&self) -> usize {
        self.events.borrow().len()
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
        self.failures.borrow_mut().push(Failure {
            task,
            message: message.into(),
        });
    }

    /// Notes that `task` began `steps` (a job sent to a worker) on `lane` at
    /// `start`; they are recorded when the job ends (see
    /// [`Recorder::end_under_way`]).
    pub fn begin_under_way(&self, task: u32, lane: u16, steps: &[Step], start: Nanos) {
        let Some(first) = steps.first() else {
            return;
        };
        self.end_under_way(task);
        self.under_way.borrow_mut().push(Span {
            task,
            lane,
            phase: first.index,
            kind: first.action.kind(),
            state: match first.action {
                Action::Io(_) => SpanState::Waiting,
                _ => SpanState::Running,
            },
            start,
            end: start,
        });
        self.under_way_steps
            .borrow_mut()
            .push((task, steps.to_vec()));
    }

    /// `task`'s work under way has ended (and has been recorded, or failed).
    pub fn end_under_way(&self, task: u32) {
        self.under_way.borrow_mut().retain(|s| s.task != task);
        self.under_way_steps
            .borrow_mut()
            .retain(|(t, _)| *t != task);
    }

    /// Calls `f` with the work under way, each span ending where it began.
    pub fn with_under_way<R>(&self, f: impl FnOnce(&[Span]) -> R) -> R {
        f(&self.under_way.borrow())
    }

    /// Records the work still under way as spans cut at `end` (a cancelled
    /// run: the workers were stopped mid-job, and what they had done until
    /// then is part of the run). A job's reply never came, so its phases are
    /// laid out from its steps: a sleep and a block last what they were set
    /// to (waiting, running), a CPU step runs until the cancel. A job that
    /// slept through the cancel is no busy time.
    pub fn cut_under_way(&self, end: Nanos) {
        let mut plans = self.under_way_steps.take();
        for span in self.under_way.take() {
            let steps = plans
                .iter()
                .position(|(t, _)| *t == span.task)
                .map(|i| plans.swap_remove(i).1)
                .unwrap_or_default();
            let mut at = span.start;
            for step in &steps {
                if at >= end {
                    break;
                }
                let (state, lasts) = match step.action {
                    Action::Io(d) => (SpanState::Waiting, Some(d)),
                    Action::Block(d) => (SpanState::Running, Some(d)),
                    Action::Cpu { .. } => (SpanState::Running, None),
                    Action::Incr(_) => continue,
                };
                let stop = lasts.map_or(end, |d| at.saturating_add(d).min(end));
                self.push(Span {
                    phase: step.index,
                    kind: step.action.kind(),
                    state,
                    start: at,
                    end: stop,
                    ..span
                });
                at = stop;
            }
        }
    }

    /// Records the loop's waits still open at `end` (a cancelled run: its
    /// tasks were dropped mid-sleep, and a wait's span is recorded only when
    /// it ends). A [`EventKind::Wait`] event after which its task recorded
    /// nothing is such a wait: waiting from the event to its due time (or
    /// `end`), then ready until `end`. Its phase follows the task's spans,
    /// which tile its life: the one after the last step that ended.
    pub fn close_open_waits(&self, end: Nanos) {
        // Indexed by task (a run keeps events for at most its detailed
        // tasks): plain vectors, so a cancelled run of a million tasks
        // closes its waits in milliseconds, not in a long task.
        let spans = self.spans.borrow();
        let mut last: Vec<Option<Span>> = Vec::new();
        for s in spans.iter().filter(|s| s.task != NO_TASK) {
            let t = s.task as usize;
            if t >= last.len() {
                last.resize(t + 1, None);
            }
            if last[t].is_none_or(|l| s.end >= l.end) {
                last[t] = Some(*s);
            }
        }
        // Whether the step of the task's last span has already waited.
        let mut waited = vec![false; last.len()];
        for s in spans
            .iter()
            .filter(|s| s.state == SpanState::Waiting && s.task != NO_TASK)
        {
            if last[s.task as usize].is_some_and(|l| l.phase == s.phase) {
                waited[s.task as usize] = true;
            }
        }
        drop(spans);
        let mut open: Vec<Option<Event>> = Vec::new();
        for e in self.events.borrow().iter() {
            if e.kind == EventKind::Wait && e.at < end && e.task != NO_TASK {
                let t = e.task as usize;
                if t >= open.len() {
                    open.resize(t + 1, None);
                }
                open[t] = Some(*e);
            }
        }
        let n = open.iter().flatten().count();
        self.spans.borrow_mut().reserve(2 * n);
        for e in open.into_iter().flatten() {
            let t = e.task as usize;
            let prev = last.get(t).copied().flatten();
            if prev.is_some_and(|s| s.end > e.at) {
                continue;
            }
            let phase = match prev {
                None => 0,
                Some(s)
                    if s.state == SpanState::Queued
                        && s.kind == PhaseKind::Io
                        && !waited.get(t).copied().unwrap_or(false) =>
                {
                    s.phase
                }
                Some(s) => s.phase.saturating_add(1),
            };
            let due = (e.arg as Nanos).clamp(e.at, end);
            let span = |state, start, stop| Span {
                task: e.task,
                lane: NO_LANE,
                phase,
                kind: PhaseKind::Io,
                state,
                start,
                end: stop,
            };
            self.push(span(SpanState::Waiting, e.at, due));
            self.push(span(SpanState::Queued, due, end));
        }
    }

    /// Moves what was recorded into `trace` (spans, tallies, failures).
    pub fn finish_into(&self, trace: &mut Trace) {
        trace.spans = self.spans.take();
        let mut events = self.events.take();
        // Events from workers arrive after the fact: put them in time order
        // (stable, so simultaneous events keep the order they were recorded in).
        if !events.windows(2).all(|w| w[0].at <= w[1].at) {
            Event::sort_by_time(&mut events);
        }
        trace.events = events;
        trace.events_dropped = self.events_dropped.get();
        trace.detail_tasks = self.detail.get();
        trace.checksum = self.checksum.get();
        trace.increments = self.increments.get();
        trace.counter = self.counter.get();
        trace.gil_handovers = self.gil_handovers.get();
        trace.failures = self.failures.take();
    }

    /// Reads the spans recorded so far without taking them (the live
    /// timeline draws a run in progress this way, between the loop's slices).
    pub fn with_spans<R>(&self, f: impl FnOnce(&[Span]) -> R) -> R {
        f(&self.spans.borrow())
    }

    /// Reads the events recorded so far without taking them (in recorded
    /// order, which a live run's are, as they happen).
    pub fn with_events<R>(&self, f: impl FnOnce(&[Event]) -> R) -> R {
        f(&self.events.borrow())
    }

    /// Spans recorded so far.
    pub fn span_count(&self) -> usize {
        self.spans.borrow().len()
    }
}

/// A step's name in its spans: its index in the recipe and its kind. Two
/// bytes, where the whole [`Step`] is 32: what a sleeping task keeps of it.
#[derive(Debug, Clone, Copy)]
struct PhaseTag {
    index: u8,
    kind: PhaseKind,
}

impl PhaseTag {
    fn of(index: u8, action: Action) -> Self {
        Self {
            index,
            kind: action.kind(),
        }
    }

    fn span(self, task: u32, lane: u16, state: SpanState, start: Nanos, end: Nanos) -> Span {
        Span {
            task,
            lane,
            phase: self.index,
            kind: self.kind,
            state,
            start,
            end,
        }
    }
}

/// Where work of a task's own (CPU, a blocking call) starts: a precise
/// reading, since its running span must not begin at a coarse one a few polls
/// old. Any time between the two is the task's wait for its turn, recorded as
/// queued (none on a virtual clock, where every reading is precise).
fn precise_start<E: Env>(env: &E, rec: &Recorder, task: u32, tag: PhaseTag, at: Nanos) -> Nanos {
    let now = env.now();
    if now > at {
        rec.push(tag.span(task, NO_LANE, SpanState::Queued, at, now));
    }
    now.max(at)
}

/// Everything the loop's tasks share.
pub struct LoopCtx<E> {
    /// The world tasks run in.
    pub env: E,
    /// Where spans and events go (shared with the loop's [`LoopHooks`]).
    pub rec: Rc<Recorder>,
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
///
/// A function returning an `async` block rather than an `async fn`: an
/// `async fn` keeps each argument twice in its state (as captured and as a
/// local), which a million sleeping tasks would pay for.
#[allow(clippy::manual_async_fn)] // on purpose, as said above
pub fn run_loop_task<E: Env>(
    ctx: Rc<LoopCtx<E>>,
    group: usize,
    index: u64,
    ready_at: Nanos,
) -> impl Future<Output = ()> {
    async move {
        let env = &ctx.env;
        let rec = &ctx.rec;
        let task = index as u32;
        let g = &ctx.workload.groups[group];
        // The first step names the queued span before it. The steps are made
        // one at a time, here and again for the loop below, so that no step
        // and no vector of them is kept while the task sleeps.
        let Some(first) = Steps::new(&g.phases, &g.opts, ctx.seed, index)
            .next()
            .map(|s| PhaseTag::of(s.index, s.action))
        else {
            return;
        };
        // `at` is where the task's last span ended: each span starts there, so
        // a task's spans tile its life with no gap, whatever the clock reads
        // between. Readings are coarse (see `Clock::coarse_now`) except right
        // after work of the task's own (CPU, a blocking call), whose end only
        // a precise one can tell: between polls a coarse one is as good, and
        // far cheaper in the browser.
        let mut at = env.coarse_now();
        rec.push(first.span(task, NO_LANE, SpanState::Queued, ready_at, at));
        let _permit = match &ctx.limit {
            Some(sem) => {
                if sem.available() == 0 || sem.waiters() > 0 {
                    rec.event(at, task, NO_LANE, EventKind::Block, Resource::Semaphore, 0);
                }
                let permit = sem.acquire().await;
                let t = env.coarse_now();
                rec.event(
                    t,
                    task,
                    MAIN_LANE,
                    EventKind::Acquire,
                    Resource::Semaphore,
                    0,
                );
                rec.push(first.span(task, NO_LANE, SpanState::Queued, at, t));
                at = t;
                Some(permit)
            }
            None => None,
        };
        for Step {
            index: phase,
            action,
            ..
        } in Steps::new(&g.phases, &g.opts, ctx.seed, index)
        {
            // Only the step's tag lives across its awaits, not the whole step.
            let tag = PhaseTag::of(phase, action);
            match action {
                Action::Io(d) => {
                    let due = at.saturating_add(d);
                    let now = env.coarse_now();
                    if due > now {
                        rec.event(now, task, NO_LANE, EventKind::Wait, Resource::None, due);
                    }
                    env.sleep_until(due).await;
                    let t1 = env.coarse_now();
                    // Waiting until the I/O is due; after that the task is ready
                    // and any delay is the loop's (lag, or others hogging it).
                    rec.push(tag.span(task, NO_LANE, SpanState::Waiting, at, due.min(t1)));
                    rec.push(tag.span(task, NO_LANE, SpanState::Queued, due.min(t1), t1));
                    at = t1;
                }
                Action::Cpu { n, yield_every } => {
                    at = precise_start(env, rec, task, tag, at);
                    let yield_every = if env.cpu_never_yields() {
                        0
                    } else {
                        yield_every
                    };
                    let mut i: u64 = 0;
                    // The phase's Σ i², as two words: a `u128` kept across the
                    // yields would make every task's state 16-aligned, which
                    // the allocator serves more slowly than 8.
                    let mut sum = [0u64; 2];
                    loop {
                        let end = if yield_every == 0 {
                            n
                        } else {
                            n.min(i.saturating_add(yield_every))
                        };
                        let s = (u128::from(sum[1]) << 64 | u128::from(sum[0])) + env.cpu(i, end);
                        sum = [s as u64, (s >> 64) as u64];
                        let t1 = env.now();
                        rec.push(tag.span(task, MAIN_LANE, SpanState::Running, at, t1));
                        at = t1;
                        i = end;
                        if i >= n {
                            break;
                        }
                        env.yield_now().await;
                        // Precise: the next chunk's running span starts here.
                        let t2 = env.now();
                        rec.push(tag.span(task, NO_LANE, SpanState::Queued, at, t2));
                        at = t2;
                    }
                    rec.add_checksum(u128::from(sum[1]) << 64 | u128::from(sum[0]));
                }
                Action::Block(d) => {
                    at = precise_start(env, rec, task, tag, at);
                    env.block(d);
                    let t1 = env.now();
                    rec.push(tag.span(task, MAIN_LANE, SpanState::Running, at, t1));
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
                            let now = env.coarse_now();
                            let due = now.saturating_add(d as Nanos);
                            rec.event(now, task, NO_LANE, EventKind::Wait, Resource::None, due);
                            env.sleep_until(due).await;
                            SpanState::Waiting
                        }
                    };
                    // The write uses the value read before the await: the race.
                    let value = if mode == IncrMode::Atomic {
                        rec.read_counter()
                    } else {
                        value
                    };
                    rec.write_counter(value + 1);
                    let t1 = env.coarse_now();
                    rec.event(
                        t1,
                        task,
                        MAIN_LANE,
                        EventKind::Incr,
                        Resource::None,
                        value + 1,
                    );
                    let lane = if state == SpanState::Running {
                        MAIN_LANE
                    } else {
                        NO_LANE
                    };
                    rec.push(tag.span(task, lane, state, at, t1));
                    at = t1;
                }
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
    let mut next = 0;
    while next < workload.task_count() {
        if stop() {
            return;
        }
        next = run_sequential_from(env, rec, workload, seed, next, 1);
    }
}

/// Runs at most `max_tasks` tasks of the sequential model, from task `start`;
/// returns the index of the next task to run (the task count when all ran).
/// Lets a long simulation of the sequential model share the page's thread.
pub fn run_sequential_from<E: Env>(
    env: &E,
    rec: &Recorder,
    workload: &Workload,
    seed: u64,
    start: u64,
    max_tasks: u64,
) -> u64 {
    let mut index = start;
    for spec in workload
        .tasks()
        .skip(start as usize)
        .take(max_tasks as usize)
    {
        let task = index as u32;
        rec.event(
            env.now(),
            task,
            MAIN_LANE,
            EventKind::Start,
            Resource::None,
            0,
        );
        for step in steps(spec.phases, spec.group_opts, seed, index) {
            let t0 = env.now();
            let state = match step.action {
                Action::Io(d) => {
                    // `time.sleep` in a plain loop: the thread waits and nothing else runs.
                    rec.event(
                        t0,
                        task,
                        MAIN_LANE,
                        EventKind::Wait,
                        Resource::None,
                        t0.saturating_add(d),
                    );
                    env.block(d);
                    rec.event(
                        env.now(),
                        task,
                        MAIN_LANE,
                        EventKind::Start,
                        Resource::None,
                        0,
                    );
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
                    let value = rec.read_counter() + 1;
                    rec.write_counter(value);
                    rec.event(
                        env.now(),
                        task,
                        MAIN_LANE,
                        EventKind::Incr,
                        Resource::None,
                        value,
                    );
                    SpanState::Running
                }
            };
            rec.span(task, MAIN_LANE, &step, state, t0, env.now());
        }
        rec.event(
            env.now(),
            task,
            MAIN_LANE,
            EventKind::Done,
            Resource::None,
            0,
        );
        index += 1;
    }
    index
}

/// Most spans [`Recorder::reserve`] makes room for up front (128 MB): past
/// that a run grows its record as it goes, rather than hold that much
/// memory on an estimate.
pub const MAX_SPANS_RESERVED: usize = 4_000_000;

/// What the loop's tasks of a workload record (see [`loop_record_estimate`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordEstimate {
    /// Spans: on lanes for every task, off lanes for detailed tasks.
    pub spans: u64,
    /// Scheduler events (detailed tasks only).
    pub events: u64,
    /// Timers set (one lag sample each).
    pub timers: u64,
}

/// What [`run_loop_task`] and [`LoopHooks`] record for `workload` when tasks
/// from index `detail` on keep only their lane spans (see
/// [`Recorder::set_detail_limit`]): for reserving room up front. Exact when
/// every wait really waits and every first poll comes after its spawn (as on
/// the page); a wait over before it starts records less, and a CPU phase
/// whose jitter adds a chunk, or a limit's queue, more.
pub fn loop_record_estimate(workload: &Workload, detail: Option<u32>) -> RecordEstimate {
    let mut est = RecordEstimate::default();
    let mut first = 0u64;
    for g in &workload.groups {
        let count = u64::from(g.count);
        let detailed = detail.map_or(count, |d| count.min(u64::from(d).saturating_sub(first)));
        first += count;
        // Every detailed task: its queued span before the first poll; spawn,
        // the wake that queues it, its first start, and done.
        let (mut lane_spans, mut task_spans, mut task_events, mut timers) =
            (0u64, 1u64, 4u64, 0u64);
        for phase in &g.phases {
            match phase {
                Phase::Io { .. } => {
                    // Waiting, then queued; wait, wake, start.
                    task_spans += 2;
                    task_events += 3;
                    timers += 1;
                }
                Phase::Cpu { n, opts } => {
                    let every = Options::resolve(opts, &g.opts).yield_every;
                    let chunks = if every == 0 {
                        1
                    } else {
                        n.div_ceil(every).max(1)
                    };
                    // A running span a chunk, and a yield, a queued span and a start between two.
                    lane_spans = lane_spans.saturating_add(chunks);
                    task_spans = task_spans.saturating_add(chunks - 1);
                    task_events = task_events.saturating_add(2 * (chunks - 1));
                }
                Phase::Block { .. } => lane_spans += 1,
                Phase::Incr { mode, .. } => match mode {
                    IncrMode::Plain | IncrMode::Atomic => {
                        lane_spans += 1;
                        task_events += 1;
                    }
                    IncrMode::Await => {
                        task_spans += 1;
                        task_events += 3;
                    }
                    IncrMode::AwaitFor(_) => {
                        task_spans += 1;
                        task_events += 4;
                        timers += 1;
                    }
                },
            }
        }
        est.spans = est
            .spans
            .saturating_add(count.saturating_mul(lane_spans))
            .saturating_add(detailed.saturating_mul(task_spans));
        est.events = est
            .events
            .saturating_add(detailed.saturating_mul(task_events));
        est.timers = est.timers.saturating_add(count.saturating_mul(timers));
    }
    est
}

/// Tasks spawned per poll by [`spawn_batched`].
pub const SPAWN_BATCH: u64 = 2_000;

/// Spawns, from a task of its own, `f(handle, group, index, now)` for every
/// task of `workload` in order, [`SPAWN_BATCH`] per poll with a yield between
/// batches: spawning 100,000 tasks in one go would block the page for a long
/// frame. The browser and the simulator spawn the same way, so they agree.
/// `f` should spawn with [`Handle::spawn_tagged`] and the task's index, so
/// hooks can name it.
pub fn spawn_batched(
    handle: &Handle,
    workload: &Workload,
    f: impl Fn(&Handle, usize, u64, Nanos) + 'static,
) {
    let h = handle.clone();
    let counts: Vec<u32> = workload.groups.iter().map(|g| g.count).collect();
    handle.spawn(async move {
        let mut index = 0u64;
        for (group, count) in counts.into_iter().enumerate() {
            for _ in 0..count {
                // Coarse: a batch of spawns reads the clock a few times, not
                // once a task (see `Clock::coarse_now`).
                f(&h, group, index, h.coarse_now());
                index += 1;
                if index.is_multiple_of(SPAWN_BATCH) {
                    yield_now().await;
                }
            }
        }
    });
}

/// The event loop's instrumentation, shared by the browser's driver and the
/// simulator: it records the scheduler's events (spawn, start, yield, wake,
/// done) for tagged tasks, counts polls and spawns, samples timer lag and, on
/// a virtual clock, charges each poll its calibrated cost. Events are stamped
/// with coarse readings ([`Clock::coarse_now`]): a few a task, precise ones
/// would cost more than the loop's own work in the browser.
pub struct LoopHooks {
    /// Where events go.
    pub rec: Rc<Recorder>,
    clock: Rc<dyn Clock>,
    /// On a virtual clock: the clock, the cost of one poll and of one spawn.
    charge: Option<(Rc<VirtualClock>, Nanos, Nanos)>,
    /// The lane polls run on.
    lane: u16,
    /// Whether polls are the tasks' own running (the event loop) and so are
    /// recorded as events; the lane models' page-side polls are not.
    record: bool,
    current: Cell<u32>,
    woke_self: Cell<bool>,
    polls: Cell<u64>,
    spawns: Cell<u64>,
    lag: RefCell<Vec<Nanos>>,
}

impl LoopHooks {
    /// Hooks reading `clock` and recording into `rec`, for polls on `lane`.
    pub fn new(rec: Rc<Recorder>, clock: Rc<dyn Clock>, lane: u16) -> Self {
        Self {
            rec,
            clock,
            charge: None,
            lane,
            record: true,
            current: Cell::new(UNTAGGED),
            woke_self: Cell::new(false),
            polls: Cell::new(0),
            spawns: Cell::new(0),
            lag: RefCell::new(Vec::new()),
        }
    }

    /// Also charges virtual time: `per_poll` for every poll, `per_spawn` for every spawn.
    pub fn charging(mut self, clock: Rc<VirtualClock>, per_poll: Nanos, per_spawn: Nanos) -> Self {
        if per_poll > 0 || per_spawn > 0 {
            self.charge = Some((clock, per_poll, per_spawn));
        }
        self
    }

    /// Records no events: for drivers whose tasks only coordinate workers
    /// (their events are recorded by the lane policies).
    pub fn without_events(mut self) -> Self {
        self.record = false;
        self
    }

    /// Polls so far.
    pub fn polls(&self) -> u64 {
        self.polls.get()
    }

    /// Spawns so far.
    pub fn spawns(&self) -> u64 {
        self.spawns.get()
    }

    /// Takes the lag samples (how late each timer fired).
    pub fn take_lag(&self) -> Vec<Nanos> {
        self.lag.take()
    }

    /// Makes room for `timers` lag samples up front (see [`Recorder::reserve`]).
    pub fn reserve_lag(&self, timers: u64) {
        let mut lag = self.lag.borrow_mut();
        let more = timers.min(MAX_SPANS_RESERVED as u64) as usize;
        let len = lag.len();
        lag.reserve(more.saturating_sub(len));
    }

    fn pay(&self, spawn: bool) {
        if let Some((clock, poll, sp)) = &self.charge {
            clock.advance(if spawn { *sp } else { *poll });
        }
    }
}

impl Hooks for LoopHooks {
    fn spawned(&self, t: TaskRef) {
        self.spawns.set(self.spawns.get() + 1);
        if self.record && t.tag != UNTAGGED {
            self.rec.event(
                self.clock.coarse_now(),
                t.tag,
                NO_LANE,
                EventKind::Spawn,
                Resource::None,
                0,
            );
        }
        self.pay(true);
    }
    fn poll_start(&self, t: TaskRef) {
        self.current.set(t.tag);
        self.woke_self.set(false);
        if self.record && t.tag != UNTAGGED {
            self.rec.event(
                self.clock.coarse_now(),
                t.tag,
                self.lane,
                EventKind::Start,
                Resource::None,
                0,
            );
        }
    }
    fn woken(&self, t: TaskRef) {
        if !self.record || t.tag == UNTAGGED {
            return;
        }
        if t.tag == self.current.get() {
            // Woken by itself while running: a yield, recorded when the poll ends.
            self.woke_self.set(true);
        } else {
            self.rec.event(
                self.clock.coarse_now(),
                t.tag,
                NO_LANE,
                EventKind::Wake,
                Resource::None,
                0,
            );
        }
    }
    fn poll_end(&self, t: TaskRef, completed: bool) {
        self.polls.set(self.polls.get() + 1);
        self.pay(false);
        if self.record && t.tag != UNTAGGED {
            if completed {
                self.rec.event(
                    self.clock.coarse_now(),
                    t.tag,
                    self.lane,
                    EventKind::Done,
                    Resource::None,
                    0,
                );
            } else if self.woke_self.get() {
                self.rec.event(
                    self.clock.coarse_now(),
                    t.tag,
                    NO_LANE,
                    EventKind::Yield,
                    Resource::None,
                    0,
                );
            }
        }
        self.current.set(UNTAGGED);
    }
    fn timer_fired(&self, deadline: Nanos, now: Nanos) {
        self.lag.borrow_mut().push(now.saturating_sub(deadline));
    }
}
