//! The worker-pool models, for real: tasks on the driven loop that hand work
//! to idle workers. `pool` sends a whole task as one job (a process runs the
//! task); `hybrid` waits on the loop and sends only CPU phases
//! (`loop.run_in_executor(pool, f)`).

use std::rc::Rc;

use engine::executor::Semaphore;
use engine::model::{Model, RunConfig};
use engine::runner::{spawn_batched, steps, Action, Recorder, Step};
use engine::time::{Clock, Nanos};
use engine::trace::{SpanState, Trace, MAIN_LANE, NO_LANE};
use protocol::JobStep;
use workload::{IncrMode, Workload};

use super::driver::{DriverHooks, LoopDriver};
use super::env::spin;
use super::{drive, wire_cancel, CancelToken, RunError};
use crate::clock::RealClock;
use crate::pool::{JobReply, Pool};

struct Ctx {
    rec: Recorder,
    workload: Workload,
    pool: Pool,
    lanes: Semaphore,
    limit: Option<Semaphore>,
    seed: u64,
    handle: engine::executor::Handle,
}

/// Runs `pool` or `hybrid` on `pool`'s workers.
pub async fn run(
    workload: &Workload,
    cfg: &RunConfig,
    pool: &Pool,
    cancel: &CancelToken,
    progress: impl Fn(f64) + 'static,
) -> Result<Trace, RunError> {
    let hooks = Rc::new(DriverHooks::default());
    let driver = LoopDriver::new(hooks.clone()).map_err(RunError::Unavailable)?;
    let workers = pool.size();
    let ctx = Rc::new(Ctx {
        rec: Recorder::new(),
        workload: workload.clone(),
        pool: pool.clone(),
        lanes: Semaphore::new(workers as u32),
        limit: cfg.limit.map(Semaphore::new),
        seed: cfg.seed,
        handle: driver.handle(),
    });
    let mut trace = Trace { model: Some(cfg.model), lanes: 1 + workers as u16, tasks: workload.task_count(), ..Trace::default() };
    trace.start = RealClock.now();
    let hybrid = cfg.model == Model::Hybrid;
    spawn_batched(&driver.handle(), workload, {
        let ctx = ctx.clone();
        move |h, group, index, at| {
            let ctx = ctx.clone();
            h.spawn(async move {
                if hybrid {
                    hybrid_task(&ctx, group, index, at).await
                } else {
                    pool_task(&ctx, group, index, at).await
                }
            });
        }
    });
    let total = workload.task_count().max(1) as f64;
    driver.on_slice(move |live| progress(1.0 - (live as f64 / total).min(1.0)));
    wire_cancel(cancel, &driver, Some(pool));
    drive(&mut trace, driver, &hooks).await;
    ctx.rec.finish_into(&mut trace);
    Ok(trace)
}

fn job_step(action: &Action) -> Option<JobStep> {
    match *action {
        Action::Io(ns) => Some(JobStep::Io { ns }),
        Action::Cpu { n, .. } => Some(JobStep::Cpu { n }),
        Action::Block(ns) => Some(JobStep::Block { ns }),
        Action::Incr(_) => None,
    }
}

fn state_of(action: &Action) -> SpanState {
    match action {
        Action::Io(_) => SpanState::Waiting,
        _ => SpanState::Running,
    }
}

/// Records a job's spans on its worker's lane, clamped into [sent, answered]
/// (worker clocks are converted, and conversion may be off by a few µs).
fn record_job(rec: &Recorder, task: u32, steps: &[&Step], r: &JobReply) {
    let lane = r.lane as u16 + 1;
    let clamp = |t: Nanos| t.clamp(r.sent, r.answered);
    let Some(first) = steps.first() else { return };
    let mut cursor = clamp(r.received);
    rec.span(task, lane, first, SpanState::Transfer, r.sent, cursor);
    for (step, &(s, e)) in steps.iter().zip(&r.steps) {
        let (s, e) = (clamp(s).max(cursor), clamp(e).max(cursor));
        rec.span(task, lane, step, state_of(&step.action), s, e);
        cursor = e;
    }
    let last = steps.last().unwrap_or(first);
    rec.span(task, lane, last, SpanState::Transfer, cursor, r.answered);
}

