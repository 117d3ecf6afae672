//! No input panics; every error points inside the input; every workload
//! survives print → parse unchanged.

use proptest::prelude::*;
use workload::*;

fn check(input: &str) {
    match parse(input) {
        Ok(w) => assert_eq!(parse(&w.to_string()), Ok(w.clone()), "{input:?} → {w}"),
        Err(e) => {
            assert!(
                e.span.start <= e.span.end && e.span.end <= input.len(),
                "{input:?}: {:?}",
                e.span
            );
            assert!(
                input.is_char_boundary(e.span.start) && input.is_char_boundary(e.span.end),
                "{input:?}: {:?}",
                e.span
            );
            assert!(
                !e.message.is_empty() && !e.message.contains('\n'),
                "{input:?}: {:?}",
                e.message
            );
            let _ = e.caret(input);
        }
    }
}

fn opts() -> impl Strategy<Value = Options> {
    (
        // yield has no limit of its own: any u64 must print and parse back.
        proptest::option::of(prop_oneof![0u64..=10_000_000_000, any::<u64>()]),
        proptest::option::of(0u32..=100),
        proptest::option::of(0u32..=65_536),
    )
        .prop_map(|(yield_every, jitter_pct, payload_kib)| Options {
            yield_every,
            jitter_pct,
            payload_kib,
        })
}

/// Any duration within the limit: mostly round values (as people write
/// them), some arbitrary nanoseconds (which print as `…ns`).
fn duration() -> impl Strategy<Value = Nanos> {
    prop_oneof![
        (0u64..=600).prop_map(|s| s * 1_000_000_000),
        (0u64..=600_000).prop_map(|ms| ms * 1_000_000),
        0u64..=MAX_DURATION,
    ]
}

fn phase() -> impl Strategy<Value = Phase> {
    prop_oneof![
        (duration(), opts()).prop_map(|(dur, opts)| Phase::Io { dur, opts }),
        (0u64..=MAX_CPU_N, opts()).prop_map(|(n, opts)| Phase::Cpu { n, opts }),
        (duration(), opts()).prop_map(|(dur, opts)| Phase::Block { dur, opts }),
        (
            prop_oneof![
                Just(IncrMode::Plain),
                Just(IncrMode::Await),
                Just(IncrMode::Atomic),
                duration().prop_map(IncrMode::AwaitFor)
            ],
            opts()
        )
            .prop_map(|(mode, opts)| Phase::Incr { mode, opts }),
    ]
}

/// Up to 4 groups of up to 500k tasks: at most the 2M total.
fn workload() -> impl Strategy<Value = Workload> {
    let count = prop_oneof![1u32..=100, 1u32..=500_000, Just(500_000)];
    proptest::collection::vec(
        (count, proptest::collection::vec(phase(), 1..=6), opts()).prop_map(
            |(count, phases, opts)| Group {
                count,
                phases,
                opts,
            },
        ),
        1..=4,
    )
    .prop_map(|groups| Workload { groups })
}

proptest! {
    // Case counts keep the whole file near a second in a debug build.
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn grammar_shaped_strings_never_panic(s in "[0-9*+\\[\\](){},=. _%ioucpblkrMmsawGtyjed\u{e9}\u{b5}]{0,40}") {
        check(&s);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>().prop_map(|s| s.chars().take(64).collect::<String>())) {
        check(&s);
    }
}

proptest! {
    // Each case builds a whole AST and parses two texts: fewer cases.
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn every_workload_round_trips(w in workload()) {
        let text = w.to_string();
        prop_assert_eq!(parse(&text), Ok(w.clone()));
        // And the spaced-out form that a URL's `+` → space decoding gives.
        let spaced = text.replace('+', " ");
        prop_assert_eq!(parse(&spaced), Ok(w));
    }
}

proptest! {
    // Seven inputs per case.
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn numbers_of_any_size_never_panic(digits in "[0-9_]{1,60}", frac in "(\\.[0-9]{1,45})?", suffix in "(k|M|G|s|ms|us|ns|KiB|%|)") {
        let q = format!("{digits}{frac}{suffix}");
        for input in [
            format!("{q}*io(1s)"), format!("cpu({q})"), format!("io({q})"), format!("incr(await={q})"),
            format!("io(1s,yield={q})"), format!("io(1s){{jitter={q}}}"), format!("io(1s,payload={q})"),
        ] {
            check(&input);
        }
    }
}

#[test]
fn a_megabyte_of_anything_is_refused_quickly() {
    for input in [
        "9".repeat(1 << 20),
        "[".repeat(1 << 20),
        "é".repeat(1 << 19),
        "\u{0}".repeat(1 << 20),
    ] {
        let e = parse(&input).unwrap_err();
        assert_eq!(e.span.end, input.len());
        assert!(input.is_char_boundary(e.span.start) && e.span.start >= MAX_INPUT - 3);
        assert!(e.message.contains("too long"), "{}", e.message);
    }
    // Just under the limit, deep nesting or long runs still come back.
    check(&"[".repeat(MAX_INPUT));
    check(&"9".repeat(MAX_INPUT));
    check(&format!("cpu({})", "9_".repeat((MAX_INPUT - 5) / 2)));
}

#[test]
fn a_huge_input_is_refused_with_a_span_inside_it() {
    let input = "1*io(1s)+".repeat(2_500);
    let e = parse(&input).unwrap_err();
    assert!(e.span.end == input.len() && e.span.start <= e.span.end);
    assert!(e.message.contains("too long"));
    let input = "é".repeat(6_000);
    let e = parse(&input).unwrap_err();
    assert!(input.is_char_boundary(e.span.start));
}
