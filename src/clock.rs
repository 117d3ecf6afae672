//! The real clock: `performance.now()` on the page's time origin, in nanoseconds.

use engine::time::{Clock, Nanos};

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`, imported directly: the loop reads the clock a few
    /// times per task, and a lookup through `globalThis` each time cost more
    /// than the rest of a task's bookkeeping.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// `performance`, on the page or in a worker.
fn performance() -> Option<web_sys::Performance> {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"performance".into())
        .ok()
        .and_then(|p| wasm_bindgen::JsCast::dyn_into(p).ok())
}

thread_local! {
    /// `performance.timeOrigin` never changes within a context: read it once.
    static TIME_ORIGIN: f64 = performance().map_or(0.0, |p| p.time_origin());
}

/// Milliseconds since this context's time origin.
pub fn now_ms() -> f64 {
    performance_now()
}

/// This context's time origin, in milliseconds since the Unix epoch.
pub fn time_origin_ms() -> f64 {
    TIME_ORIGIN.with(|t| *t)
}

/// Milliseconds since the Unix epoch, to sub-microsecond precision: the
/// clock-neutral form in which workers report instants.
pub fn epoch_ms() -> f64 {
    time_origin_ms() + now_ms()
}

/// Converts an instant a worker reported (epoch ms) to the page's clock (ns).
pub fn epoch_ms_to_page_ns(epoch: f64) -> Nanos {
    ms_to_ns(epoch - time_origin_ms())
}

/// Milliseconds (f64) to nanoseconds, clamping negatives to zero.
pub fn ms_to_ns(ms: f64) -> Nanos {
    if ms <= 0.0 {
        0
    } else {
        (ms * 1e6).round() as Nanos
    }
}

/// `performance.now()` as an engine [`Clock`].
#[derive(Debug, Default, Clone, Copy)]
pub struct RealClock;

impl Clock for RealClock {
    fn now(&self) -> Nanos {
        ms_to_ns(now_ms())
    }
}
