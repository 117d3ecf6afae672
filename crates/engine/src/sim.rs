//! Every model on the virtual clock: the "predicted" column.
//!
//! A prediction runs the same code as the real run, on a clock that moves only
//! when something costs time:
//!
//! - sequential and the loop run [`crate::runner`]'s task functions, the loop
//!   on a [`VirtualDriver`] that slices, hops and sets timers the way the
//!   browser's driver does, paying each poll, hop and timer's calibrated cost;
//! - the lane models run [`crate::lanes`]'s policies on [`VirtualLanes`],
//!   whose jobs spend their calibrated cost on cores shared by the workers
//!   ([`SharedCpu`]);
//! - the real things (JavaScript, CPython) run the same policies as what they
//!   stand for, with their own measured costs: JavaScript's event loop is our
//!   loop without slices, `jsworker` is a pool, `pyasync` is asyncio's loop.

use std::rc::Rc;

use workload::Workload;

use crate::costs::{Cost, Costs};
use crate::cpu::SharedCpu;
use crate::driver::{VirtualDriver, POLLS_PER_CLOCK_CHECK};
use crate::executor::{yield_now, Executor, Handle, Semaphore};
use crate::lanes::{spawn_lane_task, Gil, GilMode, LaneCtx, VirtualLanes};
use crate::model::{GilImpl, Model, RunConfig};
use crate::runner::{
    run_loop_task, run_sequential_from, spawn_batched, Env, LoopCtx, LoopHooks, Recorder,
};
use crate::time::{Clock, Nanos, VirtualClock};
use crate::trace::{PhaseKind, Source, Span, SpanState, Trace, MAIN_LANE, NO_TASK};
use crate::warmup::Warmup;

/// An [`Env`] on a virtual clock: CPU work advances the clock by its
/// calibrated cost and returns the exact sum by the closed form.
pub struct VirtualEnv {
    clock: Rc<VirtualClock>,
    handle: Handle,
    cpu_ns_per_iter: f64,
    /// JavaScript's and CPython's CPU phases are one synchronous call: they
    /// never give the loop a turn, whatever the workload's `yield=` says.
    never_yield: bool,
    /// The `js` model's kernel is cold at the start of every run.
    warmup: Option<Warmup>,
}

impl VirtualEnv {
    /// An environment for tasks of the executor behind `handle`, whose clock
    /// is `clock`, with CPU at `cpu_ns_per_iter`.
    pub fn new(clock: Rc<VirtualClock>, handle: Handle, cpu_ns_per_iter: f64) -> Self {
        Self {
            clock,
            handle,
            cpu_ns_per_iter,
            never_yield: false,
            warmup: None,
        }
    }

