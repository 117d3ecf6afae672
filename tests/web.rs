//! Browser-binding tests: run with `cargo test --target wasm32-unknown-unknown`
//! in headless Chromium (wasm-bindgen-test). They check the thin layer between
//! the pure engine and the browser: the real clock, time-origin conversion,
//! the kernel compiled to wasm, and the visible panic message.

use std::rc::Rc;

use engine::executor::{Executor, Outcome};
use engine::time::Clock;
use nogil_playground::clock::{epoch_ms, epoch_ms_to_page_ns, now_ms, time_origin_ms, RealClock};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn the_real_clock_is_monotonic_and_in_nanoseconds() {
    let clock = RealClock;
    let a = clock.now();
    let mut last = a;
    let start = now_ms();
    while now_ms() - start < 2.0 {
        let c = clock.now();
        assert!(c >= last, "the clock went backwards");
        last = c;
    }
    // Read after the spin: outside cross-origin isolation Chrome coarsens
    // (and jitters) performance.now() to 100 µs, so allow that twice over.
    let b = clock.now();
    assert!(
        b - a >= 1_700_000,
        "2 ms of spinning reads as at least 1.7 ms: {} ns",
        b - a
    );
}

#[wasm_bindgen_test]
fn epoch_instants_convert_to_the_page_clock() {
    let page = RealClock.now();
    let converted = epoch_ms_to_page_ns(epoch_ms());
    let diff = converted.abs_diff(page);
    // Wide enough for a thread descheduled between the two readings on a
    // loaded machine; a unit or origin mistake is off by far more.
    assert!(
        diff < 100_000_000,
        "an instant taken now converts to now (±100 ms): off by {diff} ns"
    );
    assert!(
        time_origin_ms() > 1.5e12,
        "timeOrigin is an epoch time in ms"
    );
}

#[wasm_bindgen_test]
fn the_kernel_compiled_to_wasm_is_exact_and_really_runs() {
    assert_eq!(
        workload::sum_squares(10_000_000),
        333_333_283_333_335_000_000
    );
    // Were the loop folded to its closed form, 20 million iterations would
    // take no measurable time; real work takes milliseconds.
    let t0 = now_ms();
    let s = workload::sum_squares(20_000_000);
    let took = now_ms() - t0;
    assert_eq!(s, workload::closed_form(20_000_000));
    assert!(
        took > 1.0,
        "20M iterations took {took} ms: was the loop folded away?"
    );
}

#[wasm_bindgen_test]
fn the_executor_runs_on_the_real_clock() {
    let ex = Executor::new(Rc::new(RealClock));
    let h = ex.handle();
    let done = Rc::new(std::cell::Cell::new(false));
    let d = done.clone();
    ex.spawn(async move {
        h.sleep(1_000_000).await;
        d.set(true);
    });
    // No driver yet: spin the executor by hand until its 1 ms timer is due.
    let deadline = now_ms() + 1000.0;
    loop {
        match ex.run(RealClock.now() + 1_000_000) {
            Outcome::Done => break,
            Outcome::Sleeping { .. } | Outcome::Ready => {
                assert!(now_ms() < deadline, "timer never fired")
            }
            Outcome::Stalled => panic!("stalled"),
        }
    }
    assert!(done.get());
}

#[wasm_bindgen_test]
fn a_fatal_error_is_shown_in_the_page_and_marks_the_run_failed() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let el = doc.create_element("div").unwrap();
    el.set_id("fatal");
    el.set_attribute("hidden", "").unwrap();
    doc.body().unwrap().append_child(&el).unwrap();
    nogil_playground::fatal::show_fatal("boom: something broke");
    assert_eq!(el.text_content().as_deref(), Some("boom: something broke"));
    assert!(!el.has_attribute("hidden"));
    assert_eq!(
        doc.body()
            .unwrap()
            .get_attribute("data-run-state")
            .as_deref(),
        Some("failed")
    );
}

#[wasm_bindgen_test]
async fn the_javascript_model_runs_the_generated_program_and_reports_its_spans() {
    use engine::model::{Model, RunConfig};
    use engine::trace::SpanState;
    use nogil_playground::runtime::{js, CancelToken};
    let w: workload::Workload = "2*[io(20ms),cpu(100k)]+1*incr".parse().unwrap();
    let cfg = RunConfig {
        workers: 2,
        ..RunConfig::new(Model::Js)
    };
    let t = js::run(&w, &cfg, &CancelToken::new(), |_| {})
        .await
        .expect("the program runs");
    assert_eq!(t.model, Some(Model::Js));
    assert_eq!(
        t.checksum,
        2 * workload::closed_form(100_000),
        "the same exact Σi² as our kernel"
    );
    assert_eq!((t.counter, t.increments), (1, 1));
    // Each task waited, then computed; the two waits overlap (one event loop, timers in parallel).
    let waits: Vec<_> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Waiting && s.task < 2)
        .collect();
    assert_eq!(waits.len(), 2);
    assert!(
        waits[0].start < waits[1].end && waits[1].start < waits[0].end,
        "{waits:?}"
    );
    assert!(t
        .spans
        .iter()
        .all(|s| s.start >= t.start && s.end <= t.end + 1_000_000));
}

