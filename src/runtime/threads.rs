//! The thread models in shared memory, for real: N workers that share one
//! `SharedArrayBuffer` holding a GIL word, a drop request and the counter.
//! Each task runs on one thread (lane) start to end, like a
//! `ThreadPoolExecutor` job; with `gil` the threads take turns at the lock
//! (see `crate::worker::threads`), without it they run at once and their plain
//! read-then-write increments race for real. Without cross-origin isolation
//! the same models run by messages instead (`engine::lanes::thread_task`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use engine::executor::Signal;
use engine::model::{GilImpl, Model, RunConfig};
use engine::runner::{steps, Action, Recorder};
use engine::time::Nanos;
use engine::trace::{EventKind, Resource, SpanState, Trace, NO_LANE};
use js_sys::{Atomics, Int32Array, SharedArrayBuffer};
use protocol::{shared, IncrGap, JobStep, ThreadMode, ThreadState};
use workload::{IncrMode, Workload};

use super::{CancelToken, Driven, RunError};
use crate::clock::epoch_ms_to_page_ns;
use crate::pool::Pool;

/// Most tasks the thread models take: every thread receives the whole queue.
pub const MAX_THREAD_TASKS: u64 = 200_000;

fn job_step(action: &Action) -> JobStep {
    match *action {
        Action::Io(ns) => JobStep::Io { ns },
        Action::Cpu { n, .. } => JobStep::Cpu { n },
        Action::Block(ns) => JobStep::Block { ns },
        Action::Incr(mode) => JobStep::Incr {
            gap: match mode {
                IncrMode::Plain => IncrGap::Plain,
                IncrMode::Await => IncrGap::Yield,
                IncrMode::AwaitFor(ns) => IncrGap::Sleep { ns },
                IncrMode::Atomic => IncrGap::Atomic,
            },
        },
    }
}

/// Whether this page may use shared memory.
pub fn available() -> Result<(), RunError> {
    let global = js_sys::global();
    let isolated = js_sys::Reflect::get(&global, &"crossOriginIsolated".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false);
    if isolated {
        Ok(())
    } else {
        Err(RunError::Unavailable(
            "threads need shared memory (SharedArrayBuffer), which needs a cross-origin isolated page; \
             use \"Enable it\" under the Run button, or open the playground directly rather than embedded"
                .into(),
        ))
    }
}

