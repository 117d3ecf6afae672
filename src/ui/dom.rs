//! Browser callbacks owned by a component: an animation frame and a resize
//! observer whose registration ends when they are dropped.
//!
//! A `Closure` dropped while the browser still holds it ends in "closure
//! invoked recursively or after being dropped" the next time it fires (a
//! tab switch unmounts a component between two frames). Each guard here
//! cancels its registration in `Drop`, so whoever owns it (an effect, an
//! event handler, a `StoredValue`) can let it go at any time.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A callback for the next animation frame, requested at most once at a
/// time; it may ask for the frame after by returning `true`.
pub struct AnimationFrame {
    id: Rc<Cell<Option<i32>>>,
    func: js_sys::Function,
    _cb: Closure<dyn FnMut(f64)>,
}

impl AnimationFrame {
    /// `f` runs at each frame requested, with the frame's time; it returns
    /// whether to run again at the next frame.
    pub fn new(mut f: impl FnMut(f64) -> bool + 'static) -> Self {
        let id = Rc::new(Cell::new(None::<i32>));
        let me = Rc::new(RefCell::new(None::<js_sys::Function>));
        let (id2, me2) = (id.clone(), me.clone());
        let cb = Closure::<dyn FnMut(f64)>::new(move |t: f64| {
            id2.set(None);
            if f(t) {
                if let Some(func) = me2.borrow().as_ref() {
                    request(func, &id2);
                }
            }
        });
        let func: js_sys::Function = cb.as_ref().unchecked_ref::<js_sys::Function>().clone();
        *me.borrow_mut() = Some(func.clone());
        Self { id, func, _cb: cb }
    }

    /// Asks for the callback at the next frame (once, however often asked).
    pub fn request(&self) {
        request(&self.func, &self.id);
    }
}

fn request(func: &js_sys::Function, id: &Cell<Option<i32>>) {
    if id.get().is_some() {
        return;
    }
    if let Some(Ok(h)) = web_sys::window().map(|w| w.request_animation_frame(func)) {
        id.set(Some(h));
    }
}

impl Drop for AnimationFrame {
    fn drop(&mut self) {
        if let (Some(h), Some(w)) = (self.id.take(), web_sys::window()) {
            let _ = w.cancel_animation_frame(h);
        }
    }
}

/// A `ResizeObserver` calling back with the observed element's content width.
pub struct ResizeWatch {
    obs: web_sys::ResizeObserver,
    _cb: Closure<dyn FnMut(js_sys::Array)>,
}

impl ResizeWatch {
    /// Watches `el`; `f` gets its content-box width at each change.
    pub fn new(el: &web_sys::Element, mut f: impl FnMut(f64) + 'static) -> Option<Self> {
        let cb = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            if let Ok(e) = entries.get(0).dyn_into::<web_sys::ResizeObserverEntry>() {
                f(e.content_rect().width());
            }
        });
        let obs = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref()).ok()?;
        obs.observe(el);
        Some(Self { obs, _cb: cb })
    }
}

impl Drop for ResizeWatch {
    fn drop(&mut self) {
        self.obs.disconnect();
    }
}