#[wasm_bindgen_test]
async fn cancelling_the_javascript_model_stops_it_and_says_so() {
    use engine::model::{Model, RunConfig};
    use nogil_playground::runtime::{js, CancelToken};
    let w: workload::Workload = "3*io(10s)".parse().unwrap();
    let cancel = CancelToken::new();
    let c = cancel.clone();
    wasm_bindgen_futures::spawn_local(async move {
        nogil_playground::runtime::next_macrotask().await;
        c.cancel();
    });
    let t = js::run(&w, &RunConfig::new(Model::Js), &cancel, |_| {})
        .await
        .expect("a cancelled run still reports");
    assert!(t.cancelled);
    assert!(
        t.wall() < 5_000_000_000,
        "it stopped long before its 10 s sleeps ended"
    );
}

#[wasm_bindgen_test]
fn a_cancel_hook_set_after_cancel_runs_at_once() {
    use nogil_playground::runtime::CancelToken;
    use std::cell::Cell;
    use std::rc::Rc;
    let cancel = CancelToken::new();
    let fired = Rc::new(Cell::new(0));
    let f = fired.clone();
    cancel.on_cancel(move || f.set(f.get() + 1));
    assert_eq!(fired.get(), 0);
    cancel.cancel();
    assert_eq!(fired.get(), 1);
    // Cancel pressed while a run was still getting ready: the hook the run
    // sets when it begins runs there and then.
    let late = Rc::new(Cell::new(0));
    let l = late.clone();
    cancel.on_cancel(move || l.set(l.get() + 1));
    assert_eq!(late.get(), 1);
}

#[wasm_bindgen_test]
async fn a_loop_run_cancelled_before_it_began_ends_at_once_marked_cancelled() {
    use engine::model::{Model, RunConfig};
    use nogil_playground::runtime::{run, CancelToken};
    // Ten-second sleeps: a run that did not see the cancel would finish
    // them and come back not cancelled, with every task done.
    let w: workload::Workload = "4*io(10s)".parse().unwrap();
    let cancel = CancelToken::new();
    cancel.cancel();
    let t = run(
        &w,
        &RunConfig::new(Model::Loop),
        None,
        &cancel,
        false,
        &engine::costs::Costs::default(),
        |_| {},
    )
    .await
    .expect("a cancelled run still reports");
    assert!(t.cancelled);
    assert!(
        !t.spans
            .iter()
            .any(|s| s.state == engine::trace::SpanState::Waiting),
        "no sleep ran to its end"
    );
}

#[wasm_bindgen_test]
fn the_cost_model_survives_a_reload_through_local_storage() {
    use engine::costs::{Calibration, Cost, Origin};
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let mut cal = Calibration::default();
    cal.observe(Cost::Dispatch, 42_000.0, 9, Origin::Run, 1.0);
    storage
        .set_item("nogil-test-costs", &cal.to_json())
        .unwrap();
    let back =
        Calibration::from_json(&storage.get_item("nogil-test-costs").unwrap().unwrap()).unwrap();
    assert_eq!(back.costs.get(Cost::Dispatch), 42_000.0);
    assert_eq!(back.provenance(Cost::Dispatch).origin, Origin::Run);
    storage.remove_item("nogil-test-costs").unwrap();
}

#[wasm_bindgen_test]
async fn the_loop_driver_records_its_slices_hops_and_the_scheduler_events() {
    use engine::model::{Model, RunConfig};
    use engine::trace::EventKind;
    use nogil_playground::runtime::{run, CancelToken};
    let w: workload::Workload = "3*[io(5ms),cpu(2M,yield=100k)]".parse().unwrap();
    let cfg = RunConfig::new(Model::Loop);
    let t = run(
        &w,
        &cfg,
        None,
        &CancelToken::new(),
        false,
        &engine::costs::Costs::default(),
        |_| {},
    )
    .await
    .unwrap();
    let d = t.driver.expect("the loop's driver measured itself");
    assert!(d.slices >= 1 && d.polls > 0 && d.spawns >= 3);
    assert!(d.busy <= t.wall() + 1_000_000);
    for kind in [
        EventKind::Spawn,
        EventKind::Start,
        EventKind::Wait,
        EventKind::Wake,
        EventKind::Yield,
        EventKind::Done,
    ] {
        assert!(t.events.iter().any(|e| e.kind == kind), "no {kind:?} event");
    }
    assert!(
        t.events.windows(2).all(|w| w[0].at <= w[1].at),
        "events in time order"
    );
    assert_eq!(t.checksum, 3 * workload::closed_form(2_000_000));
}

