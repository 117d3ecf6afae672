//! The cost model: what the simulator charges, figure by figure, and where
//! each figure came from.
//!
//! Every figure is measured on the user's machine: first by small probes at
//! start-up (in slices, in idle time, in the workers), then refined after every
//! real run from that run's own trace ([`crate::refine`]). The defaults below
//! are only a starting point for a page that has measured nothing yet, and are
//! labelled as such on the page.
//!
//! A [`Calibration`] travels as JSON (the page keeps it in `localStorage`, so a
//! returning visitor starts calibrated); [`Calibration::to_json`] and
//! [`Calibration::from_json`] carry a version, and a file of another version
//! is ignored rather than misread.

use serde_json::{json, Map, Value};

/// One figure of the cost model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cost {
    /// Σi² iteration of our wasm kernel on the page's main thread, warmed up (ns).
    CpuMain,
    /// Σi² iteration of our wasm kernel in a worker, warmed up (ns).
    CpuWorker,
    /// Σi² iteration of the JavaScript kernel on the page (ns).
    CpuJs,
    /// Σi² iteration of the JavaScript kernel in a worker (ns).
    CpuJsWorker,
    /// Σi² iteration of CPython's `sum(i * i for i in range(n))`, in Pyodide (ns).
    CpuPy,
    /// How much slower each worker computes when every core computes at once
    /// (a ratio, 1 = not at all): see [`crate::cpu::rate`].
    CpuParallel,
    /// Our event loop: one poll of a task (a spawn counts as one), with the
    /// spans and events it records (ns).
    Poll,
    /// Our event loop: handing the thread to the browser between two slices and
    /// getting it back, rendering included (ns).
    Hop,
    /// How late a timer's callback runs after the whole milliseconds
    /// `setTimeout` was asked for (ns).
    TimerLate,
    /// JavaScript: one turn of a task on the page's event loop, its start or
    /// a wake-up (promise, `setTimeout`, the program's bookkeeping) (ns).
    JsTask,
    /// JavaScript: the time a fresh script's (or worker's) kernel loses
    /// before V8 has optimised it, beyond what it would take warm (ns): see
    /// [`crate::warmup`].
    JsWarmup,
    /// asyncio in Pyodide: one task's creation, scheduling and timer (ns).
    PyTask,
    /// Starting the worker pool (0 once it is warm) (ns).
    PoolStartup,
    /// Starting the `jsworker` model's Web Workers, from `new Worker` to
    /// their first message: a fresh set every run (ns).
    JsWorkerStart,
    /// One job's round trip to a worker and back, payload aside (ns).
    Dispatch,
    /// Moving one KiB of payload one way (ns).
    TransferKib,
    /// Handing the GIL from one thread to another in shared memory (ns).
    GilHandoff,
    /// One GIL request or release travelling between a thread and the page (ns).
    GilMessage,
}

impl Cost {
    /// Every figure, in the order the page lists them.
    pub const ALL: [Cost; 18] = [
        Cost::CpuMain,
        Cost::CpuWorker,
        Cost::CpuJs,
        Cost::CpuJsWorker,
        Cost::CpuPy,
        Cost::CpuParallel,
        Cost::Poll,
        Cost::Hop,
        Cost::TimerLate,
        Cost::JsTask,
        Cost::JsWarmup,
        Cost::PyTask,
        Cost::PoolStartup,
        Cost::JsWorkerStart,
        Cost::Dispatch,
        Cost::TransferKib,
        Cost::GilHandoff,
        Cost::GilMessage,
    ];

