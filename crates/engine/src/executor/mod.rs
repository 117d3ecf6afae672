//! A single-threaded, sans-IO, cooperative executor for `!Send` futures.
//!
//! This is the product's event loop, so it is ours rather than a crate's: the
//! playground must be able to drive it in slices from the browser (yielding to
//! the renderer between slices), run it on a virtual clock in tests and in the
//! "predicted" column, and observe it through narrow hooks. The task cell
//! (one allocation, its waker, its state) is ours too (`task.rs`, which says
//! why); the ready queue, the timers, the slicing and the instrumentation are here.
//!
//! # Task states
//!
//! `task.rs` keeps each task's state byte; this is what is true of a task from
//! the executor's point of view while each state holds:
//!
//! - **Scheduled**: its `Runnable` sits in the ready queue. Set by `spawn` and by
//!   every wake. Excludes *Running*: a task is popped before it is polled.
//! - **Running**: the executor is polling it; [`Handle::current_task`] names it.
//!   A wake during this state (for example [`yield_now`]) makes it *Scheduled*
//!   again as soon as the poll returns.
//! - **Suspended**: it returned `Pending` and nothing has woken it yet; some
//!   waker (a timer, a semaphore, a worker's reply) holds it. Counted in
//!   [`Executor::live_tasks`].
//! - **Completed**: its future returned `Ready` or was dropped (cancelled). It
//!   will never be polled again; its output waits in the [`JoinHandle`].
//!
//! # Cost
//!
//! A yield, a spawn and a timer are the loop's unit costs (the performance
//! table's P1, P2 and P10; `examples/executor_bench.rs` measures them natively).
//! What keeps them low: a task is one allocation whose state is a plain byte
//! and whose count a plain integer (one thread, see `task.rs`), recycled by
//! size when the task ends (`cells.rs`); a task nobody awaits is spawned
//! detached, with no handle to make and unmake; its metadata
//! holds the executor, so a wake needs no closure; the live count is kept by
//! the task itself, with no wrapper future; the ready queue is borrowed without
//! a `RefCell` flag; timers of equal duration sit in sorted runs, not in one
//! big heap; a fired timer's poll reuses the executor's clock reading; and the
//! owner-thread check compiles away where only one thread can exist. The
//! private items say why each is sound.
//!
//! # Examples
//!
//! ```
//! use std::rc::Rc;
//! use engine::executor::{Executor, Outcome};
//! use engine::time::{Clock, VirtualClock, SECOND};
//!
//! let clock = Rc::new(VirtualClock::new());
//! let ex = Executor::new(clock.clone());
//! for secs in [1, 2] {
//!     let h = ex.handle();
//!     ex.spawn(async move { h.sleep(secs * SECOND).await });
//! }
//! assert_eq!(ex.run_virtual(&clock), Outcome::Done);
//! assert_eq!(clock.now(), 2 * SECOND); // gather: the longest wait, not the sum
//! ```

mod cells;
mod hooks;
mod join;
mod owner;
mod ready;
mod semaphore;
mod signal;
mod task;
mod timer;
mod yield_now;

pub use cells::{cached_cell_bytes, release_cached_cells, MAX_CACHED_BYTES};
pub use hooks::{Hooks, NoHooks};
pub use join::JoinHandle;
pub use semaphore::{Acquire, Permit, Semaphore};
pub use signal::{Signal, SleepOrSignal};
pub use timer::Sleep;
pub use yield_now::{yield_now, YieldNow};

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::rc::Rc;

use crate::time::{Clock, Nanos, VirtualClock};
use owner::Owned;
use ready::ReadyQueue;
use task::Runnable;
use timer::Timers;

/// Identifies a task within one executor; assigned in spawn order from 0.
///
/// 32 bits, not 64: every task's header carries it, and a 64-bit id would
/// align the header to 8 bytes and grow every task by 16 (P2's memory per
/// suspended task measured 117 B with it, 101 B without). After 2³² spawns
/// in one executor (far past any workload's limit) ids wrap around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub u32);

/// The tag of a task that stands for no task of the workload (a spawner, a helper).
pub const UNTAGGED: u32 = u32::MAX;