async fn incr(ctx: &Ctx, mode: IncrMode) {
    let value = ctx.rec.read_counter();
    match mode {
        IncrMode::Plain | IncrMode::Atomic => {}
        IncrMode::Await => engine::executor::yield_now().await,
        IncrMode::AwaitFor(d) => ctx.handle.sleep(d).await,
    }
    let value = if mode == IncrMode::Atomic { ctx.rec.read_counter() } else { value };
    ctx.rec.write_counter(value + 1);
}

/// A slot of the concurrency limit, if there is one.
async fn acquire_limit(limit: &Option<Semaphore>) -> Option<engine::executor::Permit> {
    match limit {
        Some(s) => Some(s.acquire().await),
        None => None,
    }
}

/// `pool`: the whole task is one job on one worker.
async fn pool_task(ctx: &Ctx, group: usize, index: u64, ready_at: Nanos) {
    let task = index as u32;
    let g = &ctx.workload.groups[group];
    let all = steps(&g.phases, &g.opts, ctx.seed, index);
    let Some(first) = all.first() else { return };
    let _limit = acquire_limit(&ctx.limit).await;
    let permit = ctx.lanes.acquire().await;
    let lane = permit.slot() as usize;
    // The counter lives in the parent: processes share no memory.
    for s in all.iter().filter(|s| matches!(s.action, Action::Incr(_))) {
        if let Action::Incr(mode) = s.action {
            incr(ctx, mode).await;
        }
    }
    let remote: Vec<&Step> = all.iter().filter(|s| job_step(&s.action).is_some()).collect();
    let payload = all.iter().map(|s| s.payload_kib).max().unwrap_or(0).saturating_mul(1024);
    ctx.rec.span(task, NO_LANE, first, SpanState::Queued, ready_at, RealClock.now());
    if remote.is_empty() {
        return;
    }
    let job: Vec<JobStep> = remote.iter().filter_map(|s| job_step(&s.action)).collect();
    match ctx.pool.run(lane, job, payload).await {
        Ok(r) => {
            ctx.rec.add_checksum(r.checksum);
            record_job(&ctx.rec, task, &remote, &r);
        }
        Err(e) => ctx.rec.fail(task, e.to_string()),
    }
    drop(permit);
}

/// `hybrid`: waits on the loop, CPU phases as jobs.
async fn hybrid_task(ctx: &Ctx, group: usize, index: u64, ready_at: Nanos) {
    let task = index as u32;
    let g = &ctx.workload.groups[group];
    let all = steps(&g.phases, &g.opts, ctx.seed, index);
    let Some(first) = all.first() else { return };
    let _limit = acquire_limit(&ctx.limit).await;
    ctx.rec.span(task, NO_LANE, first, SpanState::Queued, ready_at, RealClock.now());
    for step in &all {
        match step.action {
            Action::Io(d) => {
                let t0 = RealClock.now();
                let due = t0 + d;
                ctx.handle.sleep_until(due).await;
                let t1 = RealClock.now();
                ctx.rec.span(task, NO_LANE, step, SpanState::Waiting, t0, due.min(t1));
                ctx.rec.span(task, NO_LANE, step, SpanState::Queued, due.min(t1), t1);
            }
            Action::Cpu { n, .. } => {
                let t0 = RealClock.now();
                let permit = ctx.lanes.acquire().await;
                ctx.rec.span(task, NO_LANE, step, SpanState::Queued, t0, RealClock.now());
                let payload = step.payload_kib.saturating_mul(1024);
                match ctx.pool.run(permit.slot() as usize, vec![JobStep::Cpu { n }], payload).await {
                    Ok(r) => {
                        ctx.rec.add_checksum(r.checksum);
                        record_job(&ctx.rec, task, &[step], &r);
                    }
                    Err(e) => {
                        ctx.rec.fail(task, e.to_string());
                        return;
                    }
                }
            }
            Action::Block(d) => {
                let t0 = RealClock.now();
                spin(d);
                ctx.rec.span(task, MAIN_LANE, step, SpanState::Running, t0, RealClock.now());
            }
            Action::Incr(mode) => incr(ctx, mode).await,
        }
    }
}
