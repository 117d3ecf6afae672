//! Real runs in the browser: every model, each producing the engine's
//! [`Trace`] on the page's clock.
//!
//! - [`Model::Sequential`]: the engine's sequential runner with real
//!   busy-waits. The page freezes, as it should.
//! - [`Model::Loop`]: the engine's `run_loop_task` on our executor, driven in
//!   slices by [`driver::LoopDriver`].
//! - [`Model::Pool`], [`Model::Hybrid`], and the thread models without shared
//!   memory: `engine::lanes`' policies on the same driven loop, with jobs for
//!   real workers ([`crate::pool::lanes`]).
//! - The thread models in shared memory: [`threads`] (the GIL in `Atomics`).
//! - JavaScript and CPython: [`js`] and [`python`].
//!
//! Every driven run is set up by one function, [`Driven::new`], and finished
//! by one, [`Driven::drive`].

pub mod calibrate;
pub mod driver;
pub mod env;
pub mod frames;
pub mod js;
pub mod python;
pub mod threads;

use std::cell::Cell;
use std::rc::Rc;

use engine::costs::{Cost, Costs};
use engine::executor::{Handle, Semaphore};
use engine::lanes::{spawn_lane_task, Gil, GilMode, LaneCtx};
use engine::model::{GilImpl, Model, RunConfig};
use engine::runner::{
    loop_record_estimate, run_loop_task, run_sequential, spawn_batched, LoopCtx, LoopHooks,
    Recorder,
};
use engine::time::{Clock, Nanos, SECOND};
use engine::trace::{Trace, MAIN_LANE};
use workload::Workload;

use crate::clock::RealClock;
use crate::pool::lanes::PoolLanes;
use crate::pool::Pool;
use driver::{DriverHooks, LoopDriver};
use env::RealEnv;

/// Runs above this estimate need the user's consent first (sequential
/// freezes the page for the whole run).
pub const CONSENT_ABOVE: Nanos = 10 * SECOND;

/// How often a run whose record comes from elsewhere (the JavaScript
/// program's timeline) is read for the live chart, ms.
pub const LIVE_READ_MS: i32 = 100;

/// How often a run reports its progress to the page, ms.
pub const PROGRESS_EVERY_MS: f64 = 100.0;

/// Tasks past this index keep only their spans on lanes: a million tasks'
/// waits and events would cost hundreds of MB (see `Recorder::set_detail_limit`).
pub const DETAIL_TASKS: u32 = 200_000;

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq)]
pub enum RunError {
    /// The run is estimated above [`CONSENT_ABOVE`]: it asks first.
    NeedsConsent {
        /// The estimate.
        estimate: Nanos,
        /// It freezes the page meanwhile (sequential); CPython runs in a
        /// worker of its own, and Cancel stops it.
        freezes: bool,
    },
    /// The model needs something this page lacks.
    Unavailable(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::NeedsConsent {
                estimate,
                freezes: true,
            } => write!(
                f,
                "the run would freeze the page for about {}. Run it anyway, or skip it.",
                engine::time::format_duration(*estimate)
            ),
            RunError::NeedsConsent {
                estimate,
                freezes: false,
            } => write!(
                f,
                "the run would take about {} (the page stays usable meanwhile, and Cancel stops it). Run it anyway, or skip it.",
                engine::time::format_duration(*estimate)
            ),
            RunError::Unavailable(why) => f.write_str(why),
        }
    }
}

/// What cancelling does for the run in progress.
type CancelHook = Box<dyn Fn()>;

/// A cancel button's reach into a running run.
#[derive(Clone, Default)]
pub struct CancelToken {
    cancelled: Rc<Cell<bool>>,
    hook: Rc<std::cell::RefCell<Option<CancelHook>>>,
    /// The run is a calibration probe's, which nobody watches: it is not
    /// published as the page's [`live`] run (the live timeline, and scripts
    /// that act mid-run, must only ever see a run someone pressed Run for).
    unlisted: bool,
}

