//! The page's cost model: measured on this machine, never as one block.
//!
//! The figures start from what this browser measured last time (kept in
//! `localStorage`, versioned), else from defaults. Then, in idle time after
//! the page has drawn, small probes measure them afresh, each in slices of a
//! couple of milliseconds: the wasm kernel on the main thread (warmed up
//! first), a small real run of our loop (polls, hops, timer lateness), each
//! worker's own kernel (reported by the worker after its warm-up), a few
//! empty jobs' round trips, and how much the workers slow each other down
//! when they compute together. After every real run, that run's trace refines
//! them again (`engine::refine`). The "Costs" disclosure shows each figure and
//! where it came from.

use std::cell::{Cell, RefCell};

use engine::costs::{Calibration, Cost, Costs, Origin};
use engine::model::{Model, RunConfig};
use engine::refine::{refine, refine_as};
use engine::trace::Trace;
use workload::Workload;

use crate::clock::{epoch_ms, now_ms};
use crate::pool::Pool;

/// The `localStorage` key (the JSON carries its own version too).
const STORAGE_KEY: &str = "nogil-playground:costs";

thread_local! {
    static CAL: RefCell<Calibration> = RefCell::new(load());
    static VERSION: Cell<u64> = const { Cell::new(0) };
    /// The start-up probes have finished (or given up).
    static READY: Cell<bool> = const { Cell::new(false) };
    /// Sessions under way: while any is, the probes start nothing more.
    static CLAIMS: Cell<u32> = const { Cell::new(0) };
    /// Probe chains ([`probe_all`]) with a step under way.
    static PROBING: Cell<u32> = const { Cell::new(0) };
    /// The probe step under way, named for the warning [`stood_aside`] logs
    /// if it outlasts the wait.
    static STEP: Cell<&'static str> = const { Cell::new("") };
    /// A probe chain is under way (waiting for the workers included): a
    /// second one ("Measure again" pressed meanwhile) waits for it to end.
    static CHAIN: Cell<bool> = const { Cell::new(false) };
    /// Bumped by [`reset`].
    static GENERATION: Cell<u64> = const { Cell::new(0) };
}

/// A probe chain at work (see [`stood_aside`]); dropped when it ends or stops.
struct Probing(());

impl Probing {
    fn start() -> Self {
        PROBING.with(|p| p.set(p.get() + 1));
        Probing(())
    }
}

impl Drop for Probing {
    fn drop(&mut self) {
        PROBING.with(|p| p.set(p.get().saturating_sub(1)));
    }
}

/// A session's hold on the page and its workers (see [`claim`]).
pub struct Claim(());

