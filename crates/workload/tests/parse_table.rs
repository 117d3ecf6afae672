//! The workload language as a table: input → canonical text or error (span
//! and message). One run lists every mismatching row.

use workload::parse;

type Expect = Result<&'static str, (usize, usize, &'static str)>;

const TABLE: &[(&str, Expect)] = &[
    ("2*io(1s)", Ok("2*io(1s)")),
    ("20*cpu(10M)", Ok("20*cpu(10M)")),
    ("1*io(1s)+1*io(2s)", Ok("1*io(1s)+1*io(2s)")),
    ("100*[io(200ms),cpu(1M)]+1*block(500ms)", Ok("100*[io(200ms),cpu(1M)]+1*block(500ms)")),
    ("1*io(1s) 1*io(2s)", Ok("1*io(1s)+1*io(2s)")),
    ("io(1s)", Ok("1*io(1s)")),
    ("1000*incr(await)", Ok("1k*incr(await)")),
    ("4*incr(atomic)", Ok("4*incr(atomic)")),
    ("incr(await=5ms)", Ok("1*incr(await=5ms)")),
    ("20*cpu(10M){yield=1k,jitter=10%,payload=64}", Ok("20*cpu(10M){yield=1k,jitter=10,payload=64}")),
    ("cpu(1M,yield=0)", Ok("1*cpu(1M,yield=0)")),
    ("2*IO(1S)", Ok("2*io(1s)")),
    ("1.5k*io(1ms)", Ok("1500*io(1ms)")),
    ("10_000*io(100ms)", Ok("10k*io(100ms)")),
    ("block(0.5s)", Ok("1*block(500ms)")),
    ("io(250us)", Ok("1*io(250us)")),
    ("cpu(1M){payload=1MiB}", Ok("1*cpu(1M){payload=1024}")),
    (" 2 * [ io( 1s ) , cpu( 1M ) ] ", Ok("2*[io(1s),cpu(1M)]")),
    ("incr", Ok("1*incr")),
    ("incr()", Ok("1*incr")),
    ("incr(jitter=5)", Ok("1*incr(jitter=5)")),
    ("3*io(1.5s,jitter=20)", Ok("3*io(1500ms,jitter=20)")),
    ("2500000*incr", Err((0, 7, "count 2500000 is above the limit of 2M tasks in total"))),
    ("cpu(2.5M)", Ok("1*cpu(2500k)")),
    ("", Err((0, 0, "empty workload: try 2*io(1s)"))),
    ("   ", Err((0, 3, "empty workload: try 2*io(1s)"))),
    ("2*", Err((2, 2, "unexpected end of input: expected a phase such as io(1s), cpu(1M), block(500ms) or incr"))),
    ("*io(1s)", Err((0, 1, "missing count before \"*\": write 2*io(1s), or just io(1s)"))),
    ("2*io", Err((2, 4, "io needs a duration such as 200ms or 1s"))),
    ("2*io(1)", Err((5, 6, "add a unit to the duration: ms or s, as in 200ms"))),
    ("2*io(1x)", Err((5, 7, "unknown duration unit \"x\": use us, ms or s"))),
    ("2*io(1s", Err((7, 7, "expected \")\" to close io("))),
    ("2*cpuu(1)", Err((2, 6, "unknown phase \"cpuu\": expected io, cpu, block or incr"))),
    ("0*io(1s)", Err((0, 1, "a group needs at least 1 task"))),
    ("3000000*io(1s)", Err((0, 7, "count 3000000 is above the limit of 2M tasks in total"))),
    ("2000000*io(1s)+1*io(1s)", Err((15, 23, "2000001 tasks is above the limit of 2M tasks in total"))),
    ("2*[io(1s),]", Err((10, 11, "unexpected \"]\": expected a phase such as io(1s), cpu(1M), block(500ms) or incr"))),
    ("2*[]", Err((2, 4, "empty recipe: put at least one phase inside [ ]"))),
    ("io(1s)++io(1s)", Err((7, 8, "unexpected \"+\": expected a task group after \"+\", such as 1*io(1s)"))),
    ("io(1s)+", Err((7, 7, "unexpected end of input: expected a task group after \"+\", such as 1*io(1s)"))),
    ("cpu(1.5)", Err((4, 7, "a size must be a whole number"))),
    ("io(1s){yeld=1}", Err((7, 11, "unknown option \"yeld\": expected yield, jitter or payload"))),
    ("io(1s){jitter=101}", Err((14, 17, "jitter is at most 100 (percent)"))),
    ("io(1s,jitter=1,jitter=2)", Err((15, 23, "option jitter is given twice"))),
    ("cpu(99999999999999999999999)", Err((4, 27, "that size is too large"))),
    ("cpu(20G)", Err((4, 7, "cpu(20000000000) is above the limit of 10G iterations"))),
    ("io(700s)", Err((3, 7, "that duration is too long: at most 600s"))),
    ("io(1m)", Err((3, 5, "unknown duration unit \"m\": use us, ms or s (minutes are not supported)"))),
    ("io(0.5us)", Err((3, 8, "a duration must be a whole number of microseconds"))),
    ("2*io(1s)é", Err((8, 10, "unexpected \"é\": expected \"+\" between task groups"))),
    ("incr(sometimes)", Err((5, 14, "unknown incr argument \"sometimes\": expected await, await=5ms or atomic"))),
    ("2 io(1s)", Err((2, 3, "unexpected \"i\": expected \"*\" after the count, as in 2*io(1s)"))),
    ("[io(1s)", Err((7, 7, "unexpected end of input: expected \",\" or \"]\" in the recipe"))),
    ("io(1s){payload=100000}", Err((15, 21, "payload is at most 64MiB"))),
    ("cpu(1M,yield=1.5)", Err((13, 16, "a yield interval must be a whole number"))),
];

#[test]
fn the_table_holds() {
    let mut bad = Vec::new();
    for (input, want) in TABLE {
        let got = match parse(input) {
            Ok(w) => Ok(w.to_string()),
            Err(e) => Err((e.span.start, e.span.end, e.message)),
        };
        let ok = match (&got, want) {
            (Ok(g), Ok(w)) => g == w,
            (Err((s, e, m)), Err((ws, we, wm))) => s == ws && e == we && m.contains(wm),
            _ => false,
        };
        if !ok {
            bad.push(format!("{input:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(TABLE.len() >= 45);
    assert!(bad.is_empty(), "{} rows differ:\n{}", bad.len(), bad.join("\n"));
}

#[test]
fn canonical_text_is_a_fixed_point() {
    for (input, want) in TABLE {
        if let Ok(text) = want {
            assert_eq!(parse(text).unwrap().to_string(), *text, "from {input:?}");
        }
    }
}

#[test]
fn the_caret_sits_under_the_offending_characters() {
    let input = "2*io(1s)é";
    let e = parse(input).unwrap_err();
    assert_eq!(e.caret(input), "2*io(1s)é\n        ^");
    let input = "é 2*cpuu(1)";
    let e = parse(input).unwrap_err();
    let caret = e.caret(input);
    assert_eq!(caret.lines().count(), 2);
    assert_eq!(caret.lines().nth(1).unwrap(), "^", "the é itself is unexpected");
    let input = "2*cpuu(1)";
    assert_eq!(parse(input).unwrap_err().caret(input), "2*cpuu(1)\n  ^^^^");
    let input = "";
    assert_eq!(parse(input).unwrap_err().caret(input), "\n^");
}
