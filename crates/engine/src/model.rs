//! The execution models and the knobs of one run.

use std::fmt;
use std::str::FromStr;

use crate::time::{Nanos, MS};

/// One way of running a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Model {
    /// Tasks one after another on the main thread; every wait blocks.
    Sequential,
    /// Our cooperative executor on the main thread (the asyncio event loop).
    Loop,
    /// N workers, one task per worker at a time (multiprocessing).
    Pool,
    /// The loop waits, the pool computes (`run_in_executor`).
    Hybrid,
    /// N threads that need one lock to run CPU work.
    Gil,
    /// N threads without the lock (free-threaded Python).
    Free,
}

impl Model {
    /// Every model, in the order the page shows them.
    pub const ALL: [Model; 6] =
        [Model::Sequential, Model::Loop, Model::Pool, Model::Hybrid, Model::Gil, Model::Free];

    /// The short name used in links, `data-model` attributes and exports.
    pub fn name(self) -> &'static str {
        match self {
            Model::Sequential => "seq",
            Model::Loop => "loop",
            Model::Pool => "pool",
            Model::Hybrid => "hybrid",
            Model::Gil => "gil",
            Model::Free => "free",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Model::Sequential => "Sequential",
            Model::Loop => "Event loop",
            Model::Pool => "Worker pool",
            Model::Hybrid => "Loop + pool",
            Model::Gil => "Threads + GIL",
            Model::Free => "Free threads",
        }
    }

    /// Whether the model uses worker lanes (and so the `workers` setting).
    pub fn uses_workers(self) -> bool {
        matches!(self, Model::Pool | Model::Hybrid | Model::Gil | Model::Free)
    }

    /// Whether the model needs `SharedArrayBuffer` (cross-origin isolation).
    pub fn needs_shared_memory(self) -> bool {
        matches!(self, Model::Gil | Model::Free)
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a model name that is not one of [`Model::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownModel(pub String);

impl fmt::Display for UnknownModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown model \"{}\": expected seq, loop, pool, hybrid, gil or free", self.0)
    }
}

impl FromStr for Model {
    type Err = UnknownModel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Model::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownModel(s.to_owned()))
    }
}

/// The knobs of one run besides the workload itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Which model runs.
    pub model: Model,
    /// Worker lanes for `pool`, `hybrid`, `gil` and `free`.
    pub workers: u16,
    /// At most this many tasks past their start at once (a semaphore); `None` = no limit.
    pub limit: Option<u32>,
    /// The GIL switch interval (CPython's `sys.getswitchinterval()`, 5 ms).
    pub switch_interval: Nanos,
    /// Seed for jitter.
    pub seed: u64,
}

impl RunConfig {
    /// Defaults for `model`: 4 workers, no limit, 5 ms switch interval, seed 1.
    pub fn new(model: Model) -> Self {
        Self { model, workers: 4, limit: None, switch_interval: 5 * MS, seed: 1 }
    }
}

/// Calibrated costs the simulator charges. The browser measures them on the
/// user's machine before predicting; the defaults are typical of a laptop.
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    /// Time per Σi² iteration.
    pub cpu_ns_per_iter: f64,
    /// Starting the pool (zero when the pool is already warm).
    pub pool_startup: Nanos,
    /// One job's round trip to a worker, payload aside.
    pub dispatch: Nanos,
    /// Copying one KiB of payload one way.
    pub transfer_ns_per_kib: f64,
}

impl Default for Costs {
    fn default() -> Self {
        Self { cpu_ns_per_iter: 1.0, pool_startup: 0, dispatch: 50_000, transfer_ns_per_kib: 250.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Model::ALL {
            assert_eq!(m.name().parse::<Model>(), Ok(m));
        }
        assert!("threads".parse::<Model>().unwrap_err().to_string().contains("\"threads\""));
    }
}
