//! Numbers with units: `10M`, `1.5k`, `200ms`, `1s`, `64KiB`; and their printing.

use crate::ast::Nanos;

/// A number as written: digits before and after an optional decimal point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// All digits as one integer (`1.25` → 125).
    pub digits: u128,
    /// Digits after the point (`1.25` → 2).
    pub scale: u32,
}

impl Decimal {
    /// `self × mult`, if it is a whole number that fits u64.
    pub fn times(self, mult: u64) -> Result<u64, ScaleError> {
        let product = self.digits.checked_mul(u128::from(mult)).ok_or(ScaleError::TooLarge)?;
        let div = 10u128.checked_pow(self.scale).ok_or(ScaleError::TooLarge)?;
        if product % div != 0 {
            return Err(ScaleError::Fraction);
        }
        u64::try_from(product / div).map_err(|_| ScaleError::TooLarge)
    }
}

/// Why a number could not be scaled to a whole unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleError {
    /// It does not fit.
    TooLarge,
    /// It is not a whole number of the base unit.
    Fraction,
}

/// The multiplier of a count suffix (`k`, `M`, `G`), `None` if unknown.
pub fn count_suffix(s: &str) -> Option<u64> {
    match s {
        "" => Some(1),
        "k" | "K" => Some(1_000),
        "M" => Some(1_000_000),
        "G" => Some(1_000_000_000),
        _ => None,
    }
}

/// Nanoseconds per duration unit (`us`, `ms`, `s`), `None` if unknown.
pub fn duration_unit(s: &str) -> Option<u64> {
    match s.to_ascii_lowercase().as_str() {
        "us" | "µs" => Some(1_000),
        "ms" => Some(1_000_000),
        "s" => Some(1_000_000_000),
        _ => None,
    }
}

/// KiB per payload unit (plain = KiB).
pub fn size_unit(s: &str) -> Option<u64> {
    match s {
        "" | "k" | "K" | "KiB" | "kib" | "KB" | "kb" => Some(1),
        "M" | "MiB" | "mib" | "MB" | "mb" => Some(1024),
        _ => None,
    }
}

/// A count with the largest exact suffix: `10M`, `1500`, `2500k`.
pub fn format_count(n: u64) -> String {
    for (mult, suffix) in [(1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")] {
        if n >= mult && n % mult == 0 {
            return format!("{}{suffix}", n / mult);
        }
    }
    n.to_string()
}

/// A duration in the largest exact unit: `1s`, `1500ms`, `250us`.
pub fn format_duration(ns: Nanos) -> String {
    for (mult, unit) in [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")] {
        if ns >= mult && ns % mult == 0 {
            return format!("{}{unit}", ns / mult);
        }
    }
    if ns == 0 {
        return "0ms".into();
    }
    // Parsed durations are whole microseconds, so this is not reached by
    // parse → print; keep the output parseable anyway.
    format!("{}us", ns.div_ceil(1_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_scale_exactly_or_say_why_not() {
        assert_eq!(Decimal { digits: 15, scale: 1 }.times(1_000), Ok(1_500));
        assert_eq!(Decimal { digits: 15, scale: 1 }.times(1), Err(ScaleError::Fraction));
        assert_eq!(Decimal { digits: u128::MAX, scale: 0 }.times(10), Err(ScaleError::TooLarge));
        assert_eq!(Decimal { digits: 1, scale: 60 }.times(1), Err(ScaleError::TooLarge));
    }

    #[test]
    fn printing_picks_the_largest_exact_unit() {
        assert_eq!(format_count(10_000_000), "10M");
        assert_eq!(format_count(2_500_000), "2500k");
        assert_eq!(format_count(1_500), "1500");
        assert_eq!(format_count(0), "0");
        assert_eq!(format_duration(1_000_000_000), "1s");
        assert_eq!(format_duration(1_500_000_000), "1500ms");
        assert_eq!(format_duration(250_000), "250us");
        assert_eq!(format_duration(0), "0ms");
    }
}
