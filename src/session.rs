//! One press of Run: the chosen models one after another, each measured for
//! real and predicted on the virtual clock, then compared. No UI here: the
//! app calls [`run_models`] and renders what comes back.

use std::rc::Rc;

use engine::metrics::Metrics;
use engine::model::{Costs, Model, RunConfig};
use engine::sim::Simulation;
use engine::trace::Trace;
use workload::Workload;

use crate::pool::Pool;
use crate::runtime::{self, CancelToken, RunError};

thread_local! {
    /// The last session's traces, for [`last_traces_json`].
    static LAST: std::cell::RefCell<Vec<Rc<Trace>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The last run's traces as JSON, for scripts and end-to-end tests:
/// `[{"model", "start", "end", "lanes", "cancelled", "spans": [[task, lane, state, start, end], …]}]`,
/// times in ns on the page's clock, lane 65535 = none, task 4294967295 = none.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn last_traces_json() -> String {
    use std::fmt::Write;
    LAST.with(|l| {
        let mut out = String::from("[");
        for (i, t) in l.borrow().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"model\":\"{}\",\"start\":{},\"end\":{},\"lanes\":{},\"cancelled\":{},\"spans\":[",
                t.model.map_or("-", |m| m.name()),
                t.start,
                t.end,
                t.lanes,
                t.cancelled
            );
            for (j, s) in t.spans.iter().enumerate() {
                let sep = if j > 0 { "," } else { "" };
                let _ = write!(out, "{sep}[{},{},\"{}\",{},{}]", s.task, s.lane, s.state.name(), s.start, s.end);
            }
            out.push_str("]}");
        }
        out.push(']');
        out
    })
}

fn remember(results: &[ModelResult]) {
    LAST.with(|l| *l.borrow_mut() = results.iter().map(|r| r.trace.clone()).collect());
}

/// Predictions are skipped above this many tasks × phases (the simulator is
/// fast, but a million tasks' spans would double the memory of the run).
const PREDICT_LIMIT: u64 = 300_000;

/// What one model did.
#[derive(Clone)]
pub struct ModelResult {
    /// The model.
    pub model: Model,
    /// The measured trace.
    pub trace: Rc<Trace>,
    /// Metrics of the measured trace.
    pub metrics: Metrics,
    /// Wall time predicted by the engine on the virtual clock, ms.
    pub predicted_wall_ms: Option<f64>,
}

/// How a session ended.
pub enum SessionEnd {
    /// Every model ran.
    Done(Vec<ModelResult>),
    /// Cancel was pressed; the results so far (the last one partial).
    Cancelled(Vec<ModelResult>),
    /// A model could not run; the results before it, and why.
    Failed(Vec<ModelResult>, Model, RunError),
}

/// Everything a session needs besides the workload.
pub struct SessionConfig {
    /// Models, in the order to run them.
    pub models: Vec<Model>,
    /// Shared knobs; `model` is set per run.
    pub base: RunConfig,
    /// Calibrated costs for predictions.
    pub costs: Costs,
    /// The user agreed to a long sequential run.
    pub allow_long: bool,
    /// Pool start-up as measured when the pool started, ms.
    pub pool_startup_ms: Option<f64>,
}

/// Runs every model in `cfg.models`; `progress(model_index, fraction)`.
pub async fn run_models(
    workload: &Workload,
    cfg: &SessionConfig,
    pool: Option<&Pool>,
    cancel: &CancelToken,
    progress: impl Fn(usize, f64) + Clone + 'static,
) -> SessionEnd {
    let mut results: Vec<ModelResult> = Vec::new();
    let size: u64 = workload.groups.iter().map(|g| u64::from(g.count) * g.phases.len() as u64).sum();
    for (i, &model) in cfg.models.iter().enumerate() {
        if cancel.is_cancelled() {
            return SessionEnd::Cancelled(results);
        }
        let run_cfg = RunConfig { model, ..cfg.base.clone() };
        let p = progress.clone();
        p(i, 0.0);
        let trace = match runtime::run(workload, &run_cfg, pool, cancel, cfg.allow_long, &cfg.costs, move |f| p(i, f)).await {
            Ok(t) => t,
            Err(e) => return SessionEnd::Failed(results, model, e),
        };
        let predicted_wall_ms = if size <= PREDICT_LIMIT {
            let sim_cfg = RunConfig { workers: pool.map_or(run_cfg.workers, |p| p.size() as u16), ..run_cfg.clone() };
            Some(predict(workload, &sim_cfg, &cfg.costs).await)
        } else {
            None
        };
        let cancelled = trace.cancelled;
        results.push(ModelResult { model, metrics: Metrics::default(), trace: Rc::new(trace), predicted_wall_ms });
        if cancelled {
            finish_metrics(&mut results, cfg.pool_startup_ms);
            remember(&results);
            return SessionEnd::Cancelled(results);
        }
    }
    finish_metrics(&mut results, cfg.pool_startup_ms);
    remember(&results);
    SessionEnd::Done(results)
}

/// The engine's prediction, on the virtual clock, a slice at a time so the
/// page keeps drawing while a big workload is simulated.
async fn predict(workload: &Workload, cfg: &RunConfig, costs: &engine::model::Costs) -> f64 {
    let mut sim = Simulation::new(workload, cfg, costs);
    while !sim.step(20_000) {
        runtime::next_macrotask().await;
    }
    sim.finish().wall() as f64 / 1e6
}

/// Metrics need the sequential wall time (for speedup), known only at the end.
fn finish_metrics(results: &mut [ModelResult], pool_startup_ms: Option<f64>) {
    let seq = results
        .iter()
        .find(|r| r.model == Model::Sequential && !r.trace.cancelled)
        .map(|r| r.trace.wall());
    for r in results.iter_mut() {
        r.metrics = Metrics::from_trace(&r.trace, seq);
        if matches!(r.model, Model::Pool | Model::Hybrid) {
            // The pool is warm: its start-up was measured when it started.
            r.metrics.pool_startup_ms = pool_startup_ms;
        }
    }
}