impl CancelToken {
    /// A fresh token.
    pub fn new() -> Self {
        Self::default()
    }
    /// A fresh token for a run nobody watches (a calibration probe): the
    /// run is never the page's [`live`] run.
    pub fn unlisted() -> Self {
        Self {
            unlisted: true,
            ..Self::default()
        }
    }
    /// Whether `other` is a clone of this token (the same run).
    pub fn same(&self, other: &CancelToken) -> bool {
        Rc::ptr_eq(&self.cancelled, &other.cancelled)
    }
    /// Cancels the run it was given to.
    pub fn cancel(&self) {
        self.cancelled.set(true);
        if let Some(f) = self.hook.borrow().as_ref() {
            f();
        }
    }
    /// Whether cancel was pressed.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.get()
    }
    /// What cancelling does for the run in progress (replaces the previous).
    /// On a token already cancelled (Cancel pressed while the run was still
    /// getting ready) `f` runs at once: the run must not go on unseen.
    pub fn on_cancel(&self, f: impl Fn() + 'static) {
        if self.is_cancelled() {
            f();
        }
        *self.hook.borrow_mut() = Some(Box::new(f));
    }
}

/// The estimated wall time of a run that blocks the page (sequential, or the
/// CPython sequential program) with `costs`.
pub fn blocking_estimate(w: &Workload, model: Model, costs: &Costs) -> Nanos {
    let per_iter = if model == Model::Py {
        costs.get(Cost::CpuPy)
    } else {
        costs.get(Cost::CpuMain)
    };
    let cpu = (w.total_cpu_iterations() as f64 * per_iter) as u128;
    (cpu + w.total_wait()).min(u128::from(u64::MAX)) as Nanos
}

/// About how long the CPython program for `model` runs: its CPU work at
/// CPython's speed, and its waits: all of them, one after another, for the
/// sequential program; for asyncio, its blocking calls (they stall the loop)
/// and the longest task's own waits (the others overlap them), plus a
/// task's creation for each. (Before, asyncio was estimated as if it ran
/// its waits one after another: `2000*[io(10ms),cpu(10k)]` asked first, "about
/// 21.9 s", for a run of 2 s.)
pub fn python_estimate(w: &Workload, model: Model, costs: &Costs) -> Nanos {
    if model != Model::PyAsync {
        return blocking_estimate(w, Model::Py, costs);
    }
    let cpu = w.total_cpu_iterations() as f64 * costs.get(Cost::CpuPy);
    let tasks = w.task_count() as f64 * costs.get(Cost::PyTask);
    let (mut blocks, mut longest) = (0u128, 0u128);
    for g in &w.groups {
        let (mut block, mut wait) = (0u128, 0u128);
        for p in &g.phases {
            match p {
                workload::Phase::Block { dur, .. } => block += u128::from(*dur),
                workload::Phase::Io { dur, .. }
                | workload::Phase::Incr {
                    mode: workload::IncrMode::AwaitFor(dur),
                    ..
                } => wait += u128::from(*dur),
                _ => {}
            }
        }
        blocks += block * u128::from(g.count);
        longest = longest.max(wait);
    }
    ((cpu + tasks) as u128 + blocks + longest).min(u128::from(u64::MAX)) as Nanos
}

/// Runs `workload` under `cfg.model` for real. `progress` gets the fraction of
/// tasks done, now and then. The trace is partial (and marked) if cancelled.
pub async fn run(
    workload: &Workload,
    cfg: &RunConfig,
    pool: Option<&Pool>,
    cancel: &CancelToken,
    allow_long: bool,
    costs: &Costs,
    progress: impl Fn(f64) + 'static,
) -> Result<Trace, RunError> {
    let probe = frames::FrameProbe::start();
    let result = match cfg.model {
        Model::Sequential => {
            let estimate = blocking_estimate(workload, cfg.model, costs);
            if estimate > CONSENT_ABOVE && !allow_long {
                Err(RunError::NeedsConsent {
                    estimate,
                    freezes: true,
                })
            } else {
                Ok(run_seq(workload, cfg))
            }
        }
        Model::Loop => run_loop(workload, cfg, cancel, progress).await,
        Model::Pool | Model::Hybrid => {
            let pool =
                pool.ok_or_else(|| RunError::Unavailable("the worker pool is not running".into()))?;
            run_lanes(workload, cfg, pool, cancel, progress).await
        }
        Model::Gil | Model::Free => {
            let pool =
                pool.ok_or_else(|| RunError::Unavailable("the worker pool is not running".into()))?;
            if cfg.shared_memory {
                threads::run(workload, cfg, pool, cancel, progress).await
            } else {
                run_lanes(workload, cfg, pool, cancel, progress).await
            }
        }
        Model::Js | Model::JsWorker => js::run(workload, cfg, cancel, progress).await,
        Model::Py | Model::PyAsync => {
            // CPython is about a hundred times slower per iteration: a big
            // CPU workload asks first (the page stays usable: it runs in a
            // worker of its own).
            let estimate = python_estimate(workload, cfg.model, costs);
            if estimate > CONSENT_ABOVE && !allow_long {
                Err(RunError::NeedsConsent {
                    estimate,
                    freezes: false,
                })
            } else {
                python::run(workload, cfg, cancel, progress).await
            }
        }
    };
    let frame_gaps = probe.stop();
    let mut trace = result?;
    trace.frame_gaps = frame_gaps;
    Ok(trace)
}

