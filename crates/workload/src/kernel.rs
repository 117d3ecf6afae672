//! The CPU kernel: Σ i², exact, and really computed.
//!
//! LLVM turns a plain `(0..n).map(|i| i * i).sum()` into the closed form
//! (the sum is an add-recurrence, and its exit value has a formula), and then
//! "CPU work" costs nothing, even with the bound behind `black_box`. So each
//! square is OR-ed with a mask the optimiser cannot see through (`black_box(0)`,
//! fetched once per chunk): the OR breaks the recurrence, costs one cheap
//! instruction per iteration, and leaves the loop free to vectorise.
//!
//! Overflow: a square of i < 2³² fits u64, and 2¹⁶ of them sum to less than
//! 2¹⁶ · 2⁶⁴ — too much for u64. So chunks are sized to the values: while
//! i < 2²⁴, i² < 2⁴⁸ and 2¹⁶ squares sum below 2⁶⁴; beyond that, the chunk sum
//! accumulates in u128 directly (and for i ≥ 2³², squares in u128).

use std::hint::black_box;

/// Squares per u64 chunk (see the module docs for why it cannot overflow).
const CHUNK: u64 = 1 << 16;
/// Below this, i² < 2⁴⁸ and a whole chunk fits u64.
const SMALL: u64 = 1 << 24;

/// Σ i² for 0 ≤ i < n, exactly.
pub fn sum_squares(n: u64) -> u128 {
    sum_squares_range(0, n)
}

/// Σ i² for start ≤ i < end, exactly (0 when `end <= start`). Ranges compose:
/// `sum_squares_range(a, b) + sum_squares_range(b, c) == sum_squares_range(a, c)`.
pub fn sum_squares_range(start: u64, end: u64) -> u128 {
    let mut total: u128 = 0;
    let mut i = start;
    while i < end.min(SMALL) {
        let stop = end.min(SMALL).min(i + CHUNK);
        let mask: u64 = black_box(0);
        let mut chunk: u64 = 0;
        while i < stop {
            chunk += (i * i) | mask;
            i += 1;
        }
        total += u128::from(chunk);
    }
    while i < end {
        let mask: u128 = black_box(0);
        let stop = end.min(i.saturating_add(CHUNK));
        while i < stop {
            total += (u128::from(i) * u128::from(i)) | mask;
            i += 1;
        }
    }
    total
}

/// (n−1)·n·(2n−1)/6: the reference for [`sum_squares`], and what the virtual
/// clock uses instead of computing. Exact for every u64 `n`.
pub fn closed_form(n: u64) -> u128 {
    if n == 0 {
        return 0;
    }
    let n = u128::from(n);
    let (a, b, c) = (n - 1, n, 2 * n - 1);
    // Divide by 2 and 3 before multiplying, so the product stays in u128.
    let (mut a, mut b, mut c) = (a, b, c);
    if a % 2 == 0 { a /= 2 } else { b /= 2 } // one of two consecutive numbers is even
    if a % 3 == 0 { a /= 3 } else if b % 3 == 0 { b /= 3 } else { c /= 3 }
    a * b * c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_closed_form() {
        for n in [0, 1, 2, 3, 10, 65_535, 65_536, 65_537, 1_000_000, 123_457, 999_983] {
            assert_eq!(sum_squares(n), closed_form(n), "n = {n}");
        }
    }

    #[test]
    fn known_value_for_ten_million() {
        // 9_999_999 · 10_000_000 · 19_999_999 / 6
        assert_eq!(closed_form(10_000_000), 333_333_283_333_335_000_000);
        assert_eq!(sum_squares(10_000_000), 333_333_283_333_335_000_000);
    }

    #[test]
    fn ranges_compose_across_the_chunk_and_width_boundaries() {
        let points = [0, 5, CHUNK - 1, CHUNK, SMALL - 3, SMALL, SMALL + 70_000];
        for w in points.windows(2) {
            for &mid in &[w[0], (w[0] + w[1]) / 2, w[1]] {
                assert_eq!(
                    sum_squares_range(w[0], mid) + sum_squares_range(mid, w[1]),
                    sum_squares_range(w[0], w[1])
                );
            }
            assert_eq!(sum_squares_range(w[0], w[1]), closed_form(w[1]) - closed_form(w[0]));
        }
        assert_eq!(sum_squares_range(10, 3), 0);
    }

    #[test]
    fn large_values_past_two_to_the_32_are_exact() {
        let start = (1u64 << 32) - 2;
        assert_eq!(sum_squares_range(start, start + 5), closed_form(start + 5) - closed_form(start));
        assert_eq!(closed_form(10_000_000_000), 333_333_333_283_333_333_335_000_000_000);
    }
}
