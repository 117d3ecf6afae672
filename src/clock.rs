//! The real clock: `performance.now()` on the page's time origin, in nanoseconds.

use std::cell::Cell;

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

/// Coarse readings answered from one precise reading, at most: the bound on
/// how stale a coarse reading gets when nothing reads the clock precisely
/// (a spawner's batch of thousands of spawns). A task on the loop takes about
/// ten coarse readings from spawn to done, so this is a dozen tasks' worth of
/// bookkeeping, a few µs: about the 5 µs step of an isolated page's clock.
const COARSE_PER_READING: u32 = 128;

thread_local! {
    /// The latest precise reading, and the coarse readings it has answered since.
    static LATEST: Cell<(Nanos, u32)> = const { Cell::new((0, 0)) };
}

/// Makes the next coarse reading a precise one. The loop's driver calls it
/// when it gives the thread back to the browser: whatever runs next may come
/// long after the latest reading (a worker's reply waking a task, a timer).
pub fn expire_coarse() {
    LATEST.with(|l| l.set((l.get().0, COARSE_PER_READING)));
}

/// `performance.now()` as an engine [`Clock`].
///
/// `performance.now()` costs about 120 ns in Chromium, more than a whole poll
/// of our executor, while a cross-origin isolated page's clock only moves in
/// steps of 5 µs (100 µs otherwise). So a coarse reading
/// ([`Clock::coarse_now`], for the timestamps of events and spans between
/// polls) repeats the latest precise one, refreshed by every precise reading
/// (the executor takes one every few polls, a task one after CPU work) and
/// every [`COARSE_PER_READING`] coarse ones, and expired whenever the loop
/// yields to the browser ([`expire_coarse`]): a few µs stale at most, never
/// earlier than a reading taken before it.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealClock;

impl Clock for RealClock {
    fn now(&self) -> Nanos {
        let t = ms_to_ns(now_ms());
        LATEST.with(|l| l.set((t, 0)));
        t
    }

    fn coarse_now(&self) -> Nanos {
        let (t, answered) = LATEST.with(Cell::get);
        if answered >= COARSE_PER_READING {
            return self.now();
        }
        LATEST.with(|l| l.set((t, answered + 1)));
        t
    }
}
