//! Every model on the virtual clock: the "predicted" column.
//!
//! The loop and sequential models run the very code the browser runs
//! ([`crate::runner`]) on a [`VirtualEnv`]. The models with worker lanes are
//! simulated as tasks on the same executor that hold a lane (a numbered
//! semaphore slot) and *sleep* for the calibrated cost of their CPU work, since
//! lanes compute in parallel while the virtual clock is one.

use std::cell::RefCell;
use std::rc::Rc;

use workload::{IncrMode, Workload};

use crate::executor::{yield_now, Executor, Handle, Hooks, Outcome, Semaphore};
use crate::model::{Costs, Model, RunConfig};
use crate::runner::{run_loop_task, run_sequential, spawn_batched, steps, Action, Env, LoopCtx, Recorder, Step};
use crate::time::{Clock, Nanos, VirtualClock};
use crate::trace::{PhaseKind, Span, SpanState, Trace, MAIN_LANE, NO_LANE, NO_TASK};

/// An [`Env`] on a virtual clock: CPU work advances the clock by its
/// calibrated cost and returns the exact sum by the closed form.
pub struct VirtualEnv {
    clock: Rc<VirtualClock>,
    handle: Handle,
    cpu_ns_per_iter: f64,
}

impl VirtualEnv {
    /// An environment for tasks of the executor behind `handle`, whose clock is `clock`.
    pub fn new(clock: Rc<VirtualClock>, handle: Handle, costs: &Costs) -> Self {
        Self { clock, handle, cpu_ns_per_iter: costs.cpu_ns_per_iter }
    }

    /// The calibrated cost of `n` iterations.
    pub fn cpu_cost(&self, n: u64) -> Nanos {
        cpu_cost(n, self.cpu_ns_per_iter)
    }
}

fn cpu_cost(n: u64, ns_per_iter: f64) -> Nanos {
    (n as f64 * ns_per_iter).round() as Nanos
}

fn sum_range(start: u64, end: u64) -> u128 {
    workload::closed_form(end) - workload::closed_form(start)
}

impl Env for VirtualEnv {
    fn now(&self) -> Nanos {
        self.clock.now()
    }
    fn sleep_until(&self, deadline: Nanos) -> impl std::future::Future<Output = ()> {
        self.handle.sleep_until(deadline)
    }
    fn yield_now(&self) -> impl std::future::Future<Output = ()> {
        yield_now()
    }
    fn cpu(&self, start: u64, end: u64) -> u128 {
        self.clock.advance(self.cpu_cost(end.saturating_sub(start)));
        sum_range(start, end)
    }
    fn block(&self, d: Nanos) {
        self.clock.advance(d);
    }
}

/// Collects how late each timer fired: the event loop's lag.
#[derive(Debug, Default)]
pub struct LagHooks {
    samples: RefCell<Vec<Nanos>>,
}

impl LagHooks {
    /// Takes the samples collected so far.
    pub fn take(&self) -> Vec<Nanos> {
        self.samples.take()
    }
}

impl Hooks for LagHooks {
    fn timer_fired(&self, deadline: Nanos, now: Nanos) {
        self.samples.borrow_mut().push(now.saturating_sub(deadline));
    }
}

/// Runs `workload` under `cfg.model` on a virtual clock and returns its trace.
///
/// Deterministic: the same inputs give the same trace, span for span.
pub fn simulate(workload: &Workload, cfg: &RunConfig, costs: &Costs) -> Trace {
    let mut sim = Simulation::new(workload, cfg, costs);
    while !sim.step(u64::MAX) {}
    sim.finish()
}

/// Where a simulation's spans are collected.
enum Source {
    Recorder(Recorder),
    Loop(Rc<LoopCtx<VirtualEnv>>),
    Lanes(Rc<LaneCtx>),
}

/// A simulation that can be run a budget of polls at a time, so a big one
/// can share the browser's main thread without freezing it.
pub struct Simulation {
    clock: Rc<VirtualClock>,
    lag: Rc<LagHooks>,
    ex: Executor,
    source: Source,
    trace: Trace,
    done: bool,
}

