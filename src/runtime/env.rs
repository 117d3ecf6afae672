//! The real world for the engine's runner: the page's clock, real timers,
//! the real kernel and real busy-waits.

use engine::executor::{yield_now, Handle};
use engine::runner::Env;
use engine::time::{Clock, Nanos};

use crate::clock::{now_ms, RealClock};

/// [`Env`] on the main thread, for the loop's tasks.
pub struct RealEnv {
    /// The executor the tasks run on.
    pub handle: Handle,
}

impl Env for RealEnv {
    fn now(&self) -> Nanos {
        RealClock.now()
    }
    fn coarse_now(&self) -> Nanos {
        RealClock.coarse_now()
    }
    fn sleep_until(&self, deadline: Nanos) -> impl std::future::Future<Output = ()> {
        self.handle.sleep_until(deadline)
    }
    fn yield_now(&self) -> impl std::future::Future<Output = ()> {
        yield_now()
    }
    fn cpu(&self, start: u64, end: u64) -> u128 {
        workload::sum_squares_range(start, end)
    }
    fn block(&self, d: Nanos) {
        spin(d);
    }
}

/// Busy-waits for `d`: the main thread may not `Atomics.wait`, and a blocking
/// call must really block.
pub fn spin(d: Nanos) {
    let end = now_ms() + d as f64 / 1e6;
    while now_ms() < end {
        std::hint::spin_loop();
    }
}
