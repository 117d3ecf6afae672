//! Drives our executor on the main thread, following `engine::driver`'s
//! policy (the same one the predictions simulate): slices of
//! [`engine::driver::SLICE`], then a hop to the browser through a
//! `MessageChannel` (a macrotask, so the page renders between slices;
//! `setTimeout(0)` would be clamped to 4 ms, and a microtask would never let it
//! render), and one `setTimeout`, in whole milliseconds, for the earliest
//! sleeping task. A worker's reply wakes a stalled loop at once, in a
//! microtask after the reply's handler (no extra hop).
//!
//! The driver measures itself as it goes ([`DriverStats`]: its hops, its
//! timers' lateness, its polls): the evidence that refines the cost model.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use engine::driver::{timer_delay_ms, DriverStats, POLLS_PER_CLOCK_CHECK, SLICE};
use engine::executor::{Executor, Handle, Hooks, Outcome, TaskRef};
use engine::runner::LoopHooks;
use engine::time::{Clock, Nanos, MS};
use futures_channel::oneshot;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageChannel, MessagePort};

use crate::clock::RealClock;

/// The driver's hooks: the engine's loop instrumentation (events, lag, polls)
/// plus a kick when a task is woken from outside a slice (a worker's reply),
/// so a stalled loop resumes.
pub struct DriverHooks {
    /// The loop's instrumentation, shared with the simulator's.
    pub inner: LoopHooks,
    driver: RefCell<Weak<Inner>>,
    /// The driver's "inside a slice" flag, shared so that a wake (every timer
    /// of every task) checks it without reaching the driver itself.
    in_slice: Rc<Cell<bool>>,
}

impl DriverHooks {
    /// Hooks around `inner`.
    pub fn new(inner: LoopHooks) -> Self {
        Self {
            inner,
            driver: RefCell::new(Weak::new()),
            in_slice: Rc::new(Cell::new(false)),
        }
    }
}

impl Hooks for DriverHooks {
    fn spawned(&self, t: TaskRef) {
        self.inner.spawned(t);
    }
    fn poll_start(&self, t: TaskRef) {
        self.inner.poll_start(t);
    }
    fn poll_end(&self, t: TaskRef, completed: bool) {
        self.inner.poll_end(t, completed);
    }
    fn woken(&self, t: TaskRef) {
        self.inner.woken(t);
        if !self.in_slice.get() {
            if let Some(d) = self.driver.borrow().upgrade() {
                d.kick();
            }
        }
    }
    fn timer_fired(&self, deadline: Nanos, now: Nanos) {
        self.inner.timer_fired(deadline, now);
    }
}

/// Called after every slice with the number of live tasks.
type SliceListener = Box<dyn Fn(u64)>;

struct Inner {
    ex: Executor,
    port: MessagePort,
    _receiver: MessagePort,
    _on_message: Closure<dyn FnMut()>,
    on_timer: Closure<dyn FnMut()>,
    on_kick: Closure<dyn FnMut(JsValue)>,
    timer: Cell<Option<i32>>,
    /// When the pending `setTimeout` should fire (for its lateness).
    timer_due: Cell<Option<Nanos>>,
    posted: Cell<bool>,
    kicked: Cell<bool>,
    /// Shared with [`DriverHooks`].
    in_slice: Rc<Cell<bool>>,
    finished: Cell<bool>,
    /// When the last slice ended with work still ready (a hop started).
    hop_from: Cell<Option<Nanos>>,
    done: RefCell<Option<oneshot::Sender<bool>>>,
    on_slice: RefCell<Option<SliceListener>>,
    slices: RefCell<Vec<(Nanos, Nanos)>>,
    stats: RefCell<DriverStats>,
}

impl Inner {
    /// Posts one message to ourselves; its handler runs the next slice.
    fn schedule_slice(&self) {
        if self.posted.replace(true) || self.finished.get() {
            return;
        }
        if self.port.post_message(&JsValue::NULL).is_err() {
            self.posted.set(false);
        }
    }

    /// A wake from outside (a worker's reply): run a slice in a microtask,
    /// right after the handler that delivered it returns.
    fn kick(&self) {
        if self.kicked.replace(true) || self.finished.get() {
            return;
        }
        let _ = js_sys::Promise::resolve(&JsValue::NULL).then(&self.on_kick);
    }

    fn clear_timer(&self) {
        if let (Some(id), Some(w)) = (self.timer.take(), web_sys::window()) {
            w.clear_timeout_with_handle(id);
        }
        self.timer_due.set(None);
    }

    fn slice(&self) {
        self.posted.set(false);
        self.kicked.set(false);
        if self.finished.get() || self.in_slice.get() {
            return;
        }
        let start = RealClock.now();
        if let Some(from) = self.hop_from.take() {
            let mut st = self.stats.borrow_mut();
            st.hops += 1;
            st.hop_time += start.saturating_sub(from);
        }
        if let Some(due) = self.timer_due.get() {
            if self.timer.get().is_none() {
                // The timer fired: how late, beyond the whole ms asked for.
                let mut st = self.stats.borrow_mut();
                st.timers += 1;
                st.timer_late += start.saturating_sub(due);
                self.timer_due.set(None);
            }
        }
        self.clear_timer();
        self.in_slice.set(true);
        let outcome = self.ex.run(start + SLICE);
        let end = RealClock.now();
        // The thread goes back to the browser: a coarse reading after this
        // (a worker's reply waking a task) must not repeat this one.
        crate::clock::expire_coarse();
        self.slices.borrow_mut().push((start, end));
        {
            let mut st = self.stats.borrow_mut();
            st.slices += 1;
            st.busy += end.saturating_sub(start);
        }
        self.in_slice.set(false);
        if let Some(f) = self.on_slice.borrow().as_ref() {
            f(self.ex.live_tasks());
        }
        match outcome {
            Outcome::Done => self.finish(self.ex.is_cancelled()),
            Outcome::Ready => {
                self.hop_from.set(Some(end));
                self.schedule_slice();
            }
            Outcome::Sleeping { until } => {
                let now = RealClock.now();
                let ms = timer_delay_ms(until, now);
                if let Some(w) = web_sys::window() {
                    match w.set_timeout_with_callback_and_timeout_and_arguments_0(
                        self.on_timer.as_ref().unchecked_ref(),
                        ms as i32,
                    ) {
                        Ok(id) => {
                            self.timer.set(Some(id));
                            self.timer_due.set(Some(now + ms * MS));
                        }
                        Err(_) => self.schedule_slice(),
                    }
                }
            }
            // Waiting for an outside wake (a worker's reply): `DriverHooks::woken` kicks us.
            Outcome::Stalled => {}
        }
    }

