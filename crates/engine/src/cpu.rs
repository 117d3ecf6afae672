//! Cores on the virtual clock: more busy workers than cores share them.
//!
//! A pool of four workers on a two-core machine does not compute four things
//! at once: the operating system shares two cores between four threads, each
//! at half speed. [`SharedCpu`] models that as fluid processor sharing: while
//! `n` computations are active on `c` cores, each progresses at `min(1, c/n)`
//! of a core. A computation's finish time therefore moves whenever another
//! starts or ends, so each one sleeps until its current estimate *or* until
//! the set changes ([`Signal`]), then re-plans.

use std::cell::Cell;

use crate::executor::{Handle, Signal};
use crate::time::Nanos;

/// Cores shared by the computations of one simulated run.
pub struct SharedCpu {
    cores: f64,
    /// Work (in single-core ns) each active computation has received since the
    /// start: all active computations progress at the same rate, so one
    /// number serves them all.
    work: Cell<f64>,
    last: Cell<Nanos>,
    active: Cell<u32>,
    changed: Signal,
}

impl SharedCpu {
    /// `cores` cores (at least one).
    pub fn new(cores: u16) -> Self {
        Self { cores: f64::from(cores.max(1)), work: Cell::new(0.0), last: Cell::new(0), active: Cell::new(0), changed: Signal::new() }
    }

    fn rate(&self) -> f64 {
        match self.active.get() {
            0 => 1.0,
            n => (self.cores / f64::from(n)).min(1.0),
        }
    }

    /// Brings `work` up to `now` at the current rate.
    fn advance(&self, now: Nanos) {
        let last = self.last.get();
        if now > last {
            self.work.set(self.work.get() + (now - last) as f64 * self.rate());
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
        self.advance(handle.now());
        self.active.set(self.active.get() + 1);
        self.changed.notify();
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
        self.advance(handle.now());
        self.active.set(self.active.get() - 1);
        self.changed.notify();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::Executor;
    use crate::time::{VirtualClock, MS};
    use std::rc::Rc;

    fn finish_times(cores: u16, jobs: &[(Nanos, Nanos)]) -> Vec<Nanos> {
        let clock = Rc::new(VirtualClock::new());
        let ex = Executor::new(clock.clone());
        let cpu = Rc::new(SharedCpu::new(cores));
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
        assert_eq!(finish_times(4, &[(0, 10 * MS), (0, 10 * MS)]), vec![10 * MS, 10 * MS]);
    }

    #[test]
    fn four_jobs_on_two_cores_take_twice_as_long() {
        assert_eq!(finish_times(2, &[(0, 10 * MS); 4]), vec![20 * MS; 4]);
    }

    #[test]
    fn a_finish_time_moves_when_another_job_starts_or_ends() {
        // One core. A (10 ms) alone for 4 ms, then B (2 ms) arrives: both at half
        // speed until B has had 2 ms (at 8 ms), then A alone: 4 + 4 left = 12 ms.
        assert_eq!(finish_times(1, &[(0, 10 * MS), (4 * MS, 2 * MS)]), vec![12 * MS, 8 * MS]);
    }
}