impl Drop for Claim {
    fn drop(&mut self) {
        CLAIMS.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Claims the page and the workers for a session: start-up probes still
/// under way post no further job and start no further run once a session has
/// stopped waiting for them, so a run never meets a probe's job on its
/// worker ("worker N is busy") or shares the loop with a probe's run.
pub fn claim() -> Claim {
    CLAIMS.with(|c| c.set(c.get() + 1));
    Claim(())
}

/// Whether a session holds the page (the probes must stand aside).
fn claimed() -> bool {
    CLAIMS.with(|c| c.get() > 0)
}

/// The start-up probes may take this long at most before runs stop waiting
/// for them, ms.
const READY_AT_MOST_MS: f64 = 4000.0;

/// Longest a claimed session waits for the probe step in flight, ms: a step
/// is tens of ms (hundreds on a loaded machine); this bound only guards
/// against one that never ends.
const STAND_ASIDE_AT_MOST_MS: f64 = 15_000.0;

/// Waits, after [`claim`], until every probe chain has stood aside: each
/// stops before its next step once the page is claimed, so this waits for
/// the one step in flight (a probe's small run, a round of the workers'
/// jobs). Without it a first run on a slow machine, which stops waiting for
/// the probes after [`READY_AT_MOST_MS`], would start beside a probe still
/// using the loop or the workers, and a kill or a cancel meant for the run's
/// job could hit the probe's. Stops waiting as soon as `give_up()`.
pub async fn stood_aside(give_up: impl Fn() -> bool) {
    super::wait_until(STAND_ASIDE_AT_MOST_MS, &give_up, || {
        PROBING.with(|p| p.get()) == 0
    })
    .await;
    if PROBING.with(|p| p.get()) != 0 && !give_up() {
        // Never expected: a step is a fraction of a second. Said, so that a
        // run that started late shows why (the e2e tests print it).
        let step = STEP.with(Cell::get);
        web_sys::console::warn_1(
            &format!("calibrate: the start-up probe step \"{step}\" was still under way after {STAND_ASIDE_AT_MOST_MS} ms; the run starts beside it").into(),
        );
    }
}

/// Names the probe step under way (see [`stood_aside`]).
fn step(name: &'static str) {
    STEP.with(|s| s.set(name));
}

/// Waits until the start-up probes have measured this machine (a run's
/// prediction needs them; they take a fraction of a second), or gives up
/// after a few seconds, or as soon as `give_up()` (Cancel pressed).
pub async fn ready(give_up: impl Fn() -> bool) {
    super::wait_until(READY_AT_MOST_MS, give_up, is_ready).await;
}

/// Whether the start-up probes have finished.
pub fn is_ready() -> bool {
    READY.with(|r| r.get())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn load() -> Calibration {
    storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|text: String| Calibration::from_json(&text))
        .unwrap_or_default()
}

fn save(cal: &Calibration) {
    if let Some(s) = storage() {
        // A full or forbidden storage only costs the next visit its head start.
        let _ = s.set_item(STORAGE_KEY, &cal.to_json());
    }
}

fn changed() {
    CAL.with(|c| save(&c.borrow()));
    VERSION.with(|v| v.set(v.get() + 1));
}

/// The costs predictions use right now.
pub fn costs() -> Costs {
    CAL.with(|c| c.borrow().costs.clone())
}

/// The calibration, with where each figure came from (for the "Costs" disclosure).
pub fn snapshot() -> Calibration {
    CAL.with(|c| c.borrow().clone())
}

/// Bumped whenever a figure changes (the page redraws its predictions).
pub fn version() -> u64 {
    VERSION.with(|v| v.get())
}

/// Forgets everything measured (the disclosure's "Measure again").
pub fn reset() {
    CAL.with(|c| *c.borrow_mut() = Calibration::default());
    // A run pressed now waits for the probes that measure again, as a
    // fresh page's first run does, rather than predict from the defaults.
    READY.with(|r| r.set(false));
    GENERATION.with(|g| g.set(g.get() + 1));
    if let Some(s) = storage() {
        let _ = s.remove_item(STORAGE_KEY);
    }
    changed();
}

/// Refines the costs from a measured run; returns the figures that changed.
pub fn learn_from(trace: &Trace, workload: &Workload, cfg: &RunConfig) -> Vec<Cost> {
    let changed_costs = CAL.with(|c| refine(&mut c.borrow_mut(), trace, workload, cfg, epoch_ms()));
    if !changed_costs.is_empty() {
        changed();
    }
    changed_costs
}

/// Records one probe's measurement of `cost`.
fn observe_probe(cost: Cost, value: f64, samples: u64) {
    CAL.with(|c| {
        c.borrow_mut()
            .observe(cost, value, samples, Origin::Probe, epoch_ms())
    });
    changed();
}

/// Folds in CPython's speed, measured by its worker as it loaded.
pub fn absorb_python_probe() {
    if let Some((ns, samples)) = super::python::take_cpu_probe() {
        observe_probe(Cost::CpuPy, ns, samples);
    }
}

/// Folds in the kernel probes the pool's workers have reported; returns how many.
pub fn absorb_worker_probes(pool: &Pool) -> usize {
    let probes = pool.take_probes();
    if probes.is_empty() {
        return 0;
    }
    // The fastest worker: a probe is only ever slowed (a core shared with the
    // page's own start-up, code V8 has not optimised yet), never sped up, so
    // one slow start must not set the figure. (The median of two is the
    // slower one: it read 1.1-1.3 ns an iteration where runs then saw 0.6-0.7.)
    let per_iter = probes
        .iter()
        .filter(|(n, ns)| *n > 0 && *ns > 0.0)
        .map(|(n, ns)| ns / *n as f64)
        .fold(f64::INFINITY, f64::min);
    if !per_iter.is_finite() {
        return probes.len();
    }
    observe_probe(Cost::CpuWorker, per_iter, probes.len() as u64);
    probes.len()
}

/// Measures the wasm kernel on the main thread: warm it up until its speed
/// settles, then time several rounds, each in its own macrotask of a couple
/// of milliseconds (long enough for the 0.1 ms clock of a page that is not
/// cross-origin isolated), and keep the lower quartile. Never blocks the page for long.
pub async fn probe_main_cpu() {
    const ROUND: u64 = 1 << 22;
    let timed = time_rounds(|| {
        std::hint::black_box(workload::sum_squares_range(0, ROUND));
        true
    })
    .await;
    if let Some((quartile, samples)) = timed {
        observe_probe(Cost::CpuMain, quartile * 1e6 / ROUND as f64, samples);
    }
}

/// Times `round` (false: it failed, stop) once a macrotask, and returns the
/// lower quartile of its settled rounds, ms, and how many there were. Warm-up:
/// at least 12 rounds (V8 tiers code up on later calls), and until two rounds
/// agree within 5 %; then up to 12 samples. The lower quartile: at start-up
/// the workers and the page's own loading share the cores, and a round that
/// lost its core reads slow. None below the clock's resolution (an
/// unisolated page rounds to 0.1 ms), or if the page was claimed first.
async fn time_rounds(mut round: impl FnMut() -> bool) -> Option<(f64, u64)> {
    let mut samples = Vec::new();
    let mut last = f64::INFINITY;
    for k in 0..48 {
        super::next_macrotask().await;
        if claimed() {
            break;
        }
        let t0 = now_ms();
        if !round() {
            return None;
        }
        let took = now_ms() - t0;
        let settled = k >= 12 && took > 0.0 && (took - last).abs() < 0.05 * took;
        last = took;
        if settled || k >= 24 {
            samples.push(took);
        }
        if samples.len() >= 12 {
            break;
        }
    }
    samples.sort_by(f64::total_cmp);
    let quartile = *samples.get(samples.len() / 4)?;
    (quartile > 0.05).then_some((quartile, samples.len() as u64))
}

/// Measures the JavaScript models' kernel on the main thread: the programs'
/// own `sumSquares` (the text the Code tab shows), warmed up and timed in
/// rounds of a millisecond or two, one a macrotask, as the wasm kernel is in
/// [`probe_main_cpu`]. Before it the `js` model was predicted with a typical
/// figure until its first run (2.5 ns an iteration against 0.66 measured).
/// A page whose Content-Security-Policy forbids `eval` gets no figure.
pub async fn probe_main_js_cpu() {
    use wasm_bindgen::JsCast;
    const ROUND: u32 = 1 << 21;
    let src = format!(
        "(function () {{\n{}\nreturn sumSquares;\n}})()",
        workload::js::kernel()
    );
    let Some(kernel) = js_sys::eval(&src)
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    else {
        return;
    };
    let n = wasm_bindgen::JsValue::from(ROUND);
    let timed = time_rounds(|| kernel.call1(&wasm_bindgen::JsValue::NULL, &n).is_ok()).await;
    if let Some((quartile, samples)) = timed {
        observe_probe(Cost::CpuJs, quartile * 1e6 / f64::from(ROUND), samples);
    }
}

/// The worker [`probe_js_worker`] starts: the programs' kernel, then one
/// cold call and warm rounds, timed as [`time_rounds`] times them (warm-up
/// until two rounds agree within 5 %, then up to 12 samples; the lower
/// quartile). A worker may compute for a while: it holds no page thread.
const JS_WORKER_PROBE: &str = r#"
self.onmessage = ({ data: { cold, round } }) => {
  let t = performance.now();
  sumSquares(cold);
  const coldMs = performance.now() - t;
  const samples = [];
  let last = Infinity;
  for (let k = 0; k < 48 && samples.length < 12; k++) {
    t = performance.now();
    sumSquares(round);
    const took = performance.now() - t;
    const settled = k >= 12 && took > 0 && Math.abs(took - last) < 0.05 * took;
    last = took;
    if (settled || k >= 24) samples.push(took);
  }
  samples.sort((a, b) => a - b);
  self.postMessage({ coldMs, roundMs: samples[samples.length >> 2], samples: samples.length });
};
self.postMessage("ready");
"#;

/// Measures the `jsworker` model's own figures the way a run meets them: a
/// fresh JavaScript worker from a Blob URL (its start, from `new Worker` to
/// its first message: [`Cost::JsWorkerStart`]), the kernel's first call
/// there while V8 has not optimised it ([`Cost::JsWarmup`]), then its warm
/// rounds ([`Cost::CpuJsWorker`]). Before it, a first `jsworker` run was
/// predicted with typical figures (2.5 ns an iteration against 0.7 measured,
/// and no start-up). Gives up when the page is claimed (the worker is
/// stopped, so a run never shares a core with it), after 5 s, or if the
/// page's Content-Security-Policy refuses blob: workers.
pub async fn probe_js_worker() {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    const ROUND: u32 = 1 << 21;
    const COLD: u32 = 16_000_000;
    let Ok(url) = crate::blob::object_url(
        &[workload::js::kernel(), JS_WORKER_PROBE],
        "text/javascript",
    ) else {
        return;
    };
    let t0 = now_ms();
    let worker = web_sys::Worker::new(&url);
    let _ = web_sys::Url::revoke_object_url(&url);
    let Ok(worker) = worker else { return };
    // (start-up ms, the report), filled by the worker's messages.
    let started: std::rc::Rc<Cell<Option<f64>>> = Default::default();
    let report: std::rc::Rc<RefCell<Option<Result<JsValue, ()>>>> = Default::default();
    let (s, r, w) = (started.clone(), report.clone(), worker.clone());
    let on_message =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if s.get().is_none() {
                s.set(Some(now_ms() - t0));
                let ask = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&ask, &"cold".into(), &COLD.into());
                let _ = js_sys::Reflect::set(&ask, &"round".into(), &ROUND.into());
                let _ = w.post_message(&ask);
            } else {
                *r.borrow_mut() = Some(Ok(ev.data()));
            }
        });
    let r = report.clone();
    let on_error =
        Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |ev: web_sys::ErrorEvent| {
            ev.prevent_default();
            *r.borrow_mut() = Some(Err(()));
        });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    super::wait_until(5000.0, claimed, || report.borrow().is_some()).await;
    worker.terminate();
    let (Some(start_ms), Some(Ok(data))) = (started.get(), report.borrow_mut().take()) else {
        return;
    };
    let num = |k: &str| {
        js_sys::Reflect::get(&data, &k.into())
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    let (Some(cold_ms), Some(round_ms), Some(samples)) =
        (num("coldMs"), num("roundMs"), num("samples"))
    else {
        return;
    };
    // Below the clock's resolution (0.1 ms on a page that is not isolated)
    // a round measures nothing.
    if round_ms <= 0.05 {
        return;
    }
    let warm = round_ms * 1e6 / f64::from(ROUND);
    observe_probe(Cost::CpuJsWorker, warm, samples as u64);
    observe_probe(Cost::JsWorkerStart, start_ms * 1e6, 1);
    let lost = cold_ms * 1e6 - f64::from(COLD) * warm;
    observe_probe(Cost::JsWarmup, lost.max(0.0), 1);
}