/// The mailbox's hand-shake, both sides on this one thread: the worker's
/// `serve` reads its clock between looks at the mailbox, and that clock
/// (virtual, 10 µs a reading) plays the page: `page(n, mailbox)` runs at the
/// n-th reading. Over a plain (not shared) buffer `Atomics.wait` throws, so
/// the worker never sleeps: every step is a reading of this clock. Returns
/// the readings taken and, per request served, (the reading it came after, the request).
fn serve_with_page(
    mb: &nogil_playground::mailbox::Mailbox,
    page: impl Fn(u32, &nogil_playground::mailbox::Mailbox),
) -> (u32, Vec<(u32, Vec<u8>)>) {
    use std::cell::{Cell, RefCell};
    let readings = Cell::new(0u32);
    let served = RefCell::new(Vec::new());
    let page_side = mb.clone();
    mb.serve(
        || {
            let n = readings.get();
            // A worker that never leaves would hang the test: fail it instead.
            assert!(n < 100_000, "the worker never left its mailbox");
            readings.set(n + 1);
            page(n, &page_side);
            f64::from(n) * 0.01
        },
        |request| {
            served.borrow_mut().push((readings.get(), request.to_vec()));
            assert!(
                !page_side.try_post(b"while busy"),
                "a job was taken while another ran"
            );
            [b"answer to ".as_slice(), request].concat()
        },
        |_| panic!("a short answer went as a message"),
    );
    (readings.get(), served.into_inner())
}

fn plain_mailbox() -> nogil_playground::mailbox::Mailbox {
    nogil_playground::mailbox::Mailbox::over(js_sys::Int32Array::new_with_length(
        nogil_playground::mailbox::BYTES / 4,
    ))
}

/// One job through a fresh plain mailbox, posted at the worker's third
/// reading; `during(page)` runs while the worker serves it. Returns the
/// mailbox and the readings taken.
fn serve_one(
    during: impl Fn(&nogil_playground::mailbox::Mailbox),
) -> (nogil_playground::mailbox::Mailbox, u32) {
    let mb = plain_mailbox();
    let page = mb.clone();
    let readings = std::cell::Cell::new(0u32);
    mb.serve(
        || {
            let n = readings.get();
            assert!(n < 100_000, "the worker never left its mailbox");
            readings.set(n + 1);
            if n == 2 {
                assert!(page.try_post(b"job"));
            }
            f64::from(n) * 0.01
        },
        |_| {
            during(&page);
            b"done".to_vec()
        },
        |_| panic!("a short answer went as a message"),
    );
    (mb, readings.get())
}

#[wasm_bindgen_test]
fn a_mailbox_takes_jobs_only_while_its_worker_listens_and_carries_answers_back() {
    use std::cell::RefCell;
    let mb = plain_mailbox();
    assert!(!mb.try_post(b"early"), "nobody listens yet");
    let answers = RefCell::new(Vec::new());
    let (readings, served) = serve_with_page(&mb, |n, page| match n {
        3 => assert!(page.try_post(b"job 1"), "the worker listens"),
        50 => answers.borrow_mut().extend(page.take_answer()),
        60 => assert!(page.try_post(b"job 2"), "it listens again after a job"),
        100 => answers.borrow_mut().extend(page.take_answer()),
        101 => assert!(page.take_answer().is_none(), "an answer is taken once"),
        _ => {}
    });
    let requests: Vec<&[u8]> = served.iter().map(|(_, r)| r.as_slice()).collect();
    assert_eq!(requests, vec![b"job 1".as_slice(), b"job 2"]);
    assert_eq!(
        answers.into_inner(),
        vec![b"answer to job 1".to_vec(), b"answer to job 2".to_vec()]
    );
    // It left after LINGER_MS of quiet after the last job, not before.
    let last = served.last().map_or(0, |(at, _)| *at);
    let quiet = f64::from(readings - last) * 0.01;
    assert!(
        quiet >= nogil_playground::mailbox::LINGER_MS,
        "left after {quiet} ms of quiet"
    );
    assert!(!mb.try_post(b"late"), "gone back to its event loop");
}