    /// The name used in the JSON form and in `data-cost` attributes.
    pub fn name(self) -> &'static str {
        match self {
            Cost::CpuMain => "cpu_main_ns",
            Cost::CpuWorker => "cpu_worker_ns",
            Cost::CpuJs => "cpu_js_ns",
            Cost::CpuJsWorker => "cpu_js_worker_ns",
            Cost::CpuPy => "cpu_py_ns",
            Cost::CpuParallel => "cpu_parallel_factor",
            Cost::Poll => "poll_ns",
            Cost::Hop => "hop_ns",
            Cost::TimerLate => "timer_late_ns",
            Cost::JsTask => "js_task_ns",
            Cost::JsWarmup => "js_warmup_ns",
            Cost::PyTask => "py_task_ns",
            Cost::PoolStartup => "pool_startup_ns",
            Cost::JsWorkerStart => "js_worker_start_ns",
            Cost::Dispatch => "dispatch_ns",
            Cost::TransferKib => "transfer_kib_ns",
            Cost::GilHandoff => "gil_handoff_ns",
            Cost::GilMessage => "gil_message_ns",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Cost::CpuMain => "Σi² iteration, wasm, main thread",
            Cost::CpuWorker => "Σi² iteration, wasm, worker",
            Cost::CpuJs => "Σi² iteration, JavaScript, main thread",
            Cost::CpuJsWorker => "Σi² iteration, JavaScript, worker",
            Cost::CpuPy => "Σi² iteration, CPython (Pyodide)",
            Cost::CpuParallel => "slow-down of each worker when every core computes",
            Cost::Poll => "one poll on our loop (spawn, wake or yield)",
            Cost::Hop => "one hop to the browser between slices",
            Cost::TimerLate => "timer lateness beyond setTimeout's ms",
            Cost::JsTask => "one JavaScript task's turn (its start or a wake-up)",
            Cost::JsWarmup => "JavaScript kernel's warm-up in a fresh script or worker",
            Cost::PyTask => "one asyncio task in Pyodide",
            Cost::PoolStartup => "worker pool start-up (0 when warm)",
            Cost::JsWorkerStart => "starting JavaScript Web Workers (each run)",
            Cost::Dispatch => "one job's round trip to a worker",
            Cost::TransferKib => "one KiB of payload, one way",
            Cost::GilHandoff => "GIL hand-off in shared memory",
            Cost::GilMessage => {
                "GIL message between a thread and the page, with the page's turn-around"
            }
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The figure called `name`.
    pub fn from_name(name: &str) -> Option<Cost> {
        Cost::ALL.into_iter().find(|c| c.name() == name)
    }

    /// A typical value, used until this machine has measured the figure.
    pub fn default_value(self) -> f64 {
        match self {
            Cost::CpuMain | Cost::CpuWorker => 0.6,
            Cost::CpuJs | Cost::CpuJsWorker => 2.5,
            Cost::CpuPy => 60.0,
            Cost::CpuParallel => 1.0,
            Cost::Poll => 400.0,
            Cost::Hop => 60_000.0,
            Cost::TimerLate => 300_000.0,
            Cost::JsTask => 6_000.0,
            Cost::JsWarmup => 12_000_000.0,
            Cost::PyTask => 40_000.0,
            Cost::PoolStartup => 0.0,
            Cost::JsWorkerStart => 25_000_000.0,
            Cost::Dispatch => 120_000.0,
            Cost::TransferKib => 250.0,
            Cost::GilHandoff => 80_000.0,
            Cost::GilMessage => 150_000.0,
        }
    }
}

/// Calibrated costs the simulator charges, one number per [`Cost`].
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    values: [f64; Cost::ALL.len()],
}

impl Default for Costs {
    fn default() -> Self {
        let mut values = [0.0; Cost::ALL.len()];
        for c in Cost::ALL {
            values[c.index()] = c.default_value();
        }
        Self { values }
    }
}

impl Costs {
    /// Every figure zero: work is free, only waits take time (exact tests).
    pub fn zero() -> Self {
        Self {
            values: [0.0; Cost::ALL.len()],
        }
    }

    /// Only the main-thread and worker CPU costs set (to `ns_per_iter`), every
    /// overhead zero: the exact figures of the scenario tests.
    pub fn cpu_only(ns_per_iter: f64) -> Self {
        Self::zero()
            .with(Cost::CpuMain, ns_per_iter)
            .with(Cost::CpuWorker, ns_per_iter)
    }

    /// The figure `c`.
    pub fn get(&self, c: Cost) -> f64 {
        self.values[c.index()]
    }

    /// Sets `c` (negative and non-finite values become 0).
    pub fn set(&mut self, c: Cost, v: f64) {
        self.values[c.index()] = if v.is_finite() && v > 0.0 { v } else { 0.0 };
    }

    /// `self` with `c` set to `v`.
    pub fn with(mut self, c: Cost, v: f64) -> Self {
        self.set(c, v);
        self
    }

    /// `c` rounded to whole nanoseconds, for durations.
    pub fn ns(&self, c: Cost) -> u64 {
        self.get(c).round() as u64
    }
}

/// Where a figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Nothing measured yet: the built-in typical value.
    Default,
    /// A probe at start-up (or in idle time) on this machine.
    Probe,
    /// A real run's own trace.
    Run,
}

