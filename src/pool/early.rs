//! Workers started before the app: `static/pool_boot.js` spawns one per core
//! and posts them the compiled module while the app's own wasm is still
//! loading. The pool takes them from here instead of spawning its own, with
//! whatever they said (or how they failed) before it was there to listen.
//! Workers it does not take (a pool of fewer lanes) are terminated.

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Worker;

/// A worker the boot script started.
pub struct EarlyWorker {
    /// The worker, its module already posted.
    pub worker: Worker,
    /// When it was spawned, on the page's clock (ms).
    pub spawned_ms: f64,
    /// Message and error events that arrived before the pool took it.
    events: Array,
    detach: Option<Function>,
}

impl EarlyWorker {
    /// Stops the boot script's buffering and hands the events it kept to
    /// `worker.onmessage` / `worker.onerror` (set them first), on a later
    /// microtask: by then the pool has put the worker in its slot.
    pub fn adopt(self) {
        if let Some(detach) = &self.detach {
            let _ = detach.call0(&JsValue::NULL);
        }
        let worker = self.worker;
        let events = self.events;
        wasm_bindgen_futures::spawn_local(async move {
            for ev in events.iter() {
                let handler = if ev.has_type::<web_sys::ErrorEvent>() {
                    worker.onerror()
                } else {
                    worker.onmessage()
                };
                if let Some(f) = handler {
                    let _ = f.call1(&worker, &ev);
                }
            }
        });
    }
}

fn early_pool() -> Option<JsValue> {
    let w = web_sys::window()?;
    let v = Reflect::get(&w, &"__nogilEarlyPool".into()).ok()?;
    (!v.is_undefined() && !v.is_null()).then_some(v)
}

/// The boot script's compilation of the workers' wasm, if it started one.
pub fn compiled() -> Option<Promise> {
    Reflect::get(&early_pool()?, &"compiled".into())
        .ok()?
        .dyn_into()
        .ok()
}

/// Takes the next worker the boot script started, if any is left.
pub fn take() -> Option<EarlyWorker> {
    let workers: Array = Reflect::get(&early_pool()?, &"workers".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let slot = workers.shift();
    if slot.is_undefined() {
        return None;
    }
    let worker: Worker = Reflect::get(&slot, &"worker".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let spawned_ms = Reflect::get(&slot, &"spawned".into())
        .ok()?
        .as_f64()
        .unwrap_or(0.0);
    let events: Array = Reflect::get(&slot, &"events".into())
        .ok()?
        .dyn_into()
        .unwrap_or_default();
    let detach = Reflect::get(&slot, &"detach".into())
        .ok()
        .and_then(|f| f.dyn_into().ok());
    Some(EarlyWorker {
        worker,
        spawned_ms,
        events,
        detach,
    })
}

/// Terminates the boot script's workers the pool did not take.
pub fn release_rest() {
    while let Some(w) = take() {
        if let Some(detach) = &w.detach {
            let _ = detach.call0(&JsValue::NULL);
        }
        w.worker.terminate();
    }
}
