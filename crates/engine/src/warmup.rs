//! The JavaScript models' warm-up: V8 runs a fresh script's code in its
//! interpreter and baseline tiers until its optimising compiler has caught
//! up, so the first call of the `js` model's kernel (a fresh script every
//! run) and of each `jsworker` worker's (a fresh worker every run) is several
//! times slower than warm code; by the next call the kernel is optimised.
//!
//! The model: a context's first CPU phase runs [`COLD_SLOWDOWN`] times slower
//! than warm code, losing at most [`crate::costs::Cost::JsWarmup`]
//! nanoseconds (a long first call is optimised while it runs); the rest run
//! warm. Measured here (Chromium 156, 2 cores): `sumSquares` cold on the page
//! took 4.5 ms for 2 M iterations (1.3 warm) and 17–18 ms for 5 M (3.3–4
//! warm), and the next calls were warm; a cold 16 M call lost 14–16 ms.
//! Without it, a `js` run of `16*[io(20ms),cpu(5M)]` was predicted 9 % short
//! however often it ran, and a `jsworker` run's CPU figure learnt from one
//! workload (the warm-up spread over its iterations) mispredicted another.

use std::cell::Cell;

use crate::time::Nanos;

/// How much slower than warm code the kernel runs before V8 optimises it
/// (a shape, not a figure of this machine: the figure is how long it lasts,
/// `JsWarmup`, which the start-up probe measures).
pub const COLD_SLOWDOWN: f64 = 5.0;

/// Whether a fresh script (or worker) has yet to make its first, cold call.
#[derive(Debug)]
pub struct Warmup {
    left: Cell<Nanos>,
}

impl Warmup {
    /// A fresh script whose first call loses at most `total` ns.
    pub fn new(total: Nanos) -> Self {
        Self {
            left: Cell::new(total),
        }
    }

    /// The time beyond the warm cost that a call of `n` iterations at
    /// `ns_per_iter` (warm) takes now: on the first call, what running cold
    /// loses (at most the warm-up); then nothing.
    pub fn extra(&self, n: u64, ns_per_iter: f64) -> Nanos {
        extra_of(n, ns_per_iter, self.left.replace(0) as f64).round() as Nanos
    }
}

/// What a first call of `n` iterations at `c` ns (warm) loses, at most `warmup`.
fn extra_of(n: u64, c: f64, warmup: f64) -> f64 {
    (n as f64 * c * (COLD_SLOWDOWN - 1.0)).min(warmup)
}

/// The warm cost of one iteration, given that `n` iterations took `time` ns
/// in all, over contexts (fresh scripts or workers) whose first calls were
/// of `firsts` iterations, each losing up to `warmup` ns (the inverse of
/// [`Warmup`]). `None` when nothing ran.
pub fn warm_rate(time: f64, n: f64, firsts: &[u64], warmup: f64) -> Option<f64> {
    if !(time > 0.0 && n > 0.0) {
        return None;
    }
    // The time the model gives is n·c plus each context's loss, which only
    // grows with c: halve the interval [0, time / n] until it is found.
    let total = |c: f64| n * c + firsts.iter().map(|&f| extra_of(f, c, warmup)).sum::<f64>();
    let (mut lo, mut hi) = (0.0, time / n);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if total(mid) < time {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some((lo + hi) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_call_is_cold_and_it_loses_at_most_the_warm_up() {
        let w = Warmup::new(10_000);
        // 1,000 iterations at 1 ns: 4,000 extra at 5× slower.
        assert_eq!(w.extra(1_000, 1.0), 4_000);
        assert_eq!(w.extra(1_000, 1.0), 0);
        // A long first call: the warm-up at most.
        assert_eq!(Warmup::new(10_000).extra(1_000_000, 1.0), 10_000);
    }

    #[test]
    fn warm_rate_inverts_the_model() {
        // (first call, calls, warm ns, warm-up, contexts)
        for (first, calls, c, warm, contexts) in [
            (5_000_000u64, 16u64, 0.7, 12_000_000u64, 1usize),
            (2_000_000, 4, 0.7, 15_000_000, 1),
            (5_000_000, 8, 0.8, 15_000_000, 2),
            (100_000, 30, 0.7, 12_000_000, 1),
            (3_000_000, 1, 1.3, 0, 4),
        ] {
            let mut time: Nanos = 0;
            for _ in 0..contexts {
                let w = Warmup::new(warm);
                for _ in 0..calls {
                    time += (first as f64 * c).round() as Nanos + w.extra(first, c);
                }
            }
            let n = (first * calls * contexts as u64) as f64;
            let got = warm_rate(time as f64, n, &vec![first; contexts], warm as f64).unwrap();
            assert!((got - c).abs() < 1e-3, "{first} {calls} {c} {warm}: {got}");
        }
        assert_eq!(warm_rate(0.0, 10.0, &[1], 1.0), None);
    }
}