/// Runs `gil` or `free` on `pool`'s workers: every worker becomes a thread
/// that takes tasks from one shared queue until it is empty.
pub async fn run(
    workload: &Workload,
    cfg: &RunConfig,
    pool: &Pool,
    cancel: &CancelToken,
    progress: impl Fn(f64) + 'static,
) -> Result<Trace, RunError> {
    available()?;
    let total = workload.task_count();
    if total > MAX_THREAD_TASKS {
        return Err(RunError::Unavailable(format!(
            "the thread models take at most {MAX_THREAD_TASKS} tasks (every thread holds the whole queue); this workload has {total}"
        )));
    }
    let workers = pool.size();
    let mut run = Driven::new(workload, cfg, workers as u16, false, cancel)?;
    // A limit below the thread count caps how many tasks run at once: as
    // many threads take tasks from the queue, the others stay idle. The
    // same schedule as the simulation's policy (`engine::lanes::thread_task`
    // takes the limit, then the lowest free thread).
    let threads = cfg
        .limit
        .map_or(workers, |l| workers.min(l.max(1) as usize));
    let queue_res = if threads < workers {
        Resource::Semaphore
    } else {
        Resource::Lane
    };
    run.trace_mut().implementation = Some(
        if cfg.model == Model::Gil {
            GilImpl::SharedMemory.describe()
        } else {
            "threads sharing memory"
        }
        .to_string(),
    );
    let mem = Int32Array::new(&SharedArrayBuffer::new(shared::words(threads as u32) * 4));
    // Every task's concrete steps (jitter applied once, as in every model).
    let mut all_steps = Vec::with_capacity(total as usize);
    let mut queue = Vec::with_capacity(total as usize);
    let mut index = 0u64;
    for g in &workload.groups {
        for _ in 0..g.count {
            let st = steps(&g.phases, &g.opts, cfg.seed, index);
            queue.push(st.iter().map(|s| job_step(&s.action)).collect::<Vec<_>>());
            all_steps.push(st);
            index += 1;
        }
    }
    let rec = run.rec();
    let gil = cfg.model == Model::Gil;
    let switch_us = (cfg.switch_interval / 1_000).clamp(1, 1_000_000) as u32;
    let start = run.trace_mut().start;
    let ctx = Rc::new(LogCtx {
        rec: rec.clone(),
        all_steps,
        start,
        gil,
        queue: queue_res,
    });
    let logs: Rc<RefCell<Vec<ThreadLog>>> = Rc::new(RefCell::new(
        (0..threads)
            .map(|lane| ThreadLog::new(lane as u16, ctx.now()))
            .collect(),
    ));
    // Threads still running; the last one to end wakes the reader below.
    let running = Rc::new(Cell::new(threads));
    let all_done = Signal::new();
    for lane in 0..threads {
        let (pool, mem, tasks, ctx, logs, running, all_done) = (
            pool.clone(),
            mem.clone(),
            queue.clone(),
            ctx.clone(),
            logs.clone(),
            running.clone(),
            all_done.clone(),
        );
        run.handle().spawn(async move {
            let mode = ThreadMode {
                gil,
                lane: lane as u16,
                threads: threads as u16,
                switch_us,
            };
            match pool.run_threads(lane, tasks, mode, &mem).await {
                Ok(r) => {
                    ctx.rec.add_checksum(r.checksum);
                    let mut logs = logs.borrow_mut();
                    // The ring's last spans first, then any it could not carry.
                    logs[lane].read_ring(&ctx, &mem, threads as u32);
                    logs[lane].finish(&ctx, &r);
                }
                Err(e) => {
                    // A thread that died holding the GIL must not strand the others.
                    let me = lane as i32 + 1;
                    if Atomics::compare_exchange(&mem, shared::GIL, me, 0) == Ok(me) {
                        let _ = Atomics::notify(&mem, shared::GIL);
                    }
                    ctx.rec.fail(u32::MAX, format!("thread {}: {e}", lane + 1));
                }
            }
            running.set(running.get() - 1);
            if running.get() == 0 {
                all_done.notify();
            }
        });
    }
    drop(queue);
    // The threads' spans, drawn as they happen: read from their rings every
    // LIVE_READ_EVERY until the last thread ends (woken then, so the run's
    // wall does not wait for a read).
    {
        let (h, mem, ctx, logs, running) = (
            run.handle(),
            mem.clone(),
            ctx.clone(),
            logs.clone(),
            running.clone(),
        );
        run.handle().spawn(async move {
            while running.get() > 0 {
                let seen = all_done.generation();
                all_done
                    .wait_until(&h, h.now() + LIVE_READ_EVERY, seen)
                    .await;
                for log in logs.borrow_mut().iter_mut() {
                    log.read_ring(&ctx, &mem, threads as u32);
                }
            }
        });
    }
    let probe_mem = mem.clone();
    let progress = move |_| {
        let taken = Atomics::load(&probe_mem, shared::NEXT_TASK)
            .unwrap_or(0)
            .max(0) as f64;
        progress((taken / total.max(1) as f64).min(1.0));
    };
    {
        let mem = mem.clone();
        run.before_finish(move |cancelled| {
            // Stopped workers never reply: what their rings carried until
            // the cancel is what the run did.
            if cancelled {
                for log in logs.borrow_mut().iter_mut() {
                    log.read_ring(&ctx, &mem, threads as u32);
                }
            }
        });
    }
    let mut trace = run.drive(cancel, Some(pool), progress).await;
    let cancelled = trace.cancelled;
    let increments: u64 = workload
        .groups
        .iter()
        .map(|g| {
            u64::from(g.count)
                * g.phases
                    .iter()
                    .filter(|p| matches!(p, workload::Phase::Incr { .. }))
                    .count() as u64
        })
        .sum();
    let counter = Atomics::load(&mem, shared::COUNTER).unwrap_or(0) as u32 as u64;
    trace.counter = counter;
    trace.increments = if cancelled { counter } else { increments };
    trace.gil_handovers += Atomics::load(&mem, shared::HANDOVERS).unwrap_or(0) as u64;
    Ok(trace)
}