/// Runs `w` for real under `cfg` (in slices, like any run; on `pool` for a
/// model on the workers) `runs` times and, if `learn`, refines the costs as a
/// probe from the run of median wall (as a short run the user starts is
/// shown: one disturbed run does not set the figures).
async fn probe_run(w: &str, cfg: &RunConfig, pool: Option<&Pool>, learn: bool, runs: usize) {
    let Ok(w) = w.parse::<Workload>() else { return };
    let mut traces = Vec::new();
    for _ in 0..runs {
        if !traces.is_empty() && claimed() {
            break;
        }
        let cancel = super::CancelToken::unlisted();
        match super::run(&w, cfg, pool, &cancel, false, &costs(), |_| {}).await {
            // A job that failed (a worker that died, a pool shut down under
            // the probe) leaves a trace that says nothing of this machine's
            // costs.
            Ok(t) if !t.cancelled && t.failures.is_empty() => traces.push(t),
            _ => break,
        }
    }
    let walls: Vec<_> = traces.iter().map(Trace::wall).collect();
    let Some(median) = engine::repeat::median(&walls).filter(|_| learn) else {
        return;
    };
    let changed_costs = CAL.with(|c| {
        refine_as(
            &mut c.borrow_mut(),
            &traces[median],
            &w,
            cfg,
            epoch_ms(),
            Origin::Probe,
        )
    });
    if !changed_costs.is_empty() {
        changed();
    }
}

