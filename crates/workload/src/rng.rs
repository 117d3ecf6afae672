//! Seeded randomness for jitter: SplitMix64, one stream per task.

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for jitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
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

    /// A uniform float in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `value` scaled by a uniform factor in [1 − pct/100, 1 + pct/100], rounded,
/// saturating. With `pct == 0` it is `value` and draws nothing.
pub fn jitter(value: u64, pct: u32, rng: &mut SplitMix64) -> u64 {
    if pct == 0 {
        return value;
    }
    let spread = f64::from(pct.min(100)) / 100.0;
    let factor = 1.0 + spread * (2.0 * rng.next_f64() - 1.0);
    let scaled = (value as f64 * factor).round();
    if scaled >= u64::MAX as f64 { u64::MAX } else { scaled.max(0.0) as u64 }
}

/// An independent stream for task `index`, so its jitter never depends on
/// the order in which tasks happen to run.
pub fn task_rng(seed: u64, index: u64) -> SplitMix64 {
    let mut mix = SplitMix64::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
    SplitMix64::new(mix.next_u64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_range_and_is_deterministic() {
        let mut a = task_rng(42, 7);
        let mut b = task_rng(42, 7);
        for _ in 0..1000 {
            let x = jitter(1000, 10, &mut a);
            assert!((900..=1100).contains(&x), "{x}");
            assert_eq!(x, jitter(1000, 10, &mut b));
        }
        assert_eq!(jitter(1000, 0, &mut a), 1000);
        assert_eq!(jitter(u64::MAX, 100, &mut a) <= u64::MAX, true);
    }

    #[test]
    fn streams_differ_by_task_and_seed() {
        assert_ne!(task_rng(1, 0).next_u64(), task_rng(1, 1).next_u64());
        assert_ne!(task_rng(1, 0).next_u64(), task_rng(2, 0).next_u64());
    }
}
