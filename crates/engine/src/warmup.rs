//! The JavaScript models' warm-up: V8 runs a fresh script's code in its
//! interpreter and baseline tiers until the optimising compiler has caught
//! up, so the first milliseconds of the `js` model's kernel (a fresh script
//! every run) and of each `jsworker` worker (a fresh worker every run) are
//! several times slower than warm code.
//!
//! The model: cold code runs [`COLD_SLOWDOWN`] times slower than warm code
//! until it has lost [`crate::costs::Cost::JsWarmup`] nanoseconds, then at the
//! warm rate. Measured here (Chromium 156, 2 cores): `sumSquares(5e6)` cold
//! took 14–25 ms in a fresh worker and 17–18 ms on the page, warm 3.3–4 ms;
//! `sumSquares(1e6)` cold 4.2 ms against 0.6–0.7 warm. Without it, a `js`
//! run of `16*[io(20ms),cpu(5M)]` was predicted 9 % short however often it
//! ran, and a `jsworker` run's CPU figure learnt from one workload (the
//! warm-up spread over its iterations) mispredicted another.

use std::cell::Cell;

use crate::time::Nanos;

/// How much slower than warm code the kernel runs before V8 optimises it
/// (a shape, not a figure of this machine: the figure is how long it lasts,
/// `JsWarmup`, which the start-up probe measures).
pub const COLD_SLOWDOWN: f64 = 5.0;

/// What one fresh script (or worker) has still to lose to its warm-up.
#[derive(Debug)]
pub struct Warmup {
    left: Cell<Nanos>,
}

impl Warmup {
    /// A fresh script that will lose `total` ns before its code is warm.
    pub fn new(total: Nanos) -> Self {
        Self {
            left: Cell::new(total),
        }
    }

    /// The time beyond the warm cost that `n` iterations at `ns_per_iter`
    /// (warm) take now, and pays it.
    pub fn extra(&self, n: u64, ns_per_iter: f64) -> Nanos {
        let cold = (n as f64 * ns_per_iter * (COLD_SLOWDOWN - 1.0)).round() as Nanos;
        let extra = cold.min(self.left.get());
        self.left.set(self.left.get() - extra);
        extra
    }
}

/// The warm cost of one iteration, given that `n` iterations took `time` ns
/// in all, spread evenly over `contexts` fresh scripts or workers that each
/// lost up to `warmup` ns to their warm-up (the inverse of [`Warmup`]).
/// `None` when nothing ran.
pub fn warm_rate(time: f64, n: f64, contexts: f64, warmup: f64) -> Option<f64> {
    if !(time > 0.0 && n > 0.0) {
        return None;
    }
    let contexts = contexts.max(1.0);
    let (t, n) = (time / contexts, n / contexts);
    // Warm by the end: each context lost the whole warm-up.
    let past = (t - warmup) / n;
    if past > 0.0 && n * past * (COLD_SLOWDOWN - 1.0) >= warmup {
        return Some(past);
    }
    // Cold throughout.
    Some(t / (n * COLD_SLOWDOWN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cold_code_pays_until_the_warm_up_is_spent() {
        let w = Warmup::new(10_000);
        // 1,000 iterations at 1 ns: 4,000 extra at 5× slower.
        assert_eq!(w.extra(1_000, 1.0), 4_000);
        // Then only what is left.
        assert_eq!(w.extra(1_000_000, 1.0), 6_000);
        assert_eq!(w.extra(1_000_000, 1.0), 0);
    }

    #[test]
    fn warm_rate_inverts_the_model() {
        for (n, c, warm, contexts) in [
            (5_000_000u64, 0.7, 12_000_000u64, 1u64),
            (40_000_000, 0.7, 12_000_000, 2),
            (100_000, 0.7, 12_000_000, 1),
            (3_000_000, 1.3, 0, 4),
        ] {
            let per = n / contexts;
            let time: Nanos = (0..contexts)
                .map(|_| {
                    let w = Warmup::new(warm);
                    (per as f64 * c).round() as Nanos + w.extra(per, c)
                })
                .sum();
            let got = warm_rate(time as f64, n as f64, contexts as f64, warm as f64).unwrap();
            assert!((got - c).abs() < 1e-3, "{n} {c} {warm} {contexts}: {got}");
        }
        assert_eq!(warm_rate(0.0, 10.0, 1.0, 1.0), None);
    }
}
