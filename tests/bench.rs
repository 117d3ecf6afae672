//! Browser-side measurements for `cargo xtask bench` (not a test: it asserts
//! nothing but prints one `BENCH {json}` line). Each figure is the median of
//! several runs, beside its peer measured in the same page, and carries the
//! number of samples behind it as `<key>_n` (0 or absent: not measured):
//! P1 yield round trip (ours, `spawn_local`, `LocalPool`), P2 spawn + complete
//! and memory per suspended task, P5 the Σi² kernel in wasm, P7 the timeline's
//! pan/zoom frame against SVG, P9 a live redraw (the incremental row index
//! update for 1,000 new spans plus a full-window draw, at 100,000 spans).
//!
//! The slice hop (P3) is measured in the real, cross-origin isolated page by
//! `bench/page.mjs`: this page is not isolated, so its clock is coarse.
//!
//! Run alone: `cargo test --release --target wasm32-unknown-unknown -p nogil-playground --test bench -- --nocapture`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use engine::executor::{yield_now, Executor};
use futures_channel::oneshot;
use nogil_playground::clock::{now_ms, RealClock};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

mod alloc_counter {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicIsize, Ordering};
    static LIVE: AtomicIsize = AtomicIsize::new(0);
    struct Counting;
    // SAFETY: forwards to the system allocator and only keeps a count.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
            // SAFETY: same contract as the caller's.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
            // SAFETY: same contract as the caller's.
            unsafe { System.dealloc(ptr, layout) }
        }
    }
    #[global_allocator]
    static GLOBAL: Counting = Counting;
    pub fn live() -> isize {
        LIVE.load(Ordering::Relaxed)
    }
}

/// A figure: the median of its samples, and how many there were.
#[derive(Clone, Copy)]
struct Fig {
    value: f64,
    n: usize,
}

/// The median of the finite samples (NaN and 0 samples when there are none).
fn fig(v: Vec<f64>) -> Fig {
    let mut v: Vec<f64> = v.into_iter().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    Fig {
        value: v.get(v.len() / 2).copied().unwrap_or(f64::NAN),
        n: v.len(),
    }
}

/// Our executor's and `LocalPool`'s yields are cheap: a million of them take
/// tens of ms, far above this page's coarse clock (see `clock_resolution_us`).
const YIELDS: u32 = 1_000_000;
/// `spawn_local` yields cost about a µs each: fewer suffice.
const SPAWN_LOCAL_YIELDS: u32 = 200_000;
const SPAWNS: u32 = 100_000;
/// Runs per figure (after one warm-up run that is not counted).
const RUNS: usize = 5;

async fn yielding(n: u32) {
    for _ in 0..n {
        yield_now().await;
    }
}

fn ours_yield_ns() -> f64 {
    let ex = Executor::new(Rc::new(RealClock));
    ex.set_polls_per_clock_check(64);
    ex.spawn(yielding(YIELDS));
    let t = now_ms();
    ex.run(u64::MAX);
    (now_ms() - t) * 1e6 / f64::from(YIELDS)
}

fn local_pool_yield_ns() -> f64 {
    let mut pool = futures::executor::LocalPool::new();
    let t = now_ms();
    pool.run_until(yielding(YIELDS));
    (now_ms() - t) * 1e6 / f64::from(YIELDS)
}

async fn spawn_local_yield_ns() -> f64 {
    let (tx, rx) = oneshot::channel();
    let t = now_ms();
    wasm_bindgen_futures::spawn_local(async move {
        yielding(SPAWN_LOCAL_YIELDS).await;
        let _ = tx.send(now_ms());
    });
    // A dropped sender is a failed sample, not a zero.
    match rx.await {
        Ok(end) => (end - t) * 1e6 / f64::from(SPAWN_LOCAL_YIELDS),
        Err(_) => f64::NAN,
    }
}

/// Spawns `SPAWNS` trivial tasks detached (`spawn_local`'s kind, and how
/// the runtime spawns a workload's tasks) and runs them.
fn ours_spawn_ns() -> f64 {
    let ex = Executor::new(Rc::new(RealClock));
    ex.set_polls_per_clock_check(64);
    let done = Rc::new(Cell::new(0u32));
    let t = now_ms();
    for _ in 0..SPAWNS {
        let d = done.clone();
        ex.spawn_detached(async move { d.set(d.get() + 1) });
    }
    ex.run(u64::MAX);
    assert_eq!(done.get(), SPAWNS);
    (now_ms() - t) * 1e6 / f64::from(SPAWNS)
}

