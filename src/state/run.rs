//! Runs: pressing Run (every chosen model, measured and predicted), Cancel
//! (the state changes at once; clean-up follows), a sweep (one parameter
//! varied, a real run per value), and the last runs kept to compare.

use engine::model::Model;
use engine::sweep::SweepParam;
use leptos::prelude::*;
use leptos::task::spawn_local;
use workload::Workload;

use super::{set_run_state, AppState};
use crate::runtime::{yield_to_browser, CancelToken, RunError};
use crate::session::{run_models, ModelResult, SessionConfig, SessionEnd};
use crate::ui::sweep::SweepPoint;

/// Where the page's run stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// Nothing has run yet (or a consent was declined).
    Idle,
    /// Model `index + 1` of `of` is running, `fraction` of its tasks done.
    Running {
        /// The model.
        model: Model,
        /// Its position.
        index: usize,
        /// Models in all.
        of: usize,
        /// Its progress.
        fraction: f64,
    },
    /// A sweep is at value `step + 1` of `of`.
    Sweeping {
        /// Values done.
        step: usize,
        /// Values in all.
        of: usize,
    },
    /// The last run ended.
    Done,
    /// The last run was cancelled; its partial results are kept.
    Cancelled,
    /// The last run failed.
    Failed(String),
    /// A run would take long: it waits for consent. What to say, and the
    /// model that asks (the one "Skip" leaves out).
    NeedsConsent(String, Model),
}

/// Runs and their results.
#[derive(Clone, Copy)]
pub struct RunState {
    /// Where the run stands.
    pub phase: RwSignal<Phase>,
    /// The last run's results, one per model.
    pub results: RwSignal<Vec<ModelResult>, LocalStorage>,
    /// The models of the run in progress that have finished (drawn while the
    /// next one runs).
    pub partial: RwSignal<Vec<ModelResult>, LocalStorage>,
    /// The last runs, newest first: (workload text, results).
    pub history: RwSignal<Vec<(String, Vec<ModelResult>)>, LocalStorage>,
    /// The scenario was edited since the last run: the chart shows the new
    /// predictions instead of the last run.
    pub stale: RwSignal<bool>,
    /// A note about the last run (models skipped, presets adjusted).
    pub notice: RwSignal<Option<String>>,
    /// The sweep's points so far.
    pub sweep_points: RwSignal<Vec<SweepPoint>>,
    /// Traces imported from files (drawn after the runs, with their own names).
    pub imported: RwSignal<Vec<std::rc::Rc<engine::trace::Trace>>, LocalStorage>,
    /// Where loading CPython (Pyodide) stands.
    pub python: RwSignal<crate::runtime::python::LoadState>,
    cancel: StoredValue<Option<CancelToken>, LocalStorage>,
}

impl Default for RunState {
    fn default() -> Self {
        Self::new()
    }
}

impl RunState {
    /// Nothing run yet.
    pub fn new() -> Self {
        Self {
            phase: RwSignal::new(Phase::Idle),
            results: RwSignal::new_local(Vec::new()),
            partial: RwSignal::new_local(Vec::new()),
            history: RwSignal::new_local(Vec::new()),
            stale: RwSignal::new(false),
            notice: RwSignal::new(None),
            sweep_points: RwSignal::new(Vec::new()),
            imported: RwSignal::new_local(Vec::new()),
            python: RwSignal::new(crate::runtime::python::LoadState::NotLoaded),
            cancel: StoredValue::new_local(None),
        }
    }

    /// Whether a run or a sweep is in progress.
    pub fn running(&self) -> bool {
        matches!(
            self.phase.get(),
            Phase::Running { .. } | Phase::Sweeping { .. }
        )
    }

    /// The run's overall progress, 0 to 1.
    pub fn progress(&self) -> f64 {
        match self.phase.get() {
            Phase::Running {
                index,
                of,
                fraction,
                ..
            } => (index as f64 + fraction) / of.max(1) as f64,
            Phase::Sweeping { step, of } => step as f64 / of.max(1) as f64,
            Phase::Done => 1.0,
            _ => 0.0,
        }
    }
}

/// Whether Run may be pressed now.
/// (The pool need not be ready: a run that needs it waits for it.)
pub fn can_run(app: &AppState) -> bool {
    !app.run.running()
        && app.scenario.parsed.with(|p| p.is_ok())
        && app.scenario.knobs.with(|k| k.is_ok())
        && !app.scenario.models.with(|m| m.is_empty())
}

