//! The worker pool as the page sees it: its status, and the handle runs use.
//! The pool starts with the page (as many workers as the scenario asks for,
//! one per core unless it says), stays warm between runs, and is restarted
//! only when a run asks for another number of workers.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::pool::Pool;

/// Where the pool stands.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolStatus {
    /// Starting this many workers.
    Starting(usize),
    /// Every worker answered; start-up as measured (the slowest worker's, spawn to ready).
    Ready {
        /// Workers.
        workers: usize,
        /// ms.
        startup_ms: f64,
    },
    /// The pool could not start; models without workers still run.
    Failed(String),
}

/// The pool's status and handle.
#[derive(Clone, Copy)]
pub struct PoolState {
    /// Where it stands.
    pub status: RwSignal<PoolStatus>,
    handle: StoredValue<Option<Pool>, LocalStorage>,
}

impl PoolState {
    /// Starts a pool of `n` workers.
    pub fn start(n: usize) -> Self {
        let s = Self {
            status: RwSignal::new(PoolStatus::Starting(n)),
            handle: StoredValue::new_local(None),
        };
        s.restart(n);
        s
    }

    /// The pool, if it started.
    pub fn get(&self) -> Option<Pool> {
        self.handle.get_value()
    }

    /// Why the pool failed, if it did.
    pub fn failure(&self) -> Option<String> {
        match self.status.get() {
            PoolStatus::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the pool has settled (ready or failed): runs may start.
    pub fn settled(&self) -> bool {
        !matches!(self.status.get(), PoolStatus::Starting(_))
    }

    /// Start-up as measured, ms.
    pub fn startup_ms(&self) -> Option<f64> {
        match self.status.get_untracked() {
            PoolStatus::Ready { startup_ms, .. } => Some(startup_ms),
            _ => None,
        }
    }

    /// Replaces the pool with one of `n` workers.
    pub fn restart(&self, n: usize) {
        if let Some(old) = self.handle.get_value() {
            old.shutdown();
        }
        let status = self.status;
        status.set(PoolStatus::Starting(n));
        match Pool::new(n) {
            Ok(p) => {
                crate::pool::set_current(Some(p.clone()));
                self.handle.set_value(Some(p.clone()));
                spawn_local(async move {
                    match p.ready().await {
                        Ok(s) => {
                            // The slowest worker's own start-up: the workers
                            // start side by side, but not all at once (the
                            // boot script's before the app, more by the app),
                            // and the first spawn to the last ready would
                            // count the app's loading in between.
                            let startup = s
                                .iter()
                                .map(|s| s.ready.saturating_sub(s.spawned))
                                .max()
                                .unwrap_or(0);
                            status.set(PoolStatus::Ready {
                                workers: s.len(),
                                startup_ms: startup as f64 / 1e6,
                            });
                        }
                        Err(e) => status.set(PoolStatus::Failed(e)),
                    }
                });
            }
            Err(e) => {
                self.handle.set_value(None);
                status.set(PoolStatus::Failed(e));
            }
        }
    }

    /// The pool with `n` workers, ready: restarts it if it has another size.
    pub async fn ensure(&self, n: usize) -> Result<Pool, String> {
        if self.handle.get_value().map(|p| p.size()) != Some(n) {
            self.restart(n);
        }
        let p = self.handle.get_value().ok_or_else(|| {
            self.failure()
                .unwrap_or_else(|| "the worker pool is not running".into())
        })?;
        p.ready()
            .await
            .map_err(|e| format!("the worker pool could not start: {e}"))?;
        Ok(p)
    }
}