/// The same, each task through a `JoinHandle` dropped at once (for the
/// record). A function of its own, not a flag of the one above, so that each
/// timed loop is compiled alone.
fn ours_spawn_handle_ns() -> f64 {
    let ex = Executor::new(Rc::new(RealClock));
    ex.set_polls_per_clock_check(64);
    let done = Rc::new(Cell::new(0u32));
    let t = now_ms();
    for _ in 0..SPAWNS {
        let d = done.clone();
        drop(ex.spawn(async move { d.set(d.get() + 1) }));
    }
    ex.run(u64::MAX);
    assert_eq!(done.get(), SPAWNS);
    (now_ms() - t) * 1e6 / f64::from(SPAWNS)
}

async fn spawn_local_spawn_ns() -> f64 {
    let (tx, rx) = oneshot::channel();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let done = Rc::new(Cell::new(0u32));
    let t = now_ms();
    for _ in 0..SPAWNS {
        let (d, tx) = (done.clone(), tx.clone());
        wasm_bindgen_futures::spawn_local(async move {
            d.set(d.get() + 1);
            if d.get() == SPAWNS {
                if let Some(tx) = tx.borrow_mut().take() {
                    let _ = tx.send(now_ms());
                }
            }
        });
    }
    match rx.await {
        Ok(end) => (end - t) * 1e6 / f64::from(SPAWNS),
        Err(_) => f64::NAN,
    }
}

/// Bytes per suspended task: a million tasks each asleep on a timer.
fn ours_task_bytes() -> f64 {
    let n = 1_000_000u32;
    let ex = Executor::new(Rc::new(RealClock));
    // Cells kept from earlier runs would be reused uncounted: hand them back,
    // so that every cell counted here comes from the allocator.
    engine::executor::release_cached_cells();
    let before = alloc_counter::live();
    for i in 0..n {
        let h = ex.handle();
        ex.spawn(async move { h.sleep(3_600_000_000_000 + u64::from(i)).await });
    }
    ex.run(u64::MAX);
    let bytes = (alloc_counter::live() - before) as f64 / f64::from(n);
    ex.cancel();
    bytes
}

fn kernel_ns() -> Fig {
    // One warm-up call: V8 swaps in its optimising tier for later calls.
    let _ = workload::sum_squares(std::hint::black_box(10_000_000));
    fig((0..RUNS)
        .map(|_| {
            let t = now_ms();
            let s = workload::sum_squares(std::hint::black_box(10_000_000));
            let took = now_ms() - t;
            assert_eq!(s, workload::closed_form(10_000_000));
            took * 1e6
        })
        .collect())
}

/// A synthetic trace: `n` back-to-back spans spread over 4 lanes.
fn synthetic(n: u32) -> engine::trace::Trace {
    use engine::trace::{PhaseKind, Span, SpanState, Trace};
    let states = [
        SpanState::Running,
        SpanState::Waiting,
        SpanState::Transfer,
        SpanState::GilBlocked,
    ];
    let per_lane = n / 4;
    let spans = (0..n)
        .map(|i| {
            let (lane, k) = ((i / per_lane) as u16, u64::from(i % per_lane));
            Span {
                task: i,
                lane: lane.min(3),
                phase: 0,
                kind: PhaseKind::Cpu,
                state: states[(i % 4) as usize],
                start: k * 1000,
                end: k * 1000 + 900,
            }
        })
        .collect();
    Trace {
        lanes: 4,
        tasks: u64::from(n),
        start: 0,
        end: u64::from(per_lane) * 1000,
        spans,
        ..Trace::default()
    }
}

fn canvas() -> web_sys::HtmlCanvasElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let c: web_sys::HtmlCanvasElement = doc.create_element("canvas").unwrap().unchecked_into();
    c.set_attribute("style", "width: 1200px; display: block")
        .unwrap();
    doc.body().unwrap().append_child(&c).unwrap();
    c
}

