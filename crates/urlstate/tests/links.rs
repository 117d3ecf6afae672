//! Links as tutorial authors write them, and garbage as the world sends it.

use engine::model::Model;
use proptest::prelude::*;
use urlstate::{decode, encode, Scenario, Theme, View};

#[test]
fn hand_written_links_read_as_meant() {
    let d = decode("?v=1&w=1*io(1s)+1*io(2s)&models=seq,loop&workers=4&limit=10&switch=5ms&seed=42");
    assert!(d.errors.is_empty() && d.notices.is_empty(), "{d:?}");
    let s = d.scenario;
    assert_eq!(s.workload, "1*io(1s)+1*io(2s)");
    assert_eq!(s.models, vec![Model::Sequential, Model::Loop]);
    assert_eq!((s.workers, s.limit, s.switch_us, s.seed), (Some(4), Some(10), Some(5000), Some(42)));
    // The same link after a tool turned + into %2B or a space.
    assert_eq!(decode("w=1*io(1s)%2B1*io(2s)").scenario.workload, "1*io(1s)+1*io(2s)");
    let spaced = decode("w=1*io(1s)%201*io(2s)").scenario.workload;
    assert_eq!(workload::parse(&spaced), workload::parse("1*io(1s)+1*io(2s)"));
}

#[test]
fn presets_load_by_name_and_explicit_fields_win() {
    let d = decode("preset=few-connections&limit=5");
    assert!(d.errors.is_empty());
    assert_eq!(d.scenario.workload, "100*io(100ms)");
    assert_eq!(d.scenario.limit, Some(5));
    assert_eq!(d.scenario.preset.as_deref(), Some("few-connections"));
    let d = decode("preset=nope");
    assert_eq!(d.errors[0].field, "preset");
    assert!(d.errors[0].message.contains("gather"));
}

#[test]
fn embed_parameters() {
    let s = decode("embed=1&view=timeline&theme=dark&autorun=1&readonly=true").scenario;
    assert!(s.embed && s.autorun && s.readonly);
    assert_eq!((s.view, s.theme), (Some(View::Timeline), Theme::Dark));
}

#[test]
fn garbage_in_every_field_gives_an_error_per_field_and_keeps_the_rest() {
    let d = decode("v=banana&w=2*cpuu(1)&models=seq,threads&workers=0&limit=-3&switch=forever&seed=x&embed=maybe&view=3d&theme=pink&autorun=2&readonly=%&preset=zzz&colour=red");
    let fields: Vec<&str> = d.errors.iter().map(|e| e.field.as_str()).collect();
    for f in ["v", "w", "models", "workers", "limit", "switch", "seed", "embed", "view", "theme", "autorun", "readonly", "preset"] {
        assert!(fields.contains(&f), "no error names {f}: {fields:?}");
    }
    assert_eq!(d.scenario.models, vec![Model::Sequential], "the valid model is kept");
    assert_eq!(d.scenario.workload, "2*cpuu(1)", "the text is kept for the editor to show");
    assert!(d.notices[0].contains("colour"));
}

#[test]
fn a_newer_version_says_so() {
    let d = decode("v=2&w=2*io(1s)");
    assert!(d.errors[0].message.contains("v=2"));
    assert_eq!(d.scenario.workload, "2*io(1s)");
}

#[test]
fn encoding_is_readable() {
    let s = Scenario {
        workload: "100*[io(200ms),cpu(1M)]+1*block(500ms)".into(),
        models: vec![Model::Loop, Model::Pool],
        workers: Some(4),
        ..Scenario::default()
    };
    assert_eq!(encode(&s), "v=1&w=100*[io(200ms),cpu(1M)]+1*block(500ms)&models=loop,pool&workers=4");
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        "[ -~é]{0,40}",
        proptest::sample::subsequence(Model::ALL.to_vec(), 0..=6),
        proptest::option::of(1u16..=64),
        proptest::option::of(1u32..=1_000_000),
        proptest::option::of((1u64..=1_000_000).prop_map(|ms| ms)),
        proptest::option::of(any::<u64>()),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        proptest::option::of(prop_oneof![Just(View::Timeline), Just(View::Compare), Just(View::Code), Just(View::Controls)]),
        prop_oneof![Just(Theme::Auto), Just(Theme::Light), Just(Theme::Dark)],
    )
        .prop_map(|(w, models, workers, limit, switch_us, seed, (embed, autorun, readonly), view, theme)| Scenario {
            preset: None,
            workload: w.trim().to_string(),
            models,
            workers,
            limit,
            switch_us,
            seed,
            embed,
            view,
            theme,
            autorun,
            readonly,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn any_query_decodes_without_panicking(q in any::<String>()) {
        let d = decode(&q);
        for e in &d.errors {
            prop_assert!(!e.field.is_empty() && !e.message.is_empty());
        }
    }

    #[test]
    fn link_shaped_garbage_decodes_without_panicking(q in "[a-z=&%0-9A-F+*(),.\\[\\]]{0,80}") {
        let _ = decode(&q);
    }

    #[test]
    fn every_scenario_round_trips(s in scenario()) {
        let d = decode(&encode(&s));
        // The workload text may not parse (that is an error for the editor to
        // show), but it comes back exactly as written; so does everything else.
        let field_errors: Vec<_> = d.errors.iter().filter(|e| e.field != "w").collect();
        prop_assert!(field_errors.is_empty(), "{:?}", field_errors);
        prop_assert_eq!(d.scenario, s);
    }
}
