//! The parser: hand-written recursive descent, so every error can point at
//! the character that caused it and say what would have been valid there.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::ast::*;
use crate::units::{count_suffix, duration_unit, size_unit, Decimal, ScaleError};

/// A syntax or limit error, with the byte span it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offsets into the input, on char boundaries, `start <= end <= len`.
    pub span: Range<usize>,
    /// What is wrong and what would be valid, for people.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    /// The input and, under it, a `^` marker under the span (counted in chars).
    pub fn caret(&self, input: &str) -> String {
        let start = input.get(..self.span.start).map_or(0, |s| s.chars().count());
        let width = input.get(self.span.clone()).map_or(0, |s| s.chars().count()).max(1);
        format!("{input}\n{}{}", " ".repeat(start), "^".repeat(width))
    }
}

/// Parses the workload text form, for example `100*[io(200ms),cpu(1M)]+1*block(500ms)`.
pub fn parse(input: &str) -> Result<Workload, ParseError> {
    if input.len() > MAX_INPUT {
        let mut cut = MAX_INPUT;
        while !input.is_char_boundary(cut) {
            cut -= 1;
        }
        return Err(ParseError {
            span: cut..input.len(),
            message: format!("the workload is too long: at most {MAX_INPUT} characters"),
        });
    }
    Parser { src: input, pos: 0, total: 0 }.workload()
}

impl FromStr for Workload {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    total: u64,
}

/// A number as written, with whatever letters follow it.
struct Quantity<'a> {
    value: Decimal,
    suffix: &'a str,
    span: Range<usize>,
}

type PResult<T> = std::result::Result<T, ParseError>;

impl<'a> Parser<'a> {
    fn fail<T>(&self, span: Range<usize>, message: impl Into<String>) -> PResult<T> {
        Err(ParseError { span, message: message.into() })
    }

    /// The span of the character at `at` (empty at the end of the input).
    fn char_span(&self, at: usize) -> Range<usize> {
        match self.src[at..].chars().next() {
            Some(c) => at..at + c.len_utf8(),
            None => at..at,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips white space; says whether there was any.
    fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// What stands at the cursor, for messages: `"x"` or `the end`.
    fn here(&self) -> String {
        match self.src[self.pos..].chars().next() {
            Some(c) => format!("\"{c}\""),
            None => "end of input".into(),
        }
    }

    fn unexpected<T>(&self, expected: &str) -> PResult<T> {
        self.fail(self.char_span(self.pos), format!("unexpected {}: expected {expected}", self.here()))
    }

    fn ident(&mut self) -> (Range<usize>, &'a str) {
        let start = self.pos;
        while matches!(self.peek(), Some(b'a'..=b'z' | b'A'..=b'Z' | b'_')) {
            self.pos += 1;
        }
        (start..self.pos, &self.src[start..self.pos])
    }

    fn workload(mut self) -> PResult<Workload> {
        self.skip_ws();
        if self.at_end() {
            return self.fail(0..self.src.len(), "empty workload: try 2*io(1s)");
        }
        let mut groups = Vec::new();
        loop {
            let start = self.pos;
            let group = self.group()?;
            if groups.len() == MAX_GROUPS {
                return self.fail(start..self.pos, format!("too many groups: at most {MAX_GROUPS}"));
            }
            groups.push(group);
            let spaced = self.skip_ws();
            if self.at_end() {
                break;
            }
            if self.eat(b'+') {
                self.skip_ws();
                if self.at_end() || self.peek() == Some(b'+') {
                    return self.unexpected("a task group after \"+\", such as 1*io(1s)");
                }
            } else if !spaced {
                return self.unexpected("\"+\" between task groups");
            }
        }
        Ok(Workload { groups })
    }

    fn group(&mut self) -> PResult<Group> {
        let start = self.pos;
        let count = match self.peek() {
            Some(b'0'..=b'9') => {
                let q = self.quantity()?;
                self.skip_ws();
                if !self.eat(b'*') {
                    return self.unexpected("\"*\" after the count, as in 2*io(1s)");
                }
                self.skip_ws();
                self.count(&q)?
            }
            Some(b'*') => {
                return self.fail(self.char_span(self.pos), "missing count before \"*\": write 2*io(1s), or just io(1s)")
            }
            _ => 1,
        };
        let phases = if self.eat(b'[') {
            let open = self.pos - 1;
            let mut phases = Vec::new();
            self.skip_ws();
            if self.peek() == Some(b']') {
                return self.fail(open..self.pos + 1, "empty recipe: put at least one phase inside [ ]");
            }
            loop {
                let pstart = self.pos;
                phases.push(self.phase()?);
                if phases.len() > MAX_PHASES_PER_GROUP {
                    return self.fail(pstart..self.pos, format!("too many phases: at most {MAX_PHASES_PER_GROUP} in one recipe"));
                }
                self.skip_ws();
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return self.unexpected("\",\" or \"]\" in the recipe");
                }
            }
            phases
        } else {
            vec![self.phase()?]
        };
        let mut opts = Options::default();
        // Look past spaces for `{`, but leave them unread otherwise: a space
        // between groups stands for `+`.
        let before = self.pos;
        self.skip_ws();
        if !self.eat(b'{') {
            self.pos = before;
        } else {
            loop {
                self.skip_ws();
                self.option(&mut opts)?;
                self.skip_ws();
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return self.unexpected("\",\" or \"}\" after a group option");
                }
            }
        }
        self.total += u64::from(count);
        if self.total > MAX_TASKS {
            return self.fail(
                start..self.pos,
                format!("{} tasks is above the limit of 2M tasks in total", self.total),
            );
        }
        Ok(Group { count, phases, opts })
    }

