//! Predictions of the scenario as it is being edited: the engine on its
//! virtual clock, for every chosen model, so the chart shows the predicted
//! timeline before anything runs and moves while a slider is dragged.
//!
//! A prediction runs a budget of polls per macrotask (typing never stutters),
//! a newer edit abandons an older prediction, and one that would take too
//! long is cut short and drawn as far as it got, marked as such.

use std::rc::Rc;

use engine::model::RunConfig;
use engine::sim::{Simulation, STEP_POLLS};
use engine::trace::Trace;
use leptos::prelude::*;
use leptos::task::spawn_local;
use workload::Workload;

use crate::clock::now_ms;
use crate::runtime::{calibrate, yield_to_browser};
use crate::session::PREDICTION_DETAIL_TASKS;

/// How long all predictions of one edit may take, in wall-clock ms of the
/// page's time (spread over many short slices).
pub const BUDGET_MS: f64 = 1500.0;

/// One model's prediction.
#[derive(Clone)]
pub struct Prediction {
    /// The predicted trace (partial if cut short).
    pub trace: Rc<Trace>,
    /// Cut short: the virtual time it reached.
    pub cut_short: bool,
    /// Made with the built-in typical CPU cost, before this machine's was
    /// measured (the start-up probes redo it once they have).
    pub provisional: bool,
}

/// Where the predictions stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredictStatus {
    /// Nothing to predict (the workload does not parse, or no model).
    Idle,
    /// Working on model `done + 1` of `of`.
    Working {
        /// Models finished.
        done: usize,
        /// Models in all.
        of: usize,
    },
    /// Every model predicted.
    Done,
}

/// The predictions of the scenario as edited.
#[derive(Clone, Copy)]
pub struct PredictState {
    /// One per chosen model, in run order (as they complete).
    pub predictions: RwSignal<Vec<Prediction>, LocalStorage>,
    /// Progress.
    pub status: RwSignal<PredictStatus>,
    /// Bumped when the costs change (predictions are redone, the costs table redrawn).
    pub costs_version: RwSignal<u64>,
    generation: StoredValue<u64>,
}

impl Default for PredictState {
    fn default() -> Self {
        Self::new()
    }
}

impl PredictState {
    /// No predictions yet.
    pub fn new() -> Self {
        Self {
            predictions: RwSignal::new_local(Vec::new()),
            status: RwSignal::new(PredictStatus::Idle),
            costs_version: RwSignal::new(0),
            generation: StoredValue::new(0),
        }
    }

    /// Abandons any prediction under way.
    pub fn stop(&self) {
        self.generation.update_value(|g| *g += 1);
    }

    /// Predicts `workload` under each of `configs`, replacing the previous
    /// predictions as the new ones complete.
    pub fn request(&self, workload: Workload, configs: Vec<RunConfig>) {
        self.generation.update_value(|g| *g += 1);
        let me = self.generation.get_value();
        let this = *self;
        if configs.is_empty() {
            this.predictions.set(Vec::new());
            this.status.set(PredictStatus::Idle);
            return;
        }
        spawn_local(async move {
            let costs = calibrate::costs();
            let cal = calibrate::snapshot();
            let started = now_ms();
            let of = configs.len();
            let mut out = Vec::with_capacity(of);
            this.status.set(PredictStatus::Working { done: 0, of });
            for (i, cfg) in configs.iter().enumerate() {
                let mut sim = Simulation::new(&workload, cfg, &costs);
                sim.set_detail_limit(PREDICTION_DETAIL_TASKS);
                let mut cut_short = false;
                while !sim.step(STEP_POLLS) {
                    yield_to_browser().await;
                    if this.generation.get_value() != me {
                        return;
                    }
                    if now_ms() - started > BUDGET_MS {
                        cut_short = true;
                        break;
                    }
                }
                let provisional = engine::refine::is_provisional(&cal, cfg.model, &workload);
                out.push(Prediction {
                    trace: Rc::new(sim.finish()),
                    cut_short,
                    provisional,
                });
                this.predictions.set(out.clone());
                this.status.set(PredictStatus::Working { done: i + 1, of });
                yield_to_browser().await;
                if this.generation.get_value() != me {
                    return;
                }
            }
            this.status.set(PredictStatus::Done);
        });
    }
}