impl Origin {
    /// The name used in the JSON form.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Default => "default",
            Origin::Probe => "probe",
            Origin::Run => "run",
        }
    }

    fn from_name(s: &str) -> Option<Origin> {
        [Origin::Default, Origin::Probe, Origin::Run]
            .into_iter()
            .find(|o| o.name() == s)
    }
}

/// Where one figure came from and how much evidence backs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Provenance {
    /// Default, probe or run.
    pub origin: Origin,
    /// Samples behind the current value (0 for a default).
    pub samples: u64,
    /// When it was last set, ms since the Unix epoch (0 if never).
    pub at_ms: f64,
}

/// The costs and, for each, where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The figures.
    pub costs: Costs,
    provenance: [Provenance; Cost::ALL.len()],
}

impl Default for Calibration {
    fn default() -> Self {
        Self {
            costs: Costs::default(),
            provenance: [Provenance {
                origin: Origin::Default,
                samples: 0,
                at_ms: 0.0,
            }; Cost::ALL.len()],
        }
    }
}

/// The version of [`Calibration::to_json`]'s format.
///
/// 3: the parallel slow-down became a figure of its own; a worker's CPU figure
/// stored by version 2 had it folded in, so it is measured afresh.
///
/// 4: the JavaScript models' warm-up and the JavaScript workers' start became
/// figures of their own (a CPU figure stored by version 3 had them folded
/// in), and the JavaScript task figure became a cost per turn.
pub const CALIBRATION_VERSION: u64 = 4;

/// Weight a new observation gets against what is already known, at least:
/// the machine's speed moves (other load, thermal limits, another tab), so the
/// latest run must count for a lot.
const NEW_WEIGHT_AT_LEAST: f64 = 0.5;

impl Calibration {
    /// Where `c` came from.
    pub fn provenance(&self, c: Cost) -> Provenance {
        self.provenance[c.index()]
    }

    /// Records an observation of `c`: `value` backed by `samples` samples,
    /// from `origin`, at `at_ms`. A default is replaced; a probe never
    /// overrides what a real run measured; otherwise the new value is blended
    /// in, with at least half the weight.
    pub fn observe(&mut self, c: Cost, value: f64, samples: u64, origin: Origin, at_ms: f64) {
        if !value.is_finite() || value < 0.0 || samples == 0 {
            return;
        }
        let p = &mut self.provenance[c.index()];
        let blended = match (p.origin, origin) {
            (Origin::Default, _) => value,
            (Origin::Run, Origin::Probe) => return,
            _ => {
                let w_new =
                    (samples as f64 / (samples + p.samples) as f64).max(NEW_WEIGHT_AT_LEAST);
                self.costs.get(c) * (1.0 - w_new) + value * w_new
            }
        };
        self.costs.set(c, blended);
        *p = Provenance {
            origin,
            samples: p.samples.saturating_add(samples).min(1_000_000_000),
            at_ms,
        };
        if origin == Origin::Run {
            p.origin = Origin::Run;
        }
    }

    /// Records a probe's measurement of `c` that supersedes earlier probes
    /// (a quieter, longer one: the workers' own kernel timed once the page
    /// has settled, rather than while it loads). A figure a real run taught is
    /// kept, as with [`Calibration::observe`].
    pub fn supersede_probe(&mut self, c: Cost, value: f64, samples: u64, at_ms: f64) {
        if !value.is_finite()
            || value < 0.0
            || samples == 0
            || self.provenance(c).origin == Origin::Run
        {
            return;
        }
        self.costs.set(c, value);
        self.provenance[c.index()] = Provenance {
            origin: Origin::Probe,
            samples,
            at_ms,
        };
    }

    /// The calibration as JSON: `{"version": 3, "costs": {name: {value, origin, samples, at_ms}}}`.
    pub fn to_json(&self) -> String {
        let mut costs = Map::new();
        for c in Cost::ALL {
            let p = self.provenance(c);
            costs.insert(
                c.name().into(),
                json!({"value": self.costs.get(c), "origin": p.origin.name(), "samples": p.samples, "at_ms": p.at_ms}),
            );
        }
        json!({"version": CALIBRATION_VERSION, "costs": costs}).to_string()
    }