fn new_trace(workload: &Workload, cfg: &RunConfig, lanes: u16) -> Trace {
    Trace {
        model: Some(cfg.model),
        lanes,
        tasks: workload.task_count(),
        ..Trace::default()
    }
}

fn run_seq(workload: &Workload, cfg: &RunConfig) -> Trace {
    let mut trace = new_trace(workload, cfg, 1);
    let rec = Recorder::new();
    rec.set_detail_limit(DETAIL_TASKS);
    // The environment's executor is never driven: sequential never awaits.
    let ex = engine::executor::Executor::new(Rc::new(RealClock));
    let env = RealEnv {
        handle: ex.handle(),
    };
    trace.start = RealClock.now();
    run_sequential(&env, &rec, workload, cfg.seed, || false);
    trace.end = RealClock.now();
    // The whole run is one block: the page could not draw until it ended.
    trace.main_blocks = vec![(trace.start, trace.end)];
    rec.finish_into(&mut trace);
    trace
}

/// A run in progress, for the live timeline: its header and its recorder,
/// which the chart reads between the loop's slices.
#[derive(Clone)]
pub struct LiveRun {
    /// The model running.
    pub model: Model,
    /// When it started, on the page's clock.
    pub start: Nanos,
    /// Lanes: main + workers.
    pub lanes: u16,
    /// Tasks in the workload.
    pub tasks: u64,
    /// What has been recorded so far.
    pub rec: Rc<Recorder>,
}

thread_local! {
    static LIVE: std::cell::RefCell<Option<LiveRun>> = const { std::cell::RefCell::new(None) };
}

/// The run in progress, if one is (and records as it goes).
pub fn live() -> Option<LiveRun> {
    LIVE.with(|l| l.borrow().clone())
}

/// The run in progress, for scripts and tests: its model, the spans
/// recorded so far and the jobs under way on workers, as JSON
/// (`{"model":"pool","spans":0,"under_way":2}`), or `null` between runs.
/// A test that must act mid-run waits on this, not on a delay.
pub fn live_json() -> String {
    match live() {
        None => "null".into(),
        Some(l) => format!(
            r#"{{"model":"{}","spans":{},"under_way":{}}}"#,
            l.model.name(),
            l.rec.span_count(),
            l.rec.with_under_way(|s| s.len())
        ),
    }
}

fn set_live(run: Option<LiveRun>) {
    LIVE.with(|l| *l.borrow_mut() = run);
}

/// One run on our driven loop, set up the same way for every model that uses
/// it: the recorder, the hooks, the driver and the trace's header.
pub(crate) struct Driven {
    driver: LoopDriver,
    rec: Rc<Recorder>,
    trace: Trace,
    tasks: u64,
    /// Called with "cancelled" once the run has ended, before its record
    /// is taken (see [`Driven::before_finish`]).
    before_finish: Option<Box<dyn FnOnce(bool)>>,
}