/// Measures our loop's own costs with small real runs (tens of ms, in
/// slices): what a poll (a spawn, a wake) costs, how late timers fire, what a
/// hop to the browser between slices costs. The first runs only warm the
/// code up (V8 compiles it on first use, and optimises it later).
pub async fn probe_loop() {
    // Warm code, and a run big enough that slices are full of polls: from a
    // small one, each slice's fixed cost over few polls read as three times
    // a poll's cost, and tripled the first prediction of 100,000 tasks. After
    // one warm-up of 2,000 tasks a poll still read 285-327 ns where a run of
    // 100,000 then saw 160-210 (the first prediction +20-30 %): three
    // warm-ups of 20,000 bring the probe to what runs see.
    let cfg = RunConfig {
        workers: 1,
        ..RunConfig::new(Model::Loop)
    };
    for (w, learn) in [
        // The counter's phases, warmed too: V8 runs a function in its
        // baseline tier until it is hot, and `1000*incr(await)` (under a
        // millisecond) ran 0.7-0.9 ms on its first press and 0.4-0.6 on the
        // next (0.5-0.7 on every press with V8's baseline tier off), so its
        // first prediction read -9 to -30 % and the next, learnt from the
        // slow runs, +14 %. Warmed, its first press runs as fast as the next.
        ("2000*[incr(await),incr,incr(atomic),io(1ms)]", false),
        ("2000*[incr(await),incr,incr(atomic),io(1ms)]", false),
        ("2000*io(1ms)", false),
        ("20000*io(1ms)", false),
        ("20000*io(1ms)", false),
        ("20000*io(1ms)", true),
        ("1*cpu(48M)", true),
    ] {
        if claimed() {
            return;
        }
        probe_run(w, &cfg, None, learn, 1).await;
    }
}