    /// Reads [`Calibration::to_json`]'s output. Unknown figures are ignored,
    /// missing ones keep their defaults; a wrong version or malformed JSON
    /// gives `None` (start afresh rather than trust it).
    pub fn from_json(text: &str) -> Option<Calibration> {
        let v: Value = serde_json::from_str(text).ok()?;
        if v.get("version")?.as_u64()? != CALIBRATION_VERSION {
            return None;
        }
        let mut cal = Calibration::default();
        for (name, entry) in v.get("costs")?.as_object()? {
            let Some(c) = Cost::from_name(name) else {
                continue;
            };
            let Some(value) = entry
                .get("value")
                .and_then(Value::as_f64)
                .filter(|x| x.is_finite() && *x >= 0.0)
            else {
                continue;
            };
            let origin = entry
                .get("origin")
                .and_then(Value::as_str)
                .and_then(Origin::from_name)
                .unwrap_or(Origin::Default);
            // A default stored is only the default of the code that stored
            // it: this code's own applies.
            if entry.get("origin").and_then(Value::as_str) == Some(Origin::Default.name()) {
                continue;
            }
            let samples = entry.get("samples").and_then(Value::as_u64).unwrap_or(0);
            let at_ms = entry.get("at_ms").and_then(Value::as_f64).unwrap_or(0.0);
            cal.costs.set(c, value);
            cal.provenance[c.index()] = Provenance {
                origin,
                samples,
                at_ms,
            };
        }
        Some(cal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in Cost::ALL {
            assert!(seen.insert(c.name()));
            assert_eq!(Cost::from_name(c.name()), Some(c));
            assert_eq!(Cost::ALL[c.index()], c);
        }
    }

    #[test]
    fn observations_replace_defaults_then_blend_and_runs_beat_probes() {
        let mut cal = Calibration::default();
        cal.observe(Cost::CpuMain, 1.0, 10, Origin::Probe, 5.0);
        assert_eq!(cal.costs.get(Cost::CpuMain), 1.0);
        assert_eq!(cal.provenance(Cost::CpuMain).origin, Origin::Probe);
        cal.observe(Cost::CpuMain, 2.0, 10, Origin::Run, 6.0);
        assert_eq!(cal.costs.get(Cost::CpuMain), 1.5);
        assert_eq!(cal.provenance(Cost::CpuMain).origin, Origin::Run);
        cal.observe(Cost::CpuMain, 9.0, 1000, Origin::Probe, 7.0);
        assert_eq!(
            cal.costs.get(Cost::CpuMain),
            1.5,
            "a probe never overrides a run"
        );
        cal.observe(Cost::CpuMain, f64::NAN, 3, Origin::Run, 8.0);
        assert_eq!(cal.costs.get(Cost::CpuMain), 1.5);
        cal.supersede_probe(Cost::CpuMain, 0.5, 8, 9.0);
        assert_eq!(
            cal.costs.get(Cost::CpuMain),
            1.5,
            "nor does a superseding probe"
        );
        cal.observe(Cost::CpuWorker, 1.0, 2, Origin::Probe, 5.0);
        cal.supersede_probe(Cost::CpuWorker, 0.5, 8, 9.0);
        assert_eq!(cal.costs.get(Cost::CpuWorker), 0.5);
        assert_eq!(
            cal.provenance(Cost::CpuWorker),
            Provenance {
                origin: Origin::Probe,
                samples: 8,
                at_ms: 9.0
            }
        );
    }

    #[test]
    fn json_round_trips_and_other_versions_are_refused() {
        let mut cal = Calibration::default();
        cal.observe(Cost::Dispatch, 55_000.0, 40, Origin::Run, 1.7e12);
        let back = Calibration::from_json(&cal.to_json()).unwrap();
        assert_eq!(back, cal);
        assert!(
            Calibration::from_json(&cal.to_json().replace("\"version\":4", "\"version\":3"))
                .is_none()
        );
        // A figure stored as a default is the storing code's default, not a
        // measurement: today's default applies.
        let stale = Calibration::from_json(
            r#"{"version":4,"costs":{"js_task_ns":{"value":1500,"origin":"default"}}}"#,
        )
        .unwrap();
        assert_eq!(stale.costs.get(Cost::JsTask), Cost::JsTask.default_value());
        assert!(Calibration::from_json("{not json").is_none());
        let partial = Calibration::from_json(r#"{"version":4,"costs":{"hop_ns":{"value":5},"bogus":{"value":1},"poll_ns":{"value":-3}}}"#).unwrap();
        assert_eq!(partial.costs.get(Cost::Hop), 5.0);
        assert_eq!(partial.costs.get(Cost::Poll), Cost::Poll.default_value());
    }
}