/// One session of `models` with `workers` (the pool is resized first if a
/// model needs it).
async fn session(
    app: AppState,
    w: Workload,
    models: Vec<Model>,
    workers: u16,
    allow_long: bool,
    token: CancelToken,
    sweep: Option<(usize, usize)>,
) -> SessionEnd {
    let Some(base) = app
        .scenario
        .run_config(Model::Loop)
        .map(|c| engine::model::RunConfig { workers, ..c })
    else {
        return SessionEnd::Failed(
            Vec::new(),
            models.first().copied().unwrap_or(Model::Loop),
            RunError::Unavailable("the knobs have an error".into()),
        );
    };
    let pool = if models.iter().any(|m| m.uses_pool()) {
        match app.pool.ensure(usize::from(workers)).await {
            Ok(p) => Some(p),
            Err(e) => return SessionEnd::Failed(Vec::new(), Model::Pool, RunError::Unavailable(e)),
        }
    } else {
        app.pool.get()
    };
    let cfg = SessionConfig {
        models: models.clone(),
        base,
        allow_long,
        pool_startup_ms: app.pool.startup_ms(),
        repeat_short: sweep.is_none(),
    };
    let phase = app.run.phase;
    let partial = app.run.partial;
    partial.set(Vec::new());
    let of = models.len();
    let progress_token = token.clone();
    let progress = move |index: usize, fraction: f64| {
        // Cancel says "cancelled" at once and stops the run a task later: a
        // report in between (or from a run already replaced) must not bring
        // back "running".
        if progress_token.is_cancelled() || matches!(phase.get_untracked(), Phase::Cancelled) {
            return;
        }
        match sweep {
            None => phase.set(Phase::Running {
                model: models[index],
                index,
                of,
                fraction,
            }),
            Some((step, of)) => phase.set(Phase::Sweeping { step, of }),
        }
    };
    run_models(&w, &cfg, pool.as_ref(), &token, progress, move |done| {
        partial.set(done.to_vec())
    })
    .await
}

/// Models that cannot run here right now, with why; the others run.
fn runnable(app: &AppState, models: Vec<Model>) -> (Vec<Model>, Vec<String>) {
    let failure = app.pool.failure();
    let mut ok = Vec::new();
    let mut skipped = Vec::new();
    for m in models {
        match super::scenario::unavailable(m, failure.as_deref()) {
            Some(why) => skipped.push(format!("{} was skipped: {why}.", m.label())),
            None => ok.push(m),
        }
    }
    (ok, skipped)
}

/// Presses Run: every chosen model, in turn.
pub fn start(app: AppState, allow_long: bool) {
    let (Ok(w), Ok(knobs)) = (
        app.scenario.parsed.get_untracked(),
        app.scenario.knobs.get_untracked(),
    ) else {
        return;
    };
    let (models, skipped) = runnable(&app, app.scenario.models.get_untracked());
    if models.is_empty() {
        app.run.phase.set(Phase::Failed(skipped.join(" ")));
        set_run_state("failed");
        return;
    }
    let token = CancelToken::new();
    app.run.cancel.set_value(Some(token.clone()));
    app.run
        .notice
        .set((!skipped.is_empty()).then(|| skipped.join(" ")));
    app.predict.stop();
    app.run.stale.set(false);
    app.view.window.set(None);
    app.run.phase.set(Phase::Running {
        model: models[0],
        index: 0,
        of: models.len(),
        fraction: 0.0,
    });
    set_run_state("running");
    let label = w.to_string();
    spawn_local(async move {
        let end = session(
            app,
            w,
            models,
            knobs.workers,
            allow_long,
            token.clone(),
            None,
        )
        .await;
        if token.is_cancelled() {
            // Cancel already set the state; keep what ran, and say
            // "cancelled" again in case a late report overwrote it.
            // (Unless another run has started since: that one is shown.)
            if app.run.cancel.get_value().is_some_and(|t| t.same(&token)) {
                let (SessionEnd::Cancelled(r) | SessionEnd::Done(r) | SessionEnd::Failed(r, _, _)) =
                    end;
                app.run.results.set(r);
                app.run.phase.set(Phase::Cancelled);
                set_run_state("cancelled");
            }
            return;
        }
        match end {
            SessionEnd::Done(r) => {
                app.run.history.update(|h| {
                    h.insert(0, (label, r.clone()));
                    h.truncate(5);
                });
                app.run.results.set(r);
                app.run.phase.set(Phase::Done);
                set_run_state("done");
            }
            SessionEnd::Cancelled(r) => {
                app.run.results.set(r);
                app.run.phase.set(Phase::Cancelled);
                set_run_state("cancelled");
            }
            SessionEnd::Failed(r, model, e @ RunError::NeedsConsent { .. }) => {
                if !r.is_empty() {
                    app.run.results.set(r);
                }
                app.run.phase.set(Phase::NeedsConsent(
                    format!("{}: {e}", model.label()),
                    model,
                ));
                set_run_state("idle");
            }
            SessionEnd::Failed(r, model, e) => {
                if !r.is_empty() {
                    app.run.results.set(r);
                }
                app.run
                    .phase
                    .set(Phase::Failed(format!("{}: {e}", model.label())));
                set_run_state("failed");
            }
        }
    });
}

