//! Drives our executor on the main thread: slices of about 5 ms, then a
//! yield to the browser through a `MessageChannel` (a macrotask, so the page
//! renders between slices; `setTimeout(0)` would be clamped to 4 ms, and a
//! microtask would never let it render), and one real timer for the earliest
//! sleeping task.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use engine::executor::{Executor, Handle, Hooks, Outcome, TaskId};
use engine::sim::LagHooks;
use engine::time::{Clock, Nanos};
use futures_channel::oneshot;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageChannel, MessagePort};

use crate::clock::RealClock;

/// How long one slice may run before the driver yields to the browser.
pub const SLICE: Nanos = 5_000_000;

/// Hooks the driver installs: lag samples, and a kick when a task is woken
/// from outside a slice (a worker's reply), so a stalled loop resumes.
#[derive(Default)]
pub struct DriverHooks {
    /// Timer lateness samples (event-loop lag).
    pub lag: LagHooks,
    driver: RefCell<Weak<Inner>>,
}

impl Hooks for DriverHooks {
    fn woken(&self, _task: TaskId) {
        if let Some(d) = self.driver.borrow().upgrade() {
            if !d.in_slice.get() {
                d.schedule_slice();
            }
        }
    }
    fn timer_fired(&self, deadline: Nanos, now: Nanos) {
        self.lag.timer_fired(deadline, now);
    }
}

struct Inner {
    ex: Executor,
    port: MessagePort,
    _receiver: MessagePort,
    _on_message: Closure<dyn FnMut()>,
    on_timer: Closure<dyn FnMut()>,
    timer: Cell<Option<i32>>,
    posted: Cell<bool>,
    in_slice: Cell<bool>,
    finished: Cell<bool>,
    done: RefCell<Option<oneshot::Sender<bool>>>,
    on_slice: RefCell<Option<Box<dyn Fn(u64)>>>,
    slices: RefCell<Vec<(Nanos, Nanos)>>,
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

    fn clear_timer(&self) {
        if let (Some(id), Some(w)) = (self.timer.take(), web_sys::window()) {
            w.clear_timeout_with_handle(id);
        }
    }

    fn slice(&self) {
        self.posted.set(false);
        if self.finished.get() {
            return;
        }
        self.clear_timer();
        self.in_slice.set(true);
        let start = RealClock.now();
        let outcome = self.ex.run(start + SLICE);
        self.slices.borrow_mut().push((start, RealClock.now()));
        self.in_slice.set(false);
        if let Some(f) = self.on_slice.borrow().as_ref() {
            f(self.ex.live_tasks());
        }
        match outcome {
            Outcome::Done => self.finish(self.ex.is_cancelled()),
            Outcome::Ready => self.schedule_slice(),
            Outcome::Sleeping { until } => {
                let ms = (until.saturating_sub(RealClock.now()) as f64 / 1e6).ceil() as i32;
                if let Some(w) = web_sys::window() {
                    match w.set_timeout_with_callback_and_timeout_and_arguments_0(self.on_timer.as_ref().unchecked_ref(), ms) {
                        Ok(id) => self.timer.set(Some(id)),
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
}

impl LoopDriver {
    /// A driver for a fresh executor reporting to `hooks`.
    pub fn new(hooks: Rc<DriverHooks>) -> Result<Self, String> {
        let ex = Executor::with_hooks(Rc::new(RealClock), hooks.clone());
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
            channel.port1().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            Inner {
                ex,
                port: channel.port2(),
                _receiver: channel.port1(),
                _on_message: on_message,
                on_timer,
                timer: Cell::new(None),
                posted: Cell::new(false),
                in_slice: Cell::new(false),
                finished: Cell::new(false),
                done: RefCell::new(None),
                on_slice: RefCell::new(None),
                slices: RefCell::new(Vec::new()),
            }
        });
        *hooks.driver.borrow_mut() = Rc::downgrade(&inner);
        Ok(Self { inner })
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

/// Cancels a running loop: its tasks are dropped at once and the run ends.
#[derive(Clone)]
pub struct Canceller(Weak<Inner>);

impl Canceller {
    /// Cancels (no-op if the run is over).
    pub fn cancel(&self) {
        if let Some(d) = self.0.upgrade() {
            d.ex.cancel();
            d.finish(true);
        }
    }
}
