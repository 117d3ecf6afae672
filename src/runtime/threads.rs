//! The thread models in shared memory, for real: N workers that share one
//! `SharedArrayBuffer` holding a GIL word, a drop request and the counter.
//! Each task runs on one thread (lane) start to end, like a
//! `ThreadPoolExecutor` job; with `gil` the threads take turns at the lock
//! (see `crate::worker::threads`), without it they run at once and their plain
//! read-then-write increments race for real. Without cross-origin isolation
//! the same models run by messages instead (`engine::lanes::thread_task`).

use std::rc::Rc;

use engine::model::{GilImpl, Model, RunConfig};
use engine::runner::{steps, Action, Recorder};
use engine::time::Nanos;
use engine::trace::{EventKind, Resource, SpanState, Trace, NO_LANE};
use js_sys::{Atomics, Int32Array, SharedArrayBuffer};
use protocol::{shared, IncrGap, JobStep, ThreadMode, ThreadState};
use workload::{IncrMode, Workload};

use super::{CancelToken, Driven, RunError};
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
    let mem = Int32Array::new(&SharedArrayBuffer::new(shared::WORDS * 4));
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
    let all_steps = Rc::new(all_steps);
    for lane in 0..threads {
        let (pool, mem, rec, tasks, all_steps) = (
            pool.clone(),
            mem.clone(),
            rec.clone(),
            queue.clone(),
            all_steps.clone(),
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
                    rec.add_checksum(r.checksum);
                    record_thread(&rec, &all_steps, &r, start, gil, queue_res);
                }
                Err(e) => {
                    // A thread that died holding the GIL must not strand the others.
                    let me = lane as i32 + 1;
                    if Atomics::compare_exchange(&mem, shared::GIL, me, 0) == Ok(me) {
                        let _ = Atomics::notify(&mem, shared::GIL);
                    }
                    rec.fail(u32::MAX, format!("thread {}: {e}", lane + 1));
                }
            }
        });
    }
    drop(queue);
    let probe_mem = mem.clone();
    let progress = move |_| {
        let taken = Atomics::load(&probe_mem, shared::NEXT_TASK)
            .unwrap_or(0)
            .max(0) as f64;
        progress((taken / total.max(1) as f64).min(1.0));
    };
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

/// Records one thread's spans: each task queued from the run's start until a
/// thread took it, then its running, waiting and GIL-blocked stretches.
/// While queued a task is blocked on `queue`: the threads (the pool's queue),
/// or the limit where it leaves some threads idle.
fn record_thread(
    rec: &Recorder,
    all_steps: &[Vec<engine::runner::Step>],
    r: &crate::pool::JobReply,
    start: Nanos,
    gil: bool,
    queue: Resource,
) {
    let lane = r.lane as u16 + 1;
    let clamp = |t: Nanos| t.clamp(r.sent, r.answered);
    rec.push(engine::trace::Span {
        task: engine::trace::NO_TASK,
        lane,
        phase: 0,
        kind: engine::trace::PhaseKind::None,
        state: SpanState::Transfer,
        start: r.sent,
        end: clamp(r.received),
    });
    let mut cursor = clamp(r.received);
    let mut current = None;
    // Whether this lane's thread holds the GIL, and whether its last span was
    // a running stretch (a GIL wait right after one is a forced switch: the
    // holder dropped the GIL because another thread asked, a hand-off).
    let mut holding = false;
    let mut after_running = false;
    let mut after_gil_wait = false;
    for &(task, step, state, s, e) in &r.spans {
        let Some(steps) = all_steps.get(task as usize) else {
            continue;
        };
        let Some(st) = steps.get(usize::from(step)).or(steps.first()) else {
            continue;
        };
        let (s, e) = (clamp(s).max(cursor), clamp(e).max(cursor));
        if current != Some(task) {
            if let Some(prev) = current {
                if holding {
                    rec.event(cursor, prev, lane, EventKind::Release, Resource::Gil, 0);
                    holding = false;
                }
                rec.event(cursor, prev, NO_LANE, EventKind::Done, Resource::None, 0);
            }
            current = Some(task);
            after_running = false;
            after_gil_wait = false;
            rec.span(task, NO_LANE, st, SpanState::Queued, start, s);
            rec.event(start, task, NO_LANE, EventKind::Spawn, Resource::None, 0);
            if s > start {
                // Waiting for a thread is being blocked, not ready (the
                // inspector's contract), as the simulation records it
                // (`LaneCtx::acquire_slot` and `acquire_limit`).
                let at_lane = if queue == Resource::Lane {
                    lane
                } else {
                    NO_LANE
                };
                rec.event(start, task, NO_LANE, EventKind::Block, queue, 0);
                rec.event(s, task, at_lane, EventKind::Acquire, queue, 0);
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
                if gil && !holding {
                    rec.event(s, task, lane, EventKind::Acquire, Resource::Gil, 0);
                    holding = true;
                }
                if !after_gil_wait {
                    rec.event(s, task, lane, EventKind::Start, Resource::None, 0);
                }
            }
            SpanState::Waiting => {
                if holding {
                    rec.event(s, task, lane, EventKind::Release, Resource::Gil, 0);
                    holding = false;
                }
                rec.event(s, task, lane, EventKind::Wait, Resource::None, e);
            }
            SpanState::GilBlocked => {
                if holding {
                    rec.event(
                        s,
                        task,
                        lane,
                        EventKind::Release,
                        Resource::Gil,
                        u64::from(after_running),
                    );
                }
                rec.event(s, task, lane, EventKind::Block, Resource::Gil, 0);
                // With the GIL it runs again at once (if only to give it
                // back for its next wait, as an I/O thread does).
                rec.event(e, task, lane, EventKind::Acquire, Resource::Gil, 0);
                rec.event(e, task, lane, EventKind::Start, Resource::None, 0);
                holding = true;
            }
            _ => {}
        }
        after_running = state == SpanState::Running;
        after_gil_wait = state == SpanState::GilBlocked;
        cursor = e;
    }
    if let Some(prev) = current {
        if holding {
            rec.event(cursor, prev, lane, EventKind::Release, Resource::Gil, 0);
        }
        rec.event(cursor, prev, NO_LANE, EventKind::Done, Resource::None, 0);
    }
}