/// Presses Cancel: the page says "cancelled" at once; stopping the run
/// (dropping its tasks, replacing busy workers) follows in the next task, so
/// it never delays the answer.
pub fn cancel(app: AppState) {
    let Some(token) = app.run.cancel.get_value() else {
        return;
    };
    if !app.run.running() {
        return;
    }
    app.run.phase.set(Phase::Cancelled);
    set_run_state("cancelled");
    spawn_local(async move {
        yield_to_browser().await;
        token.cancel();
    });
}

/// The chosen models a sweep runs (sequential and CPython freeze the page
/// at every step), and why any of the others is skipped (untracked).
pub fn sweep_models(app: &AppState) -> (Vec<Model>, Vec<String>) {
    let chosen: Vec<Model> = app
        .scenario
        .models
        .get_untracked()
        .into_iter()
        .filter(|m| *m != Model::Sequential && !m.needs_python())
        .collect();
    runnable(app, chosen)
}

/// The workers a sweep's step at `value` runs with.
pub fn sweep_lanes(param: SweepParam, value: u64, workers: u16, max_workers: u16) -> u16 {
    if param == SweepParam::Workers {
        value.clamp(1, u64::from(max_workers)) as u16
    } else {
        workers
    }
}

/// Runs a sweep: `param` over `values`, every chosen model but sequential
/// and CPython (see [`sweep_models`]), each point a real run.
pub fn sweep(app: AppState, param: SweepParam, values: Vec<u64>) {
    let (Ok(w), Ok(knobs)) = (
        app.scenario.parsed.get_untracked(),
        app.scenario.knobs.get_untracked(),
    ) else {
        return;
    };
    let (chosen, skipped) = sweep_models(&app);
    if chosen.is_empty() {
        app.run.notice.set(Some(
            "Choose at least one model besides Sequential and CPython to sweep.".into(),
        ));
        return;
    }
    app.run
        .notice
        .set((!skipped.is_empty()).then(|| skipped.join(" ")));
    let token = CancelToken::new();
    app.run.cancel.set_value(Some(token.clone()));
    app.run.sweep_points.set(Vec::new());
    app.run.phase.set(Phase::Sweeping {
        step: 0,
        of: values.len(),
    });
    set_run_state("running");
    let max_workers = app.env.max_workers();
    spawn_local(async move {
        let of = values.len();
        for (step, value) in values.into_iter().enumerate() {
            let wl = param.apply(&w, value);
            let lanes = sweep_lanes(param, value, knobs.workers, max_workers);
            let end = session(
                app,
                wl,
                chosen.clone(),
                lanes,
                false,
                token.clone(),
                Some((step, of)),
            )
            .await;
            if token.is_cancelled() {
                if app.run.cancel.get_value().is_some_and(|t| t.same(&token)) {
                    app.run.phase.set(Phase::Cancelled);
                    set_run_state("cancelled");
                }
                return;
            }
            match end {
                SessionEnd::Done(r) => app.run.sweep_points.update(|pts| {
                    pts.push(SweepPoint {
                        value,
                        walls: r
                            .iter()
                            .map(|m| (m.model, m.metrics.wall_ms, m.predicted_wall_ms))
                            .collect(),
                    })
                }),
                SessionEnd::Cancelled(_) => {
                    app.run.phase.set(Phase::Cancelled);
                    set_run_state("cancelled");
                    return;
                }
                SessionEnd::Failed(_, model, e) => {
                    app.run
                        .phase
                        .set(Phase::Failed(format!("{} at {value}: {e}", model.label())));
                    set_run_state("failed");
                    return;
                }
            }
        }
        app.run.phase.set(Phase::Done);
        set_run_state("done");
    });
}
