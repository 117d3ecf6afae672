//! Instrumentation hooks: the executor announces what it does and knows nothing
//! of who listens. An executor without hooks skips them with one branch.

use super::TaskRef;
use crate::time::Nanos;

/// Narrow callbacks around the executor's own work.
///
/// Every method has an empty default, so an implementation overrides only what
/// it needs. Hooks must not spawn, poll or cancel tasks on the executor that
/// calls them (the executor's state is borrowed while some hooks run); they may
/// read or advance a clock.
pub trait Hooks {
    /// A task was created (before it is first scheduled).
    fn spawned(&self, _task: TaskRef) {}
    /// The executor is about to poll `task`.
    fn poll_start(&self, _task: TaskRef) {}
    /// The executor has polled `task`; `completed` is true when it finished.
    fn poll_end(&self, _task: TaskRef, _completed: bool) {}
    /// `task` was woken and put on the ready queue (during its own poll, for a yield).
    fn woken(&self, _task: TaskRef) {}
    /// A timer due at `deadline` fired at `now`; `now - deadline` is
    /// event-loop lag. (Which task set it is not kept: a million sleeping
    /// tasks would keep a million names; the task's wake follows at once.)
    fn timer_fired(&self, _deadline: Nanos, _now: Nanos) {}
}

/// Hooks that do nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;

impl Hooks for NoHooks {}
