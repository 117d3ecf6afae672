//! No input panics; every error points inside the input; every workload
//! survives print → parse unchanged.

use proptest::prelude::*;
use workload::*;

fn check(input: &str) {
    match parse(input) {
        Ok(w) => assert_eq!(parse(&w.to_string()), Ok(w.clone()), "{input:?} → {w}"),
        Err(e) => {
            assert!(e.span.start <= e.span.end && e.span.end <= input.len(), "{input:?}: {:?}", e.span);
            assert!(input.is_char_boundary(e.span.start) && input.is_char_boundary(e.span.end), "{input:?}: {:?}", e.span);
            assert!(!e.message.is_empty());
            let _ = e.caret(input);
        }
    }
}

fn opts() -> impl Strategy<Value = Options> {
    (
        proptest::option::of(0u64..=10_000_000_000),
        proptest::option::of(0u32..=100),
        proptest::option::of(0u32..=65_536),
    )
        .prop_map(|(yield_every, jitter_pct, payload_kib)| Options { yield_every, jitter_pct, payload_kib })
}

fn duration() -> impl Strategy<Value = Nanos> {
    (0u64..=600_000_000).prop_map(|us| us * 1_000)
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

fn workload() -> impl Strategy<Value = Workload> {
    proptest::collection::vec(
        (1u32..=5000, proptest::collection::vec(phase(), 1..=4), opts())
            .prop_map(|(count, phases, opts)| Group { count, phases, opts }),
        1..=4,
    )
    .prop_map(|groups| Workload { groups })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn grammar_shaped_strings_never_panic(s in "[0-9*+\\[\\](){},=. _%ioucpblkrMmsawGtyjed\u{e9}\u{b5}]{0,40}") {
        check(&s);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>().prop_map(|s| s.chars().take(64).collect::<String>())) {
        check(&s);
    }

    #[test]
    fn every_workload_round_trips(w in workload()) {
        prop_assert_eq!(parse(&w.to_string()), Ok(w));
    }
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
