//! The scenario being edited: the workload text, the models, the knobs, the
//! theme. Link state lives here and only here: [`ScenarioState::apply_link`]
//! reads a link into the state, [`ScenarioState::link`] makes one from it.

use engine::model::{Model, RunConfig};
use engine::presets::Preset;
use leptos::prelude::*;
use urlstate::{Decoded, Theme};
use workload::{ParseError, Workload};

use super::PageEnv;

/// The validated knobs of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Knobs {
    /// Worker lanes.
    pub workers: u16,
    /// Concurrency limit.
    pub limit: Option<u32>,
    /// Jitter seed.
    pub seed: u64,
    /// GIL switch interval, ns.
    pub switch_ns: u64,
}

/// The default GIL switch interval (CPython's), µs.
pub const DEFAULT_SWITCH_US: u64 = 5_000;

/// The scenario: every field the link holds, as signals.
#[derive(Clone, Copy)]
pub struct ScenarioState {
    /// The workload text as typed.
    pub text: RwSignal<String>,
    /// The text, parsed (with the error pointing at the offending characters).
    pub parsed: Memo<Result<Workload, ParseError>>,
    /// The models chosen, in the order they run. Kept whole, whatever this
    /// page can run: a model this context cannot run is marked, not dropped.
    pub models: RwSignal<Vec<Model>>,
    /// Worker lanes, as typed.
    pub workers: RwSignal<String>,
    /// The workers a link asked for when this machine capped them: the link
    /// the page writes keeps the author's figure (a bigger machine runs it)
    /// until someone sets the workers here.
    pub workers_asked: RwSignal<Option<u16>>,
    /// Concurrency limit, as typed (empty for none).
    pub limit: RwSignal<String>,
    /// Seed, as typed.
    pub seed: RwSignal<String>,
    /// GIL switch interval in ms, as typed.
    pub switch_ms: RwSignal<String>,
    /// The knobs, validated.
    pub knobs: Memo<Result<Knobs, String>>,
    /// The colour theme.
    pub theme: RwSignal<Theme>,
    /// The preset last loaded (its two sentences of what to look for).
    pub preset: RwSignal<Option<&'static Preset>>,
    /// The inspector's playhead after an autorun (`at=`), ns from the run's start.
    pub at_ns: RwSignal<Option<u64>>,
    /// The model the inspector shows (`inspect=`).
    pub inspect: RwSignal<Option<Model>>,
    env: PageEnv,
}

/// Parses a whole-number knob: empty → `empty`, else a number in `lo..=hi`.
fn knob(
    text: &str,
    name: &str,
    lo: u64,
    hi: u64,
    empty: Option<u64>,
) -> Result<Option<u64>, String> {
    let t = text.trim().replace('_', "");
    if t.is_empty() {
        return Ok(empty);
    }
    match t.parse::<u64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(Some(v)),
        _ => Err(format!(
            "{name} must be a whole number from {lo} to {hi}, not \"{}\"",
            text.trim()
        )),
    }
}

impl ScenarioState {
    /// The default scenario: gather two sleeps, the four models of our own.
    pub fn new(env: PageEnv) -> Self {
        let text = RwSignal::new("1*io(1s)+1*io(2s)".to_string());
        let parsed = Memo::new(move |_| workload::parse(&text.get()));
        let workers = RwSignal::new(env.cores.to_string());
        let limit = RwSignal::new(String::new());
        let seed = RwSignal::new("1".to_string());
        let switch_ms = RwSignal::new("5".to_string());
        let max_workers = u64::from(env.max_workers());
        let cores = env.cores as u64;
        let knobs = Memo::new(move |_| -> Result<Knobs, String> {
            let w = knob(&workers.get(), "Workers", 1, max_workers, Some(cores))?.unwrap_or(cores)
                as u16;
            let limit =
                knob(&limit.get(), "Concurrency limit", 1, 1_000_000, None)?.map(|v| v as u32);
            let seed = knob(&seed.get(), "Seed", 0, u64::MAX, Some(1))?.unwrap_or(1);
            let switch_ns = match switch_ms.get().trim().parse::<f64>() {
                Ok(ms) if (0.001..=1000.0).contains(&ms) => (ms * 1e6).round() as u64,
                _ => {
                    return Err(
                        "GIL switch interval must be a number of ms from 0.001 to 1000".into(),
                    )
                }
            };
            Ok(Knobs {
                workers: w,
                limit,
                seed,
                switch_ns,
            })
        });
        Self {
            text,
            parsed,
            models: RwSignal::new(vec![
                Model::Sequential,
                Model::Loop,
                Model::Pool,
                Model::Hybrid,
            ]),
            workers,
            workers_asked: RwSignal::new(None),
            limit,
            seed,
            switch_ms,
            knobs,
            theme: RwSignal::new(Theme::Auto),
            preset: RwSignal::new(None),
            at_ns: RwSignal::new(None),
            inspect: RwSignal::new(None),
            env,
        }
    }