impl Simulation {
    /// Sets the simulation up (tasks are spawned by a task, in batches).
    pub fn new(workload: &Workload, cfg: &RunConfig, costs: &Costs) -> Self {
        let clock = Rc::new(VirtualClock::new());
        let lag = Rc::new(LagHooks::default());
        let ex = Executor::with_hooks(clock.clone(), lag.clone());
        let env = VirtualEnv::new(clock.clone(), ex.handle(), costs);
        let lanes = if cfg.model.uses_workers() { cfg.workers.max(1) } else { 0 };
        let trace = Trace { model: Some(cfg.model), lanes: 1 + lanes, tasks: workload.task_count(), ..Trace::default() };
        let limit = cfg.limit.map(Semaphore::new);
        let source = match cfg.model {
            Model::Sequential => {
                let rec = Recorder::new();
                run_sequential(&env, &rec, workload, cfg.seed, || false);
                Source::Recorder(rec)
            }
            Model::Loop => {
                let ctx = Rc::new(LoopCtx { env, rec: Recorder::new(), workload: workload.clone(), limit, seed: cfg.seed });
                let c = ctx.clone();
                spawn_batched(&ex.handle(), workload, move |h, group, index, at| {
                    h.spawn(run_loop_task(c.clone(), group, index, at));
                });
                Source::Loop(ctx)
            }
            model => {
                let startup = if matches!(model, Model::Pool | Model::Hybrid) { costs.pool_startup } else { 0 };
                let ctx = Rc::new(LaneCtx {
                    env,
                    rec: Recorder::new(),
                    workload: workload.clone(),
                    limit,
                    lanes: Semaphore::new(lanes.into()),
                    gil: (model == Model::Gil).then(|| Semaphore::new(1)),
                    model,
                    seed: cfg.seed,
                    switch: cfg.switch_interval.max(1),
                    startup,
                    dispatch: if matches!(model, Model::Pool | Model::Hybrid) { costs.dispatch } else { 0 },
                    ns_per_kib: costs.transfer_ns_per_kib,
                    ns_per_iter: costs.cpu_ns_per_iter,
                });
                for lane in 1..=lanes {
                    ctx.rec.push(Span { task: NO_TASK, lane, phase: 0, kind: PhaseKind::None, state: SpanState::Startup, start: 0, end: startup });
                }
                let c = ctx.clone();
                spawn_batched(&ex.handle(), workload, move |h, group, index, _| {
                    h.spawn(run_lane_task(c.clone(), group, index));
                });
                Source::Lanes(ctx)
            }
        };
        Self { clock, lag, ex, source, trace, done: false }
    }

    /// Runs about `max_polls` polls; returns whether the simulation is over.
    pub fn step(&mut self, max_polls: u64) -> bool {
        if !self.done {
            self.done = !matches!(self.ex.run_virtual_budget(&self.clock, max_polls), Outcome::Ready);
        }
        self.done
    }

    /// The trace (call after [`Simulation::step`] returned true).
    pub fn finish(mut self) -> Trace {
        let rec = match &self.source {
            Source::Recorder(r) => r,
            Source::Loop(ctx) => &ctx.rec,
            Source::Lanes(ctx) => &ctx.rec,
        };
        rec.finish_into(&mut self.trace);
        self.trace.end = self.clock.now();
        self.trace.lag = self.lag.take();
        self.trace
    }
}

/// What the lane-based models' tasks share.
struct LaneCtx {
    env: VirtualEnv,
    rec: Recorder,
    workload: Workload,
    limit: Option<Semaphore>,
    lanes: Semaphore,
    gil: Option<Semaphore>,
    model: Model,
    seed: u64,
    switch: Nanos,
    startup: Nanos,
    dispatch: Nanos,
    ns_per_kib: f64,
    ns_per_iter: f64,
}

impl LaneCtx {
    fn now(&self) -> Nanos {
        self.env.now()
    }

    async fn sleep(&self, d: Nanos) {
        self.env.sleep_until(self.now().saturating_add(d)).await
    }

    /// A span of `d` in `state` on `lane`, time passing on that lane only.
    async fn occupy(&self, task: u32, lane: u16, step: &Step, state: SpanState, d: Nanos) {
        let t0 = self.now();
        self.sleep(d).await;
        self.rec.span(task, lane, step, state, t0, self.now());
    }

    /// Moving a job (and its payload) to or from a worker: half the dispatch
    /// round trip plus the copy.
    async fn transfer(&self, task: u32, lane: u16, step: &Step) {
        if self.dispatch == 0 && step.payload_kib == 0 {
            return;
        }
        let d = self.dispatch / 2 + (step.payload_kib as f64 * self.ns_per_kib).round() as Nanos;
        self.occupy(task, lane, step, SpanState::Transfer, d).await;
    }

    /// CPU work on a thread that needs the GIL: it runs a switch interval at
    /// a time and hands the lock over whenever another thread waits for it.
    async fn gil_cpu(&self, gil: &Semaphore, task: u32, lane: u16, step: &Step, cost: Nanos) {
        let mut left = cost;
        while left > 0 {
            let t0 = self.now();
            let permit = gil.acquire().await;
            self.rec.span(task, lane, step, SpanState::GilBlocked, t0, self.now());
            loop {
                let quantum = left.min(self.switch);
                self.occupy(task, lane, step, SpanState::Running, quantum).await;
                left -= quantum;
                if left == 0 || gil.waiters() > 0 {
                    break;
                }
            }
            if gil.waiters() > 0 {
                self.rec.gil_handover();
            }
            drop(permit);
        }
    }

