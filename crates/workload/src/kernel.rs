//! The CPU kernel: Σ i², exact, and really computed.
//!
//! LLVM turns a plain `(0..n).map(|i| i * i).sum()` into the closed form
//! (the sum is an add-recurrence, and its exit value has a formula), and then
//! "CPU work" costs nothing, even with the bound behind `black_box`. So each
//! square is OR-ed with a mask the optimiser cannot see through (`black_box(0)`,
//! fetched once per chunk): the OR breaks the recurrence, costs one cheap
//! instruction per iteration, and leaves the loop free to vectorise.
//!
//! Overflow: for i < 2³², i² fits u64, so squares are computed in u64 and
//! summed in u64 chunks sized so the chunk's sum cannot overflow (2¹⁶ squares
//! while i < 2²⁴, fewer as i grows: `u64::MAX / (largest square)`), then the
//! chunk sums are added in u128. Only for i ≥ 2³² (n above 4.29 G) are
//! squares taken in u128, which is slower (a library multiply in wasm).

use std::hint::black_box;

/// Most squares per u64 chunk.
const CHUNK: u64 = 1 << 16;
/// Below this, i² fits u64.
const U64_SQUARES: u64 = 1 << 32;

/// Σ i² for 0 ≤ i < n, exactly.
pub fn sum_squares(n: u64) -> u128 {
    sum_squares_range(0, n)
}

/// Σ i² for start ≤ i < end, exactly (0 when `end <= start`). Ranges compose:
/// `sum_squares_range(a, b) + sum_squares_range(b, c) == sum_squares_range(a, c)`.
///
/// Never inlined, on purpose: V8 optimises wasm per function, so one function
/// that every caller shares (the loop, sequential runs, the workers, the
/// calibration probe) warms up once for all of them, and a probe measures the
/// very code the runs execute.
#[inline(never)]
pub fn sum_squares_range(start: u64, end: u64) -> u128 {
    let mut total: u128 = 0;
    let mut i = start;
    let top = end.min(U64_SQUARES);
    while i < top {
        let mut stop = top.min(i + CHUNK);
        // Shrink the chunk so that its sum surely fits u64: k squares, each at
        // most `largest`, sum to at most k · largest ≤ u64::MAX. `stop - 1 <
        // 2³²`, so `largest` itself fits. Saturating: for tiny `largest` the
        // quotient is near u64::MAX, and `i +` it must not wrap.
        let largest = (stop - 1) * (stop - 1);
        stop = stop.min(i.saturating_add((u64::MAX / largest.max(1)).max(1)));
        let mask: u64 = black_box(0);
        let mut chunk: u64 = 0;
        while i < stop {
            chunk += (i * i) | mask;
            i += 1;
        }
        total += u128::from(chunk);
    }
    // Past 2³² the sum itself nears u128's limit only after ~10¹³ iterations
    // (hours of work); saturate rather than wrap should anyone get there.
    while i < end {
        let mask: u128 = black_box(0);
        let stop = end.min(i.saturating_add(CHUNK));
        while i < stop {
            total = total.saturating_add((u128::from(i) * u128::from(i)) | mask);
            i += 1;
        }
    }
    total
}

/// Largest `n` whose Σ i² (i < n) fits u128; [`closed_form`] is exact up to
/// here (about 10¹³, a thousand times [`crate::MAX_CPU_N`]) and saturates above.
pub const CLOSED_FORM_MAX_N: u64 = 10_069_012_961_345;