    /// Reads a link into the state: every field that read is applied (the
    /// errors are the caller's to show). Returns notices for what was
    /// applied otherwise than written: more workers than this machine allows
    /// are capped, and the page says so.
    pub fn apply_link(&self, link: &Decoded) -> Vec<String> {
        let mut notices = Vec::new();
        let sc = &link.scenario;
        if !sc.workload.is_empty() {
            self.text.set(sc.workload.clone());
        }
        if !sc.models.is_empty() {
            self.models.set(sc.models.clone());
        }
        if let Some(w) = sc.workers {
            let max = self.env.max_workers();
            if w > max {
                notices.push(format!(
                    "workers={w} is more than this machine runs ({max} at most: twice its {} cores); the playground uses {max}.",
                    self.env.cores
                ));
            }
            self.workers.set(w.min(max).to_string());
            self.workers_asked.set((w > max).then_some(w));
        }
        if let Some(l) = sc.limit {
            self.limit.set(l.to_string());
        }
        if let Some(seed) = sc.seed {
            self.seed.set(seed.to_string());
        }
        if let Some(us) = sc.switch_us {
            self.switch_ms.set(format!("{}", us as f64 / 1000.0));
        }
        self.theme.set(sc.theme);
        self.preset
            .set(sc.preset.as_deref().and_then(engine::presets::find));
        self.at_ns.set(sc.at_ns);
        self.inspect.set(sc.inspect);
        notices
    }

    /// The link for the state as it is now (tracked: use it in a memo).
    pub fn link(&self) -> urlstate::Scenario {
        let k = self.knobs.get().ok();
        urlstate::Scenario {
            preset: None,
            workload: self.text.get(),
            models: self.models.get(),
            workers: k.map(|k| match self.workers_asked.get() {
                Some(asked) if k.workers == self.env.max_workers() => asked,
                _ => k.workers,
            }),
            limit: k.and_then(|k| k.limit),
            switch_us: k
                .map(|k| k.switch_ns / 1000)
                .filter(|us| *us != DEFAULT_SWITCH_US),
            seed: k.map(|k| k.seed).filter(|s| *s != 1),
            embed: self.env.embed,
            view: self.env.view,
            theme: self.theme.get(),
            autorun: self.env.autorun,
            readonly: self.env.readonly,
            at_ns: self.at_ns.get(),
            inspect: self.inspect.get(),
        }
    }

    /// The link for the state as it is now, untracked (for a button's click).
    pub fn link_untracked(&self) -> urlstate::Scenario {
        untrack(|| self.link())
    }

    /// Loads a preset: its workload, models, workers and limit.
    pub fn load_preset(&self, p: &'static Preset) {
        self.text.set(p.workload.to_string());
        self.models.set(p.models.to_vec());
        self.workers
            .set(p.workers.map_or(self.env.cores.to_string(), |w| {
                w.min(self.env.max_workers()).to_string()
            }));
        self.limit
            .set(p.limit.map(|l| l.to_string()).unwrap_or_default());
        self.switch_ms
            .set(p.switch_ms.map_or("5".to_string(), |ms| ms.to_string()));
        self.preset.set(Some(p));
    }

    /// The run configuration for `model` with the knobs as they are (untracked).
    pub fn run_config(&self, model: Model) -> Option<RunConfig> {
        let k = self.knobs.get_untracked().ok()?;
        Some(RunConfig {
            model,
            workers: k.workers,
            limit: k.limit,
            switch_interval: k.switch_ns,
            seed: k.seed,
            shared_memory: self.env.isolated,
            cores: self.env.cores as u16,
        })
    }
}

/// Why `model` cannot run on this page right now, if it cannot.
pub fn unavailable(model: Model, pool_failed: Option<&str>) -> Option<String> {
    match (model.uses_pool(), pool_failed) {
        (true, Some(why)) => Some(format!("the worker pool could not start: {why}")),
        _ => None,
    }
}

/// A note for models that run here, but differently than on an isolated page.
pub fn context_note(model: Model, isolated: bool, w: Option<&Workload>) -> Option<&'static str> {
    let races = w.is_some_and(|w| {
        w.groups.iter().any(|g| {
            g.phases
                .iter()
                .any(|p| matches!(p, workload::Phase::Incr { .. }))
        })
    });
    match (model, isolated) {
        (Model::Gil, false) => Some("The GIL goes by messages through the page here (no shared memory): hand-offs are slower than with Atomics."),
        (Model::Free, false) if races => Some(
            "Without shared memory the counter lives on the page, so free threads cannot race on it: open the playground \
             directly (cross-origin isolated) to see real races.",
        ),
        _ => None,
    }
}
