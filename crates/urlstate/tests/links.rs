//! Links as tutorial authors write them, and garbage as the world sends it.

use engine::model::Model;
use proptest::prelude::*;
use urlstate::{decode, encode, percent_encode, Scenario, Theme, View};

#[test]
fn hand_written_links_read_as_meant() {
    let d =
        decode("?v=1&w=1*io(1s)+1*io(2s)&models=seq,loop&workers=4&limit=10&switch=5ms&seed=42");
    assert!(d.errors.is_empty() && d.notices.is_empty(), "{d:?}");
    let s = d.scenario;
    assert_eq!(s.workload, "1*io(1s)+1*io(2s)");
    assert_eq!(s.models, vec![Model::Sequential, Model::Loop]);
    assert_eq!(
        (s.workers, s.limit, s.switch_us, s.seed),
        (Some(4), Some(10), Some(5000), Some(42))
    );
    // The same link after a tool turned + into %2B or a space.
    assert_eq!(
        decode("w=1*io(1s)%2B1*io(2s)").scenario.workload,
        "1*io(1s)+1*io(2s)"
    );
    let spaced = decode("w=1*io(1s)%201*io(2s)").scenario.workload;
    assert_eq!(
        workload::parse(&spaced),
        workload::parse("1*io(1s)+1*io(2s)")
    );
}

#[test]
fn the_readme_links_read_as_meant() {
    let d = decode("?v=1&w=1*io(1s)+1*io(2s)&models=seq,loop");
    assert!(d.errors.is_empty() && d.notices.is_empty(), "{d:?}");
    assert_eq!(d.scenario.workload, "1*io(1s)+1*io(2s)");
    assert_eq!(d.scenario.models, vec![Model::Sequential, Model::Loop]);

    let d = decode("?preset=gather");
    assert!(d.errors.is_empty() && d.notices.is_empty(), "{d:?}");
    assert_eq!(d.scenario.preset.as_deref(), Some("gather"));
    assert_eq!(d.scenario.workload, "1*io(1s)+1*io(2s)");
    assert_eq!(d.scenario.models, vec![Model::Sequential, Model::Loop]);

    let d = decode("?preset=few-connections&limit=5");
    assert!(d.errors.is_empty() && d.notices.is_empty(), "{d:?}");
    assert_eq!(d.scenario.limit, Some(5));

    let d = decode("?v=1&w=20*cpu(10M)&models=seq,loop,pool&workers=4&seed=42");
    assert!(d.errors.is_empty() && d.notices.is_empty(), "{d:?}");
    let s = &d.scenario;
    assert_eq!(s.workload, "20*cpu(10M)");
    assert_eq!(s.models, vec![Model::Sequential, Model::Loop, Model::Pool]);
    assert_eq!((s.workers, s.seed), (Some(4), Some(42)));
    assert_eq!(
        encode(s),
        "v=1&w=20*cpu(10M)&models=seq,loop,pool&workers=4&seed=42"
    );

    let d = decode("?preset=gather&embed=1&autorun=1&at=500ms&inspect=loop");
    assert!(d.errors.is_empty() && d.notices.is_empty(), "{d:?}");
    let s = &d.scenario;
    assert!(s.embed && s.autorun);
    assert_eq!(s.at_ns, Some(500_000_000));
    assert_eq!(s.inspect, Some(Model::Loop));
    assert_eq!(s.workload, "1*io(1s)+1*io(2s)");
}

#[test]
fn a_plus_that_a_tool_mangled_still_means_plus() {
    let want = workload::parse("1*io(1s)+1*io(2s)").expect("the README workload parses");
    for q in [
        "w=1*io(1s)+1*io(2s)",
        "w=1*io(1s)%2B1*io(2s)",
        "w=1*io(1s)%2b1*io(2s)",
        "w=1*io(1s)%201*io(2s)",
        "w=1*io(1s) 1*io(2s)",
    ] {
        let d = decode(q);
        assert!(d.errors.is_empty(), "{q}: {d:?}");
        assert_eq!(
            workload::parse(&d.scenario.workload).as_ref(),
            Ok(&want),
            "{q}"
        );
    }
    // Escapes that do not read are kept as written (the editor shows them).
    assert_eq!(decode("w=2*io(1s)%zz").scenario.workload, "2*io(1s)%zz");
    assert_eq!(decode("w=%FF").scenario.workload, "\u{FFFD}");
}

