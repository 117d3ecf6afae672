//! The parser: hand-written recursive descent over the input's bytes, so
//! every error can point at the characters that caused it and say what would
//! have been valid there.
//!
//! Grammar (whitespace may stand between any two tokens; names are
//! case-insensitive):
//!
//! ```text
//! workload := group (('+' | whitespace) group)*
//! group    := [number '*'] (phase | '[' phase (',' phase)* ']') ['{' optlist '}']
//! phase    := io '(' duration [',' optlist] ')'
//!           | cpu '(' number [',' optlist] ')'
//!           | block '(' duration [',' optlist] ')'
//!           | incr ['(' [incrarg] [',' optlist] ')']
//! incrarg  := await | await '=' duration | atomic
//! optlist  := key '=' number (',' key '=' number)*      key: yield, yield_every, jitter, payload
//! number   := digit (digit | '_')* ['.' digit+] [suffix]
//! ```
//!
//! The cursor only ever moves over ASCII bytes or a whole `µ`, so it always
//! sits on a char boundary and every span built from it is valid to slice.
//! Arithmetic on values is checked: any input returns `Ok` or `Err`.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::ast::*;
use crate::units::{
    count_suffix, duration_unit, format_count, format_duration, size_unit, Decimal, ScaleError,
};

/// A syntax or limit error, with the byte span it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offsets into the input: on char boundaries, `start <= end <= input.len()`.
    /// Empty only where something is missing (at the end of the input, say).
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
    /// Two lines: the input, and under it `^` markers below the span, placed
    /// by chars rather than bytes (one `^` for an empty span).
    ///
    /// Control characters in the input (a newline, a tab) are shown as spaces
    /// so that the result stays two lines and the marker stays aligned.
    pub fn caret(&self, input: &str) -> String {
        let start = input
            .get(..self.span.start)
            .map_or(0, |s| s.chars().count());
        let width = input
            .get(self.span.clone())
            .map_or(0, |s| s.chars().count())
            .max(1);
        let shown: String = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        format!("{shown}\n{}{}", " ".repeat(start), "^".repeat(width))
    }
}

/// Parses the workload text form, for example `100*[io(200ms),cpu(1M)]+1*block(500ms)`.
///
/// # Errors
/// A [`ParseError`] for any syntax error or exceeded limit, and for input
/// longer than [`MAX_INPUT`] bytes (its span covers the excess).
pub fn parse(input: &str) -> Result<Workload, ParseError> {
    if input.len() > MAX_INPUT {
        let mut cut = MAX_INPUT;
        while !input.is_char_boundary(cut) {
            cut -= 1;
        }
        return Err(ParseError {
            span: cut..input.len(),
            message: format!(
                "the workload is too long: {} bytes, at most {MAX_INPUT}",
                input.len()
            ),
        });
    }
    Parser {
        src: input,
        pos: 0,
        total: 0,
    }
    .workload()
}

impl FromStr for Workload {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Echoes user text inside a message: quoted, escaped, and cut short, so a
/// stray 5 kB word or a control character cannot flood the error line.
fn quote(s: &str) -> String {
    format!("\"{}\"", clip(s))
}

/// `s` escaped and cut to its first 24 chars (then `…`), for echoing in messages.
fn clip(s: &str) -> String {
    const MAX: usize = 24;
    let mut out: String = s.chars().take(MAX).flat_map(char::escape_debug).collect();
    if s.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// The parser's state: the input and a byte cursor into it.
struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Tasks in the groups parsed so far, for the total limit.
    total: u64,
}

/// A number as written, with whatever letters follow it (its suffix).
struct Quantity<'a> {
    value: Decimal,
    suffix: &'a str,
    /// The whole number, suffix included.
    span: Range<usize>,
    /// The text of `span`.
    text: &'a str,
}

type PResult<T> = Result<T, ParseError>;

/// What the option keys are, for the messages that list them.
const OPTION_KEYS: &str = "yield, jitter or payload";