/// What the executor knows of a task: its id and the caller's tag (the
/// workload's task index, or [`UNTAGGED`]), which hooks use to name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskRef {
    /// Spawn order.
    pub id: TaskId,
    /// The caller's name for the task.
    pub tag: u32,
}

/// Why [`Executor::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every task has completed (or the run was cancelled).
    Done,
    /// The deadline passed while tasks were still ready: call `run` again soon
    /// (after letting the browser render).
    Ready,
    /// Nothing is ready; the earliest timer is due at `until`.
    Sleeping {
        /// When the earliest timer is due, on the executor's clock.
        until: Nanos,
    },
    /// Nothing is ready and no timer is set, yet tasks are alive: they wait for
    /// a wake from outside (a worker's reply). Call `run` again after it comes.
    Stalled,
}

/// The state every handle shares. Private: [`Executor`] and [`Handle`] delegate to it.
pub(crate) struct Shared {
    clock: Rc<dyn Clock>,
    ready: ReadyQueue,
    timers: RefCell<Timers>,
    /// The latest clock reading the executor took (at its last timer check):
    /// the clock is at least this, so a timer due by then needs no new reading.
    clock_floor: Cell<Nanos>,
    hooks: Option<Rc<dyn Hooks>>,
    next_id: Cell<u32>,
    live: Cell<u64>,
    current: Cell<Option<TaskRef>>,
    cancelled: Cell<bool>,
    polls: Cell<u64>,
    polls_per_clock_check: Cell<u32>,
}

/// What a task's allocation carries beside its future: its name for the hooks,
/// and the executor it belongs to (which its wakes reach through here).
struct TaskMeta {
    task: TaskRef,
    owner: Owned,
}

/// The schedule function of every task: puts a woken task at the back of the
/// ready queue, or drops it if the run was cancelled.
fn schedule(runnable: Runnable) {
    // A raw pointer, not a reference: dropping `runnable` may free the task and
    // with it the last `Rc` of the executor, so no reference to the executor
    // may be alive across that drop. `get` aborts off the owner thread.
    let shared: *const Shared = runnable.metadata().owner.get();
    // SAFETY: the runnable holds its task, whose metadata holds an `Rc` of the
    // executor, so `shared` points to a live `Shared` until the runnable goes.
    if unsafe { (*shared).cancelled.get() } {
        // Dropping the runnable drops the future: the task is cancelled.
        bury(runnable);
        return;
    }
    // SAFETY: as above; the runnable then moves into the queue, which keeps the
    // task (and so the executor) alive past the last use of `s`.
    let s = unsafe { &*shared };
    if let Some(h) = &s.hooks {
        h.woken(runnable.metadata().task);
    }
    s.ready.push_back(runnable);
}

thread_local! {
    /// Cancelled tasks waiting for the [`bury`] call under way to drop them.
    static GRAVEYARD: RefCell<Vec<Runnable>> = const { RefCell::new(Vec::new()) };
    /// Whether a [`bury`] call is under way on this thread.
    static BURYING: Cell<bool> = const { Cell::new(false) };
}

/// Drops a cancelled task's runnable, and with it the future.
///
/// Dropping a future may wake another task of the cancelled run, which comes
/// back here: a semaphore passes on the permit its dropped waiter had been
/// granted, and the next waiter's drop passes it on again. Dropped inside
/// one another, a run of a million tasks queued on a limit (or on the pool's
/// lanes) overflowed the stack on cancel (`RangeError: Maximum call stack
/// size exceeded` in the page). So a drop that comes back while another is
/// under way waits in a list, and the first call drops the list in a loop:
/// the stack stays one drop deep, however long the chain.
fn bury(runnable: Runnable) {
    if BURYING.with(|b| b.replace(true)) {
        GRAVEYARD.with(|g| g.borrow_mut().push(runnable));
        return;
    }
    /// Ends the burial even if a drop unwinds (native tests), so later
    /// cancellations are not queued for ever.
    struct Done;
    impl Drop for Done {
        fn drop(&mut self) {
            BURYING.with(|b| b.set(false));
        }
    }
    let _done = Done;
    drop(runnable);
    // Popped with the list's borrow released before the drop: the drop may push.
    while let Some(next) = GRAVEYARD.with(|g| g.borrow_mut().pop()) {
        drop(next);
    }
}

