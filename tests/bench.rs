//! Browser-side measurements for `cargo xtask bench` (not a test: it asserts
//! nothing but prints one `BENCH {json}` line). Each figure is the median of
//! several runs, beside its peer measured in the same page:
//! P1 yield round trip (ours, `spawn_local`, `LocalPool`), P2 spawn + complete
//! and memory per suspended task, P3 one slice hop against a bare
//! `MessageChannel` self-post, P5 the Σi² kernel in wasm.
//!
//! Run alone: `cargo test --release --target wasm32-unknown-unknown --test bench -- --include-ignored`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use engine::executor::{yield_now, Executor};
use futures_channel::oneshot;
use nogil_playground::clock::{now_ms, RealClock};
use nogil_playground::runtime::driver::{DriverHooks, LoopDriver};
use wasm_bindgen::prelude::*;
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

const YIELDS: u32 = 200_000;
const SPAWNS: u32 = 100_000;

fn yielding(n: u32) -> impl Future<Output = ()> {
    async move {
        for _ in 0..n {
            yield_now().await;
        }
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
        yielding(YIELDS).await;
        let _ = tx.send(now_ms());
    });
    let end = rx.await.unwrap_or(t);
    (end - t) * 1e6 / f64::from(YIELDS)
}

fn ours_spawn_ns() -> f64 {
    let ex = Executor::new(Rc::new(RealClock));
    ex.set_polls_per_clock_check(64);
    let done = Rc::new(Cell::new(0u32));
    let t = now_ms();
    for _ in 0..SPAWNS {
        let d = done.clone();
        ex.spawn(async move { d.set(d.get() + 1) });
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
    let end = rx.await.unwrap_or(t);
    (end - t) * 1e6 / f64::from(SPAWNS)
}

/// Bytes per suspended task: a million tasks each asleep on a timer.
fn ours_task_bytes() -> f64 {
    let n = 1_000_000u32;
    let ex = Executor::new(Rc::new(RealClock));
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

fn kernel_ns() -> f64 {
    median(
        (0..5)
            .map(|_| {
                let t = now_ms();
                let s = workload::sum_squares(std::hint::black_box(10_000_000));
                let took = now_ms() - t;
                assert_eq!(s, workload::closed_form(10_000_000));
                took * 1e6
            })
            .collect(),
    )
}

/// The driver's hop between slices: a task that computes for a bit over a
/// slice at a time forces a yield to the browser after every poll.
async fn slice_hop_ns() -> f64 {
    let rec = Rc::new(engine::runner::Recorder::new());
    let hooks = Rc::new(DriverHooks::new(engine::runner::LoopHooks::new(rec, Rc::new(RealClock), 0).without_events()));
    let driver = LoopDriver::new(hooks).unwrap();
    let slice_ms = engine::driver::SLICE as f64 / 1e6;
    driver.handle().spawn(async move {
        for _ in 0..40 {
            let end = now_ms() + slice_ms + 0.2;
            while now_ms() < end {}
            yield_now().await;
        }
    });
    driver.run().await;
    let slices = driver.take_slices();
    median(slices.windows(2).map(|w| (w[1].0 - w[0].1) as f64).collect())
}

/// A bare `MessageChannel` self-post, timed the same way.
async fn message_channel_ns() -> f64 {
    let channel = web_sys::MessageChannel::new().unwrap();
    let (tx, rx) = oneshot::channel::<Vec<f64>>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let gaps = Rc::new(RefCell::new(Vec::new()));
    let sent = Rc::new(Cell::new(0.0));
    let port = channel.port2();
    let (g, s, p) = (gaps.clone(), sent.clone(), port.clone());
    let cb = Closure::<dyn FnMut()>::new(move || {
        g.borrow_mut().push(now_ms() - s.get());
        if g.borrow().len() >= 40 {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(g.borrow().clone());
            }
            return;
        }
        s.set(now_ms());
        let _ = p.post_message(&JsValue::NULL);
    });
    channel.port1().set_onmessage(Some(cb.as_ref().unchecked_ref()));
    sent.set(now_ms());
    let _ = port.post_message(&JsValue::NULL);
    let gaps = rx.await.unwrap_or_default();
    channel.port1().set_onmessage(None);
    drop(cb);
    median(gaps) * 1e6
}

/// A synthetic trace: `n` back-to-back spans spread over 4 lanes.
fn synthetic(n: u32) -> engine::trace::Trace {
    use engine::trace::{PhaseKind, Span, SpanState, Trace};
    let states = [SpanState::Running, SpanState::Waiting, SpanState::Transfer, SpanState::GilBlocked];
    let per_lane = n / 4;
    let spans = (0..n)
        .map(|i| {
            let (lane, k) = ((i / per_lane) as u16, u64::from(i % per_lane));
            Span { task: i, lane: lane.min(3), phase: 0, kind: PhaseKind::Cpu, state: states[(i % 4) as usize], start: k * 1000, end: k * 1000 + 900 }
        })
        .collect();
    Trace { lanes: 4, tasks: u64::from(n), start: 0, end: u64::from(per_lane) * 1000, spans, ..Trace::default() }
}

fn canvas() -> web_sys::HtmlCanvasElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let c: web_sys::HtmlCanvasElement = doc.create_element("canvas").unwrap().unchecked_into();
    c.set_attribute("style", "width: 1200px; display: block").unwrap();
    doc.body().unwrap().append_child(&c).unwrap();
    c
}

