//! Numbers with units — `10M`, `1.5k`, `200ms`, `1s`, `64KiB` — and their
//! canonical printing.
//!
//! The parser reads a number as a [`Decimal`] (all its digits plus where the
//! point was) and scales it by its suffix in integer arithmetic, so `1.5k` is
//! exactly 1500 and `0.1s` exactly 100 ms: no float ever touches a value.

use crate::ast::Nanos;

/// A number as written: its digits before and after an optional decimal point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    /// All digits as one integer (`1.25` → 125).
    pub digits: u128,
    /// How many of them come after the point (`1.25` → 2).
    pub scale: u32,
}

impl Decimal {
    /// `self × mult`, if that is a whole number that fits u64.
    pub fn times(self, mult: u64) -> Result<u64, ScaleError> {
        let product = self
            .digits
            .checked_mul(u128::from(mult))
            .ok_or(ScaleError::TooLarge)?;
        let Some(div) = 10u128.checked_pow(self.scale) else {
            // 10^scale exceeds u128, so it exceeds `product` too: the value is
            // below 1 and whole only when it is 0 (`0.000…0` with 39+ zeros).
            return if product == 0 {
                Ok(0)
            } else {
                Err(ScaleError::Fraction)
            };
        };
        if product % div != 0 {
            return Err(ScaleError::Fraction);
        }
        u64::try_from(product / div).map_err(|_| ScaleError::TooLarge)
    }
}

/// Why a number could not be scaled to a whole number of its base unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleError {
    /// It does not fit u64.
    TooLarge,
    /// It is not a whole number of the base unit (`1.5` as a count).
    Fraction,
}

/// The multiplier of a count suffix: none, `k`/`K` (10³), `M` (10⁶) or `G`/`g`
/// (10⁹); `None` if unknown. Lower-case `m` is refused on purpose: it reads as
/// "milli" as easily as "mega".
pub fn count_suffix(s: &str) -> Option<u64> {
    match s {
        "" => Some(1),
        "k" | "K" => Some(1_000),
        "M" => Some(1_000_000),
        "G" | "g" => Some(1_000_000_000),
        _ => None,
    }
}

/// Nanoseconds per duration unit (`ns`, `us`/`µs`, `ms`, `s`, any case),
/// `None` if unknown. `ns` is there so that every [`Nanos`] value prints and
/// parses back exactly.
pub fn duration_unit(s: &str) -> Option<u64> {
    match s.to_ascii_lowercase().as_str() {
        "ns" => Some(1),
        "us" | "µs" => Some(1_000),
        "ms" => Some(1_000_000),
        "s" => Some(1_000_000_000),
        _ => None,
    }
}

/// KiB per payload unit, any case: none, `k`, `KB`, `KiB` = 1; `M`, `MB`,
/// `MiB` = 1024. (Payloads are binary sizes, so `MB` means MiB here.)
pub fn size_unit(s: &str) -> Option<u64> {
    match s.to_ascii_lowercase().as_str() {
        "" | "k" | "kb" | "kib" => Some(1),
        "m" | "mb" | "mib" => Some(1024),
        _ => None,
    }
}

/// `n` with `sep` between groups of three digits: `group_digits(10_000_000, '_')`
/// is `10_000_000` (a Python or JavaScript literal), with `,` it is for people.
pub fn group_digits(n: u64, sep: char) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A count in its canonical text: the largest suffix that divides it exactly,
/// with no decimal point — `10M`, `1k`, `2500k`, `1500`, `0`.
///
/// One rule, no fractions: it is trivially exact, and a reader sees at once
/// whether two counts are equal.
pub fn format_count(n: u64) -> String {
    for (mult, suffix) in [(1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")] {
        if n >= mult && n.is_multiple_of(mult) {
            return format!("{}{suffix}", n / mult);
        }
    }
    n.to_string()
}

/// A duration in its canonical text: the largest unit that divides it
/// exactly, no decimal point — `1s`, `1500ms`, `250us`, `7ns`; zero is `0ms`.
pub fn format_duration(ns: Nanos) -> String {
    if ns == 0 {
        return "0ms".into();
    }
    for (mult, unit) in [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")] {
        if ns.is_multiple_of(mult) {
            return format!("{}{unit}", ns / mult);
        }
    }
    format!("{ns}ns")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(digits: u128, scale: u32) -> Decimal {
        Decimal { digits, scale }
    }

    #[test]
    fn decimals_scale_exactly_or_say_why_not() {
        assert_eq!(dec(15, 1).times(1_000), Ok(1_500));
        assert_eq!(dec(15, 1).times(1), Err(ScaleError::Fraction));
        assert_eq!(dec(150, 2).times(1), Err(ScaleError::Fraction));
        assert_eq!(dec(1500, 3).times(1_000_000), Ok(1_500_000));
        assert_eq!(dec(u128::MAX, 0).times(10), Err(ScaleError::TooLarge));
        assert_eq!(dec(u128::from(u64::MAX), 0).times(1), Ok(u64::MAX));
        assert_eq!(
            dec(u128::from(u64::MAX) + 1, 0).times(1),
            Err(ScaleError::TooLarge)
        );
        assert_eq!(dec(1, 60).times(1), Err(ScaleError::Fraction));
        assert_eq!(dec(0, 60).times(1), Ok(0));
    }

    #[test]
    fn units_are_recognised_in_any_case_where_that_is_unambiguous() {
        assert_eq!(count_suffix("k"), Some(1_000));
        assert_eq!(count_suffix("M"), Some(1_000_000));
        assert_eq!(count_suffix("m"), None);
        assert_eq!(count_suffix("x"), None);
        assert_eq!(duration_unit("MS"), Some(1_000_000));
        assert_eq!(duration_unit("µs"), Some(1_000));
        assert_eq!(duration_unit("m"), None);
        assert_eq!(duration_unit(""), None);
        assert_eq!(size_unit("MiB"), Some(1024));
        assert_eq!(size_unit("KIB"), Some(1));
        assert_eq!(size_unit("GiB"), None);
    }

    #[test]
    fn printing_picks_the_largest_exact_unit() {
        assert_eq!(format_count(10_000_000), "10M");
        assert_eq!(format_count(2_500_000), "2500k");
        assert_eq!(format_count(1_500), "1500");
        assert_eq!(format_count(1_000), "1k");
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(10_000_000_000), "10G");
        assert_eq!(format_count(u64::MAX), "18446744073709551615");
        assert_eq!(format_duration(1_000_000_000), "1s");
        assert_eq!(format_duration(600_000_000_000), "600s");
        assert_eq!(format_duration(1_500_000_000), "1500ms");
        assert_eq!(format_duration(250_000), "250us");
        assert_eq!(format_duration(1_001), "1001ns");
        assert_eq!(format_duration(0), "0ms");
    }

    #[test]
    fn printed_values_scale_back_to_themselves() {
        // The printer's half of the round trip, without the parser: split the
        // text into digits and suffix, then scale as the parser does.
        let split = |s: &str| {
            let at = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            (dec(s[..at].parse().unwrap(), 0), s[at..].to_string())
        };
        for n in [0, 1, 999, 1_000, 1_001, 2_500_000, 10_000_000_000, u64::MAX] {
            let (d, suffix) = split(&format_count(n));
            assert_eq!(d.times(count_suffix(&suffix).unwrap()), Ok(n));
        }
        for ns in [0, 1, 999, 1_000, 1_500_000, 1_000_000_000, 600_000_000_001] {
            let (d, unit) = split(&format_duration(ns));
            assert_eq!(d.times(duration_unit(&unit).unwrap()), Ok(ns));
        }
    }
}