impl Shared {
    /// Wakes every timer due at or before `now`; returns whether any fired.
    fn fire_due_timers(&self, now: Nanos) -> bool {
        self.clock_floor.set(now);
        let mut fired = false;
        loop {
            // Pop under the borrow, wake outside it: a wake may re-enter `schedule`.
            let entry = self.timers.borrow_mut().pop_due(now);
            let Some(entry) = entry else { break };
            if let Some(h) = &self.hooks {
                h.timer_fired(entry.deadline, now);
            }
            entry.waker.wake();
            fired = true;
        }
        fired
    }

    fn idle_outcome(&self) -> Outcome {
        if self.cancelled.get() || self.live.get() == 0 {
            return Outcome::Done;
        }
        if !self.ready.is_empty() {
            return Outcome::Ready;
        }
        match self.timers.borrow().next_deadline() {
            Some(until) => Outcome::Sleeping { until },
            None => Outcome::Stalled,
        }
    }

    fn spawn<F>(self: &Rc<Self>, tag: u32, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = TaskId(self.next_id.get());
        let task = TaskRef { id, tag };
        self.next_id.set(id.0.wrapping_add(1));
        self.live.set(self.live.get() + 1);
        let meta = TaskMeta {
            task,
            owner: Owned::new(self.clone()),
        };
        let (runnable, handle) = task::spawn(meta, future);
        if let Some(h) = &self.hooks {
            h.spawned(task);
        }
        schedule(runnable);
        JoinHandle::new(handle, id)
    }

    /// As [`Shared::spawn`], with no handle. Written out rather than shared
    /// through a helper: P2 is this path's cost, and with `opt-level = "z"`
    /// a helper stays a call (measured: 25 ns a spawn with one, 18 without).
    fn spawn_detached<F>(self: &Rc<Self>, tag: u32, future: F)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = TaskId(self.next_id.get());
        let task = TaskRef { id, tag };
        self.next_id.set(id.0.wrapping_add(1));
        self.live.set(self.live.get() + 1);
        let meta = TaskMeta {
            task,
            owner: Owned::new(self.clone()),
        };
        let runnable = task::spawn_detached(meta, future);
        if let Some(h) = &self.hooks {
            h.spawned(task);
        }
        schedule(runnable);
    }

    fn clear(&self) {
        // Take the queues out before dropping them: dropping a task's future may
        // re-enter `schedule` or touch the timers.
        let ready = self.ready.take();
        drop(ready);
        let timers = std::mem::take(&mut *self.timers.borrow_mut());
        drop(timers);
    }
}

/// The tasks a cancelled run still held, to drop in steps (see
/// [`Executor::cancel_in_steps`]).
pub struct Leftovers {
    ready: VecDeque<Runnable>,
    timers: Timers,
}

impl Leftovers {
    /// Drops up to `n` of the tasks; returns whether none is left.
    pub fn drop_some(&mut self, n: usize) -> bool {
        for _ in 0..n {
            if let Some(r) = self.ready.pop_front() {
                // Dropping a runnable drops its future: the task is cancelled.
                drop(r);
            } else if let Some(t) = self.timers.pop_due(Nanos::MAX) {
                drop(t);
            } else {
                return true;
            }
        }
        self.ready.is_empty() && self.timers.next_deadline().is_none()
    }
}

/// The executor. Owns the run: dropping it cancels every task still alive.
///
/// It is driven from outside (sans-IO): [`Executor::run`] polls ready tasks
/// until a deadline on the clock passes and says what it needs next.
pub struct Executor {
    shared: Rc<Shared>,
}

impl Executor {
    /// An executor reading time from `clock`, with no instrumentation.
    pub fn new(clock: Rc<dyn Clock>) -> Self {
        Self::build(clock, None)
    }

    /// An executor that reports to `hooks`.
    pub fn with_hooks(clock: Rc<dyn Clock>, hooks: Rc<dyn Hooks>) -> Self {
        Self::build(clock, Some(hooks))
    }