impl<'a> Parser<'a> {
    fn fail<T>(&self, span: Range<usize>, message: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            span,
            message: message.into(),
        })
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

    /// What stands at the cursor, for messages: `"x"` or `end of input`.
    fn here(&self) -> String {
        match self.src[self.pos..].chars().next() {
            Some(c) => quote(c.encode_utf8(&mut [0; 4])),
            None => "end of input".into(),
        }
    }

    /// An error at the cursor: `unexpected "x": expected …`.
    fn unexpected<T>(&self, expected: &str) -> PResult<T> {
        self.fail(
            self.char_span(self.pos),
            format!("unexpected {}: expected {expected}", self.here()),
        )
    }

    /// A run of ASCII letters and `_` (possibly empty), with its span.
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
                return self.fail(
                    start..self.pos,
                    format!("too many groups: at most {MAX_GROUPS}"),
                );
            }
            groups.push(group);
            // A space between groups means `+`: in a URL query, `+` decodes to
            // a space, so `1*io(1s)+1*io(2s)` typed into the address bar
            // arrives as `1*io(1s) 1*io(2s)`.
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
                let count = self.count(&q)?;
                self.skip_ws();
                if !self.eat(b'*') {
                    return self.unexpected("\"*\" after the count, as in 2*io(1s)");
                }
                self.skip_ws();
                count
            }
            Some(b'*') => {
                return self.fail(
                    self.char_span(self.pos),
                    "missing count before \"*\": write 2*io(1s), or just io(1s)",
                )
            }
            _ => 1,
        };
        let phases = if self.eat(b'[') {
            self.recipe(self.pos - 1)?
        } else {
            vec![self.phase()?]
        };
        let mut opts = Options::default();
        // Look past spaces for `{`, but leave them unread otherwise: a space
        // after a group may be the `+` before the next one.
        let before = self.pos;
        self.skip_ws();
        if self.eat(b'{') {
            self.option_list(&mut opts, b'}', "\",\" or \"}\" after a group option")?;
        } else {
            self.pos = before;
        }
        // Both sides are at most 2M, far from overflow.
        self.total += u64::from(count);
        if self.total > MAX_TASKS {
            return self.fail(
                start..self.pos,
                format!(
                    "the groups add up to {} tasks, above the limit of {} tasks in total",
                    self.total,
                    format_count(MAX_TASKS)
                ),
            );
        }
        Ok(Group {
            count,
            phases,
            opts,
        })
    }

    /// The phases after a `[` at `open`, through the closing `]`.
    fn recipe(&mut self, open: usize) -> PResult<Vec<Phase>> {
        let mut phases = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            return self.fail(
                open..self.pos + 1,
                "empty recipe: put at least one phase inside [ ]",
            );
        }
        loop {
            let start = self.pos;
            phases.push(self.phase()?);
            if phases.len() > MAX_PHASES_PER_GROUP {
                return self.fail(
                    start..self.pos,
                    format!("too many phases: at most {MAX_PHASES_PER_GROUP} in one recipe"),
                );
            }
            self.skip_ws();
            if self.eat(b']') {
                return Ok(phases);
            }
            if !self.eat(b',') {
                return self.unexpected("\",\" or \"]\" in the recipe");
            }
        }
    }

    /// `q` as a group's task count: whole, at least 1, within the limit.
    fn count(&self, q: &Quantity<'_>) -> PResult<u32> {
        let mult = self.count_multiplier(q)?;
        let limit = || {
            format!(
                "count {} is above the limit of {} tasks in total",
                clip(q.text),
                format_count(MAX_TASKS)
            )
        };
        match self.scale(q, mult, "a count must be a whole number")? {
            Some(0) => self.fail(q.span.clone(), "a group needs at least 1 task"),
            // ≤ 2M, so it fits u32.
            Some(n) if n <= MAX_TASKS => Ok(n as u32),
            _ => self.fail(q.span.clone(), limit()),
        }
    }

    /// The multiplier of `q`'s count suffix, or an error naming the valid ones.
    fn count_multiplier(&self, q: &Quantity<'_>) -> PResult<u64> {
        count_suffix(q.suffix).map_or_else(
            || {
                let hint = if q.suffix == "m" {
                    " (M for million)"
                } else {
                    ""
                };
                self.fail(
                    q.span.clone(),
                    format!(
                        "unknown suffix {} on a count: use k, M or G{hint}",
                        quote(q.suffix)
                    ),
                )
            },
            Ok,
        )
    }

    /// `q × mult` if whole; `Ok(None)` if it does not even fit u64 (callers
    /// report that as their own limit); `fraction` is the message for a
    /// value that is not whole.
    fn scale(&self, q: &Quantity<'_>, mult: u64, fraction: &str) -> PResult<Option<u64>> {
        match q.value.times(mult) {
            Ok(n) => Ok(Some(n)),
            Err(ScaleError::TooLarge) => Ok(None),
            Err(ScaleError::Fraction) => self.fail(q.span.clone(), fraction),
        }
    }

    /// `q` as a duration in ns: it needs a unit, and at most [`MAX_DURATION`].
    fn duration(&self, q: &Quantity<'_>) -> PResult<Nanos> {
        if q.suffix.is_empty() {
            return self.fail(
                q.span.clone(),
                "add a unit to the duration: ms or s, as in 200ms",
            );
        }
        let Some(unit) = duration_unit(q.suffix) else {
            let extra = if q.suffix.eq_ignore_ascii_case("m") {
                " (minutes are not supported)"
            } else {
                ""
            };
            return self.fail(
                q.span.clone(),
                format!(
                    "unknown duration unit {}: use us, ms or s{extra}",
                    quote(q.suffix)
                ),
            );
        };
        match self.scale(q, unit, "a duration must be a whole number of nanoseconds")? {
            Some(ns) if ns <= MAX_DURATION => Ok(ns),
            _ => self.fail(
                q.span.clone(),
                format!(
                    "{} is too long: a phase lasts at most {}",
                    clip(q.text),
                    format_duration(MAX_DURATION)
                ),
            ),
        }
    }

    /// A number (digits, `_` separators, an optional decimal part) and the
    /// letters right after it. Only syntax is checked here; what the number
    /// may be depends on where it stands.
    fn quantity(&mut self) -> PResult<Quantity<'a>> {
        let start = self.pos;
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return self.unexpected("a number");
        }
        let mut digits: u128 = 0;
        let mut scale = 0u32;
        let mut overflow = false;
        let mut push = |d: u8, digits: &mut u128| match digits
            .checked_mul(10)
            .and_then(|v| v.checked_add(u128::from(d - b'0')))
        {
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
        let span = start..self.pos;
        let text = &self.src[span.clone()];
        if overflow {
            return self.fail(span, format!("the number {} is too large", quote(text)));
        }
        Ok(Quantity {
            value: Decimal { digits, scale },
            suffix: &self.src[suffix_start..self.pos],
            span,
            text,
        })
    }

    fn phase(&mut self) -> PResult<Phase> {
        self.skip_ws();
        let (span, name) = self.ident();
        if name.is_empty() {
            return self.unexpected("a phase such as io(1s), cpu(1M), block(500ms) or incr");
        }
        let kind = name.to_ascii_lowercase();
        match kind.as_str() {
            "io" | "block" | "cpu" => self.sized_phase(&kind, span),
            "incr" => self.incr(),
            _ => self.fail(
                span,
                format!(
                    "unknown phase {}: expected io, cpu, block or incr",
                    quote(name)
                ),
            ),
        }
    }

    /// The rest of `io(…)`, `block(…)` or `cpu(…)`, after its name at `name`.
    fn sized_phase(&mut self, kind: &str, name: Range<usize>) -> PResult<Phase> {
        let what = if kind == "cpu" {
            "a count such as 1M: cpu(1M)"
        } else {
            "a duration such as 200ms or 1s"
        };
        self.skip_ws();
        if !self.eat(b'(') {
            return self.fail(name, format!("{kind} needs {what}"));
        }
        self.skip_ws();
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            let span = match self.peek() {
                Some(b')') | None => name.start..self.pos,
                Some(_) => self.char_span(self.pos),
            };
            return self.fail(span, format!("{kind} needs {what}"));
        }
        let q = self.quantity()?;
        // Check the value before looking further, so errors come left to right.
        let value = if kind == "cpu" {
            let mult = self.count_multiplier(&q)?;
            match self.scale(&q, mult, "a count must be a whole number")? {
                Some(n) if n <= MAX_CPU_N => n,
                _ => {
                    let limit = format_count(MAX_CPU_N);
                    return self.fail(
                        q.span,
                        format!(
                            "cpu({}) is above the limit of {limit} iterations",
                            clip(q.text)
                        ),
                    );
                }
            }
        } else {
            self.duration(&q)?
        };
        let mut opts = Options::default();
        self.phase_rest(kind, &mut opts)?;
        Ok(match kind {
            "io" => Phase::Io { dur: value, opts },
            "block" => Phase::Block { dur: value, opts },
            _ => Phase::Cpu { n: value, opts },
        })
    }

    /// The rest of an `incr` phase, after its name: nothing, or `(…)`.
    fn incr(&mut self) -> PResult<Phase> {
        let mut mode = IncrMode::Plain;
        let mut opts = Options::default();
        // Spaces then no `(`: this incr is done, and the spaces may be a `+`.
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
                    if !matches!(self.peek(), Some(b'0'..=b'9')) {
                        return self.unexpected("a duration after await=, such as await=5ms");
                    }
                    let q = self.quantity()?;
                    mode = IncrMode::AwaitFor(self.duration(&q)?);
                } else {
                    mode = IncrMode::Await;
                }
            }
            "atomic" => mode = IncrMode::Atomic,
            // No mode, only options: `incr(jitter=5)`. Reread from the key.
            "yield" | "yield_every" | "jitter" | "payload" => {
                self.pos = arg_start;
                self.option(&mut opts)?;
            }
            "" => return self.unexpected("await, await=5ms or atomic inside incr( )"),
            _ => {
                return self.fail(
                    arg_span,
                    format!(
                        "unknown incr argument {}: expected await, await=5ms or atomic",
                        quote(arg)
                    ),
                )
            }
        }
        self.phase_rest("incr", &mut opts)?;
        Ok(Phase::Incr { mode, opts })
    }

    /// `(',' option)* ')'` after a phase's first argument.
    fn phase_rest(&mut self, kind: &str, opts: &mut Options) -> PResult<()> {
        self.skip_ws();
        if self.eat(b')') {
            return Ok(());
        }
        if self.at_end() {
            return self.fail(
                self.pos..self.pos,
                format!("expected \")\" to close {kind}("),
            );
        }
        if !self.eat(b',') {
            return self.unexpected(&format!("\",\" or \")\" to close {kind}("));
        }
        self.option_list(opts, b')', &format!("\",\" or \")\" to close {kind}("))
    }

    /// `option (',' option)*` then `close`.
    fn option_list(&mut self, opts: &mut Options, close: u8, expected: &str) -> PResult<()> {
        loop {
            self.skip_ws();
            self.option(opts)?;
            self.skip_ws();
            if self.eat(close) {
                return Ok(());
            }
            if self.at_end() && close == b')' {
                return self.fail(self.pos..self.pos, format!("expected {expected}"));
            }
            if !self.eat(b',') {
                return self.unexpected(expected);
            }
        }
    }

    /// One `key=value`, stored into `opts`; a key already set there is an error.
    fn option(&mut self, opts: &mut Options) -> PResult<()> {
        let (span, key) = self.ident();
        if key.is_empty() {
            return self.unexpected(&format!("an option such as jitter=10: {OPTION_KEYS}"));
        }
        let lower = key.to_ascii_lowercase();
        let key = match lower.as_str() {
            "yield" | "yield_every" => "yield",
            "jitter" => "jitter",
            "payload" => "payload",
            _ => {
                return self.fail(
                    span,
                    format!("unknown option {}: expected {OPTION_KEYS}", quote(key)),
                )
            }
        };
        self.skip_ws();
        if !self.eat(b'=') {
            return self.unexpected(&format!("\"=\" after {key}, as in {key}=10"));
        }
        self.skip_ws();
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return self.unexpected(&format!("a number after {key}=, as in {key}=10"));
        }
        let q = self.quantity()?;
        let already = match key {
            "yield" => opts.yield_every.is_some(),
            "jitter" => opts.jitter_pct.is_some(),
            _ => opts.payload_kib.is_some(),
        };
        if already {
            return self.fail(
                span.start..q.span.end,
                format!("option {key} is given twice"),
            );
        }
        match key {
            "yield" => {
                let mult = self.count_multiplier(&q)?;
                match self.scale(&q, mult, "a yield interval must be a whole number")? {
                    Some(n) => opts.yield_every = Some(n),
                    None => {
                        return self.fail(q.span, format!("yield={} is too large", clip(q.text)))
                    }
                }
            }
            "jitter" => {
                if !matches!(q.suffix, "" | "%") {
                    return self.fail(
                        q.span,
                        "jitter is a percentage, as in jitter=10 or jitter=10%",
                    );
                }
                match self.scale(&q, 1, "jitter must be a whole percentage")? {
                    // ≤ 100, so it fits u32.
                    Some(j) if j <= u64::from(MAX_JITTER) => opts.jitter_pct = Some(j as u32),
                    _ => {
                        return self
                            .fail(q.span, format!("jitter is at most {MAX_JITTER} (percent)"))
                    }
                }
            }
            _ => {
                let Some(unit) = size_unit(q.suffix) else {
                    return self.fail(
                        q.span,
                        format!(
                            "unknown size unit {}: use KiB or MiB (a plain number is KiB)",
                            quote(q.suffix)
                        ),
                    );
                };
                match self.scale(&q, unit, "payload must be a whole number of KiB")? {
                    // ≤ 65536, so it fits u32.
                    Some(kib) if kib <= u64::from(MAX_PAYLOAD_KIB) => {
                        opts.payload_kib = Some(kib as u32)
                    }
                    _ => {
                        let mib = MAX_PAYLOAD_KIB / 1024;
                        return self.fail(
                            q.span,
                            format!("payload is at most {mib}MiB ({MAX_PAYLOAD_KIB} KiB)"),
                        );
                    }
                }
            }
        }
        Ok(())
    }
}
