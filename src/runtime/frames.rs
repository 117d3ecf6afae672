//! The page's frame clock: one `requestAnimationFrame` loop for the whole
//! page, which the heartbeat listens to and the jank meter records from. A
//! gap far above 16.7 ms between two frames is a frame the page could not
//! draw. One loop, not one per listener: every callback in a frame is time
//! the event loop's run does not get.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use engine::time::Nanos;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::clock::ms_to_ns;

type Listener = Box<dyn Fn(f64)>;
type FrameClosure = Closure<dyn FnMut(f64)>;

#[derive(Default)]
struct Clock {
    last: Cell<Option<f64>>,
    listeners: RefCell<Vec<Listener>>,
    /// The gaps of the probe recording now, if any.
    recording: RefCell<Option<Vec<Nanos>>>,
    callback: RefCell<Option<FrameClosure>>,
}

thread_local! {
    static CLOCK: Rc<Clock> = Rc::new(Clock::default());
}

fn request(c: &Clock) {
    if let (Some(w), Some(cb)) = (web_sys::window(), c.callback.borrow().as_ref()) {
        let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
    }
}

fn ensure_running() {
    CLOCK.with(|c| {
        if c.callback.borrow().is_some() {
            return;
        }
        let weak = Rc::downgrade(c);
        let cb = Closure::<dyn FnMut(f64)>::new(move |t: f64| {
            let Some(c) = weak.upgrade() else { return };
            if let Some(prev) = c.last.replace(Some(t)) {
                if let Some(gaps) = c.recording.borrow_mut().as_mut() {
                    gaps.push(ms_to_ns(t - prev));
                }
            }
            for f in c.listeners.borrow().iter() {
                f(t);
            }
            request(&c);
        });
        *c.callback.borrow_mut() = Some(cb);
        request(c);
    });
}

/// Calls `f` with the frame's timestamp on every animation frame, for the
/// page's life.
pub fn on_frame(f: impl Fn(f64) + 'static) {
    ensure_running();
    CLOCK.with(|c| c.listeners.borrow_mut().push(Box::new(f)));
}

/// Records the gaps between frames from `start` until `stop`.
pub struct FrameProbe;

impl FrameProbe {
    /// Starts recording (a new recording replaces one under way).
    pub fn start() -> Self {
        ensure_running();
        CLOCK.with(|c| *c.recording.borrow_mut() = Some(Vec::new()));
        FrameProbe
    }

    /// Stops and returns the gaps recorded.
    pub fn stop(self) -> Vec<Nanos> {
        CLOCK.with(|c| c.recording.borrow_mut().take().unwrap_or_default())
    }
}

/// Resolves at the next animation frame (after the browser has had a chance
/// to style, lay out and paint what is in the page now).
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let cb = Closure::once_into_js(move |_: f64| {
            let _ = resolve.call0(&JsValue::NULL);
        });
        if let Some(w) = web_sys::window() {
            let _ = w.request_animation_frame(cb.unchecked_ref());
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves once the page is idle (`requestIdleCallback`), or after
/// `at_most_ms` however busy it is; where the browser has no idle callbacks
/// (Safari), after the first frame and `at_most_ms / 4`.
pub async fn idle(at_most_ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(w) = web_sys::window() else {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        };
        let ric = js_sys::Reflect::get(&w, &JsValue::from_str("requestIdleCallback"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match ric {
            Some(ric) => {
                let opts = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&opts, &"timeout".into(), &at_most_ms.into());
                if ric.call2(&w, &resolve, &opts).is_err() {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            }
            None => {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                    &resolve,
                    (at_most_ms / 4) as i32,
                );
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Resolves once the browser has drawn what the page holds now (at its next
/// animation frame), or after `at_most_ms` where no frame comes: a hidden
/// tab, or an iframe scrolled out of view, gets no frames, and must not wait
/// for one.
pub async fn drawn(at_most_ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            // Whichever comes first resolves; the second call does nothing.
            let _ = w.request_animation_frame(&resolve);
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, at_most_ms);
        } else {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
