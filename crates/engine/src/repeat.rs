//! Short runs are repeated, and the median one is shown: on a 2-core machine
//! a run of 15 ms measured 13 ms once and 28 ms the next time (BENCHMARKS.md,
//! prediction fidelity), so one short run says as much about the machine's
//! moment as about the workload. Python's `timeit` repeats for the same
//! reason. Each run is real and whole; the page shows the median one (its
//! trace, its metrics) and every run's wall beside it.

use crate::time::Nanos;

/// A first run shorter than this is repeated.
pub const SHORT_NS: Nanos = 100_000_000;

/// At most this many runs in all. Nine rather than `timeit`'s five: a run of
/// 15 ms with free threads measured 13.6–16.7, 13.8–22.4 and 14.4–29.5 ms
/// in three presses of five runs, and one or two slow runs in five moved
/// the median by 15 %; in nine they move it less. A longer run gets as many
/// as the 400 ms below allow: eight of 50 ms, five of 80 ms or more.
pub const RUNS_AT_MOST: usize = 9;

/// No run is started once the runs so far have taken this long in all.
pub const WITHIN_NS: Nanos = 400_000_000;

/// Whether to run again after runs whose walls were `walls`, in order.
pub fn again(walls: &[Nanos]) -> bool {
    let Some(&first) = walls.first() else {
        return false;
    };
    first < SHORT_NS && walls.len() < RUNS_AT_MOST && walls.iter().sum::<Nanos>() < WITHIN_NS
}

/// The index in `walls` of the median run (of an even number, the faster of
/// the two in the middle: a run is slowed by what else the machine does,
/// never sped up).
pub fn median(walls: &[Nanos]) -> Option<usize> {
    let mut order: Vec<usize> = (0..walls.len()).collect();
    order.sort_by_key(|&i| (walls[i], i));
    order.get(walls.len().checked_sub(1)? / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;

    #[test]
    fn short_runs_are_repeated_up_to_nine_or_400_ms() {
        assert!(!again(&[]));
        assert!(again(&[15 * MS]));
        assert!(again(&[15 * MS; 8]));
        assert!(!again(&[15 * MS; 9]));
        // A run of 50 ms: eight runs make 400 ms.
        assert!(again(&[50 * MS; 7]));
        assert!(!again(&[50 * MS; 8]));
        // Long enough once: not repeated.
        assert!(!again(&[100 * MS]));
        // Short, but the runs so far took 400 ms.
        assert!(again(&[99 * MS, 99 * MS, 99 * MS]));
        assert!(!again(&[99 * MS, 99 * MS, 99 * MS, 110 * MS]));
    }

    #[test]
    fn the_median_run_is_picked_by_wall() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(0));
        assert_eq!(median(&[28, 13, 15, 14, 20]), Some(2));
        // Even: the faster of the middle two.
        assert_eq!(median(&[30, 10, 20, 40]), Some(2));
        // Ties in run order.
        assert_eq!(median(&[5, 5, 5]), Some(1));
    }
}
