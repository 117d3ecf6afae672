//! The jank meter: a `requestAnimationFrame` probe that records the gaps
//! between frames. A gap far above 16.7 ms is a frame the page could not draw.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use engine::time::Nanos;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::clock::ms_to_ns;

struct State {
    last: Cell<Option<f64>>,
    gaps: RefCell<Vec<Nanos>>,
    running: Cell<bool>,
    callback: RefCell<Option<Closure<dyn FnMut(f64)>>>,
}

/// Records frame gaps from `start` until `stop`.
pub struct FrameProbe {
    state: Rc<State>,
}

fn request(state: &Rc<State>) {
    if let (Some(w), Some(cb)) = (web_sys::window(), state.callback.borrow().as_ref()) {
        let _ = w.request_animation_frame(cb.as_ref().unchecked_ref());
    }
}

impl FrameProbe {
    /// Starts recording.
    pub fn start() -> Self {
        let state = Rc::new(State { last: Cell::new(None), gaps: RefCell::new(Vec::new()), running: Cell::new(true), callback: RefCell::new(None) });
        let weak = Rc::downgrade(&state);
        let cb = Closure::<dyn FnMut(f64)>::new(move |t: f64| {
            let Some(s) = weak.upgrade() else { return };
            if !s.running.get() {
                return;
            }
            if let Some(prev) = s.last.replace(Some(t)) {
                s.gaps.borrow_mut().push(ms_to_ns(t - prev));
            }
            request(&s);
        });
        *state.callback.borrow_mut() = Some(cb);
        request(&state);
        Self { state }
    }

    /// Stops and returns the gaps recorded.
    pub fn stop(self) -> Vec<Nanos> {
        self.state.running.set(false);
        // Drop the callback on a later frame: the browser may still hold it.
        let gaps = self.state.gaps.take();
        let state = self.state.clone();
        let keep = Closure::once_into_js(move || drop(state));
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(keep.unchecked_ref(), 100);
        }
        gaps
    }
}
