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
    /// The workload as plain JavaScript on the page's own event loop.
    Js,
    /// The workload as plain JavaScript in N Web Workers (no wasm).
    JsWorker,
    /// The Python tab's sequential program, on real CPython (Pyodide).
    Py,
    /// The Python tab's asyncio program, on real CPython (Pyodide).
    PyAsync,
}

impl Model {
    /// Every model, in the order the page shows them.
    pub const ALL: [Model; 10] = [
        Model::Sequential,
        Model::Loop,
        Model::Pool,
        Model::Hybrid,
        Model::Gil,
        Model::Free,
        Model::Js,
        Model::JsWorker,
        Model::Py,
        Model::PyAsync,
    ];

    /// The short name used in links, `data-model` attributes and exports.
    pub fn name(self) -> &'static str {
        match self {
            Model::Sequential => "seq",
            Model::Loop => "loop",
            Model::Pool => "pool",
            Model::Hybrid => "hybrid",
            Model::Gil => "gil",
            Model::Free => "free",
            Model::Js => "js",
            Model::JsWorker => "jsworker",
            Model::Py => "py",
            Model::PyAsync => "pyasync",
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
            Model::Js => "JavaScript",
            Model::JsWorker => "JS workers",
            Model::Py => "CPython",
            Model::PyAsync => "CPython asyncio",
        }
    }

    /// Whether the model uses worker lanes (and so the `workers` setting).
    pub fn uses_workers(self) -> bool {
        matches!(
            self,
            Model::Pool | Model::Hybrid | Model::Gil | Model::Free | Model::JsWorker
        )
    }

    /// Whether the model runs on our wasm worker pool (as opposed to plain
    /// JavaScript workers or Pyodide's worker).
    pub fn uses_pool(self) -> bool {
        matches!(self, Model::Pool | Model::Hybrid | Model::Gil | Model::Free)
    }

    /// Whether the model is a thread model (one task per thread from a shared queue).
    pub fn is_threads(self) -> bool {
        matches!(self, Model::Gil | Model::Free)
    }

    /// Whether the model runs real CPython (and so needs Pyodide).
    pub fn needs_python(self) -> bool {
        matches!(self, Model::Py | Model::PyAsync)
    }

    /// Whether the model is one of ours (our executor and wasm), as opposed to
    /// the real thing it stands for (JavaScript, CPython).
    pub fn is_ours(self) -> bool {
        !matches!(
            self,
            Model::Js | Model::JsWorker | Model::Py | Model::PyAsync
        )
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
        write!(f, "unknown model \"{}\": expected seq, loop, pool, hybrid, gil, free, js, jsworker, py or pyasync", self.0)
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
    /// Worker lanes for `pool`, `hybrid`, `gil`, `free` and `jsworker`.
    pub workers: u16,
    /// At most this many tasks past their start at once (a semaphore); `None` = no limit.
    pub limit: Option<u32>,
    /// The GIL switch interval (CPython's `sys.getswitchinterval()`, 5 ms).
    pub switch_interval: Nanos,
    /// Seed for jitter.
    pub seed: u64,
    /// Whether the page may share memory with its workers (cross-origin
    /// isolated): the thread models then use a GIL in shared memory and real
    /// shared counters; otherwise the GIL goes by messages through the page.
    pub shared_memory: bool,
    /// CPU cores the machine has (`navigator.hardwareConcurrency`): more busy
    /// workers than cores share them.
    pub cores: u16,
}

impl RunConfig {
    /// Defaults for `model`: 4 workers, no limit, 5 ms switch interval, seed 1,
    /// shared memory, 4 cores.
    pub fn new(model: Model) -> Self {
        Self {
            model,
            workers: 4,
            limit: None,
            switch_interval: 5 * MS,
            seed: 1,
            shared_memory: true,
            cores: 4,
        }
    }
}

/// Which GIL a thread-model run used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GilImpl {
    /// One word in a `SharedArrayBuffer`, taken with `Atomics` (needs isolation).
    SharedMemory,
    /// A lock owned by the page; threads ask for it and give it back by messages.
    Messages,
}

impl GilImpl {
    /// The implementation `cfg` implies.
    pub fn for_config(cfg: &RunConfig) -> Self {
        if cfg.shared_memory {
            GilImpl::SharedMemory
        } else {
            GilImpl::Messages
        }
    }

    /// A description for the results.
    pub fn describe(self) -> &'static str {
        match self {
            GilImpl::SharedMemory => "GIL in shared memory (Atomics)",
            GilImpl::Messages => "GIL by messages through the page (no shared memory)",
        }
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
        assert!("threads"
            .parse::<Model>()
            .unwrap_err()
            .to_string()
            .contains("\"threads\""));
    }
}
