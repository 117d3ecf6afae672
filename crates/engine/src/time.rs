//! Time: the one unit (nanoseconds) and the clocks that tell it.
//!
//! The executor never asks the operating system or the browser for the time: it
//! asks a [`Clock`]. In the browser the clock is `performance.now()`; in tests and
//! in the "predicted" column it is a [`VirtualClock`] that moves only when a task
//! spends CPU or when the executor jumps to the next timer. That is what lets the
//! same engine run a two-second workload in microseconds, deterministically.

use std::cell::Cell;

/// A point in time or a duration, in nanoseconds since the clock's origin.
pub type Nanos = u64;

/// One millisecond in [`Nanos`].
pub const MS: Nanos = 1_000_000;
/// One second in [`Nanos`].
pub const SECOND: Nanos = 1_000_000_000;

/// A monotonic source of time.
pub trait Clock {
    /// The current time. Never goes backwards.
    fn now(&self) -> Nanos;

    /// A reading for bookkeeping between two polls (an event's or a span's
    /// time): at least every earlier reading of this clock, but possibly a
    /// few polls old. A clock that is expensive to read (`performance.now()`
    /// costs about as much as a whole poll) may answer from its latest
    /// precise reading; the default is [`Clock::now`].
    fn coarse_now(&self) -> Nanos {
        self.now()
    }
}

/// A clock that moves only when told to.
///
/// Tasks "spend" CPU by calling [`VirtualClock::advance`]; the executor's
/// virtual driver jumps it to the earliest timer when nothing is ready.
#[derive(Debug, Default)]
pub struct VirtualClock {
    now: Cell<Nanos>,
}

impl VirtualClock {
    /// A clock standing at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Move the clock forward by `d` (saturating).
    pub fn advance(&self, d: Nanos) {
        self.now.set(self.now.get().saturating_add(d));
    }

    /// Move the clock to `t` if `t` is later than now; never moves it backwards.
    pub fn advance_to(&self, t: Nanos) {
        if t > self.now.get() {
            self.now.set(t);
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Nanos {
        self.now.get()
    }
}

/// Formats nanoseconds as a human duration with a sensible unit (`1.50 s`, `12.3 ms`, `850 µs`).
pub fn format_duration(d: Nanos) -> String {
    let d = d as f64;
    if d == 0.0 {
        // The start of a run: "0 ns" reads as a measurement at that scale.
        "0 s".to_string()
    } else if d >= 1e9 {
        format!("{:.2} s", d / 1e9)
    } else if d >= 1e6 {
        format!("{:.1} ms", d / 1e6)
    } else if d >= 1e3 {
        format!("{:.0} µs", d / 1e3)
    } else {
        format!("{d:.0} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_only_moves_forward() {
        let c = VirtualClock::new();
        c.advance(5);
        c.advance_to(3);
        assert_eq!(c.now(), 5);
        c.advance_to(10);
        assert_eq!(c.now(), 10);
        c.advance(u64::MAX);
        assert_eq!(c.now(), u64::MAX);
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(format_duration(1_500_000_000), "1.50 s");
        assert_eq!(format_duration(12_300_000), "12.3 ms");
        assert_eq!(format_duration(850_000), "850 µs");
        assert_eq!(format_duration(12), "12 ns");
    }
}