#[wasm_bindgen_test]
fn a_message_on_its_way_sends_the_worker_back_and_no_job_overtakes_it() {
    use std::cell::Cell;
    let mb = plain_mailbox();
    let refused = Cell::new(false);
    let (readings, served) = serve_with_page(&mb, |n, page| {
        if n == 5 {
            page.message_coming();
            refused.set(!page.try_post(b"after the message"));
        }
    });
    assert!(refused.get(), "a job overtook a message");
    assert!(served.is_empty());
    assert!(
        readings <= 7,
        "still listening with a message waiting: {readings} readings"
    );
    // The worker takes the message; then it may listen, and take jobs, again.
    assert!(!mb.try_post(b"job"), "back in its event loop");
    mb.message_handled();
    let (_, served) = serve_with_page(&mb, |n, page| {
        if n == 2 {
            assert!(
                page.try_post(b"job"),
                "listening again once the message is taken"
            );
        }
    });
    assert_eq!(served.len(), 1);
}

#[wasm_bindgen_test]
fn a_worker_with_a_message_waiting_does_not_listen_after_its_job() {
    // Announced while the job runs: nothing to wake, so the worker must see
    // it before listening again.
    let (mb, readings) = serve_one(|page| page.message_coming());
    assert!(
        readings <= 6,
        "lingered with a message waiting: {readings} readings"
    );
    assert_eq!(mb.take_answer(), Some(b"done".to_vec()));
    assert!(!mb.try_post(b"next"), "a job would overtake the message");
}

#[wasm_bindgen_test]
fn a_request_taken_back_before_the_worker_looks_is_never_served() {
    use std::cell::RefCell;
    let mb = plain_mailbox();
    let reclaimed = RefCell::new(None);
    // Posted, then taken back before the worker looks again (as the pool's
    // safety net does with a request left untaken): the worker goes back
    // to its event loop without serving it.
    let (readings, served) = serve_with_page(&mb, |n, page| {
        if n == 3 {
            assert!(page.try_post(b"job"));
            assert!(page.request_untaken());
            *reclaimed.borrow_mut() = page.reclaim();
        }
    });
    assert_eq!(reclaimed.into_inner(), Some(b"job".to_vec()));
    assert!(served.is_empty(), "served a job the page took back");
    assert!(
        readings <= 5,
        "stayed {readings} readings after the job was taken back"
    );
    assert!(!mb.try_post(b"again"), "back in its event loop");
    assert!(!mb.answer_waiting());
}

#[wasm_bindgen_test]
fn a_request_the_worker_has_taken_cannot_be_taken_back() {
    // While a job runs, its request is the worker's.
    let tried = std::cell::RefCell::new(Vec::new());
    let (mb, _) = serve_one(|page| {
        tried.borrow_mut().push(page.reclaim());
        assert!(!page.request_untaken());
    });
    assert_eq!(
        tried.into_inner(),
        vec![None],
        "took back a request being served"
    );
    assert_eq!(mb.take_answer(), Some(b"done".to_vec()));
}

#[wasm_bindgen_test]
fn the_prediction_warning_names_each_miss_and_says_when_runs_are_too_short_to_judge() {
    use nogil_playground::ui::results::fidelity_warning_text;
    // Within 15 %: nothing to say.
    assert_eq!(
        fidelity_warning_text(&[("Event loop", 14.9, 5.0), ("Sequential", -3.0, 900.0)]),
        None
    );
    assert_eq!(fidelity_warning_text(&[]), None);
    // Only short runs missed: the warning names them, says such runs vary,
    // and how to get steadier figures.
    let short = fidelity_warning_text(&[
        ("Worker pool", -26.2, 4.5),
        ("Loop + pool", -48.0, 7.3),
        ("Sequential", 2.0, 5.3),
    ])
    .unwrap();
    assert!(
        short.contains("for Worker pool -26 %, Loop + pool -48 %."),
        "{short}"
    );
    assert!(!short.contains("Sequential"), "{short}");
    assert!(
        short.contains("under 200 ms can vary") && short.contains("double the workload"),
        "{short}"
    );
    assert!(!short.contains("not yet well measured"), "{short}");
    // A long run missed too: the general causes, no word about short runs.
    let long =
        fidelity_warning_text(&[("Worker pool", 30.0, 4.5), ("Threads + GIL", -20.0, 1500.0)])
            .unwrap();
    assert!(
        long.contains("for Worker pool +30 %, Threads + GIL -20 %:"),
        "{long}"
    );
    assert!(
        long.contains("not yet well measured") && !long.contains("under 200 ms"),
        "{long}"
    );
    // Just over the limit: not shown as the limit itself.
    let edge = fidelity_warning_text(&[("Sequential", 15.3, 5.0)]).unwrap();
    assert!(edge.contains("Sequential +15.3 %."), "{edge}");
    // Single spaces: no source indentation inside the text.
    assert!(
        !short.contains("  ") && !long.contains("  "),
        "{short} / {long}"
    );
}
