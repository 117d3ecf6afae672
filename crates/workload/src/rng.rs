//! Seeded randomness for jitter: SplitMix64, one independent stream per task.
//!
//! Everything here is integer arithmetic, so a seed gives the same jitter on
//! every platform and in every execution model (the simulator, the browser
//! workers and native tests all agree to the nanosecond).

use crate::ast::{Group, Options, Phase};

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for
/// jitter. The state is the one `u64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in [0, 1): the top 53 bits, so every value is exact.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `value` scaled by a uniform factor in [1 − pct/100, 1 + pct/100]: an
/// integer drawn uniformly from `value ± ⌊value · pct / 100⌋`, saturating at
/// `u64::MAX`. `pct` above 100 counts as 100. With `pct == 0` (or `value ==
/// 0`) it returns `value` and draws nothing, so adding jitter to one phase
/// does not shift the draws of the others.
pub fn jitter(value: u64, pct: u32, rng: &mut SplitMix64) -> u64 {
    let spread = u128::from(value) * u128::from(pct.min(100)) / 100;
    if spread == 0 {
        return value;
    }
    // 128 random bits modulo a width of at most 2⁶⁵ + 1: the bias is below
    // 2⁻⁶², far under anything a timeline could show.
    let wide = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    let offset = wide % (2 * spread + 1);
    let drawn = u128::from(value) - spread + offset;
    u64::try_from(drawn).unwrap_or(u64::MAX)
}

/// An independent stream for task `index` of a run seeded with `seed`, so a
/// task's jitter never depends on the order in which tasks happen to run.
pub fn task_rng(seed: u64, index: u64) -> SplitMix64 {
    // Multiplying by an odd constant is a bijection on u64, so within one
    // seed every index starts from a distinct state; one SplitMix step then
    // scatters neighbouring indices across the whole state space.
    let mut mix = SplitMix64::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    SplitMix64::new(mix.next_u64())
}

/// The jitter, in percent (0 = none), that phase `p` of group `g` draws with:
/// only io, cpu and block draw, as in `engine::runner::steps`; an `incr`
/// never does, whatever its options say. The generated programs use it to
/// draw exactly where the engine draws.
pub(crate) fn phase_jitter_pct(p: &Phase, g: &Group) -> u32 {
    match p {
        Phase::Incr { .. } => 0,
        _ => Options::resolve(p.opts(), &g.opts).jitter_pct.min(100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_splitmix64() {
        // The first outputs for seed 0 from the published algorithm.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn floats_are_in_the_unit_interval() {
        let mut r = SplitMix64::new(9);
        for _ in 0..10_000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x), "{x}");
        }
    }

    #[test]
    fn jitter_stays_in_range_reaches_both_ends_and_is_deterministic() {
        let mut a = task_rng(42, 7);
        let mut b = task_rng(42, 7);
        let (mut lo, mut hi, mut sum) = (u64::MAX, 0, 0u64);
        for _ in 0..10_000 {
            let x = jitter(1000, 10, &mut a);
            assert!((900..=1100).contains(&x), "{x}");
            assert_eq!(x, jitter(1000, 10, &mut b));
            (lo, hi, sum) = (lo.min(x), hi.max(x), sum + x);
        }
        assert_eq!((lo, hi), (900, 1100));
        let mean = sum / 10_000;
        assert!((990..=1010).contains(&mean), "{mean}");
    }

    #[test]
    fn jitter_edge_cases() {
        let mut r = SplitMix64::new(1);
        let before = r.clone();
        assert_eq!(jitter(1000, 0, &mut r), 1000);
        assert_eq!(jitter(0, 100, &mut r), 0);
        assert_eq!(jitter(5, 10, &mut r), 5, "a spread below 1 is no spread");
        assert_eq!(r, before, "nothing was drawn");
        for _ in 0..1000 {
            assert!(jitter(10, 100, &mut r) <= 20);
            assert!(jitter(10, 500, &mut r) <= 20, "above 100 % counts as 100 %");
            assert!(
                jitter(u64::MAX, 50, &mut r) >= u64::MAX / 2,
                "saturates, never wraps"
            );
            let _ = jitter(u64::MAX, 100, &mut r);
        }
    }

    #[test]
    fn streams_differ_by_task_and_seed() {
        assert_ne!(task_rng(1, 0).next_u64(), task_rng(1, 1).next_u64());
        assert_ne!(task_rng(1, 0).next_u64(), task_rng(2, 0).next_u64());
        assert_eq!(task_rng(3, 4), task_rng(3, 4));
        let firsts: std::collections::HashSet<u64> =
            (0..10_000).map(|i| task_rng(7, i).next_u64()).collect();
        assert_eq!(firsts.len(), 10_000);
    }
}