/// Σ i² for 0 ≤ i < n as (n−1)·n·(2n−1)/6: the reference for [`sum_squares`],
/// and what the virtual clock uses instead of computing.
///
/// Exact for `n ≤` [`CLOSED_FORM_MAX_N`]; beyond that the true sum does not
/// fit u128, and the result saturates at `u128::MAX` rather than panicking.
pub fn closed_form(n: u64) -> u128 {
    if n == 0 {
        return 0;
    }
    let n = u128::from(n);
    // Divide the 2 and the 3 out of the factors before multiplying, so no
    // intermediate exceeds the result: of n−1 and n one is even, and one of
    // n−1, n, 2n−1 is a multiple of 3 (n ≡ 1, 0, 2 mod 3 respectively).
    // Halving an even factor keeps its divisibility by 3, as gcd(2, 3) = 1.
    let (mut a, mut b, mut c) = (n - 1, n, 2 * n - 1);
    if a % 2 == 0 {
        a /= 2;
    } else {
        b /= 2;
    }
    if a % 3 == 0 {
        a /= 3;
    } else if b % 3 == 0 {
        b /= 3;
    } else {
        c /= 3;
    }
    a.checked_mul(b)
        .and_then(|ab| ab.checked_mul(c))
        .unwrap_or(u128::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_closed_form() {
        for n in [
            0, 1, 2, 3, 10, 65_535, 65_536, 65_537, 1_000_000, 123_457, 999_983,
        ] {
            assert_eq!(sum_squares(n), closed_form(n), "n = {n}");
        }
        // A few seeded random sizes, so the test stays deterministic.
        let mut rng = crate::rng::SplitMix64::new(2024);
        for _ in 0..8 {
            let n = rng.next_u64() % 2_000_000;
            assert_eq!(sum_squares(n), closed_form(n), "n = {n}");
        }
    }

    #[test]
    fn every_small_range_is_exact() {
        // Catches off-by-ones and the tiny-chunk arithmetic near i = 0, 1.
        for start in 0..40 {
            for end in 0..40 {
                let want = if end > start {
                    closed_form(end) - closed_form(start)
                } else {
                    0
                };
                assert_eq!(sum_squares_range(start, end), want, "{start}..{end}");
            }
        }
    }

    #[test]
    fn the_closed_form_is_exact_up_to_its_limit_and_then_saturates() {
        // Each step adds one square: exact up to the limit, and one more
        // square past it would no longer fit u128.
        let n = CLOSED_FORM_MAX_N;
        let last_square = u128::from(n - 1) * u128::from(n - 1);
        assert_eq!(closed_form(n), closed_form(n - 1) + last_square);
        assert!(closed_form(n)
            .checked_add(u128::from(n) * u128::from(n))
            .is_none());
        assert_eq!(closed_form(n + 1), u128::MAX);
        assert_eq!(closed_form(u64::MAX), u128::MAX);
        for n in [1u64, 2, 3, 4, 5, 6, 7] {
            assert_eq!(closed_form(n + 1) - closed_form(n), u128::from(n * n));
        }
    }

    #[test]
    fn known_value_for_ten_million() {
        // 9_999_999 · 10_000_000 · 19_999_999 = 1_999_999_700_000_010_000_000,
        // and a sixth of that is the value below (checked with Python's exact
        // integers, both by this formula and by summing all ten million squares).
        assert_eq!(closed_form(10_000_000), 333_333_283_333_335_000_000);
        assert_eq!(sum_squares(10_000_000), 333_333_283_333_335_000_000);
    }

    #[test]
    fn ranges_compose_across_the_chunk_and_width_boundaries() {
        let points = [
            0,
            5,
            CHUNK - 1,
            CHUNK,
            (1 << 24) - 3,
            1 << 24,
            (1 << 24) + 70_000,
        ];
        for w in points.windows(2) {
            for &mid in &[w[0], (w[0] + w[1]) / 2, w[1]] {
                assert_eq!(
                    sum_squares_range(w[0], mid) + sum_squares_range(mid, w[1]),
                    sum_squares_range(w[0], w[1])
                );
            }
            assert_eq!(
                sum_squares_range(w[0], w[1]),
                closed_form(w[1]) - closed_form(w[0])
            );
        }
        assert_eq!(sum_squares_range(10, 3), 0);
    }

    #[test]
    fn large_values_past_two_to_the_32_are_exact() {
        // Where chunks shrink to a few squares (i² near 2⁶⁴ / 2).
        for start in [3_037_000_400u64, U64_SQUARES - 70_000] {
            let end = start + 140_000;
            let mid = start + 70_001;
            assert_eq!(
                sum_squares_range(start, mid) + sum_squares_range(mid, end),
                closed_form(end) - closed_form(start)
            );
        }
        let start = U64_SQUARES - 70_000;
        assert_eq!(
            sum_squares_range(start, U64_SQUARES + 70_000),
            closed_form(U64_SQUARES + 70_000) - closed_form(start)
        );
        let start = (1u64 << 32) - 2;
        assert_eq!(
            sum_squares_range(start, start + 5),
            closed_form(start + 5) - closed_form(start)
        );
        assert_eq!(
            closed_form(10_000_000_000),
            333_333_333_283_333_333_335_000_000_000
        );
    }
}
