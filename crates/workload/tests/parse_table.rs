//! The workload language as a table: input → canonical text or error (span
//! and message). One run lists every mismatching row.

use workload::{parse, Workload, MAX_CPU_N, MAX_GROUPS, MAX_PHASES_PER_GROUP, MAX_TASKS};

type Expect = Result<&'static str, (usize, usize, &'static str)>;

const TABLE: &[(&str, Expect)] = &[
    // Valid: input → canonical text.
    ("2*io(1s)", Ok("2*io(1s)")),
    ("20*cpu(10M)", Ok("20*cpu(10M)")),
    ("1*io(1s)+1*io(2s)", Ok("1*io(1s)+1*io(2s)")),
    ("100*[io(200ms),cpu(1M)]+1*block(500ms)", Ok("100*[io(200ms),cpu(1M)]+1*block(500ms)")),
    ("1*io(1s) 1*io(2s)", Ok("1*io(1s)+1*io(2s)")),
    ("1*io(1s)\n+ 2*io(2s)", Ok("1*io(1s)+2*io(2s)")),
    ("io(1s)", Ok("1*io(1s)")),
    ("1000*incr(await)", Ok("1k*incr(await)")),
    ("4*incr(atomic)", Ok("4*incr(atomic)")),
    ("incr(await=5ms)", Ok("1*incr(await=5ms)")),
    ("[incr,incr(await=0ms)]", Ok("1*[incr,incr(await=0ms)]")),
    ("incr io(1s)", Ok("1*incr+1*io(1s)")),
    ("incr (Atomic) io(1s)", Ok("1*incr(atomic)+1*io(1s)")),
    ("incr( await , jitter = 5 )", Ok("1*incr(await,jitter=5)")),
    ("20*cpu(10M){yield=1k,jitter=10%,payload=64}", Ok("20*cpu(10M){yield=1k,jitter=10,payload=64}")),
    ("io(1s) {jitter=5}", Ok("1*io(1s){jitter=5}")),
    ("cpu(1M,yield=0)", Ok("1*cpu(1M,yield=0)")),
    ("cpu(1M,YIELD_EVERY=2k)", Ok("1*cpu(1M,yield=2k)")),
    ("cpu(1M,payload=1,jitter=2,yield=3)", Ok("1*cpu(1M,yield=3,jitter=2,payload=1)")),
    ("2*IO(1S)", Ok("2*io(1s)")),
    ("1.5k*io(1ms)", Ok("1500*io(1ms)")),
    ("10_000*io(100ms)", Ok("10k*io(100ms)")),
    ("block(0.5s)", Ok("1*block(500ms)")),
    ("io(1.5s)", Ok("1*io(1500ms)")),
    ("io(600000ms)", Ok("1*io(600s)")),
    ("io(0ms)", Ok("1*io(0ms)")),
    ("io(250us)", Ok("1*io(250us)")),
    ("io(1µs)", Ok("1*io(1us)")),
    ("io(0.5us)", Ok("1*io(500ns)")),
    ("cpu(0)", Ok("1*cpu(0)")),
    ("cpu(10G)", Ok("1*cpu(10G)")),
    ("cpu(2.5M)", Ok("1*cpu(2500k)")),
    ("2000000*incr", Ok("2M*incr")),
    ("cpu(1M){payload=1MiB}", Ok("1*cpu(1M){payload=1024}")),
    ("io(1s,payload=1.5M)", Ok("1*io(1s,payload=1536)")),
    ("io(1s,payload=64mib)", Ok("1*io(1s,payload=65536)")),
    (" 2 * [ io( 1s ) , cpu( 1M ) ] ", Ok("2*[io(1s),cpu(1M)]")),
    ("incr", Ok("1*incr")),
    ("incr()", Ok("1*incr")),
    ("incr(jitter=5)", Ok("1*incr(jitter=5)")),
    ("3*io(1.5s,jitter=20)", Ok("3*io(1500ms,jitter=20)")),
    // Invalid: input → span and (part of) the message.
    ("", Err((0, 0, "empty workload: try 2*io(1s)"))),
    ("   ", Err((0, 3, "empty workload: try 2*io(1s)"))),
    ("2*", Err((2, 2, "unexpected end of input: expected a phase such as io(1s), cpu(1M), block(500ms) or incr"))),
    ("*io(1s)", Err((0, 1, "missing count before \"*\": write 2*io(1s), or just io(1s)"))),
    ("+io(1s)", Err((0, 1, "unexpected \"+\": expected a phase"))),
    ("2*io", Err((2, 4, "io needs a duration such as 200ms or 1s"))),
    ("io()", Err((0, 3, "io needs a duration such as 200ms or 1s"))),
    ("io(abc)", Err((3, 4, "io needs a duration such as 200ms or 1s"))),
    ("cpu", Err((0, 3, "cpu needs a count such as 1M"))),
    ("2*io(1)", Err((5, 6, "add a unit to the duration: ms or s, as in 200ms"))),
    ("incr(await=5)", Err((11, 12, "add a unit to the duration: ms or s"))),
    ("2*io(1x)", Err((5, 7, "unknown duration unit \"x\": use us, ms or s"))),
    ("io(1m)", Err((3, 5, "unknown duration unit \"m\": use us, ms or s (minutes are not supported)"))),
    ("2*io(1s", Err((7, 7, "expected \")\" to close io("))),
    ("cpu(1M,yield=1", Err((14, 14, "expected \",\" or \")\" to close cpu("))),
    ("incr(atomic", Err((11, 11, "expected \")\" to close incr("))),
    ("2*io(1)x", Err((5, 6, "add a unit to the duration"))),
    ("2*cpuu(1)", Err((2, 6, "unknown phase \"cpuu\": expected io, cpu, block or incr"))),
    ("abcdefghijklmnopqrstuvwxyz(1s)", Err((0, 26, "unknown phase \"abcdefghijklmnopqrstuvwx…\""))),
    ("0*io(1s)", Err((0, 1, "a group needs at least 1 task"))),
    ("2.5*io(1s)", Err((0, 3, "a count must be a whole number"))),
    ("1.*io(1s)", Err((2, 3, "unexpected \"*\": expected a digit after the decimal point"))),
    ("3000000*io(1s)", Err((0, 7, "count 3000000 is above the limit of 2M tasks in total"))),
    ("2500000*incr", Err((0, 7, "count 2500000 is above the limit of 2M tasks in total"))),
    ("9999999999999999999999k*io(1s)", Err((0, 23, "count 9999999999999999999999k is above the limit of 2M"))),
    ("2000000*io(1s)+1*io(1s)", Err((15, 23, "the groups add up to 2000001 tasks, above the limit of 2M tasks in total"))),
    ("2*[io(1s),]", Err((10, 11, "unexpected \"]\": expected a phase such as io(1s), cpu(1M), block(500ms) or incr"))),
    ("2*[]", Err((2, 4, "empty recipe: put at least one phase inside [ ]"))),
    ("[io(1s)", Err((7, 7, "unexpected end of input: expected \",\" or \"]\" in the recipe"))),
    ("io(1s)++io(1s)", Err((7, 8, "unexpected \"+\": expected a task group after \"+\", such as 1*io(1s)"))),
    ("io(1s)+", Err((7, 7, "unexpected end of input: expected a task group after \"+\", such as 1*io(1s)"))),
    ("io(1s)x", Err((6, 7, "unexpected \"x\": expected \"+\" between task groups"))),
    ("io(1s)\u{0}", Err((6, 7, "unexpected \"\\0\": expected \"+\" between task groups"))),
    ("2 io(1s)", Err((2, 3, "unexpected \"i\": expected \"*\" after the count, as in 2*io(1s)"))),
    ("cpu(1.5)", Err((4, 7, "a count must be a whole number"))),
    ("cpu(10m)", Err((4, 7, "unknown suffix \"m\" on a count: use k, M or G (M for million)"))),
    ("cpu(99999999999999999999999)", Err((4, 27, "cpu(99999999999999999999999) is above the limit of 10G iterations"))),
    ("cpu(20G)", Err((4, 7, "cpu(20G) is above the limit of 10G iterations"))),
    ("cpu(1000000000000000000000000000000000000000)", Err((4, 44, "the number \"100000000000000000000000…\" is too large"))),
    ("io(700s)", Err((3, 7, "700s is too long: a phase lasts at most 600s"))),
    ("io(600.000001s)", Err((3, 14, "600.000001s is too long"))),
    ("io(0.5ns)", Err((3, 8, "a duration must be a whole number of nanoseconds"))),
    ("io(1s){yeld=1}", Err((7, 11, "unknown option \"yeld\": expected yield, jitter or payload"))),
    ("io(1s,yeld)", Err((6, 10, "unknown option \"yeld\": expected yield, jitter or payload"))),
    ("io(1s,jitter)", Err((12, 13, "unexpected \")\": expected \"=\" after jitter, as in jitter=10"))),
    ("io(1s,jitter=)", Err((13, 14, "unexpected \")\": expected a number after jitter="))),
    ("io(1s){jitter=101}", Err((14, 17, "jitter is at most 100 (percent)"))),
    ("io(1s){jitter=10k}", Err((14, 17, "jitter is a percentage"))),
    ("io(1s){jitter=0.5}", Err((14, 17, "jitter must be a whole percentage"))),
    ("io(1s){", Err((7, 7, "unexpected end of input: expected an option"))),
    ("io(1s){}", Err((7, 8, "unexpected \"}\": expected an option"))),
    ("io(1s){jitter=5", Err((15, 15, "unexpected end of input: expected \",\" or \"}\" after a group option"))),
    ("io(1s,jitter=1,jitter=2)", Err((15, 23, "option jitter is given twice"))),
    ("io(1s,yield=5,yield_every=6)", Err((14, 27, "option yield is given twice"))),
    ("io(1s){payload=100000}", Err((15, 21, "payload is at most 64MiB"))),
    ("io(1s){payload=1GiB}", Err((15, 19, "unknown size unit \"GiB\": use KiB or MiB"))),
    ("cpu(1M,yield=1.5)", Err((13, 16, "a yield interval must be a whole number"))),
    ("2*io(1s)é", Err((8, 10, "unexpected \"é\": expected \"+\" between task groups"))),
    ("incr(sometimes)", Err((5, 14, "unknown incr argument \"sometimes\": expected await, await=5ms or atomic"))),
    ("incr(await=)", Err((11, 12, "unexpected \")\": expected a duration after await=, such as await=5ms"))),
    ("incr(atomic=1)", Err((11, 12, "unexpected \"=\": expected \",\" or \")\" to close incr("))),
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
    assert!(TABLE.len() >= 100, "{} rows", TABLE.len());
    assert!(
        bad.is_empty(),
        "{} rows differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
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
    assert_eq!(
        caret.lines().nth(1).unwrap(),
        "^",
        "the é itself is unexpected"
    );
    let input = "2*cpuu(1)";
    assert_eq!(parse(input).unwrap_err().caret(input), "2*cpuu(1)\n  ^^^^");
    let input = "";
    assert_eq!(parse(input).unwrap_err().caret(input), "\n^");
}

#[test]
fn the_caret_is_always_two_lines_even_around_control_characters() {
    let input = "1*io(1s)\n\t2*cpuu(1)";
    let e = parse(input).unwrap_err();
    assert_eq!(e.caret(input), "1*io(1s)  2*cpuu(1)\n            ^^^^");
    for (input, want) in TABLE {
        if want.is_err() {
            let caret = parse(input).unwrap_err().caret(input);
            assert_eq!(caret.lines().count().max(2), 2, "{input:?}: {caret:?}");
        }
    }
}

#[test]
fn group_and_phase_limits_are_exact() {
    let groups = |n: usize| vec!["io(1s)"; n].join("+");
    assert_eq!(parse(&groups(MAX_GROUPS)).unwrap().groups.len(), MAX_GROUPS);
    let input = groups(MAX_GROUPS + 1);
    let e = parse(&input).unwrap_err();
    assert_eq!(
        (e.span.clone(), e.message.as_str()),
        (input.len() - 6..input.len(), "too many groups: at most 64")
    );

    let recipe = |n: usize| format!("[{}]", vec!["cpu(1)"; n].join(","));
    assert_eq!(
        parse(&recipe(MAX_PHASES_PER_GROUP)).unwrap().groups[0]
            .phases
            .len(),
        MAX_PHASES_PER_GROUP
    );
    let input = recipe(MAX_PHASES_PER_GROUP + 1);
    let e = parse(&input).unwrap_err();
    assert_eq!(e.span, input.len() - 7..input.len() - 1);
    assert!(
        e.message.contains("too many phases: at most 64"),
        "{}",
        e.message
    );

    let w = parse("1M*io(1s)+1M*cpu(10G)").unwrap();
    assert_eq!(w.task_count(), MAX_TASKS);
    assert_eq!(w.total_cpu_iterations(), u128::from(MAX_CPU_N) * 1_000_000);
    assert_eq!(w.tasks().size_hint(), (2_000_000, Some(2_000_000)));
    assert!(parse("io(600s)+block(600s)+incr(await=600s)").is_ok());
    assert!(parse("incr(await=601s)").is_err());
    assert!(parse("io(1s,jitter=100,payload=64M)").is_ok());
}

#[test]
fn from_str_and_display_agree_with_parse() {
    let w: Workload = "2*[io(1s),cpu(1M)]{jitter=5}".parse().unwrap();
    assert_eq!(
        Ok(w.clone()),
        parse("2 * [ io(1000ms) , cpu(1000k) ] { jitter = 5% }")
    );
    let e = "2*io(1)".parse::<Workload>().unwrap_err();
    assert_eq!(e.to_string(), e.message);
    let g = &w.groups[0];
    assert_eq!(g.to_string(), "2*[io(1s),cpu(1M)]{jitter=5}");
    assert_eq!(g.phases[1].to_string(), "cpu(1M)");
}

#[test]
fn the_caret_counts_chars_not_bytes_after_non_ascii_text() {
    // (input, span, caret line): each error stands after a 2-byte µ or é, so
    // its byte offset is one more than its char offset.
    let cases = [
        ("io(1µs,yeld=1)", 8..12, "       ^^^^"),
        ("io(1µs)+2*cpuu(1)", 11..15, "          ^^^^"),
        ("io(1µs)+é", 9..11, "        ^"),
        (
            "cpu(1M){jitter=5}+io(1µs",
            25..25,
            "                        ^",
        ),
    ];
    for (input, span, marks) in cases {
        let e = parse(input).unwrap_err();
        assert_eq!(e.span, span, "{input:?}: {}", e.message);
        let caret = e.caret(input);
        let lines: Vec<&str> = caret.split('\n').collect();
        assert_eq!(lines, [input, marks], "{input:?}");
        let first = lines[1].find('^').unwrap();
        assert_eq!(first, input[..e.span.start].chars().count(), "{input:?}");
    }
}