/// The timeline figures, each with its samples.
struct TimelineFigs {
    f100k: Fig,
    f1m: Fig,
    canvas10k: Fig,
    svg10k: Fig,
    full100k: Fig,
    update1k: Fig,
    update1k_unsorted: Fig,
}

/// A live loop's spans as they arrive: appended in time order, spread over
/// `lanes` lanes, the first tasks' spans in the per-task rows too.
fn live_spans(from: u32, to: u32, lanes: u16) -> Vec<engine::trace::Span> {
    use engine::trace::{PhaseKind, Span, SpanState};
    (from..to)
        .map(|i| {
            let k = u64::from(i);
            Span {
                task: i % 1000,
                lane: (i % u32::from(lanes)) as u16,
                phase: 0,
                kind: PhaseKind::Cpu,
                state: SpanState::Running,
                start: k * 250,
                end: k * 250 + 200,
            }
        })
        .collect()
}

/// P7: one pan/zoom frame's draw at 100k and 1M spans (median over zoom
/// levels from everything to 1/64), and 10k spans drawn on the canvas against
/// the same spans as SVG rectangles (built, inserted and laid out).
/// P9: what one live redraw costs at 100k spans: the whole run drawn (the
/// live chart shows everything), and the row index brought up to date with
/// the 1,000 spans that arrived since the last redraw (in order, as a loop's
/// arrive; and with one late span per batch, which makes its row re-sort).
fn timeline_figures() -> TimelineFigs {
    use nogil_playground::ui::timeline::frame_drawer;
    use nogil_playground::ui::timeline::rows::Index;
    let frame = |n: u32| {
        let t = Rc::new(synthetic(n));
        let wall = t.wall() as f64;
        let draw = frame_drawer(canvas(), t, false);
        draw(0.0, wall); // warm-up, not counted
        fig((0..12)
            .map(|i| {
                let span = wall / f64::from(1 << (i % 7));
                let from = (wall - span) * f64::from(i % 3) / 2.0;
                let t0 = now_ms();
                draw(from, from + span);
                now_ms() - t0
            })
            .collect())
    };
    let f100k = frame(100_000);
    let f1m = frame(1_000_000);
    let canvas10k = frame(10_000);

    let full100k = {
        let t = Rc::new(synthetic(100_000));
        let wall = t.wall() as f64;
        let draw = frame_drawer(canvas(), t, false);
        draw(0.0, wall);
        fig((0..12)
            .map(|_| {
                let t0 = now_ms();
                draw(0.0, wall);
                now_ms() - t0
            })
            .collect())
    };
    // An update of 1,000 spans takes a few µs, about one tick of this
    // page's clock: each sample times 50 updates in a row (100k → 150k
    // spans, 1,000 more each time) and divides.
    let update = |late: bool| {
        let lanes = 4u16;
        let mut spans = live_spans(0, 150_000, lanes);
        if late {
            // In every batch, one worker's span reported after later ones on its lane.
            for b in 0..50 {
                let at = 100_000 + b * 1000;
                spans.swap(at, at + 996);
            }
        }
        fig((0..6)
            .map(|rep| {
                let mut index = Index::new(lanes, 100_000);
                index.update(&spans[..100_000], false);
                let t0 = now_ms();
                for b in 1..=50 {
                    index.update(&spans[..100_000 + b * 1000], false);
                }
                let took = (now_ms() - t0) / 50.0;
                std::hint::black_box(
                    index
                        .row(nogil_playground::ui::timeline::rows::RowKind::Lane(0))
                        .len(),
                );
                // The first is a warm-up.
                if rep == 0 {
                    f64::NAN
                } else {
                    took
                }
            })
            .collect())
    };
    let update1k = update(false);
    let update1k_unsorted = update(true);

    let doc = web_sys::window().unwrap().document().unwrap();
    let t = synthetic(10_000);
    let svg10k = fig((0..6)
        .map(|i| {
            let t0 = now_ms();
            let mut html =
                String::from("<svg xmlns='http://www.w3.org/2000/svg' width='1200' height='120'>");
            let wall = t.wall() as f64;
            for s in &t.spans {
                let x = s.start as f64 / wall * 1116.0 + 84.0;
                let w = ((s.end - s.start) as f64 / wall * 1116.0).max(0.5);
                html.push_str(&format!(
                    "<rect x='{x:.2}' y='{}' width='{w:.2}' height='16' fill='#2563eb'/>",
                    24 + s.lane * 22
                ));
            }
            html.push_str("</svg>");
            let div = doc.create_element("div").unwrap();
            div.set_inner_html(&html);
            doc.body().unwrap().append_child(&div).unwrap();
            let _ = div.get_bounding_client_rect();
            let took = now_ms() - t0;
            div.remove();
            // The first is a warm-up, as for the canvas.
            if i == 0 {
                f64::NAN
            } else {
                took
            }
        })
        .collect());
    TimelineFigs {
        f100k,
        f1m,
        canvas10k,
        svg10k,
        full100k,
        update1k,
        update1k_unsorted,
    }
}

