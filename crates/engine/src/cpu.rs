//! Cores on the virtual clock: more busy workers than cores share them.
//!
//! A pool of four workers on a two-core machine does not compute four things
//! at once: the operating system shares two cores between four threads, each
//! at half speed. [`SharedCpu`] models that as fluid processor sharing: while
//! `n` computations are active on `c` cores, each progresses at `min(1, c/n)`
//! of a core. A computation's finish time therefore moves whenever another
//! starts or ends, so each one sleeps until its current estimate *or* until
//! the set changes ([`Signal`]), then re-plans.
//!
//! Cores that compute at once also slow each other: two vCPUs are often two
//! hyperthreads of one core, and they share caches, memory bandwidth and the
//! page's own work. Measured here, each of two workers computing together ran
//! 1.1–2.2× slower than one alone. The cost model carries that as
//! [`Cost::CpuParallel`](crate::costs::Cost::CpuParallel): the slow-down of
//! each computation when every core computes, interpolated linearly between
//! one busy core (none) and all of them. [`rate`] is the one formula, used by
//! the simulator here and by [`crate::refine`] to learn the figure back from
//! a real run.

use std::cell::Cell;

use crate::executor::{Handle, Signal};
use crate::time::Nanos;

/// The largest parallel slow-down believed: beyond it a run was disturbed
/// (another tab, a throttled core), not measuring the hardware; a stored
/// figure above it is read as this.
pub const MAX_PARALLEL: f64 = 3.0;

/// The speed of each of `n` computations on `cores` cores, as a fraction of
/// one core computing alone, when all cores computing at once slow each one
/// down by `parallel` (≥ 1).
pub fn rate(cores: u16, parallel: f64, n: u32) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let cores = f64::from(cores.max(1));
    let n = f64::from(n);
    let share = (cores / n).min(1.0);
    let busy = n.min(cores);
    // NaN (a corrupt stored figure) reads as no slow-down; `clamp` would keep it.
    let parallel = if parallel.is_nan() {
        1.0
    } else {
        parallel.clamp(1.0, MAX_PARALLEL)
    };
    let slow = if cores > 1.0 {
        1.0 + (parallel - 1.0) * (busy - 1.0) / (cores - 1.0)
    } else {
        1.0
    };
    share / slow
}

/// Cores shared by the computations of one simulated run.
pub struct SharedCpu {
    cores: u16,
    parallel: f64,
    /// Work (in single-core ns) each active computation has received since the
    /// start: all active computations progress at the same rate, so one
    /// number serves them all.
    work: Cell<f64>,
    last: Cell<Nanos>,
    active: Cell<u32>,
    changed: Signal,
}

impl SharedCpu {
    /// `cores` cores (at least one), each computation slowed by `parallel`
    /// (≥ 1) when all of them compute at once (see [`rate`]).
    pub fn new(cores: u16, parallel: f64) -> Self {
        Self {
            cores: cores.max(1),
            parallel,
            work: Cell::new(0.0),
            last: Cell::new(0),
            active: Cell::new(0),
            changed: Signal::new(),
        }
    }

    fn rate(&self) -> f64 {
        rate(self.cores, self.parallel, self.active.get())
    }

    /// Brings `work` up to `now` at the current rate.
    fn advance(&self, now: Nanos) {
        let last = self.last.get();
        if now > last {
            self.work
                .set(self.work.get() + (now - last) as f64 * self.rate());
            self.last.set(now);
        }
    }

    /// Computations running right now.
    pub fn active(&self) -> u32 {
        self.active.get()
    }

    /// Spends `ns` of one core's time, shared with whatever else computes
    /// meanwhile; completes when that much work is done.
    pub async fn compute(&self, handle: &Handle, ns: Nanos) {
        if ns == 0 {
            return;
        }
        self.join(handle);
        let goal = self.work.get() + ns as f64;
        loop {
            let now = handle.now();
            self.advance(now);
            let left = goal - self.work.get();
            if left <= 0.5 {
                break;
            }
            let eta = now + (left / self.rate()).ceil() as Nanos;
            let seen = self.changed.generation();
            self.changed.wait_until(handle, eta, seen).await;
        }
        self.leave(handle);
    }

    /// One more computation from now on: the others slow down.
    fn join(&self, handle: &Handle) {
        self.advance(handle.now());
        self.active.set(self.active.get() + 1);
        self.changed.notify();
    }

    /// One computation fewer from now on.
    fn leave(&self, handle: &Handle) {
        self.advance(handle.now());
        self.active.set(self.active.get() - 1);
        self.changed.notify();
    }