    /// A thread back from I/O must take the GIL again before its next
    /// bytecode: this wait is the convoy effect.
    async fn gil_resume(&self, gil: &Semaphore, task: u32, lane: u16, step: &Step) {
        let t0 = self.now();
        let permit = gil.acquire().await;
        self.rec.span(task, lane, step, SpanState::GilBlocked, t0, self.now());
        drop(permit);
    }

    async fn incr(&self, mode: IncrMode) {
        let value = self.rec.read_counter();
        match mode {
            IncrMode::Plain | IncrMode::Atomic => {}
            IncrMode::Await => yield_now().await,
            IncrMode::AwaitFor(d) => self.sleep(d).await,
        }
        let value = if mode == IncrMode::Atomic { self.rec.read_counter() } else { value };
        self.rec.write_counter(value + 1);
    }
}

/// One task under a lane-based model (pool, hybrid, GIL threads, free threads).
async fn run_lane_task(ctx: Rc<LaneCtx>, group: usize, index: u64) {
    let task = index as u32;
    let g = &ctx.workload.groups[group];
    let steps = steps(&g.phases, &g.opts, ctx.seed, index);
    let Some(first) = steps.first() else { return };
    let t0 = ctx.now();
    let _limit = match &ctx.limit {
        Some(sem) => Some(sem.acquire().await),
        None => None,
    };
    if ctx.model == Model::Hybrid {
        ctx.rec.span(task, NO_LANE, first, SpanState::Queued, t0, ctx.now());
        return run_hybrid_steps(&ctx, task, &steps).await;
    }
    // Pool and threads: the whole task runs on one lane.
    let permit = ctx.lanes.acquire().await;
    let lane = permit.slot() as u16 + 1;
    ctx.env.sleep_until(ctx.startup).await;
    ctx.rec.span(task, NO_LANE, first, SpanState::Queued, t0, ctx.now());
    let last = steps.last().unwrap_or(first);
    ctx.transfer(task, lane, first).await;
    for step in &steps {
        match step.action {
            Action::Io(d) => {
                ctx.occupy(task, lane, step, SpanState::Waiting, d).await;
                if let Some(gil) = &ctx.gil {
                    ctx.gil_resume(gil, task, lane, step).await;
                }
            }
            Action::Cpu { n, .. } => {
                let cost = cpu_cost(n, ctx.ns_per_iter);
                match &ctx.gil {
                    Some(gil) => ctx.gil_cpu(gil, task, lane, step, cost).await,
                    None => ctx.occupy(task, lane, step, SpanState::Running, cost).await,
                }
                ctx.rec.add_checksum(sum_range(0, n));
            }
            Action::Block(d) => ctx.occupy(task, lane, step, SpanState::Running, d).await,
            Action::Incr(mode) => ctx.incr(mode).await,
        }
    }
    ctx.transfer(task, lane, last).await;
}

/// Loop + pool: waits and blocking calls happen on the loop; each CPU phase is
/// a job for a free lane, awaited like `loop.run_in_executor(pool, f)`.
async fn run_hybrid_steps(ctx: &LaneCtx, task: u32, steps: &[Step]) {
    for step in steps {
        match step.action {
            Action::Io(d) => ctx.occupy(task, NO_LANE, step, SpanState::Waiting, d).await,
            Action::Cpu { n, .. } => {
                let t0 = ctx.now();
                let permit = ctx.lanes.acquire().await;
                let lane = permit.slot() as u16 + 1;
                ctx.env.sleep_until(ctx.startup).await;
                ctx.rec.span(task, NO_LANE, step, SpanState::Queued, t0, ctx.now());
                ctx.transfer(task, lane, step).await;
                ctx.occupy(task, lane, step, SpanState::Running, cpu_cost(n, ctx.ns_per_iter)).await;
                ctx.transfer(task, lane, step).await;
                ctx.rec.add_checksum(sum_range(0, n));
            }
            Action::Block(d) => {
                // A blocking call on the loop's thread stalls the loop itself.
                let t0 = ctx.now();
                ctx.env.block(d);
                ctx.rec.span(task, MAIN_LANE, step, SpanState::Running, t0, ctx.now());
            }
            Action::Incr(mode) => ctx.incr(mode).await,
        }
    }
}
