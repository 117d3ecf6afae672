//! Native measurement of the page's event-loop path at scale (the performance
//! table's P10: `1000000*io(1s)` and `100000*io(100ms)` on model `loop`),
//! phase by phase.
//!
//! It builds a run exactly as `src/runtime/mod.rs` builds the page's: a
//! [`Recorder`] with the page's detail limit, [`LoopHooks`] recording events,
//! our executor reading the clock every [`POLLS_PER_CLOCK_CHECK`] polls,
//! [`run_loop_task`] for every task, spawned by [`spawn_batched`]. Only the
//! clock differs: a virtual one that counts its readings, so each phase runs
//! alone and is timed alone:
//!
//! - **spawn + first poll**: every task spawned and polled until it sleeps
//!   (its timer set), with the clock standing still;
//! - **fire + poll + done**: the clock jumps to the deadline; every timer
//!   fires, every task is woken, polled and completes;
//! - **finish**: [`Recorder::finish_into`] moves the record into a trace;
//! - **metrics**: [`Metrics::from_trace`].
//!
//! Native code is faster than the page's wasm, and reading the clock is free
//! here while `performance.now()` costs about 120 ns in Chromium: the clock
//! readings per task are printed beside the times for that reason (precise
//! readings are the expensive ones; see [`Clock::coarse_now`]). The bytes
//! still allocated per suspended task (all asleep) are printed too.
//!
//! Run: `cargo run --release -p engine --example loop_bench` (add `quick`
//! after `--` for a tenth of the size and one run).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use engine::driver::POLLS_PER_CLOCK_CHECK;
use engine::executor::{yield_now, Executor, Handle, Outcome};
use engine::metrics::Metrics;
use engine::model::Model;
use engine::runner::{
    loop_record_estimate, run_loop_task, spawn_batched, Env, LoopCtx, LoopHooks, Recorder,
};
use engine::time::{Clock, Nanos, VirtualClock};
use engine::trace::{Trace, MAIN_LANE};

/// The page's `DETAIL_TASKS` (`src/runtime/mod.rs`): tasks past it keep only
/// their spans on lanes.
const DETAIL_TASKS: u32 = 200_000;

/// Runs per case; the table shows the fastest of each phase (the machine
/// is shared: the minimum is the figure that repeats).
const RUNS: usize = 5;

/// Counts the bytes live on the heap, for the memory per suspended task.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to the system allocator and only keeps a count.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is the same as `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is the same as `System.dealloc`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: the caller's contract is the same as `System.realloc`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A virtual clock that counts its precise and coarse readings.
#[derive(Default)]
struct CountingClock {
    inner: VirtualClock,
    precise: Cell<u64>,
    coarse: Cell<u64>,
}

impl Clock for CountingClock {
    fn now(&self) -> Nanos {
        self.precise.set(self.precise.get() + 1);
        self.inner.now()
    }
    fn coarse_now(&self) -> Nanos {
        self.coarse.set(self.coarse.get() + 1);
        self.inner.now()
    }
}

/// The page's `RealEnv`, on the counting clock (no CPU nor blocking phases here).
struct BenchEnv {
    clock: Rc<CountingClock>,
    handle: Handle,
}

impl Env for BenchEnv {
    fn now(&self) -> Nanos {
        self.clock.now()
    }
    fn coarse_now(&self) -> Nanos {
        self.clock.coarse_now()
    }
    fn sleep_until(&self, deadline: Nanos) -> impl std::future::Future<Output = ()> {
        self.handle.sleep_until(deadline)
    }
    fn yield_now(&self) -> impl std::future::Future<Output = ()> {
        yield_now()
    }
    fn cpu(&self, start: u64, end: u64) -> u128 {
        workload::sum_squares_range(start, end)
    }
    fn block(&self, _d: Nanos) {}
}

/// One run's figures, ns per task unless named otherwise.
#[derive(Clone, Copy, Default)]
struct Figures {
    spawn: f64,
    fire: f64,
    finish: f64,
    metrics: f64,
    precise_reads: f64,
    coarse_reads: f64,
    bytes_asleep: f64,
}

impl Figures {
    fn total(&self) -> f64 {
        self.spawn + self.fire + self.finish + self.metrics
    }
}

fn ns_per(t: Instant, n: u64) -> f64 {
    t.elapsed().as_nanos() as f64 / n as f64
}