/// How often a thread run's rings are read while it runs.
const LIVE_READ_EVERY: Nanos = 100 * engine::time::MS;

/// What every thread's log records into, and with.
struct LogCtx {
    rec: Rc<Recorder>,
    /// Every task's concrete steps.
    all_steps: Vec<Vec<engine::runner::Step>>,
    /// The run's start: tasks are queued from then.
    start: Nanos,
    gil: bool,
    /// What a queued task waits for: the threads, or the limit.
    queue: Resource,
}

impl LogCtx {
    fn now(&self) -> Nanos {
        engine::time::Clock::now(&crate::clock::RealClock)
    }
}

/// One thread's record, built as its spans arrive: from its ring in shared
/// memory while it runs (see `protocol::shared`), then the rest from its
/// reply. Each task is queued from the run's start until a thread took it,
/// then has its running, waiting and GIL-blocked stretches. While queued a
/// task is blocked on the queue: the threads (the pool's queue), or the
/// limit where it leaves some threads idle.
struct ThreadLog {
    /// The thread's lane in the trace (1-based).
    lane: u16,
    /// When the page posted the thread's job.
    sent: Nanos,
    /// Spans recorded so far (the reply's first ones, in the same order).
    fed: usize,
    cursor: Nanos,
    current: Option<u32>,
    /// Whether the thread holds the GIL, and whether its last span was a
    /// running stretch (a GIL wait right after one is a forced switch: the
    /// holder dropped the GIL because another thread asked, a hand-off) or
    /// a GIL wait.
    holding: bool,
    after_running: bool,
    after_gil_wait: bool,
}

impl ThreadLog {
    fn new(lane0: u16, sent: Nanos) -> Self {
        Self {
            lane: lane0 + 1,
            sent,
            fed: 0,
            cursor: sent,
            current: None,
            holding: false,
            after_running: false,
            after_gil_wait: false,
        }
    }

    /// Records the spans the thread has put in its ring since the last read.
    fn read_ring(&mut self, ctx: &LogCtx, mem: &Int32Array, threads: u32) {
        let lane = u32::from(self.lane - 1);
        let written = Atomics::load(mem, shared::written(lane)).unwrap_or(0);
        let read = Atomics::load(mem, shared::read(lane)).unwrap_or(0);
        let now = ctx.now();
        let mut spans = Vec::with_capacity(written.wrapping_sub(read).max(0) as usize);
        let mut i = read;
        while i != written {
            let at = shared::record(lane, threads, i as u32);
            let w = |k: u32| Atomics::load(mem, at + k).unwrap_or(0);
            let start_us = (i64::from(w(2)) << 32) | i64::from(w(3) as u32);
            let start_ms = start_us as f64 / 1000.0;
            let end_ms = (start_us + i64::from(w(4))) as f64 / 1000.0;
            let to_page = |ms: f64| epoch_ms_to_page_ns(ms).clamp(self.sent, now.max(self.sent));
            spans.push((
                w(0) as u32,
                (w(1) & 0xff) as u8,
                shared::state_of(w(1) >> 8),
                to_page(start_ms),
                to_page(end_ms),
            ));
            i = i.wrapping_add(1);
        }
        // Read: the thread may write over them now.
        let _ = Atomics::store(mem, shared::read(lane), written);
        self.feed(ctx, &spans);
    }

    /// Records the reply's spans the ring did not carry, then how the
    /// thread's job travelled and ended.
    fn finish(&mut self, ctx: &LogCtx, r: &crate::pool::JobReply) {
        let upto = r.answered.max(r.sent);
        let rest: Vec<_> = r
            .spans
            .get(self.fed..)
            .unwrap_or(&[])
            .iter()
            .map(|&(t, st, state, s, e)| {
                (t, st, state, s.clamp(r.sent, upto), e.clamp(r.sent, upto))
            })
            .collect();
        self.feed(ctx, &rest);
        ctx.rec.push(engine::trace::Span {
            task: engine::trace::NO_TASK,
            lane: self.lane,
            phase: 0,
            kind: engine::trace::PhaseKind::None,
            state: SpanState::Transfer,
            start: r.sent,
            end: r.received.clamp(r.sent, r.answered.max(r.sent)),
        });
        if let Some(prev) = self.current.take() {
            if self.holding {
                ctx.rec.event(
                    self.cursor,
                    prev,
                    self.lane,
                    EventKind::Release,
                    Resource::Gil,
                    0,
                );
            }
            ctx.rec.event(
                self.cursor,
                prev,
                NO_LANE,
                EventKind::Done,
                Resource::None,
                0,
            );
        }
    }

