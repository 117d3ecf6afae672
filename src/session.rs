//! One press of Run: the chosen models one after another, each measured for
//! real and predicted on the virtual clock with the costs known *before* it
//! ran, then compared. After each run its trace refines the costs for the
//! next prediction. No UI here: the app calls [`run_models`] and renders what
//! comes back.

use std::rc::Rc;

use engine::costs::Costs;
use engine::metrics::Metrics;
use engine::model::{Model, RunConfig};
use engine::sim::{Simulation, STEP_POLLS};
use engine::trace::Trace;
use workload::Workload;

use crate::pool::Pool;
use crate::runtime::{self, calibrate, CancelToken, RunError};

thread_local! {
    /// The last session's traces, for [`last_traces_json`].
    static LAST: std::cell::RefCell<Vec<Rc<Trace>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The last run's traces as JSON, for scripts and end-to-end tests:
/// `[{"model", "start", "end", "lanes", "cancelled", "implementation", "spans": [[task, lane, state, start, end], …],
/// "driver": the loop's statistics or null, "events": [[at, task, lane, kind], …],
/// "repeats": every run's wall (ns) when a short run was repeated, else empty,
/// "main_blocks": [[start, end], …] (the loop's slices, or a blocking run)}]`, times in ns on the page's clock,
/// lane 65535 = none, task 4294967295 = none.
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
                "{{\"model\":\"{}\",\"start\":{},\"end\":{},\"lanes\":{},\"cancelled\":{},\"implementation\":{},\"spans\":[",
                t.model.map_or("-", |m| m.name()),
                t.start,
                t.end,
                t.lanes,
                t.cancelled,
                serde_json::to_string(&t.implementation).unwrap_or_else(|_| "null".into()),
            );
            for (j, s) in t.spans.iter().enumerate() {
                let sep = if j > 0 { "," } else { "" };
                let _ = write!(out, "{sep}[{},{},\"{}\",{},{}]", s.task, s.lane, s.state.name(), s.start, s.end);
            }
            match &t.driver {
                Some(d) => {
                    let _ = write!(
                        out,
                        "],\"driver\":{{\"slices\":{},\"busy_ns\":{},\"hops\":{},\"hop_ns\":{},\"timers\":{},\"timer_late_ns\":{},\"polls\":{},\"spawns\":{}}}",
                        d.slices, d.busy, d.hops, d.hop_time, d.timers, d.timer_late, d.polls, d.spawns
                    );
                }
                None => out.push_str("],\"driver\":null"),
            }
            out.push_str(",\"main_blocks\":[");
            for (j, (a, b)) in t.main_blocks.iter().enumerate() {
                let sep = if j > 0 { "," } else { "" };
                let _ = write!(out, "{sep}[{a},{b}]");
            }
            out.push(']');
            out.push_str(",\"events\":[");
            for (j, e) in t.events.iter().enumerate() {
                let sep = if j > 0 { "," } else { "" };
                let _ = write!(out, "{sep}[{},{},{},\"{}\"]", e.at, e.task, e.lane, e.kind.name());
            }
            out.push_str("],\"repeats\":[");
            for (j, w) in t.repeats.iter().enumerate() {
                let sep = if j > 0 { "," } else { "" };
                let _ = write!(out, "{sep}{w}");
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

/// Predictions keep the full record (events, off-lane spans) for at most this
/// many tasks: enough to draw and inspect, bounded in memory.
pub const PREDICTION_DETAIL_TASKS: u32 = 20_000;

/// How long a run waits for the page to draw before its clock starts, at
/// most: frames do not come in a hidden tab.
const DRAWN_AT_MOST_MS: i32 = 50;

/// A prediction that misses its measurement by more than this is flagged on
/// the page (the fidelity target).
pub const PREDICTION_WARN_PCT: f64 = 15.0;

/// What one model did.
#[derive(Clone)]
pub struct ModelResult {
    /// The model.
    pub model: Model,
    /// The measured trace.
    pub trace: Rc<Trace>,
    /// Metrics of the measured trace.
    pub metrics: Metrics,
    /// The engine's prediction on the virtual clock, with the costs known
    /// before this model ran (its trace is drawn faintly under the measured one).
    pub predicted: Option<Rc<Trace>>,
    /// Wall time predicted, ms.
    pub predicted_wall_ms: Option<f64>,
}

impl ModelResult {
    /// (predicted − measured) / measured × 100, once both exist.
    pub fn prediction_error_pct(&self) -> Option<f64> {
        let p = self.predicted_wall_ms?;
        let m = self.metrics.wall_ms;
        (m > 0.0 && !self.trace.cancelled).then(|| (p - m) / m * 100.0)
    }
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
    /// The user agreed to a long blocking run.
    pub allow_long: bool,
    /// Pool start-up as measured when the pool started, ms.
    pub pool_startup_ms: Option<f64>,
    /// Repeat short runs and show the median (not in a sweep, whose size
    /// the page announces run by run).
    pub repeat_short: bool,
}

/// Longest a model on the workers waits for their start-up probes.
const WORKER_PROBES_AT_MOST_MS: f64 = 3_000.0;

/// Runs every model in `cfg.models`; `progress(model_index, fraction)`.
pub async fn run_models(
    workload: &Workload,
    cfg: &SessionConfig,
    pool: Option<&Pool>,
    cancel: &CancelToken,
    progress: impl Fn(usize, f64) + Clone + 'static,
    on_model_done: impl Fn(&[ModelResult]),
) -> SessionEnd {
    let mut results: Vec<ModelResult> = Vec::new();
    let mut claim = None;
    for (i, &model) in cfg.models.iter().enumerate() {
        if cancel.is_cancelled() {
            return SessionEnd::Cancelled(results);
        }
        let workers = if model.uses_pool() {
            pool.map_or(cfg.base.workers, |p| p.size() as u16)
        } else {
            cfg.base.workers
        };
        let run_cfg = RunConfig {
            model,
            workers,
            ..cfg.base.clone()
        };
        // A fresh page's first run waits for the start-up probes (a fraction
        // of a second): its predictions need them. A model on the workers
        // also waits for theirs, which costs it nothing: a worker probes
        // before it takes a job, so its run could not start sooner. (Without
        // this, a first pool run's prediction used the typical worker cost
        // and its measured wall included the workers' warm-up.)
        // (Once: the session's later models need not wait again.)
        if claim.is_none() {
            calibrate::ready(|| cancel.is_cancelled()).await;
            // Done waiting: start-up probes still under way stand aside, and
            // the run starts once the step they were in has ended.
            claim = Some(calibrate::claim());
            calibrate::stood_aside(|| cancel.is_cancelled()).await;
        }
        if let Some(p) = pool {
            if model.uses_pool() {
                p.probed(WORKER_PROBES_AT_MOST_MS, || cancel.is_cancelled())
                    .await;
                // A probe's job posted before the claim is left to finish.
                p.settled(WORKER_PROBES_AT_MOST_MS, || cancel.is_cancelled())
                    .await;
            } else {
                // Workers asked for their probe before the claim finish it
                // first: it would share the cores with this run.
                p.probes_answered(WORKER_PROBES_AT_MOST_MS, || cancel.is_cancelled())
                    .await;
            }
            calibrate::absorb_worker_probes(p);
        }
        // The page draws what it holds now (Run's new state, the previous
        // model's results) before the clock starts: that drawing is the
        // page's answer to the press, not the workload's, and in a loop run
        // it would land in the first hops (5–10 ms of a 100 ms run here).
        runtime::frames::drawn(DRAWN_AT_MOST_MS).await;
        runtime::yield_to_browser().await;
        // Cancel pressed while the run was getting ready: nothing ran.
        if cancel.is_cancelled() {
            return SessionEnd::Cancelled(results);
        }
        // CPython measures its own speed as it loads (a fraction of a second
        // after seconds of loading, none of it in the wall time): the
        // prediction waits for it, as a fresh page's first run waits for the
        // start-up probes. Before, a first Python run was predicted with a
        // typical figure (60 ns an iteration against 96 measured here: −34 %).
        if model.needs_python() {
            runtime::python::loaded(cancel).await;
            calibrate::absorb_python_probe();
            if cancel.is_cancelled() {
                return SessionEnd::Cancelled(results);
            }
        }
        // The prediction uses what was known before this model ran.
        let costs = calibrate::costs();
        progress(i, 0.0);
        let run_once = || {
            let p = progress.clone();
            runtime::run(
                workload,
                &run_cfg,
                pool,
                cancel,
                cfg.allow_long,
                &costs,
                move |f| p(i, f),
            )
        };
        let trace = match run_once().await {
            Ok(t) => t,
            Err(e) => return SessionEnd::Failed(results, model, e),
        };
        let cancelled = trace.cancelled;
        if cancelled {
            // Report the cancel first; nothing is predicted for a partial run.
            results.push(ModelResult {
                model,
                metrics: Metrics::default(),
                trace: Rc::new(trace),
                predicted: None,
                predicted_wall_ms: None,
            });
            finish_metrics(&mut results, cfg.pool_startup_ms);
            remember(&results);
            return SessionEnd::Cancelled(results);
        }
        // A short run is repeated, and the median run is what the page shows
        // and what the costs learn from (`engine::repeat`).
        let trace = if cfg.repeat_short {
            repeat_short(trace, cancel, run_once).await
        } else {
            trace
        };
        let predicted = predict(workload, &run_cfg, &costs, cancel).await;
        calibrate::learn_from(&trace, workload, &run_cfg);
        // The end of a big run is several passes over millions of spans: each
        // in a task of its own, so none holds the page for 50 ms.
        runtime::next_macrotask().await;
        let predicted_wall_ms = predicted.as_ref().map(|t| t.wall() as f64 / 1e6);
        results.push(ModelResult {
            model,
            metrics: Metrics::default(),
            trace: Rc::new(trace),
            predicted: predicted.map(Rc::new),
            predicted_wall_ms,
        });
        on_model_done(&results);
    }
    finish_metrics(&mut results, cfg.pool_startup_ms);
    runtime::next_macrotask().await;
    let iterations = engine::refine::cpu_iterations(workload, cfg.base.seed);
    runtime::next_macrotask().await;
    for r in &mut results {
        r.metrics = std::mem::take(&mut r.metrics).with_cpu_rate(&r.trace, iterations);
    }
    remember(&results);
    SessionEnd::Done(results)
}

/// Runs the model again (`run_once`) while `engine::repeat::again` says so
/// (a first run under 100 ms: up to nine runs, within 400 ms in all) and
/// returns the median run, carrying every run's wall. A run that was
/// cancelled, failed or had a task fail ends the repeats; the runs before it
/// stand. Each run starts as the first did: after the page has drawn.
async fn repeat_short<F>(first: Trace, cancel: &CancelToken, run_once: impl Fn() -> F) -> Trace
where
    F: std::future::Future<Output = Result<Trace, RunError>>,
{
    let walls = |runs: &[Trace]| runs.iter().map(Trace::wall).collect::<Vec<_>>();
    if !first.failures.is_empty() {
        return first;
    }
    let mut runs = vec![first];
    while engine::repeat::again(&walls(&runs)) {
        runtime::frames::drawn(DRAWN_AT_MOST_MS).await;
        runtime::yield_to_browser().await;
        if cancel.is_cancelled() {
            break;
        }
        match run_once().await {
            Ok(t) if !t.cancelled && t.failures.is_empty() => runs.push(t),
            _ => break,
        }
    }
    let all = walls(&runs);
    let median = engine::repeat::median(&all).unwrap_or(0);
    let mut trace = runs.swap_remove(median);
    if all.len() > 1 {
        trace.repeats = all;
    }
    trace
}

/// The engine's prediction, on the virtual clock, a budget of polls per
/// macrotask so the page keeps drawing while a big workload is simulated.
/// `None` if cancelled meanwhile.
pub async fn predict(
    workload: &Workload,
    cfg: &RunConfig,
    costs: &Costs,
    cancel: &CancelToken,
) -> Option<Trace> {
    let mut sim = Simulation::new(workload, cfg, costs);
    sim.set_detail_limit(PREDICTION_DETAIL_TASKS);
    while !sim.step(STEP_POLLS) {
        runtime::next_macrotask().await;
        if cancel.is_cancelled() {
            return None;
        }
    }
    Some(sim.finish())
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