/// Measures a job's round trip with a few empty jobs on an idle worker.
pub async fn probe_dispatch(pool: &Pool) {
    if pool.size() == 0 || !pool.is_idle(0) || claimed() {
        return;
    }
    let mut trips = Vec::new();
    for _ in 0..12 {
        super::next_macrotask().await;
        if !pool.is_idle(0) || claimed() {
            return;
        }
        if let Ok(r) = pool.run(0, vec![protocol::JobStep::Cpu { n: 1 }], 0).await {
            if r.rescued {
                continue;
            }
            trips.push(r.answered.saturating_sub(r.sent) as f64);
        }
    }
    if trips.len() > 4 {
        trips.sort_by(f64::total_cmp);
        observe_probe(Cost::Dispatch, trips[trips.len() / 2], trips.len() as u64);
    }
}

/// Iterations of each job of [`probe_workers`] (a few ms: long beside the
/// 0.1 ms clock of a page that is not isolated and the skew between two
/// workers receiving their jobs).
const PARALLEL_PROBE_ITERATIONS: u64 = 8_000_000;

/// Measures the workers' kernel once the page has settled, and how much each
/// worker slows down when every core computes at once
/// ([`Cost::CpuParallel`]): the same job on one worker alone, then on as many
/// workers as there are cores (or as the pool has, if fewer) together,
/// alternating for a few rounds; the medians. The lone jobs supersede the
/// workers' start-up probes (every worker probes at once, on cores the
/// browser also uses after a first render, so they can read up to twice the
/// real figure). Only the workers compute; the page waits.
pub async fn probe_workers(pool: &Pool) {
    let cores = crate::pool::hardware_concurrency();
    let lanes = pool.size().min(cores);
    // A run may have started meanwhile (the page stops waiting for the probes
    // after a few seconds): then the workers are its own.
    let all_idle = || !claimed() && (0..pool.size()).all(|l| pool.is_idle(l));
    let job = || {
        vec![protocol::JobStep::Cpu {
            n: PARALLEL_PROBE_ITERATIONS,
        }]
    };
    let took = |r: &crate::pool::JobReply| {
        r.steps
            .first()
            .map(|(a, b)| b.saturating_sub(*a) as f64)
            .filter(|d| *d > 0.0)
    };
    let (mut alone, mut together) = (Vec::new(), Vec::new());
    for _ in 0..4 {
        super::next_macrotask().await;
        if !all_idle() {
            return;
        }
        if let Ok(r) = pool.run(0, job(), 0).await {
            alone.extend(took(&r));
        }
        if lanes < 2 || !all_idle() {
            continue;
        }
        // Every lane's job posted in the same turn, so they start together.
        let answers: Vec<_> = (0..lanes)
            .map(|lane| {
                let (tx, rx) = futures_channel::oneshot::channel();
                let pool = pool.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = tx.send(pool.run(lane, job(), 0).await);
                });
                rx
            })
            .collect();
        for rx in answers {
            if let Ok(Ok(r)) = rx.await {
                together.extend(took(&r));
            }
        }
    }
    if alone.len() < 2 {
        return;
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let single = median(&mut alone);
    CAL.with(|c| {
        c.borrow_mut().supersede_probe(
            Cost::CpuWorker,
            single / PARALLEL_PROBE_ITERATIONS as f64,
            alone.len() as u64,
            epoch_ms(),
        )
    });
    changed();
    if together.len() >= 2 * lanes && lanes >= 2 {
        // The figure is the slow-down with every core busy; with fewer
        // workers than cores the probe saw part of it (`cpu::rate` is linear
        // in the busy cores). Only from at least half the cores: from 2 of
        // 16, the scaling would multiply the noise of a few ms by 15.
        if lanes * 2 >= cores {
            let seen = median(&mut together) / single;
            let ratio = 1.0 + (seen - 1.0) * (cores - 1) as f64 / (lanes - 1) as f64;
            observe_probe(
                Cost::CpuParallel,
                ratio.clamp(1.0, engine::cpu::MAX_PARALLEL),
                together.len() as u64,
            );
        }
        if !all_idle() {
            return;
        }
        // Bare jobs leave the page idle; in a real run it records every
        // answer, and the workers compute beside that: a small real pool run
        // (about 20 ms; three, the median one learnt, as a short run the user
        // starts is repeated) refines the figure as a run sees it. Its jobs are of
        // 16 M iterations (5 ms here): with jobs of 4 M (1.3 ms, 13 clock
        // steps of a page that is not isolated) the figure read 1.00–1.46
        // over 16 loads of one page, with 16 M 1.00–1.21 over 32, where the
        // lone and paired jobs just before read 1.00–1.05.
        let cfg = RunConfig {
            workers: pool.size() as u16,
            cores: crate::pool::hardware_concurrency() as u16,
            ..RunConfig::new(Model::Pool)
        };
        probe_run(
            &format!("{}*cpu(16M)", 4 * pool.size()),
            &cfg,
            Some(pool),
            true,
            3,
        )
        .await;
    }
}