    fn count(&self, q: &Quantity<'_>) -> PResult<u32> {
        let n = self.scaled_count(q, "count")?;
        if n == 0 {
            return self.fail(q.span.clone(), "a group needs at least 1 task");
        }
        if n > MAX_TASKS {
            return self.fail(q.span.clone(), format!("count {n} is above the limit of 2M tasks in total"));
        }
        Ok(n as u32)
    }

    fn scaled_count(&self, q: &Quantity<'_>, what: &str) -> PResult<u64> {
        let Some(mult) = count_suffix(q.suffix) else {
            return self.fail(q.span.clone(), format!("unknown suffix \"{}\" on a {what}: use k, M or G", q.suffix));
        };
        match q.value.times(mult) {
            Ok(n) => Ok(n),
            Err(ScaleError::Fraction) => self.fail(q.span.clone(), format!("a {what} must be a whole number")),
            Err(ScaleError::TooLarge) => self.fail(q.span.clone(), format!("that {what} is too large")),
        }
    }

    fn duration(&self, q: &Quantity<'_>) -> PResult<Nanos> {
        if q.suffix.is_empty() {
            return self.fail(q.span.clone(), "add a unit to the duration: ms or s, as in 200ms");
        }
        let Some(unit) = duration_unit(q.suffix) else {
            let extra = if q.suffix.eq_ignore_ascii_case("m") { " (minutes are not supported)" } else { "" };
            return self.fail(q.span.clone(), format!("unknown duration unit \"{}\": use us, ms or s{extra}", q.suffix));
        };
        // Whole microseconds: scale to µs first, then to ns.
        let us = match q.value.times(unit / 1_000) {
            Ok(us) => us,
            Err(ScaleError::Fraction) => return self.fail(q.span.clone(), "a duration must be a whole number of microseconds"),
            Err(ScaleError::TooLarge) => return self.fail(q.span.clone(), "that duration is too long: at most 600s"),
        };
        match us.checked_mul(1_000) {
            Some(ns) if ns <= MAX_DURATION => Ok(ns),
            _ => self.fail(q.span.clone(), "that duration is too long: at most 600s"),
        }
    }