#[test]
fn the_playhead_reads_durations() {
    let good = [
        ("500ms", 500_000_000),
        ("1.5s", 1_500_000_000),
        ("250us", 250_000),
        ("2s", 2_000_000_000),
        ("0ms", 0),
        ("600s", 600_000_000_000),
        (" 20MS ", 20_000_000),
        ("1500ns", 1_500),
    ];
    for (v, ns) in good {
        let d = decode(&format!("at={v}"));
        assert!(d.errors.is_empty(), "{v}: {d:?}");
        assert_eq!(d.scenario.at_ns, Some(ns), "{v}");
    }
    for v in [
        "",
        "500",
        "-1s",
        "601s",
        "1h",
        "soon",
        "1s,jitter=5",
        "1s)+io(2s",
        "2*1s",
        "0.5ns",
    ] {
        let d = decode(&format!("at={}&inspect=gil", v.replace('+', "%2B")));
        assert_eq!(d.errors.len(), 1, "{v}: {d:?}");
        assert_eq!(d.errors[0].field, "at", "{v}");
        assert_eq!(d.scenario.at_ns, None, "{v}");
        assert_eq!(d.scenario.inspect, Some(Model::Gil), "the rest still loads");
    }
    // Written back as whole ms when it can be, else us (or ns: nothing is rounded away).
    let at = |ns| {
        encode(&Scenario {
            at_ns: Some(ns),
            ..Scenario::default()
        })
    };
    assert_eq!(at(500_000_000), "v=1&at=500ms");
    assert_eq!(at(2_000_000_000), "v=1&at=2000ms");
    assert_eq!(at(250_000), "v=1&at=250us");
    assert_eq!(at(1_500), "v=1&at=1500ns");
    assert_eq!(at(0), "v=1&at=0ms");
}

#[test]
fn inspect_names_a_model() {
    for m in Model::ALL {
        let d = decode(&format!("inspect={}", m.name().to_uppercase()));
        assert!(d.errors.is_empty(), "{d:?}");
        assert_eq!(d.scenario.inspect, Some(m));
        assert_eq!(encode(&d.scenario), format!("v=1&inspect={}", m.name()));
    }
    let d = decode("inspect=threads&models=gil");
    assert_eq!(d.errors.len(), 1);
    assert_eq!(d.errors[0].field, "inspect");
    for m in Model::ALL {
        assert!(
            d.errors[0].message.contains(m.name()),
            "{} is not offered: {}",
            m.name(),
            d.errors[0].message
        );
    }
    assert_eq!(d.scenario.models, vec![Model::Gil]);
    // Kept even when the models do not include it: the page decides.
    assert_eq!(
        decode("models=seq&inspect=free").scenario.inspect,
        Some(Model::Free)
    );
}

#[test]
fn every_model_name_reads_and_the_order_is_kept() {
    let names: Vec<&str> = Model::ALL.iter().rev().map(|m| m.name()).collect();
    let q = format!("models={}", names.join(","));
    let d = decode(&q);
    assert!(d.errors.is_empty(), "{d:?}");
    assert_eq!(
        d.scenario.models,
        Model::ALL.iter().rev().copied().collect::<Vec<_>>()
    );
    assert_eq!(encode(&d.scenario), format!("v=1&{q}"));

    let d = decode("models=js,jsworker,py,pyasync,JS,seq");
    assert!(d.errors.is_empty(), "{d:?}");
    assert_eq!(
        d.scenario.models,
        vec![
            Model::Js,
            Model::JsWorker,
            Model::Py,
            Model::PyAsync,
            Model::Sequential
        ]
    );

    let d = decode("models=pyasync,threads");
    assert_eq!(d.scenario.models, vec![Model::PyAsync]);
    assert_eq!(d.errors.len(), 1);
    for m in Model::ALL {
        assert!(
            d.errors[0].message.contains(m.name()),
            "{} is not offered: {}",
            m.name(),
            d.errors[0].message
        );
    }
}

#[test]
fn models_round_trip_exactly() {
    for q in [
        "v=1&models=seq,gil,free",
        "v=1&w=4*cpu(10M)&models=seq,gil,free&workers=4",
        "v=1&models=free,seq,gil",
    ] {
        let d = decode(q);
        assert!(d.errors.is_empty(), "{d:?}");
        assert_eq!(encode(&d.scenario), q);
    }
    assert_eq!(
        decode("models=seq,gil,free").scenario.models,
        vec![Model::Sequential, Model::Gil, Model::Free]
    );
}

#[test]
fn a_huge_link_is_cut_with_an_error() {
    let long = format!("v=1&models=seq,loop&w={}", "1*io(1s)+".repeat(30_000 / 9));
    assert!(long.len() >= 30_000);
    let d = decode(&long);
    let link: Vec<_> = d.errors.iter().filter(|e| e.field == "link").collect();
    assert_eq!(link.len(), 1, "{:?}", d.errors);
    assert_eq!(
        d.scenario.models,
        vec![Model::Sequential, Model::Loop],
        "what came before the cut still loads"
    );
    // Cut inside a multi-byte character: no panic, still an error.
    let d = decode(&format!("w={}", "é".repeat(15_000)));
    assert!(d.errors.iter().any(|e| e.field == "link"));
}