/// Runs every probe, in idle time, one after another (each in slices). The
/// workers are asked first and warm up and probe their kernel all at once;
/// the page's own probes wait for them to finish, so the two do not share
/// the cores.
///
/// A session that claims the page meanwhile stops the chain before its
/// next step ([`stood_aside`] waits for the one in flight).
pub async fn probe_all(pool: Option<Pool>) {
    // One chain at a time: two would share the loop and the workers, and
    // each would read the other's work as this machine's cost.
    while CHAIN.with(|c| c.replace(true)) {
        super::next_macrotask().await;
    }
    struct Chain;
    impl Drop for Chain {
        fn drop(&mut self) {
            CHAIN.with(|c| c.set(false));
        }
    }
    let _chain = Chain;
    let generation = GENERATION.with(|g| g.get());
    if let Some(pool) = &pool {
        // Waiting for the workers to start is no step: a claimed session
        // need not wait for it (a pool that never starts would hold it).
        if pool.ready().await.is_ok() && !claimed() {
            let _busy = Probing::start();
            step("the workers' kernel probes");
            // All of them at once: the figure is the fastest worker's.
            pool.probed(2000.0, claimed).await;
            absorb_worker_probes(pool);
        }
    }
    {
        let _busy = Probing::start();
        step("the main thread's CPU");
        probe_main_cpu().await;
        step("JavaScript's CPU");
        probe_main_js_cpu().await;
        if !claimed() {
            step("a JavaScript worker");
            probe_js_worker().await;
        }
        step("the loop");
        probe_loop().await;
        if let Some(pool) = &pool {
            step("the pool's dispatch");
            probe_dispatch(pool).await;
            step("the workers at once");
            probe_workers(pool).await;
        }
    }
    // A reset meanwhile forgot what this chain measured: the chain queued
    // behind it says when the figures are ready again.
    if GENERATION.with(|g| g.get()) == generation {
        READY.with(|r| r.set(true));
    }
}