    /// The calibrated cost of `n` iterations, now (a warm-up still under way
    /// adds to it, and is paid).
    pub fn cpu_cost(&self, n: u64) -> Nanos {
        let warm = (n as f64 * self.cpu_ns_per_iter).round() as Nanos;
        warm + self
            .warmup
            .as_ref()
            .map_or(0, |w| w.extra(n, self.cpu_ns_per_iter))
    }
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
    fn cpu_never_yields(&self) -> bool {
        self.never_yield
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

/// What a simulation runs.
enum Plan {
    /// The sequential model, a few tasks per step, from task `next`.
    Sequential { env: VirtualEnv, next: u64 },
    /// Everything else, on an executor.
    Driven {
        driver: VirtualDriver,
        hooks: Option<Rc<LoopHooks>>,
    },
}

/// A simulation that can be run a budget of polls at a time, so a big one
/// can share the browser's main thread without freezing it.
pub struct Simulation {
    clock: Rc<VirtualClock>,
    /// Kept alive for the run (dropping it cancels the tasks).
    _ex: Rc<Executor>,
    rec: Rc<Recorder>,
    plan: Plan,
    workload: Workload,
    seed: u64,
    trace: Trace,
    /// Time after the last task: the last reply travelling back to the page.
    tail: Nanos,
    done: bool,
}

/// The per-model cost profile of an event loop.
struct LoopProfile {
    cpu: f64,
    per_poll: Nanos,
    per_spawn: Nanos,
    slicing: bool,
    never_yield: bool,
}

impl Simulation {
    /// Sets the simulation up (tasks are spawned by a task, in batches).
    pub fn new(workload: &Workload, cfg: &RunConfig, costs: &Costs) -> Self {
        let clock = Rc::new(VirtualClock::new());
        let rec = Rc::new(Recorder::new());
        let model = cfg.model;
        let lanes = if model.uses_workers() {
            cfg.workers.max(1)
        } else {
            0
        };
        let mut trace = Trace {
            model: Some(model),
            source: Source::Predicted,
            lanes: 1 + lanes,
            tasks: workload.task_count(),
            ..Trace::default()
        };
        let mut tail = 0;
        let (ex, plan) = match model {
            Model::Sequential | Model::Py => {
                let ex = Rc::new(Executor::new(clock.clone()));
                let cpu = if model == Model::Py {
                    costs.get(Cost::CpuPy)
                } else {
                    costs.get(Cost::CpuMain)
                };
                let env = VirtualEnv::new(clock.clone(), ex.handle(), cpu);
                (ex, Plan::Sequential { env, next: 0 })
            }
            Model::Loop | Model::Js | Model::PyAsync => {
                let profile = match model {
                    Model::Loop => LoopProfile {
                        cpu: costs.get(Cost::CpuMain),
                        per_poll: costs.ns(Cost::Poll),
                        per_spawn: costs.ns(Cost::Poll),
                        slicing: true,
                        never_yield: false,
                    },
                    // A JavaScript task's turns: its start (the async
                    // function runs to its first `await`) and each wake-up.
                    Model::Js => LoopProfile {
                        cpu: costs.get(Cost::CpuJs),
                        per_poll: costs.ns(Cost::JsTask),
                        per_spawn: 0,
                        slicing: false,
                        never_yield: true,
                    },
                    _ => LoopProfile {
                        cpu: costs.get(Cost::CpuPy),
                        per_poll: 0,
                        per_spawn: costs.ns(Cost::PyTask),
                        slicing: false,
                        never_yield: true,
                    },
                };
                let hooks = Rc::new(
                    LoopHooks::new(rec.clone(), clock.clone(), MAIN_LANE).charging(
                        clock.clone(),
                        profile.per_poll,
                        profile.per_spawn,
                    ),
                );
                let ex = Rc::new(Executor::with_hooks(clock.clone(), hooks.clone()));
                ex.set_polls_per_clock_check(POLLS_PER_CLOCK_CHECK);
                let mut env = VirtualEnv::new(clock.clone(), ex.handle(), profile.cpu);
                env.never_yield = profile.never_yield;
                if model == Model::Js {
                    env.warmup = Some(Warmup::new(costs.ns(Cost::JsWarmup)));
                }
                let ctx = Rc::new(LoopCtx {
                    env,
                    rec: rec.clone(),
                    workload: workload.clone(),
                    limit: cfg.limit.map(Semaphore::new),
                    seed: cfg.seed,
                });
                spawn_batched(&ex.handle(), workload, move |h, group, index, at| {
                    h.spawn_tagged_detached(
                        index as u32,
                        run_loop_task(ctx.clone(), group, index, at),
                    );
                });
                let mut driver = VirtualDriver::new(
                    ex.clone(),
                    clock.clone(),
                    costs.ns(Cost::Hop),
                    costs.ns(Cost::TimerLate),
                );
                if !profile.slicing {
                    driver = driver.unsliced(true);
                }
                (
                    ex,
                    Plan::Driven {
                        driver,
                        hooks: Some(hooks),
                    },
                )
            }
            _ => {
                let threads = model.is_threads();
                let shared = cfg.shared_memory;
                // Where the page hands each task's phases to the workers
                // (the pool, loop + pool, threads by messages), those tasks
                // run on our loop and pay its per-poll and per-spawn costs,
                // as the loop model's do: the real run drives them with the
                // same hooks, recording no events (`Driven::new`). Threads
                // in shared memory take their tasks from a queue there.
                let page_loop =
                    matches!(model, Model::Pool | Model::Hybrid) || (threads && !shared);
                let ex = if page_loop {
                    let hooks = Rc::new(
                        LoopHooks::new(rec.clone(), clock.clone(), MAIN_LANE)
                            .without_events()
                            .charging(clock.clone(), costs.ns(Cost::Poll), costs.ns(Cost::Poll)),
                    );
                    let ex = Executor::with_hooks(clock.clone(), hooks);
                    ex.set_polls_per_clock_check(POLLS_PER_CLOCK_CHECK);
                    Rc::new(ex)
                } else {
                    Rc::new(Executor::new(clock.clone()))
                };
                // The pool's workers are started before the run (0 once
                // warm); the JavaScript workers are the program's own, a
                // fresh set every run.
                let startup = match model {
                    Model::Pool | Model::Hybrid => costs.ns(Cost::PoolStartup),
                    Model::JsWorker => costs.ns(Cost::JsWorkerStart),
                    _ => 0,
                };
                // Threads fed from a shared queue in shared memory pay one
                // message to start and one to answer, not one per task.
                let (per_job, ready_at) = if threads && shared {
                    let half = costs.ns(Cost::Dispatch) / 2;
                    tail = half;
                    (0, startup + half)
                } else {
                    (costs.ns(Cost::Dispatch), startup)
                };
                let worker_cpu = if model == Model::JsWorker {
                    costs.get(Cost::CpuJsWorker)
                } else {
                    costs.get(Cost::CpuWorker)
                };
                let gil = (model == Model::Gil).then(|| {
                    if shared {
                        Gil::new(GilMode::DropRequest, cfg.switch_interval)
                            .with_handoff_cost(costs.ns(Cost::GilHandoff))
                    } else {
                        Gil::new(GilMode::Quantum, cfg.switch_interval)
                    }
                });
                if threads {
                    trace.implementation = Some(
                        match (model, GilImpl::for_config(cfg)) {
                            (Model::Gil, g) => g.describe(),
                            (_, GilImpl::SharedMemory) => "threads sharing memory",
                            (_, GilImpl::Messages) => {
                                "threads without shared memory (the counter lives on the page)"
                            }
                        }
                        .to_string(),
                    );
                }
                let ctx = Rc::new(LaneCtx {
                    env: VirtualEnv::new(clock.clone(), ex.handle(), costs.get(Cost::CpuMain)),
                    lanes: VirtualLanes {
                        handle: ex.handle(),
                        cpu: Rc::new(SharedCpu::new(cfg.cores, costs.get(Cost::CpuParallel))),
                        ns_per_iter: worker_cpu,
                        warmup: (model == Model::JsWorker).then(|| {
                            (0..lanes)
                                .map(|_| Warmup::new(costs.ns(Cost::JsWarmup)))
                                .collect()
                        }),
                        dispatch: per_job,
                        ns_per_kib: costs.get(Cost::TransferKib),
                        gil_message: if shared {
                            0
                        } else {
                            costs.ns(Cost::GilMessage)
                        },
                    },
                    handle: ex.handle(),
                    rec: rec.clone(),
                    workload: workload.clone(),
                    seed: cfg.seed,
                    limit: cfg.limit.map(Semaphore::new),
                    slots: Semaphore::new(lanes.into()),
                    gil,
                    ready_at,
                    waits_in_worker: shared,
                });
                if startup > 0 {
                    for lane in 1..=lanes {
                        rec.push(Span {
                            task: NO_TASK,
                            lane,
                            phase: 0,
                            kind: PhaseKind::None,
                            state: SpanState::Startup,
                            start: 0,
                            end: startup,
                        });
                    }
                }
                spawn_batched(&ex.handle(), workload, move |h, group, index, at| {
                    spawn_lane_task(h, model, ctx.clone(), group, index, at)
                });
                let driver = VirtualDriver::new(
                    ex.clone(),
                    clock.clone(),
                    costs.ns(Cost::Hop),
                    costs.ns(Cost::TimerLate),
                );
                (
                    ex,
                    Plan::Driven {
                        driver,
                        hooks: None,
                    },
                )
            }
        };
        Self {
            clock,
            _ex: ex,
            rec,
            plan,
            workload: workload.clone(),
            seed: cfg.seed,
            trace,
            tail,
            done: false,
        }
    }

    /// Keeps the full record only for the first `tasks` tasks (see
    /// [`Recorder::set_detail_limit`]): for big predictions.
    pub fn set_detail_limit(&self, tasks: u32) {
        self.rec.set_detail_limit(tasks);
    }

    /// Runs about `max_polls` polls (for the sequential model, tasks); returns
    /// whether the simulation is over.
    pub fn step(&mut self, max_polls: u64) -> bool {
        if self.done {
            return true;
        }
        self.done = match &mut self.plan {
            Plan::Sequential { env, next } => {
                let batch = max_polls.clamp(1, 1 << 20);
                *next =
                    run_sequential_from(env, &self.rec, &self.workload, self.seed, *next, batch);
                *next >= self.workload.task_count()
            }
            Plan::Driven { driver, .. } => driver.step(max_polls),
        };
        self.done
    }

    /// The virtual time reached so far.
    pub fn now(&self) -> Nanos {
        self.clock.now()
    }

    /// The trace (call after [`Simulation::step`] returned true, or to cut
    /// the simulation short: then the waits and jobs still open are drawn up
    /// to the virtual time reached, as a cancelled run's are).
    pub fn finish(mut self) -> Trace {
        if !self.done {
            let now = self.clock.now();
            self.rec.close_open_waits(now);
            self.rec.cut_under_way(now);
        }
        self.rec.finish_into(&mut self.trace);
        self.trace.end = self.clock.now() + self.tail;
        if let Plan::Driven { driver, hooks } = &self.plan {
            let mut stats = driver.stats();
            if let Some(h) = hooks {
                self.trace.lag = h.take_lag();
                stats.polls = h.polls();
                stats.spawns = h.spawns();
            }
            if matches!(self.trace.model, Some(Model::Loop)) {
                self.trace.driver = Some(stats);
            }
        }
        self.trace
    }
}

/// A budget of polls per step that keeps one step of a simulation short on a
/// slow machine (about a millisecond or two in wasm).
pub const STEP_POLLS: u64 = 4_000;