    fn build(clock: Rc<dyn Clock>, hooks: Option<Rc<dyn Hooks>>) -> Self {
        Self {
            shared: Rc::new(Shared {
                clock,
                ready: ReadyQueue::default(),
                timers: RefCell::new(Timers::default()),
                clock_floor: Cell::new(0),
                hooks,
                next_id: Cell::new(0),
                live: Cell::new(0),
                current: Cell::new(None),
                cancelled: Cell::new(false),
                polls: Cell::new(0),
                polls_per_clock_check: Cell::new(1),
            }),
        }
    }

    /// A cheap, cloneable handle for use inside tasks (spawn, sleep, read the clock).
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }

    /// Spawns a future; it runs when the executor is next driven.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn(UNTAGGED, future)
    }

    /// Spawns a future tagged `tag` (the workload's task index), the name
    /// hooks know it by.
    pub fn spawn_tagged<F>(&self, tag: u32, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn(tag, future)
    }

    /// Spawns a future whose output nobody awaits, as `wasm_bindgen_futures::spawn_local`
    /// does: cheaper than [`Executor::spawn`] and dropping its handle.
    pub fn spawn_detached<F>(&self, future: F)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn_detached(UNTAGGED, future)
    }

    /// How many polls run between two readings of the clock (default 1).
    ///
    /// Reading `performance.now()` costs a call into JavaScript; a driver whose
    /// tasks poll in well under a microsecond can raise this to make a yield
    /// cheaper, at the price of overshooting the slice deadline by that many polls.
    pub fn set_polls_per_clock_check(&self, n: u32) {
        self.shared.polls_per_clock_check.set(n.max(1));
    }

    /// Polls ready tasks, firing due timers, until nothing is ready or the
    /// clock reaches `deadline`. Never blocks and never sleeps.
    pub fn run(&self, deadline: Nanos) -> Outcome {
        self.run_budget(deadline, u64::MAX)
    }

    /// Like [`Executor::run`], but also returns after `max_polls` polls (a
    /// budget that does not depend on the clock, for virtual-clock runs that
    /// must share the browser's main thread).
    pub fn run_budget(&self, deadline: Nanos, max_polls: u64) -> Outcome {
        let s = &*self.shared;
        let mut budget = max_polls;
        let check_every = s.polls_per_clock_check.get();
        let mut since_check = 0;
        s.fire_due_timers(s.clock.now());
        loop {
            let next = s.ready.pop_front();
            let Some(runnable) = next else {
                if s.fire_due_timers(s.clock.now()) {
                    continue;
                }
                return s.idle_outcome();
            };
            let task = runnable.metadata().task;
            s.current.set(Some(task));
            match &s.hooks {
                None => {
                    runnable.run();
                }
                Some(h) => {
                    let live_before = s.live.get();
                    h.poll_start(task);
                    runnable.run();
                    h.poll_end(task, s.live.get() < live_before);
                }
            }
            s.current.set(None);
            s.polls.set(s.polls.get() + 1);
            budget -= 1;
            if budget == 0 {
                return s.idle_outcome();
            }
            since_check += 1;
            if since_check >= check_every {
                since_check = 0;
                // With no deadline and no timer set, nothing hangs on the
                // time: skip the reading (a call into JavaScript in the
                // browser, a sizeable part of a yield's cost).
                if deadline != Nanos::MAX || s.timers.borrow().next_deadline().is_some() {
                    let now = s.clock.now();
                    s.fire_due_timers(now);
                    if now >= deadline {
                        return s.idle_outcome();
                    }
                }
            }
        }
    }

    /// Drives the executor on a virtual clock until every task is done (or
    /// stalled on an outside wake): whenever nothing is ready, the clock jumps
    /// to the earliest timer. Deterministic: no real time passes.
    pub fn run_virtual(&self, clock: &VirtualClock) -> Outcome {
        self.run_virtual_budget(clock, u64::MAX)
    }

    /// Like [`Executor::run_virtual`], but returns [`Outcome::Ready`] after
    /// about `max_polls` polls, so a long simulation can yield now and then.
    pub fn run_virtual_budget(&self, clock: &VirtualClock, max_polls: u64) -> Outcome {
        let start = self.polls();
        loop {
            let left = max_polls.saturating_sub(self.polls() - start).max(1);
            match self.run_budget(Nanos::MAX, left) {
                Outcome::Sleeping { until } => clock.advance_to(until),
                Outcome::Ready if self.polls() - start < max_polls => {}
                other => return other,
            }
        }
    }

    /// Cancels the run: every task still alive is dropped (its future's
    /// destructors run) and later wakes are ignored.
    pub fn cancel(&self) {
        self.shared.cancelled.set(true);
        self.shared.clear();
    }

    /// Cancels the run like [`Executor::cancel`], but hands back the tasks
    /// still queued or timed instead of dropping them here: a million of them
    /// take a long while to drop, and the caller drops them a few at a time
    /// ([`Leftovers::drop_some`]) between the browser's frames. Later wakes are
    /// ignored at once, as with `cancel`.
    pub fn cancel_in_steps(&self) -> Leftovers {
        self.shared.cancelled.set(true);
        Leftovers {
            ready: self.shared.ready.take(),
            timers: std::mem::take(&mut *self.shared.timers.borrow_mut()),
        }
    }

    /// Makes room for `n` pending timers before any is set: a run that sets
    /// a million sleeps at once otherwise grows their queue a score of times,
    /// copying it each time. Does nothing once a timer is set.
    pub fn reserve_timers(&self, n: usize) {
        self.shared.timers.borrow_mut().reserve(n);
    }

    /// Tasks spawned and not yet completed.
    pub fn live_tasks(&self) -> u64 {
        self.shared.live.get()
    }

    /// The earliest pending timer: its deadline, and whether it is precise
    /// (see [`Sleep::precise`]).
    pub fn next_timer(&self) -> Option<(Nanos, bool)> {
        self.shared.timers.borrow().next()
    }

    /// Tasks in the ready queue.
    pub fn ready_tasks(&self) -> usize {
        self.shared.ready.len()
    }

    /// Total polls so far.
    pub fn polls(&self) -> u64 {
        self.shared.polls.get()
    }

    /// Whether [`Executor::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.get()
    }
}