/// P7: one pan/zoom frame's draw at 100k and 1M spans (median over zoom
/// levels from everything to 1 %), and 10k spans drawn on the canvas against
/// the same spans as SVG rectangles (built, inserted and laid out).
fn timeline_figures() -> (f64, f64, f64, f64) {
    use nogil_playground::ui::timeline::frame_drawer;
    let frame = |n: u32| {
        let t = Rc::new(synthetic(n));
        let wall = t.wall() as f64;
        let draw = frame_drawer(canvas(), t, false);
        median(
            (0..12)
                .map(|i| {
                    let span = wall / f64::from(1 << (i % 7));
                    let from = (wall - span) * f64::from(i % 3) / 2.0;
                    let t0 = now_ms();
                    draw(from, from + span);
                    now_ms() - t0
                })
                .collect(),
        )
    };
    let f100k = frame(100_000);
    let f1m = frame(1_000_000);
    let canvas10k = frame(10_000);
    let doc = web_sys::window().unwrap().document().unwrap();
    let t = synthetic(10_000);
    let svg10k = median(
        (0..5)
            .map(|_| {
                let t0 = now_ms();
                let mut html = String::from("<svg xmlns='http://www.w3.org/2000/svg' width='1200' height='120'>");
                let wall = t.wall() as f64;
                for s in &t.spans {
                    let x = s.start as f64 / wall * 1116.0 + 84.0;
                    let w = ((s.end - s.start) as f64 / wall * 1116.0).max(0.5);
                    html.push_str(&format!("<rect x='{x:.2}' y='{}' width='{w:.2}' height='16' fill='#2563eb'/>", 24 + s.lane * 22));
                }
                html.push_str("</svg>");
                let div = doc.create_element("div").unwrap();
                div.set_inner_html(&html);
                doc.body().unwrap().append_child(&div).unwrap();
                let _ = div.get_bounding_client_rect();
                let took = now_ms() - t0;
                div.remove();
                took
            })
            .collect(),
    );
    (f100k, f1m, canvas10k, svg10k)
}

#[wasm_bindgen_test]
async fn bench() {
    let mut p1 = (Vec::new(), Vec::new(), Vec::new());
    let mut p2 = (Vec::new(), Vec::new());
    for _ in 0..5 {
        p1.0.push(ours_yield_ns());
        p1.1.push(local_pool_yield_ns());
        p1.2.push(spawn_local_yield_ns().await);
        p2.0.push(ours_spawn_ns());
        p2.1.push(spawn_local_spawn_ns().await);
    }
    let (tl100k, tl1m, tl10k, svg10k) = timeline_figures();
    let hop = slice_hop_ns().await;
    let mc = message_channel_ns().await;
    let json = format!(
        "{{\"ours_yield_ns\":{},\"localpool_yield_ns\":{},\"spawn_local_yield_ns\":{},\"ours_spawn_ns\":{},\"spawn_local_spawn_ns\":{},\"ours_task_bytes\":{},\"kernel_wasm_ns\":{},\"slice_hop_ns\":{},\"message_channel_ns\":{},\"timeline_100k_ms\":{},\"timeline_1m_ms\":{},\"timeline_10k_ms\":{},\"svg_10k_ms\":{}}}",
        median(p1.0),
        median(p1.1),
        median(p1.2),
        median(p2.0),
        median(p2.1),
        ours_task_bytes(),
        kernel_ns(),
        hop,
        mc,
        tl100k,
        tl1m,
        tl10k,
        svg10k
    );
    web_sys::console::log_1(&format!("BENCH {json}").into());
}