    fn feed(&mut self, ctx: &LogCtx, spans: &[(u32, u8, ThreadState, Nanos, Nanos)]) {
        let (rec, lane, start) = (&ctx.rec, self.lane, ctx.start);
        self.fed += spans.len();
        for &(task, step, state, s, e) in spans {
            let Some(steps) = ctx.all_steps.get(task as usize) else {
                continue;
            };
            let Some(st) = steps.get(usize::from(step)).or(steps.first()) else {
                continue;
            };
            let (s, e) = (s.max(self.cursor), e.max(self.cursor));
            if self.current != Some(task) {
                if let Some(prev) = self.current {
                    if self.holding {
                        rec.event(
                            self.cursor,
                            prev,
                            lane,
                            EventKind::Release,
                            Resource::Gil,
                            0,
                        );
                        self.holding = false;
                    }
                    rec.event(
                        self.cursor,
                        prev,
                        NO_LANE,
                        EventKind::Done,
                        Resource::None,
                        0,
                    );
                }
                self.current = Some(task);
                self.after_running = false;
                self.after_gil_wait = false;
                rec.span(task, NO_LANE, st, SpanState::Queued, start, s);
                rec.event(start, task, NO_LANE, EventKind::Spawn, Resource::None, 0);
                if s > start {
                    // Waiting for a thread is being blocked, not ready (the
                    // inspector's contract), as the simulation records it
                    // (`LaneCtx::acquire_slot` and `acquire_limit`).
                    let at_lane = if ctx.queue == Resource::Lane {
                        lane
                    } else {
                        NO_LANE
                    };
                    rec.event(start, task, NO_LANE, EventKind::Block, ctx.queue, 0);
                    rec.event(s, task, at_lane, EventKind::Acquire, ctx.queue, 0);
                }
            }
            let state = match state {
                ThreadState::Running => SpanState::Running,
                ThreadState::Waiting => SpanState::Waiting,
                ThreadState::GilBlocked => SpanState::GilBlocked,
            };
            rec.span(task, lane, st, state, s, e);
            // The thread's own record, as scheduler events: a GIL wait ends when
            // it takes the GIL; a running stretch needs it; a wait (I/O, sleep)
            // gives it back first. An I/O thread may take the GIL and give it
            // back in the same instant (no running span between): both count.
            match state {
                SpanState::Running => {
                    if ctx.gil && !self.holding {
                        rec.event(s, task, lane, EventKind::Acquire, Resource::Gil, 0);
                        self.holding = true;
                    }
                    if !self.after_gil_wait {
                        rec.event(s, task, lane, EventKind::Start, Resource::None, 0);
                    }
                }
                SpanState::Waiting => {
                    if self.holding {
                        rec.event(s, task, lane, EventKind::Release, Resource::Gil, 0);
                        self.holding = false;
                    }
                    rec.event(s, task, lane, EventKind::Wait, Resource::None, e);
                }
                SpanState::GilBlocked => {
                    if self.holding {
                        rec.event(
                            s,
                            task,
                            lane,
                            EventKind::Release,
                            Resource::Gil,
                            u64::from(self.after_running),
                        );
                    }
                    rec.event(s, task, lane, EventKind::Block, Resource::Gil, 0);
                    // With the GIL it runs again at once (if only to give it
                    // back for its next wait, as an I/O thread does).
                    rec.event(e, task, lane, EventKind::Acquire, Resource::Gil, 0);
                    rec.event(e, task, lane, EventKind::Start, Resource::None, 0);
                    self.holding = true;
                }
                _ => {}
            }
            self.after_running = state == SpanState::Running;
            self.after_gil_wait = state == SpanState::GilBlocked;
            self.cursor = e;
        }
    }
}