/// One run of `text` (every task a single `io` of `d`) through the page's path.
fn run_once(text: &str, d: Nanos) -> Figures {
    let workload = workload::parse(text).expect("a valid workload");
    let n = workload.task_count();
    let live_before = LIVE.load(Ordering::Relaxed);
    let clock = Rc::new(CountingClock::default());
    let rec = Rc::new(Recorder::new());
    rec.set_detail_limit(DETAIL_TASKS);
    let hooks = LoopHooks::new(rec.clone(), clock.clone(), MAIN_LANE);
    // As the page does (`Driven::new`).
    let est = loop_record_estimate(&workload, Some(DETAIL_TASKS));
    rec.reserve(est.spans, est.events);
    hooks.reserve_lag(est.timers);
    let hooks = Rc::new(hooks);
    let ex = Executor::with_hooks(clock.clone(), hooks.clone());
    ex.reserve_timers(est.timers.min(n) as usize);
    ex.set_polls_per_clock_check(POLLS_PER_CLOCK_CHECK);
    let ctx = Rc::new(LoopCtx {
        env: BenchEnv {
            clock: clock.clone(),
            handle: ex.handle(),
        },
        rec: rec.clone(),
        workload: workload.clone(),
        limit: None,
        seed: 1,
    });
    let mut f = Figures::default();

    if FUTURE_BYTES.get() == 0 {
        FUTURE_BYTES.set(std::mem::size_of_val(&run_loop_task(ctx.clone(), 0, 0, 0)));
    }
    let t = Instant::now();
    spawn_batched(&ex.handle(), &workload, move |h, group, index, at| {
        h.spawn_tagged(index as u32, run_loop_task(ctx.clone(), group, index, at));
    });
    assert_eq!(ex.run(Nanos::MAX), Outcome::Sleeping { until: d });
    f.spawn = ns_per(t, n);
    f.bytes_asleep = (LIVE.load(Ordering::Relaxed) - live_before) as f64 / n as f64;

    clock.inner.advance_to(d);
    let t = Instant::now();
    assert_eq!(ex.run(Nanos::MAX), Outcome::Done);
    f.fire = ns_per(t, n);
    f.precise_reads = clock.precise.get() as f64 / n as f64;
    f.coarse_reads = clock.coarse.get() as f64 / n as f64;

    let mut trace = Trace {
        model: Some(Model::Loop),
        lanes: 1,
        tasks: n,
        end: clock.inner.now(),
        ..Trace::default()
    };
    let t = Instant::now();
    rec.finish_into(&mut trace);
    trace.lag = hooks.take_lag();
    f.finish = ns_per(t, n);

    let t = Instant::now();
    let m = Metrics::from_trace(&trace, None);
    f.metrics = ns_per(t, n);
    assert_eq!(m.tasks, n);
    assert_eq!(trace.lag.len() as u64, n, "every timer fired once");
    drop(trace);
    drop(ex);
    f
}

thread_local! {
    /// The size of one task's future (`run_loop_task`'s state machine).
    static FUTURE_BYTES: Cell<usize> = const { Cell::new(0) };
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let (runs, scale) = if quick { (1, 10) } else { (RUNS, 1) };
    let cases = [
        (1_000_000 / scale, "io(1s)", 1_000_000_000),
        (100_000 / scale, "io(100ms)", 100_000_000),
    ];
    println!("loop_bench: the page's loop path, native, virtual clock; fastest of {runs} run(s), ns per task");
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>9}",
        "workload",
        "spawn+1st",
        "fire+done",
        "finish",
        "metrics",
        "total",
        "precise",
        "coarse",
        "B asleep"
    );
    for (n, io, d) in cases {
        let text = format!("{n}*{io}");
        let all: Vec<Figures> = (0..runs).map(|_| run_once(&text, d)).collect();
        let med = |g: fn(&Figures) -> f64| min(&all.iter().map(g).collect::<Vec<_>>());
        println!(
            "{:<22} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>8.2} {:>8.2} {:>9.0}",
            text,
            med(|f| f.spawn),
            med(|f| f.fire),
            med(|f| f.finish),
            med(|f| f.metrics),
            med(Figures::total),
            med(|f| f.precise_reads),
            med(|f| f.coarse_reads),
            med(|f| f.bytes_asleep),
        );
    }
    println!("one task's future: {} bytes", FUTURE_BYTES.get());
}
