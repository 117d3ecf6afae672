//! How the event loop is driven, written once for both clocks.
//!
//! In the browser the loop runs on the page's only thread, so it must give the
//! thread back to the browser now and then: it runs in slices of [`SLICE`],
//! hops to the browser between slices (a `MessageChannel` message, so the page
//! renders), and when every task sleeps it sets one `setTimeout` for the
//! earliest timer, in whole milliseconds. The browser's driver (`src/`) follows
//! this policy on the real clock; [`VirtualDriver`] follows it on the virtual
//! clock, paying the calibrated cost of each hop and each timer's lateness, so
//! the prediction pays what the real run pays, where it pays it.

use std::rc::Rc;

use crate::executor::{Executor, Outcome};
use crate::time::{Clock, Nanos, VirtualClock, MS};

/// How long one slice may run before the driver yields to the browser.
///
/// Long enough that a hop (tens of µs, plus a frame's rendering now and then)
/// costs a few percent of CPU-bound work; short enough that a frame waits at
/// most this long, so the page stays smooth.
pub const SLICE: Nanos = 8 * MS;

/// Polls between two readings of the clock inside a slice: reading
/// `performance.now()` is a call into JavaScript, and most polls take well
/// under a microsecond.
pub const POLLS_PER_CLOCK_CHECK: u32 = 16;

/// The whole milliseconds `setTimeout` is asked for, to wake at `until` from
/// `now`: rounded up, so the timer never fires before it is due.
pub fn timer_delay_ms(until: Nanos, now: Nanos) -> u64 {
    until.saturating_sub(now).div_ceil(MS)
}

/// What the driver measured about itself during a run: the evidence that
/// refines the loop's costs ([`crate::refine`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DriverStats {
    /// Slices run.
    pub slices: u64,
    /// Time inside slices (the main thread busy with the loop).
    pub busy: Nanos,
    /// Hops to the browser after a slice that still had ready tasks.
    pub hops: u64,
    /// Total time those hops took (from the end of the slice to the start of the next).
    pub hop_time: Nanos,
    /// Timers the driver set (`setTimeout`).
    pub timers: u64,
    /// Total lateness of those timers beyond the whole ms asked for.
    pub timer_late: Nanos,
    /// Polls the executor ran.
    pub polls: u64,
    /// Tasks spawned (each counts as a poll's worth of work).
    pub spawns: u64,
}

/// Where the driver stands between two calls of [`VirtualDriver::step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Inside a slice that ends at the deadline.
    Slice { started: Nanos, deadline: Nanos },
    /// Between slices (the next step starts a slice).
    Between,
    /// Every task has completed (or the rest stalled).
    Done,
}

/// Runs an executor on a virtual clock the way the browser's driver runs it
/// on the real one: slices, hops and whole-millisecond timers, each paying its
/// calibrated cost.
pub struct VirtualDriver {
    ex: Rc<Executor>,
    clock: Rc<VirtualClock>,
    hop: Nanos,
    timer_late: Nanos,
    /// `false` for event loops that never slice (JavaScript's, asyncio's): a
    /// CPU phase holds the thread until it ends, and timers keep their own rule.
    slicing: bool,
    /// Timers in whole milliseconds (`setTimeout`) or exact (asyncio's own heap).
    whole_ms: bool,
    phase: Phase,
    stats: DriverStats,
}

impl VirtualDriver {
    /// A driver for `ex`, whose clock is `clock`; `hop` and `timer_late` are
    /// the calibrated costs of a hop to the browser and of a timer's lateness.
    pub fn new(ex: Rc<Executor>, clock: Rc<VirtualClock>, hop: Nanos, timer_late: Nanos) -> Self {
        Self {
            ex,
            clock,
            hop,
            timer_late,
            slicing: true,
            whole_ms: true,
            phase: Phase::Between,
            stats: DriverStats::default(),
        }
    }

    /// A driver for a loop that runs each task until it awaits (no slices),
    /// with timers in whole ms or not.
    pub fn unsliced(mut self, whole_ms: bool) -> Self {
        self.slicing = false;
        self.whole_ms = whole_ms;
        self
    }

    /// What the driver has done so far.
    pub fn stats(&self) -> DriverStats {
        self.stats
    }

