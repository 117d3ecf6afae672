//! Real runs in the browser: every model that needs no shared memory, each
//! producing the engine's [`Trace`] on the page's clock.
//!
//! - [`Model::Sequential`]: the engine's `run_sequential` with real busy-waits.
//!   The page freezes, as it should.
//! - [`Model::Loop`]: the engine's `run_loop_task` on our executor, driven in
//!   slices by [`driver::LoopDriver`].
//! - [`Model::Pool`] and [`Model::Hybrid`]: tasks on the same driven loop that
//!   send jobs to idle workers ([`pool_run`]).

pub mod driver;
pub mod env;
pub mod frames;
pub mod pool_run;
pub mod threads_run;

use std::cell::Cell;
use std::rc::Rc;

use engine::executor::Semaphore;
use engine::model::{Costs, Model, RunConfig};
use engine::runner::{run_loop_task, run_sequential, spawn_batched, LoopCtx, Recorder};
use engine::time::{Clock, Nanos, SECOND};
use engine::trace::Trace;
use workload::Workload;

use crate::clock::RealClock;
use crate::pool::Pool;
use driver::{DriverHooks, LoopDriver};
use env::RealEnv;

/// Runs above this estimate need the user's consent first (sequential
/// freezes the page for the whole run).
pub const CONSENT_ABOVE: Nanos = 10 * SECOND;

/// Why a run could not start.
#[derive(Debug, Clone, PartialEq)]
pub enum RunError {
    /// The sequential run is estimated above [`CONSENT_ABOVE`] and freezes the page.
    NeedsConsent {
        /// The estimate.
        estimate: Nanos,
    },
    /// The model needs something this page lacks.
    Unavailable(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::NeedsConsent { estimate } => write!(
                f,
                "the sequential run would freeze the page for about {}; confirm to run it",
                engine::time::format_duration(*estimate)
            ),
            RunError::Unavailable(why) => f.write_str(why),
        }
    }
}

/// A cancel button's reach into a running run.
#[derive(Clone, Default)]
pub struct CancelToken {
    cancelled: Rc<Cell<bool>>,
    hook: Rc<std::cell::RefCell<Option<Box<dyn Fn()>>>>,
}

impl CancelToken {
    /// A fresh token.
    pub fn new() -> Self {
        Self::default()
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
    fn on_cancel(&self, f: impl Fn() + 'static) {
        *self.hook.borrow_mut() = Some(Box::new(f));
    }
}

/// The estimated wall time of a sequential run with `costs`.
pub fn sequential_estimate(w: &Workload, costs: &Costs) -> Nanos {
    let cpu = (w.total_cpu_iterations() as f64 * costs.cpu_ns_per_iter) as u128;
    (cpu + w.total_wait()).min(u128::from(u64::MAX)) as Nanos
}

/// Measures the kernel's cost on this machine (about 2 ms of work), for
/// predictions and estimates.
pub fn calibrate() -> Costs {
    let n = 2_000_000;
    let t0 = crate::clock::now_ms();
    let s = workload::sum_squares(n);
    let took = crate::clock::now_ms() - t0;
    debug_assert_eq!(s, workload::closed_form(n));
    Costs { cpu_ns_per_iter: (took * 1e6 / n as f64).max(0.05), ..Costs::default() }
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
    let mut trace = match cfg.model {
        Model::Sequential => {
            let estimate = sequential_estimate(workload, costs);
            if estimate > CONSENT_ABOVE && !allow_long {
                probe.stop();
                return Err(RunError::NeedsConsent { estimate });
            }
            run_seq(workload, cfg)
        }
        Model::Loop => run_loop(workload, cfg, cancel, progress).await?,
        Model::Pool | Model::Hybrid => {
            let pool = pool.ok_or_else(|| RunError::Unavailable("the worker pool is not running".into()))?;
            pool_run::run(workload, cfg, pool, cancel, progress).await?
        }
        Model::Gil | Model::Free => {
            let pool = pool.ok_or_else(|| RunError::Unavailable("the worker pool is not running".into()))?;
            match threads_run::run(workload, cfg, pool, cancel, progress).await {
                Ok(t) => t,
                Err(e) => {
                    probe.stop();
                    return Err(e);
                }
            }
        }
    };
    trace.frame_gaps = probe.stop();
    Ok(trace)
}

fn new_trace(workload: &Workload, cfg: &RunConfig, lanes: u16) -> Trace {
    Trace { model: Some(cfg.model), lanes, tasks: workload.task_count(), ..Trace::default() }
}

fn run_seq(workload: &Workload, cfg: &RunConfig) -> Trace {
    let mut trace = new_trace(workload, cfg, 1);
    let rec = Recorder::new();
    // The environment's executor is never driven: sequential never awaits.
    let hooks = Rc::new(DriverHooks::default());
    let ex = engine::executor::Executor::with_hooks(Rc::new(RealClock), hooks);
    let env = RealEnv { handle: ex.handle() };
    trace.start = RealClock.now();
    run_sequential(&env, &rec, workload, cfg.seed, || false);
    trace.end = RealClock.now();
    // The whole run is one block: the page could not draw until it ended.
    trace.main_blocks = vec![(trace.start, trace.end)];
    rec.finish_into(&mut trace);
    trace
}

async fn run_loop(
    workload: &Workload,
    cfg: &RunConfig,
    cancel: &CancelToken,
    progress: impl Fn(f64) + 'static,
) -> Result<Trace, RunError> {
    let hooks = Rc::new(DriverHooks::default());
    let driver = LoopDriver::new(hooks.clone()).map_err(RunError::Unavailable)?;
    let ctx = Rc::new(LoopCtx {
        env: RealEnv { handle: driver.handle() },
        rec: Recorder::new(),
        workload: workload.clone(),
        limit: cfg.limit.map(Semaphore::new),
        seed: cfg.seed,
    });
    let mut trace = new_trace(workload, cfg, 1);
    trace.start = RealClock.now();
    spawn_batched(&driver.handle(), workload, {
        let ctx = ctx.clone();
        move |h, group, index, at| {
            h.spawn(run_loop_task(ctx.clone(), group, index, at));
        }
    });
    let total = workload.task_count().max(1) as f64;
    // The spawner itself is a live task until it has spawned everyone.
    driver.on_slice(move |live| progress(1.0 - (live as f64 / total).min(1.0)));
    wire_cancel(cancel, &driver, None);
    drive(&mut trace, driver, &hooks).await;
    ctx.rec.finish_into(&mut trace);
    Ok(trace)
}

/// Connects the cancel button to a driven run. A worker cannot be
/// interrupted, so with `pool` the busy workers are terminated (the pool
/// replaces them) and the cancel takes effect now, not after their job.
pub(crate) fn wire_cancel(cancel: &CancelToken, driver: &LoopDriver, pool: Option<&Pool>) {
    let canceller = driver.canceller();
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
}

/// Drives the loop to the end of the run and records, in `trace`, when it
/// ended, whether it was cancelled, the loop's lag and its slices.
pub(crate) async fn drive(trace: &mut Trace, driver: LoopDriver, hooks: &DriverHooks) {
    let cancelled = driver.run().await;
    trace.end = RealClock.now();
    trace.cancelled = cancelled;
    trace.lag = hooks.lag.take();
    trace.main_blocks = driver.take_slices();
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