    fn finish(&self, cancelled: bool) {
        if self.finished.replace(true) {
            return;
        }
        self.clear_timer();
        if let Some(tx) = self.done.borrow_mut().take() {
            let _ = tx.send(cancelled);
        }
    }
}

/// Runs an executor on the main thread until its tasks are done or cancelled.
pub struct LoopDriver {
    inner: Rc<Inner>,
    hooks: Rc<DriverHooks>,
}

impl LoopDriver {
    /// A driver for a fresh executor reporting to `hooks`.
    pub fn new(hooks: Rc<DriverHooks>) -> Result<Self, String> {
        let ex = Executor::with_hooks(Rc::new(RealClock), hooks.clone());
        ex.set_polls_per_clock_check(POLLS_PER_CLOCK_CHECK);
        let channel = MessageChannel::new().map_err(|e| format!("no MessageChannel: {e:?}"))?;
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let w = weak.clone();
            let on_message = Closure::<dyn FnMut()>::new(move || {
                if let Some(d) = w.upgrade() {
                    d.slice();
                }
            });
            let w = weak.clone();
            let on_timer = Closure::<dyn FnMut()>::new(move || {
                if let Some(d) = w.upgrade() {
                    d.timer.set(None);
                    d.slice();
                }
            });
            let w = weak.clone();
            let on_kick = Closure::<dyn FnMut(JsValue)>::new(move |_| {
                if let Some(d) = w.upgrade() {
                    if d.kicked.get() {
                        d.slice();
                    }
                }
            });
            channel
                .port1()
                .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            Inner {
                ex,
                port: channel.port2(),
                _receiver: channel.port1(),
                _on_message: on_message,
                on_timer,
                on_kick,
                timer: Cell::new(None),
                timer_due: Cell::new(None),
                posted: Cell::new(false),
                kicked: Cell::new(false),
                in_slice: hooks.in_slice.clone(),
                finished: Cell::new(false),
                hop_from: Cell::new(None),
                done: RefCell::new(None),
                on_slice: RefCell::new(None),
                slices: RefCell::new(Vec::new()),
                stats: RefCell::new(DriverStats::default()),
            }
        });
        *hooks.driver.borrow_mut() = Rc::downgrade(&inner);
        Ok(Self { inner, hooks })
    }

    /// A handle for spawning tasks and reading the clock.
    pub fn handle(&self) -> Handle {
        self.inner.ex.handle()
    }

    /// The executor.
    pub fn executor(&self) -> &Executor {
        &self.inner.ex
    }

    /// Called after every slice with the number of live tasks (for progress).
    pub fn on_slice(&self, f: impl Fn(u64) + 'static) {
        *self.inner.on_slice.borrow_mut() = Some(Box::new(f));
    }

    /// Starts driving; resolves to `true` if the run was cancelled.
    pub async fn run(&self) -> bool {
        let (tx, rx) = oneshot::channel();
        *self.inner.done.borrow_mut() = Some(tx);
        self.inner.schedule_slice();
        rx.await.unwrap_or(true)
    }

    /// The slices run so far: the stretches the main thread did not yield.
    pub fn take_slices(&self) -> Vec<(Nanos, Nanos)> {
        self.inner.slices.take()
    }

    /// Takes the lag samples (how late each timer fired).
    pub fn take_lag(&self) -> Vec<Nanos> {
        self.hooks.inner.take_lag()
    }

    /// What the driver measured about itself, with the polls and spawns its
    /// hooks counted.
    pub fn stats(&self) -> DriverStats {
        let mut st = *self.inner.stats.borrow();
        st.polls = self.hooks.inner.polls();
        st.spawns = self.hooks.inner.spawns();
        st
    }

    /// A cloneable way to cancel from a button.
    pub fn canceller(&self) -> Canceller {
        Canceller(Rc::downgrade(&self.inner))
    }
}

impl Drop for LoopDriver {
    fn drop(&mut self) {
        self.inner.finished.set(true);
        self.inner.clear_timer();
        self.inner._receiver.set_onmessage(None);
    }
}

/// Cancels a running loop: the run ends at once, and its tasks are dropped
/// in steps between frames (a million of them would otherwise hold the page
/// for a long task).
#[derive(Clone)]
pub struct Canceller(Weak<Inner>);

/// Tasks dropped per step after a cancel.
const DROP_STEP: usize = 20_000;

impl Canceller {
    /// Cancels (no-op if the run is over).
    pub fn cancel(&self) {
        if let Some(d) = self.0.upgrade() {
            let mut left = d.ex.cancel_in_steps();
            d.finish(true);
            wasm_bindgen_futures::spawn_local(async move {
                while !left.drop_some(DROP_STEP) {
                    super::yield_to_browser().await;
                }
            });
        }
    }
}