    fn quantity(&mut self) -> PResult<Quantity<'a>> {
        let start = self.pos;
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return self.unexpected("a number");
        }
        let mut digits: u128 = 0;
        let mut scale = 0u32;
        let mut overflow = false;
        let mut push = |d: u8, digits: &mut u128| match digits.checked_mul(10).and_then(|v| v.checked_add(u128::from(d - b'0'))) {
            Some(v) => *digits = v,
            None => overflow = true,
        };
        while let Some(c @ (b'0'..=b'9' | b'_')) = self.peek() {
            if c != b'_' {
                push(c, &mut digits);
            }
            self.pos += 1;
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return self.unexpected("a digit after the decimal point");
            }
            while let Some(c @ b'0'..=b'9') = self.peek() {
                push(c, &mut digits);
                scale += 1;
                self.pos += 1;
            }
        }
        let suffix_start = self.pos;
        loop {
            match self.peek() {
                Some(b'a'..=b'z' | b'A'..=b'Z' | b'%') => self.pos += 1,
                _ if self.src[self.pos..].starts_with('µ') => self.pos += 'µ'.len_utf8(),
                _ => break,
            }
        }
        if overflow {
            return self.fail(start..self.pos, "that number is too large");
        }
        Ok(Quantity { value: Decimal { digits, scale }, suffix: &self.src[suffix_start..self.pos], span: start..self.pos })
    }

    fn phase(&mut self) -> PResult<Phase> {
        self.skip_ws();
        let (span, name) = self.ident();
        if name.is_empty() {
            return self.unexpected("a phase such as io(1s), cpu(1M), block(500ms) or incr");
        }
        let kind = name.to_ascii_lowercase();
        match kind.as_str() {
            "io" | "block" | "cpu" => {
                let what = if kind == "cpu" { "a size such as 1M: cpu(1M)" } else { "a duration such as 200ms or 1s" };
                self.skip_ws();
                if !self.eat(b'(') {
                    return self.fail(span, format!("{kind} needs {what}"));
                }
                self.skip_ws();
                if matches!(self.peek(), Some(b')') | None) {
                    return self.fail(span.start..self.pos, format!("{kind} needs {what}"));
                }
                let q = self.quantity()?;
                let mut opts = Options::default();
                self.phase_rest(&kind, &mut opts)?;
                Ok(match kind.as_str() {
                    "io" => Phase::Io { dur: self.duration(&q)?, opts },
                    "block" => Phase::Block { dur: self.duration(&q)?, opts },
                    _ => {
                        let n = self.scaled_count(&q, "size")?;
                        if n > MAX_CPU_N {
                            return self.fail(q.span, format!("cpu({n}) is above the limit of 10G iterations"));
                        }
                        Phase::Cpu { n, opts }
                    }
                })
            }
            "incr" => {
                let mut mode = IncrMode::Plain;
                let mut opts = Options::default();
                let save = self.pos;
                self.skip_ws();
                if !self.eat(b'(') {
                    self.pos = save;
                    return Ok(Phase::Incr { mode, opts });
                }
                self.skip_ws();
                if self.eat(b')') {
                    return Ok(Phase::Incr { mode, opts });
                }
                let arg_start = self.pos;
                let (arg_span, arg) = self.ident();
                match arg.to_ascii_lowercase().as_str() {
                    "await" => {
                        self.skip_ws();
                        if self.eat(b'=') {
                            self.skip_ws();
                            let q = self.quantity()?;
                            mode = IncrMode::AwaitFor(self.duration(&q)?);
                        } else {
                            mode = IncrMode::Await;
                        }
                    }
                    "atomic" => mode = IncrMode::Atomic,
                    "yield" | "yield_every" | "jitter" | "payload" => {
                        self.pos = arg_start;
                        self.option(&mut opts)?;
                    }
                    "" => return self.unexpected("await, await=5ms or atomic inside incr( )"),
                    other => {
                        return self.fail(arg_span, format!("unknown incr argument \"{other}\": expected await, await=5ms or atomic"))
                    }
                }
                self.phase_rest("incr", &mut opts)?;
                Ok(Phase::Incr { mode, opts })
            }
            _ => self.fail(span, format!("unknown phase \"{name}\": expected io, cpu, block or incr")),
        }
    }

    /// `(, option)* ')'` after a phase's first argument.
    fn phase_rest(&mut self, kind: &str, opts: &mut Options) -> PResult<()> {
        loop {
            self.skip_ws();
            if self.eat(b')') {
                return Ok(());
            }
            if self.at_end() {
                return self.fail(self.pos..self.pos, format!("expected \")\" to close {kind}("));
            }
            if !self.eat(b',') {
                return self.unexpected(&format!("\",\" or \")\" to close {kind}("));
            }
            self.skip_ws();
            self.option(opts)?;
        }
    }

    fn option(&mut self, opts: &mut Options) -> PResult<()> {
        let (span, key) = self.ident();
        if key.is_empty() {
            return self.unexpected("an option: yield=, jitter= or payload=");
        }
        let key = key.to_ascii_lowercase();
        self.skip_ws();
        if !self.eat(b'=') {
            return self.unexpected(&format!("\"=\" after {key}, as in {key}=10"));
        }
        self.skip_ws();
        let q = self.quantity()?;
        let dup = |this: &Self, set: bool| -> PResult<()> {
            if set {
                this.fail(span.start..q.span.end, format!("option {key} is given twice"))
            } else {
                Ok(())
            }
        };
        match key.as_str() {
            "yield" | "yield_every" => {
                dup(self, opts.yield_every.is_some())?;
                opts.yield_every = Some(self.scaled_count(&q, "yield interval")?);
            }
            "jitter" => {
                dup(self, opts.jitter_pct.is_some())?;
                if !matches!(q.suffix, "" | "%") {
                    return self.fail(q.span, "jitter is a percentage, as in jitter=10");
                }
                match q.value.times(1) {
                    Ok(j) if j <= u64::from(MAX_JITTER) => opts.jitter_pct = Some(j as u32),
                    Ok(_) | Err(ScaleError::TooLarge) => return self.fail(q.span, "jitter is at most 100 (percent)"),
                    Err(ScaleError::Fraction) => return self.fail(q.span, "jitter must be a whole percentage"),
                }
            }
            "payload" => {
                dup(self, opts.payload_kib.is_some())?;
                let Some(unit) = size_unit(q.suffix) else {
                    return self.fail(q.span, format!("unknown size unit \"{}\": use KiB or MiB (a plain number is KiB)", q.suffix));
                };
                match q.value.times(unit) {
                    Ok(kib) if kib <= u64::from(MAX_PAYLOAD_KIB) => opts.payload_kib = Some(kib as u32),
                    Ok(_) | Err(ScaleError::TooLarge) => return self.fail(q.span, "payload is at most 64MiB"),
                    Err(ScaleError::Fraction) => return self.fail(q.span, "payload must be a whole number of KiB"),
                }
            }
            _ => return self.fail(span, format!("unknown option \"{key}\": expected yield, jitter or payload")),
        }
        Ok(())
    }
}