impl Drop for Executor {
    fn drop(&mut self) {
        // Tasks hold handles to the shared state, and the state holds the
        // tasks: break the cycle by dropping every task still queued or timed.
        self.shared.cancelled.set(true);
        self.shared.clear();
    }
}

/// A handle to an executor, for use inside its tasks. Cloning is cheap.
#[derive(Clone)]
pub struct Handle {
    shared: Rc<Shared>,
}

impl Handle {
    /// The executor's clock reading.
    pub fn now(&self) -> Nanos {
        self.shared.clock.now()
    }

    /// A coarse reading of the executor's clock, for bookkeeping between
    /// polls (see [`Clock::coarse_now`]).
    pub fn coarse_now(&self) -> Nanos {
        self.shared.clock.coarse_now()
    }

    /// Completes once `d` has passed on the executor's clock.
    pub fn sleep(&self, d: Nanos) -> Sleep {
        self.sleep_until(self.now().saturating_add(d))
    }

    /// Completes once the executor's clock reaches `deadline`.
    pub fn sleep_until(&self, deadline: Nanos) -> Sleep {
        Sleep::new(self.shared.clone(), deadline)
    }

    /// Spawns a future on the same executor.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn(UNTAGGED, future)
    }

    /// Spawns a future tagged `tag` (see [`Executor::spawn_tagged`]).
    pub fn spawn_tagged<F>(&self, tag: u32, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn(tag, future)
    }

    /// Spawns a future tagged `tag` whose output nobody awaits (see
    /// [`Executor::spawn_detached`]): how the workload's tasks are spawned.
    pub fn spawn_tagged_detached<F>(&self, tag: u32, future: F)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn_detached(tag, future)
    }

    /// The task being polled right now, if any.
    pub fn current_task(&self) -> Option<TaskId> {
        self.shared.current.get().map(|t| t.id)
    }

    /// The tag of the task being polled right now ([`UNTAGGED`] if none).
    pub fn current_tag(&self) -> u32 {
        self.shared.current.get().map_or(UNTAGGED, |t| t.tag)
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.get()
    }
}
