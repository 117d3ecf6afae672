//! Instrumentation hooks: the executor announces what it does and knows nothing
//! of who listens. The default implementation does nothing and costs nothing.

use super::TaskId;
use crate::time::Nanos;

/// Narrow callbacks around the executor's own work.
///
/// Every method has an empty default, so an implementation overrides only what
/// it needs. Hooks must not spawn, poll or cancel tasks on the executor that
/// calls them (the executor's state is borrowed while some hooks run).
pub trait Hooks {
    /// A task was created (before it is first scheduled).
    fn spawned(&self, _task: TaskId) {}
    /// The executor is about to poll `task`.
    fn poll_start(&self, _task: TaskId) {}
    /// The executor has polled `task`; `completed` is true when it finished.
    fn poll_end(&self, _task: TaskId, _completed: bool) {}
    /// `task` was woken and put on the ready queue.
    fn woken(&self, _task: TaskId) {}
    /// A timer due at `deadline` fired at `now`; `now - deadline` is event-loop lag.
    fn timer_fired(&self, _deadline: Nanos, _now: Nanos) {}
}

/// Hooks that do nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;

impl Hooks for NoHooks {}