impl Driven {
    /// A run of `workload` under `cfg` with `workers` worker lanes. With
    /// `polls_are_running`, every poll is a task running on the main thread
    /// (our event loop) and is recorded as scheduler events; otherwise the
    /// policies record their own.
    pub(crate) fn new(
        workload: &Workload,
        cfg: &RunConfig,
        workers: u16,
        polls_are_running: bool,
        cancel: &CancelToken,
    ) -> Result<Self, RunError> {
        let rec = Rc::new(Recorder::new());
        rec.set_detail_limit(DETAIL_TASKS);
        let mut hooks = LoopHooks::new(rec.clone(), Rc::new(RealClock), MAIN_LANE);
        // The loop's whole record and timers, reserved before it starts
        // rather than grown (and copied) a score of times while tasks run.
        let est = polls_are_running.then(|| loop_record_estimate(workload, Some(DETAIL_TASKS)));
        match est {
            Some(est) => {
                rec.reserve(est.spans, est.events);
                hooks.reserve_lag(est.timers);
            }
            None => hooks = hooks.without_events(),
        }
        let driver =
            LoopDriver::new(Rc::new(DriverHooks::new(hooks))).map_err(RunError::Unavailable)?;
        if let Some(est) = est {
            // A task sleeps on one timer at a time.
            driver
                .executor()
                .reserve_timers(est.timers.min(workload.task_count()) as usize);
        }
        let mut trace = new_trace(workload, cfg, 1 + workers);
        trace.start = RealClock.now();
        if !cancel.unlisted {
            set_live(Some(LiveRun {
                model: cfg.model,
                start: trace.start,
                lanes: trace.lanes,
                tasks: trace.tasks,
                rec: rec.clone(),
            }));
        }
        Ok(Self {
            driver,
            rec,
            trace,
            tasks: workload.task_count(),
            before_finish: None,
        })
    }

    /// The loop's handle.
    pub(crate) fn handle(&self) -> Handle {
        self.driver.handle()
    }

    /// Where spans and events go.
    pub(crate) fn rec(&self) -> Rc<Recorder> {
        self.rec.clone()
    }

    /// Runs `f` with "cancelled" once the run has ended, before its record
    /// is taken into the trace: what the run's workers left in shared
    /// memory, for one, is still to be recorded if they never replied.
    pub(crate) fn before_finish(&mut self, f: impl FnOnce(bool) + 'static) {
        self.before_finish = Some(Box::new(f));
    }

    /// The trace being built (to set what is known before the run).
    pub(crate) fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }

    /// Drives the run to its end (or until cancelled) and returns its trace:
    /// when it ended, whether it was cancelled, the loop's lag, slices and
    /// statistics, and everything recorded. Cancelling terminates `pool`'s
    /// busy workers (a worker cannot be interrupted; the pool replaces them).
    pub(crate) async fn drive(
        self,
        cancel: &CancelToken,
        pool: Option<&Pool>,
        progress: impl Fn(f64) + 'static,
    ) -> Trace {
        let total = self.tasks.max(1) as f64;
        // The spawner itself is a live task until it has spawned everyone.
        // Progress redraws part of the page: at most every PROGRESS_EVERY_MS,
        // not after every slice (that would cost the run a few percent).
        let last = std::cell::Cell::new(f64::NEG_INFINITY);
        self.driver.on_slice(move |live| {
            let now = crate::clock::now_ms();
            if now - last.get() >= PROGRESS_EVERY_MS {
                last.set(now);
                progress(1.0 - (live as f64 / total).min(1.0));
            }
        });
        let canceller = self.driver.canceller();
        let pool = pool.cloned();
        cancel.on_cancel(move || {
            canceller.cancel();
            if let Some(pool) = &pool {
                for lane in 0..pool.size() {
                    if !pool.is_idle(lane) {
                        pool.terminate(lane, "the run was cancelled");
                    }
                }
            }
        });
        // Cancelled before it began (the hook above has dropped its tasks):
        // there is nothing to drive, and the driver would wait for ever.
        let cancelled = cancel.is_cancelled() || self.driver.run().await;
        cancel.on_cancel(|| {});
        if !cancel.unlisted {
            set_live(None);
        }
        let mut trace = self.trace;
        trace.end = RealClock.now();
        trace.cancelled = cancelled;
        trace.lag = self.driver.take_lag();
        trace.main_blocks = self.driver.take_slices();
        // The run is the loop's work: from its first slice (tasks are spawned
        // there) to the end of its last. The page's redraw in reaction to the
        // Run button, before the first slice, is not part of it.
        if let (Some(first), Some(last)) = (trace.main_blocks.first(), trace.main_blocks.last()) {
            if !cancelled {
                trace.start = first.0;
                trace.end = trace
                    .end
                    .min(last.1.max(first.0))
                    .max(trace.spans.iter().map(|s| s.end).max().unwrap_or(0));
            }
        }
        if trace.model == Some(Model::Loop) {
            trace.driver = Some(self.driver.stats());
        }
        if let Some(f) = self.before_finish {
            f(cancelled);
        }
        if cancelled {
            // The tasks were dropped mid-sleep and the workers stopped
            // mid-job: what they did until the cancel is part of the run,
            // and its partial trace shows it.
            self.rec.close_open_waits(trace.end);
            self.rec.cut_under_way(trace.end);
        }
        self.rec.finish_into(&mut trace);
        trace
    }
}