/// The smallest step `performance.now()` takes here, µs (coarse when the
/// page is not cross-origin isolated): every figure above is many of these.
fn clock_resolution_us() -> f64 {
    let mut best = f64::INFINITY;
    let mut last = now_ms();
    for _ in 0..1_000_000 {
        let t = now_ms();
        if t > last {
            best = best.min(t - last);
            last = t;
        }
    }
    best * 1e3
}

#[wasm_bindgen_test]
async fn bench() {
    // One warm-up of each, not counted (V8 tiers up, allocators grow).
    let _ = (
        ours_yield_ns(),
        local_pool_yield_ns(),
        spawn_local_yield_ns().await,
        ours_spawn_ns(),
        ours_spawn_handle_ns(),
        spawn_local_spawn_ns().await,
    );
    let mut p1 = (Vec::new(), Vec::new(), Vec::new());
    let mut p2 = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        p1.0.push(ours_yield_ns());
        p1.1.push(local_pool_yield_ns());
        p1.2.push(spawn_local_yield_ns().await);
        p2.0.push(ours_spawn_ns());
        p2.1.push(spawn_local_spawn_ns().await);
        p2.2.push(ours_spawn_handle_ns());
    }
    let tl = timeline_figures();
    let kernel = kernel_ns();
    // One run of a million tasks: the figure is an average over them.
    let bytes = ours_task_bytes();
    let bytes = Fig {
        value: bytes,
        n: usize::from(bytes.is_finite() && bytes > 0.0),
    };
    let isolated = web_sys::window()
        .map(|w| {
            js_sys::Reflect::get(&w, &"crossOriginIsolated".into())
                .map(|v| v.is_truthy())
                .unwrap_or(false)
        })
        .unwrap_or(false);
    let live = Fig {
        value: tl.full100k.value + tl.update1k.value,
        n: tl.full100k.n.min(tl.update1k.n),
    };
    let figs: Vec<(&str, Fig)> = vec![
        ("ours_yield_ns", fig(p1.0)),
        ("localpool_yield_ns", fig(p1.1)),
        ("spawn_local_yield_ns", fig(p1.2)),
        ("ours_spawn_ns", fig(p2.0)),
        ("spawn_local_spawn_ns", fig(p2.1)),
        ("ours_spawn_handle_ns", fig(p2.2)),
        ("ours_task_bytes", bytes),
        ("kernel_wasm_ns", kernel),
        ("timeline_100k_ms", tl.f100k),
        ("timeline_1m_ms", tl.f1m),
        ("timeline_10k_ms", tl.canvas10k),
        ("svg_10k_ms", tl.svg10k),
        ("timeline_full_100k_ms", tl.full100k),
        ("index_update_1k_ms", tl.update1k),
        ("index_update_1k_late_ms", tl.update1k_unsorted),
        ("live_redraw_100k_ms", live),
    ];
    let mut json = String::from("{");
    for (k, f) in figs {
        // NaN is not JSON: a figure without samples is left out (and so "not measured").
        if f.value.is_finite() && f.n > 0 {
            json.push_str(&format!("\"{k}\":{},\"{k}_n\":{},", f.value, f.n));
        }
    }
    json.push_str(&format!(
        "\"clock_resolution_us\":{},\"isolated\":{}}}",
        clock_resolution_us(),
        u8::from(isolated)
    ));
    web_sys::console::log_1(&format!("BENCH {json}").into());
}