    /// Holds a core for `ns` of wall time, however shared: a blocking call
    /// spins until its clock says it is done, so it ends on time and slows
    /// the others meanwhile.
    pub async fn occupy(&self, handle: &Handle, ns: Nanos) {
        if ns == 0 {
            return;
        }
        self.join(handle);
        handle.sleep(ns).precise().await;
        self.leave(handle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::Executor;
    use crate::time::{VirtualClock, MS};
    use std::rc::Rc;

    fn finish_times(cores: u16, jobs: &[(Nanos, Nanos)]) -> Vec<Nanos> {
        finish_times_slowed(cores, 1.0, jobs)
    }

    fn finish_times_slowed(cores: u16, parallel: f64, jobs: &[(Nanos, Nanos)]) -> Vec<Nanos> {
        let clock = Rc::new(VirtualClock::new());
        let ex = Executor::new(clock.clone());
        let cpu = Rc::new(SharedCpu::new(cores, parallel));
        let out = Rc::new(std::cell::RefCell::new(vec![0; jobs.len()]));
        for (i, &(start, ns)) in jobs.iter().enumerate() {
            let (h, cpu, out) = (ex.handle(), cpu.clone(), out.clone());
            ex.spawn(async move {
                h.sleep_until(start).await;
                cpu.compute(&h, ns).await;
                out.borrow_mut()[i] = h.now();
            });
        }
        ex.run_virtual(&clock);
        let v = out.borrow().clone();
        v
    }

    #[test]
    fn enough_cores_means_no_sharing() {
        assert_eq!(
            finish_times(4, &[(0, 10 * MS), (0, 10 * MS)]),
            vec![10 * MS, 10 * MS]
        );
    }

    #[test]
    fn four_jobs_on_two_cores_take_twice_as_long() {
        assert_eq!(finish_times(2, &[(0, 10 * MS); 4]), vec![20 * MS; 4]);
    }

    #[test]
    fn a_finish_time_moves_when_another_job_starts_or_ends() {
        // One core. A (10 ms) alone for 4 ms, then B (2 ms) arrives: both at half
        // speed until B has had 2 ms (at 8 ms), then A alone: 4 + 4 left = 12 ms.
        assert_eq!(
            finish_times(1, &[(0, 10 * MS), (4 * MS, 2 * MS)]),
            vec![12 * MS, 8 * MS]
        );
    }

    #[test]
    fn cores_computing_together_slow_each_other_by_the_parallel_factor() {
        // Two cores, 1.5× when both compute: two 10 ms jobs take 15 ms each;
        // alone, one takes 10 ms. Four on two cores: half a core each, slowed.
        assert_eq!(
            finish_times_slowed(2, 1.5, &[(0, 10 * MS), (0, 10 * MS)]),
            vec![15 * MS, 15 * MS]
        );
        assert_eq!(finish_times_slowed(2, 1.5, &[(0, 10 * MS)]), vec![10 * MS]);
        assert_eq!(
            finish_times_slowed(2, 1.5, &[(0, 10 * MS); 4]),
            vec![30 * MS; 4]
        );
        // Four cores at 1.6× when all four compute: two of them, a third of the way.
        assert!((rate(4, 1.6, 2) - 1.0 / 1.2).abs() < 1e-12);
        assert_eq!(rate(1, 3.0, 1), 1.0);
        assert_eq!(rate(2, 0.5, 2), 1.0, "a factor below 1 is read as none");
        assert_eq!(
            rate(2, 1e300, 2),
            1.0 / MAX_PARALLEL,
            "an absurd stored factor is bounded"
        );
        assert_eq!(rate(2, f64::NAN, 2), 1.0);
    }

    #[test]
    fn a_blocking_spin_ends_on_time_and_slows_the_others() {
        let clock = Rc::new(VirtualClock::new());
        let ex = Executor::new(clock.clone());
        let cpu = Rc::new(SharedCpu::new(1, 1.0));
        let out = Rc::new(std::cell::RefCell::new(vec![0; 2]));
        for i in 0..2 {
            let (h, cpu, out) = (ex.handle(), cpu.clone(), out.clone());
            ex.spawn(async move {
                if i == 0 {
                    cpu.occupy(&h, 4 * MS).await;
                } else {
                    cpu.compute(&h, 4 * MS).await;
                }
                out.borrow_mut()[i] = h.now();
            });
        }
        ex.run_virtual(&clock);
        // One core: the spin ends at 4 ms; the job had half of it until then.
        assert_eq!(*out.borrow(), vec![4 * MS, 6 * MS]);
    }
}