async fn run_loop(
    workload: &Workload,
    cfg: &RunConfig,
    cancel: &CancelToken,
    progress: impl Fn(f64) + 'static,
) -> Result<Trace, RunError> {
    let run = Driven::new(workload, cfg, 0, true, cancel)?;
    let ctx = Rc::new(LoopCtx {
        env: RealEnv {
            handle: run.handle(),
        },
        rec: run.rec(),
        workload: workload.clone(),
        limit: cfg.limit.map(Semaphore::new),
        seed: cfg.seed,
    });
    spawn_batched(&run.handle(), workload, move |h, group, index, at| {
        h.spawn_tagged_detached(index as u32, run_loop_task(ctx.clone(), group, index, at));
    });
    Ok(run.drive(cancel, None, progress).await)
}

/// The lane models on real workers: pool, loop + pool, and the thread models
/// without shared memory (the GIL by messages, free threads).
async fn run_lanes(
    workload: &Workload,
    cfg: &RunConfig,
    pool: &Pool,
    cancel: &CancelToken,
    progress: impl Fn(f64) + 'static,
) -> Result<Trace, RunError> {
    let workers = pool.size() as u16;
    let model = cfg.model;
    let mut run = Driven::new(workload, cfg, workers, false, cancel)?;
    if model.is_threads() {
        run.trace_mut().implementation = Some(
            match model {
                Model::Gil => GilImpl::Messages.describe(),
                _ => "threads without shared memory (the counter lives on the page)",
            }
            .to_string(),
        );
    }
    let gil = (model == Model::Gil).then(|| Gil::new(GilMode::Quantum, cfg.switch_interval));
    let ctx = Rc::new(LaneCtx {
        env: RealEnv {
            handle: run.handle(),
        },
        lanes: PoolLanes::new(pool.clone()),
        handle: run.handle(),
        rec: run.rec(),
        workload: workload.clone(),
        seed: cfg.seed,
        limit: cfg.limit.map(Semaphore::new),
        slots: Semaphore::new(u32::from(workers)),
        gil,
        ready_at: 0,
        waits_in_worker: false,
    });
    let c = ctx.clone();
    spawn_batched(&run.handle(), workload, move |h, group, index, at| {
        spawn_lane_task(h, model, c.clone(), group, index, at)
    });
    let mut trace = run.drive(cancel, Some(pool), progress).await;
    trace.observed.extend(ctx.lanes.observations());
    Ok(trace)
}

/// Resolves on the next macrotask through a `MessageChannel`: unlike
/// `setTimeout(0)` it is not clamped to 4 ms when calls nest, so a long job
/// cut into many short steps finishes promptly while the page stays smooth.
pub async fn yield_to_browser() {
    let Ok(channel) = web_sys::MessageChannel::new() else {
        return next_macrotask().await;
    };
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        channel.port1().set_onmessage(Some(&resolve));
    });
    let _ = channel.port2().post_message(&wasm_bindgen::JsValue::NULL);
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    channel.port1().set_onmessage(None);
}

/// Waits until `done()`, checking once a macrotask (the page keeps drawing
/// meanwhile), or until `give_up()`, or at most `at_most_ms`.
pub async fn wait_until(
    at_most_ms: f64,
    give_up: impl Fn() -> bool,
    mut done: impl FnMut() -> bool,
) {
    let t0 = crate::clock::now_ms();
    while !done() && !give_up() && crate::clock::now_ms() - t0 < at_most_ms {
        next_macrotask().await;
    }
}

/// Resolves after `ms` milliseconds (a `setTimeout`).
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves on a later macrotask, so the browser can draw in between.
pub async fn next_macrotask() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
