//! The canonical text of a workload: `parse(&w.to_string()) == Ok(w)` for
//! every workload within the limits, and printing a parsed text again gives
//! the same text (the canonical form is a fixed point).
//!
//! Rules, chosen so that equal workloads always print equal text:
//! - groups joined by `+`, no spaces anywhere;
//! - the count always written, with `*`: `1*io(1s)`;
//! - one phase bare, several in `[a,b]`;
//! - counts (group counts, `cpu(n)`, `yield=`) with the largest suffix that
//!   divides them exactly, never a decimal point: `10M`, `1k`, `2500k`, `1500`;
//! - durations in the largest unit that divides them exactly, never a decimal
//!   point: `1s`, `1500ms`, `250us`, `7ns`, and `0ms` for zero;
//! - options in the order `yield, jitter, payload`; jitter as a bare number
//!   (no `%`), payload as a bare number of KiB; a phase's options after its
//!   argument (`io(1s,jitter=5)`), a group's in `{…}` after the recipe;
//! - names in lower case; `incr`, `incr(await)`, `incr(await=5ms)`,
//!   `incr(atomic)`, and a plain `incr` with options as `incr(jitter=5)`.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{Group, IncrMode, Options, Phase, Workload};
use crate::units::{format_count, format_duration};

/// Writes `key=value` pairs of the options that are set.
fn write_opts(f: &mut Formatter<'_>, opts: &Options, leading_comma: bool) -> fmt::Result {
    let mut first = !leading_comma;
    let mut item = |f: &mut Formatter<'_>, s: String| -> fmt::Result {
        if !first {
            f.write_char(',')?;
        }
        first = false;
        f.write_str(&s)
    };
    if let Some(y) = opts.yield_every {
        item(f, format!("yield={}", format_count(y)))?;
    }
    if let Some(j) = opts.jitter_pct {
        item(f, format!("jitter={j}"))?;
    }
    if let Some(p) = opts.payload_kib {
        item(f, format!("payload={p}"))?;
    }
    Ok(())
}

impl Display for Phase {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (head, opts) = match self {
            Phase::Io { dur, opts } => (Some(format!("io({}", format_duration(*dur))), opts),
            Phase::Cpu { n, opts } => (Some(format!("cpu({}", format_count(*n))), opts),
            Phase::Block { dur, opts } => (Some(format!("block({}", format_duration(*dur))), opts),
            Phase::Incr { mode, opts } => {
                let arg = match mode {
                    IncrMode::Plain => None,
                    IncrMode::Await => Some("await".to_string()),
                    IncrMode::AwaitFor(d) => Some(format!("await={}", format_duration(*d))),
                    IncrMode::Atomic => Some("atomic".to_string()),
                };
                match (arg, opts.is_empty()) {
                    (None, true) => return f.write_str("incr"),
                    (None, false) => {
                        f.write_str("incr(")?;
                        write_opts(f, opts, false)?;
                        return f.write_char(')');
                    }
                    (Some(a), _) => (Some(format!("incr({a}")), opts),
                }
            }
        };
        if let Some(head) = head {
            f.write_str(&head)?;
        }
        write_opts(f, opts, true)?;
        f.write_char(')')
    }
}

impl Display for Group {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}*", format_count(u64::from(self.count)))?;
        if self.phases.len() == 1 {
            write!(f, "{}", self.phases[0])?;
        } else {
            f.write_char('[')?;
            for (i, p) in self.phases.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                write!(f, "{p}")?;
            }
            f.write_char(']')?;
        }
        if !self.opts.is_empty() {
            f.write_char('{')?;
            write_opts(f, &self.opts, false)?;
            f.write_char('}')?;
        }
        Ok(())
    }
}

impl Display for Workload {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, g) in self.groups.iter().enumerate() {
            if i > 0 {
                f.write_char('+')?;
            }
            write!(f, "{g}")?;
        }
        Ok(())
    }
}