    /// Runs about `max_polls` polls; returns whether every task is done.
    pub fn step(&mut self, max_polls: u64) -> bool {
        let start_polls = self.ex.polls();
        loop {
            let (started, deadline) = match self.phase {
                Phase::Done => return true,
                Phase::Slice { started, deadline } => (started, deadline),
                Phase::Between => {
                    let now = self.clock.now();
                    let deadline = if self.slicing {
                        now + SLICE
                    } else {
                        Nanos::MAX
                    };
                    (now, deadline)
                }
            };
            let left = max_polls
                .saturating_sub(self.ex.polls() - start_polls)
                .max(1);
            let outcome = self.ex.run_budget(deadline, left);
            let now = self.clock.now();
            let budget_spent = self.ex.polls() - start_polls >= max_polls;
            if outcome == Outcome::Ready && budget_spent && now < deadline {
                // Out of poll budget, not out of slice: resume this slice next time.
                self.phase = Phase::Slice { started, deadline };
                return false;
            }
            self.stats.slices += 1;
            self.stats.busy += now - started;
            self.phase = Phase::Between;
            match outcome {
                Outcome::Done | Outcome::Stalled => {
                    self.phase = Phase::Done;
                    return true;
                }
                Outcome::Ready => {
                    self.stats.hops += 1;
                    self.stats.hop_time += self.hop;
                    self.clock.advance(self.hop);
                }
                Outcome::Sleeping { until } => {
                    let precise = self.ex.next_timer().is_some_and(|(_, p)| p);
                    let fire = if precise {
                        // A worker's reply: the page hears of it when it comes.
                        until
                    } else if self.whole_ms {
                        now + timer_delay_ms(until, now) * MS + self.timer_late
                    } else {
                        until.max(now) + self.timer_late
                    };
                    if !precise {
                        self.stats.timers += 1;
                        self.stats.timer_late += self.timer_late;
                    }
                    self.clock.advance_to(fire);
                }
            }
            if self.ex.polls() - start_polls >= max_polls {
                return false;
            }
        }
    }

    /// Runs to the end.
    pub fn run(&mut self) {
        while !self.step(u64::MAX) {}
    }

    /// The executor's clock reading.
    pub fn now(&self) -> Nanos {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::yield_now;

    #[test]
    fn timers_round_up_to_whole_milliseconds() {
        assert_eq!(timer_delay_ms(10 * MS, 10 * MS), 0);
        assert_eq!(timer_delay_ms(10 * MS + 1, 10 * MS), 1);
        assert_eq!(timer_delay_ms(12 * MS, 10 * MS), 2);
        assert_eq!(timer_delay_ms(5, 10), 0);
    }

    #[test]
    fn the_virtual_driver_pays_a_hop_per_slice_and_whole_ms_timers() {
        let clock = Rc::new(VirtualClock::new());
        let ex = Rc::new(Executor::new(clock.clone()));
        // A CPU task of 20 ms in 1 ms chunks: slices of 8 ms, so two hops before it ends.
        let c = clock.clone();
        ex.spawn(async move {
            for _ in 0..20 {
                c.advance(MS);
                yield_now().await;
            }
        });
        let mut d = VirtualDriver::new(ex.clone(), clock.clone(), 100_000, 0);
        d.run();
        assert_eq!(d.stats().hops, 2);
        assert_eq!(clock.now(), 20 * MS + 2 * 100_000);

        // A 1.5 ms sleep wakes after 2 whole ms plus the lateness.
        let clock = Rc::new(VirtualClock::new());
        let ex = Rc::new(Executor::new(clock.clone()));
        let h = ex.handle();
        ex.spawn(async move { h.sleep(1_500_000).await });
        let mut d = VirtualDriver::new(ex, clock.clone(), 0, 300_000);
        d.run();
        assert_eq!(clock.now(), 2 * MS + 300_000);
        assert_eq!(d.stats().timers, 1);
    }

    #[test]
    fn a_poll_budget_resumes_the_same_slice() {
        let clock = Rc::new(VirtualClock::new());
        let ex = Rc::new(Executor::new(clock.clone()));
        let c = clock.clone();
        ex.spawn(async move {
            for _ in 0..10 {
                c.advance(100_000);
                yield_now().await;
            }
        });
        let mut d = VirtualDriver::new(ex, clock.clone(), 1_000_000, 0);
        let mut steps = 0;
        while !d.step(3) {
            steps += 1;
        }
        assert!(steps >= 3);
        // 1 ms of work never fills an 8 ms slice: no hop was paid.
        assert_eq!(d.stats().hops, 0);
        assert_eq!(clock.now(), MS);
    }
}