#[test]
fn unknown_parameters_are_named_once() {
    let d = decode("colour=red&w=io(1s)&size=2&colour=blue&at=1s&inspect=seq");
    assert!(d.errors.is_empty(), "{d:?}");
    assert_eq!(d.notices.len(), 1);
    assert!(d.notices[0].ends_with("colour, size"), "{}", d.notices[0]);
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
    let d = decode(
        "v=banana&w=2*cpuu(1)&models=seq,threads&workers=0&limit=-3&switch=forever&seed=x&embed=maybe&view=3d&theme=pink&autorun=2\
         &readonly=%&preset=zzz&at=later&inspect=everything&colour=red",
    );
    let fields: Vec<&str> = d.errors.iter().map(|e| e.field.as_str()).collect();
    let all = [
        "v", "w", "models", "workers", "limit", "switch", "seed", "embed", "view", "theme",
        "autorun", "readonly", "preset", "at", "inspect",
    ];
    for f in all {
        assert_eq!(
            fields.iter().filter(|x| **x == f).count(),
            1,
            "not exactly one error names {f}: {fields:?}"
        );
    }
    assert_eq!(fields.len(), all.len(), "{fields:?}");
    assert_eq!((d.scenario.at_ns, d.scenario.inspect), (None, None));
    assert_eq!(
        d.scenario.models,
        vec![Model::Sequential],
        "the valid model is kept"
    );
    assert_eq!(
        d.scenario.workload, "2*cpuu(1)",
        "the text is kept for the editor to show"
    );
    assert!(d.notices[0].contains("colour"));
}

#[test]
fn an_empty_models_field_is_named_and_the_defaults_stay() {
    for link in [
        "w=io(1s)&models=",
        "w=io(1s)&models=,,",
        "w=io(1s)&models=%20",
    ] {
        let d = decode(link);
        assert_eq!(d.errors.len(), 1, "{link}: {d:?}");
        assert_eq!(d.errors[0].field, "models");
        assert!(
            d.errors[0].message.contains("names no model"),
            "{:?}",
            d.errors[0]
        );
        assert!(
            d.scenario.models.is_empty(),
            "{link}: the page's defaults apply"
        );
    }
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
    assert_eq!(
        encode(&s),
        "v=1&w=100*[io(200ms),cpu(1M)]+1*block(500ms)&models=loop,pool&workers=4"
    );
}

/// A playhead: whole ms, whole µs, or any ns, up to 600 s.
fn at_ns() -> impl Strategy<Value = u64> {
    prop_oneof![
        (0u64..=600_000).prop_map(|ms| ms * 1_000_000),
        (0u64..=600_000_000).prop_map(|us| us * 1_000),
        0u64..=600_000_000_000
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        "[ -~é]{0,40}",
        // Any of the ten, in any order: the link's order is kept.
        proptest::sample::subsequence(Model::ALL.to_vec(), 0..=Model::ALL.len()).prop_shuffle(),
        proptest::option::of(1u16..=64),
        proptest::option::of(1u32..=1_000_000),
        proptest::option::of((1u64..=1_000_000).prop_map(|ms| ms)),
        proptest::option::of(any::<u64>()),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        proptest::option::of(prop_oneof![
            Just(View::Timeline),
            Just(View::Compare),
            Just(View::Code),
            Just(View::Controls)
        ]),
        prop_oneof![Just(Theme::Auto), Just(Theme::Light), Just(Theme::Dark)],
        (
            proptest::option::of(at_ns()),
            proptest::option::of(proptest::sample::select(Model::ALL.to_vec())),
        ),
    )
        .prop_map(
            |(
                w,
                models,
                workers,
                limit,
                switch_us,
                seed,
                (embed, autorun, readonly),
                view,
                theme,
                (at_ns, inspect),
            )| Scenario {
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
                at_ns,
                inspect,
            },
        )
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
    fn random_bytes_decode_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        // What a browser hands over is a string, but a mangled link can hold
        // any bytes: read them as the page would (lossily), and as escapes.
        let lossy = String::from_utf8_lossy(&bytes);
        let escaped: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
        for q in [lossy.as_ref(), escaped.as_str(), &format!("w={escaped}&at={escaped}&inspect={escaped}&models={escaped}")] {
            let d = decode(q);
            for e in &d.errors {
                prop_assert!(!e.field.is_empty() && !e.message.is_empty());
            }
        }
    }

    #[test]
    fn garbage_in_at_and_inspect_never_panics(at in "[ -~é]{0,20}", inspect in "[ -~é]{0,20}") {
        let q = format!("at={}&inspect={}", percent_encode(&at), percent_encode(&inspect));
        let d = decode(&q);
        prop_assert!(d.errors.iter().all(|e| e.field == "at" || e.field == "inspect"), "{:?}", d.errors);
        prop_assert_eq!(d.scenario.at_ns.is_some(), !d.errors.iter().any(|e| e.field == "at"));
        prop_assert_eq!(d.scenario.inspect.is_some(), !d.errors.iter().any(|e| e.field == "inspect"));
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
