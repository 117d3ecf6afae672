//! Native micro-benchmarks of the executor, the proxy for the browser figures
//! of the performance table (P1 yield round trip, P2 spawn + complete, P10 the
//! whole sleep path at scale). Every figure is the median of [`RUNS`] runs, in
//! the release profile the page ships with.
//!
//! Run: `cargo run --release -p engine --example executor_bench` (add `quick`
//! after `--` for one run of each at a tenth of the size, or `only FIGURE N`
//! for one figure once, see [`only`]).
//!
//! The peers are `futures::executor::LocalPool` polled the way `tests/bench.rs`
//! polls it in the browser (`run_until` of one yielding future) and, for the
//! rows where tasks queue behind each other, with spawned tasks.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use engine::executor::{yield_now, Executor, Outcome};
use engine::time::{Clock, Nanos, VirtualClock, MS, SECOND};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;

/// Runs per figure; the table shows the median.
const RUNS: usize = 5;

/// `std::time::Instant` as an executor clock: the native stand-in for `performance.now()`.
struct RealClock {
    origin: Instant,
}

impl RealClock {
    fn new() -> Rc<Self> {
        Rc::new(Self {
            origin: Instant::now(),
        })
    }
}

impl Clock for RealClock {
    fn now(&self) -> Nanos {
        self.origin.elapsed().as_nanos() as Nanos
    }
}

/// The median of `runs` samples of `f` (each a figure in ns or µs).
fn median(runs: usize, mut f: impl FnMut() -> f64) -> f64 {
    let mut v: Vec<f64> = (0..runs).map(|_| f()).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Nanoseconds per operation since `start`, for `n` operations.
fn ns_per(start: Instant, n: u64) -> f64 {
    start.elapsed().as_nanos() as f64 / n as f64
}

/// Yields `n` times (the future `tests/bench.rs` times in the browser).
async fn yielding(n: u64) {
    for _ in 0..n {
        yield_now().await;
    }
}

/// P1, one task: as `tests/bench.rs` measures it in the browser (64 polls per clock read).
fn ours_yield(n: u64) -> f64 {
    let ex = Executor::new(RealClock::new());
    ex.set_polls_per_clock_check(64);
    ex.spawn(yielding(n));
    let t = Instant::now();
    assert_eq!(ex.run(Nanos::MAX), Outcome::Done);
    ns_per(t, n)
}

fn pool_yield(n: u64) -> f64 {
    let mut pool = LocalPool::new();
    let t = Instant::now();
    pool.run_until(yielding(n));
    ns_per(t, n)
}

/// P1 with `tasks` tasks taking turns: every yield goes through the ready queue behind the others.
fn ours_yield_many(tasks: u64, n: u64) -> f64 {
    let ex = Executor::new(RealClock::new());
    ex.set_polls_per_clock_check(64);
    for _ in 0..tasks {
        ex.spawn(yielding(n / tasks));
    }
    let t = Instant::now();
    assert_eq!(ex.run(Nanos::MAX), Outcome::Done);
    ns_per(t, n)
}

fn pool_yield_many(tasks: u64, n: u64) -> f64 {
    let mut pool = LocalPool::new();
    let sp = pool.spawner();
    for _ in 0..tasks {
        sp.spawn_local(yielding(n / tasks)).unwrap();
    }
    let t = Instant::now();
    pool.run();
    ns_per(t, n)
}

/// P2: spawn `n` trivial tasks, detached (as `LocalPool`'s spawner does),
/// then run them all (as `tests/bench.rs` does).
fn ours_spawn(n: u64) -> f64 {
    let ex = Executor::new(RealClock::new());
    ex.set_polls_per_clock_check(64);
    let done = Rc::new(Cell::new(0u64));
    let t = Instant::now();
    for _ in 0..n {
        let d = done.clone();
        ex.spawn_detached(async move { d.set(d.get() + 1) });
    }
    assert_eq!(ex.run(Nanos::MAX), Outcome::Done);
    let r = ns_per(t, n);
    assert_eq!(done.get(), n);
    r
}

fn pool_spawn(n: u64) -> f64 {
    let mut pool = LocalPool::new();
    let sp = pool.spawner();
    let done = Rc::new(Cell::new(0u64));
    let t = Instant::now();
    for _ in 0..n {
        let d = done.clone();
        sp.spawn_local(async move { d.set(d.get() + 1) }).unwrap();
    }
    pool.run();
    let r = ns_per(t, n);
    assert_eq!(done.get(), n);
    r
}

/// A deterministic spread of `0..span` for task `i` (a multiplicative hash).
fn jitter(i: u64, span: Nanos) -> Nanos {
    if span == 0 {
        0
    } else {
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % span
    }
}

/// P10 on the virtual clock: `n` tasks each sleep `d` (plus up to `spread` of
/// jitter) then complete; µs of executor time per task, spawn to completion.
fn ours_scale_virtual(n: u64, d: Nanos, spread: Nanos) -> f64 {
    let clock = Rc::new(VirtualClock::new());
    let ex = Executor::new(clock.clone());
    ex.set_polls_per_clock_check(16);
    let done = Rc::new(Cell::new(0u64));
    let t = Instant::now();
    for i in 0..n {
        let (h, done) = (ex.handle(), done.clone());
        let d = d + jitter(i, spread);
        ex.spawn(async move {
            h.sleep(d).await;
            done.set(done.get() + 1);
        });
    }
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    let us = t.elapsed().as_nanos() as f64 / 1e3 / n as f64;
    assert_eq!(done.get(), n);
    assert!(
        clock.now() >= d && clock.now() <= d + spread,
        "the last timer fires at its deadline"
    );
    us
}

/// P10 on the real clock, driven as the browser drives it: slices of 8 ms
/// (16 polls per clock read), and a real sleep when every task waits on a
/// timer. Counts only the time spent spawning and inside `run`, not the sleeps.
fn ours_scale_real(n: u64, d: Nanos, spread: Nanos) -> f64 {
    let clock = RealClock::new();
    let ex = Executor::new(clock.clone());
    ex.set_polls_per_clock_check(16);
    let done = Rc::new(Cell::new(0u64));
    let t = Instant::now();
    for i in 0..n {
        let (h, done) = (ex.handle(), done.clone());
        let d = d + jitter(i, spread);
        ex.spawn(async move {
            h.sleep(d).await;
            done.set(done.get() + 1);
        });
    }
    let mut busy = t.elapsed();
    loop {
        let t = Instant::now();
        let outcome = ex.run(clock.now() + 8 * MS);
        busy += t.elapsed();
        match outcome {
            Outcome::Ready => {}
            Outcome::Sleeping { until } => {
                std::thread::sleep(Duration::from_nanos(until.saturating_sub(clock.now())))
            }
            Outcome::Done => break,
            Outcome::Stalled => unreachable!("no task waits on anything but a timer"),
        }
    }
    assert_eq!(done.get(), n);
    busy.as_nanos() as f64 / 1e3 / n as f64
}

/// `n` with a comma between groups of three digits.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One figure, once, at size `n`: for counting instructions under
/// `valgrind --tool=callgrind` (no hardware counters needed). Instructions
/// are a second proxy for wasm, where atomics cost what plain loads and stores
/// do while natively they dominate some rows. Run it at two sizes; the
/// difference over the extra operations is the cost of one.
fn only(name: &str, n: u64) {
    let r = match name {
        "yield" => ours_yield(n),
        "yield-pool" => pool_yield(n),
        "yield-many" => ours_yield_many(100, n),
        "yield-many-pool" => pool_yield_many(100, n),
        "spawn" => ours_spawn(n),
        // The steady state: finished tasks' cells recycled (`executor/cells.rs`).
        "spawn-warm" => {
            ours_spawn(n);
            ours_spawn(n)
        }
        "spawn-pool" => pool_spawn(n),
        "sleep-virtual" => ours_scale_virtual(n, SECOND, 0),
        "sleep-jitter-virtual" => ours_scale_virtual(n, SECOND, 100 * MS),
        other => panic!("unknown figure {other}"),
    };
    println!("{name} n={n}: {r:.3}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, cmd, name, n] = args.as_slice() {
        if cmd == "only" {
            return only(name, n.parse().expect("a count"));
        }
    }
    let quick = args.iter().any(|a| a == "quick");
    let (runs, scale) = if quick { (1, 10) } else { (RUNS, 1) };
    let yields = 4_000_000 / scale;
    let spawns = 1_000_000 / scale;
    println!("executor_bench: median of {runs} run(s), release profile, native");
    println!(
        "{:<58} {:>10} {:>10} {:>7}",
        "figure", "ours", "LocalPool", "ratio"
    );
    let row = |name: &str, ours: f64, peer: f64, unit: &str| {
        println!(
            "{name:<58} {ours:>7.1} {unit} {peer:>7.1} {unit} {:>6.2}×",
            ours / peer
        );
    };

    let o = median(runs, || ours_yield(yields));
    let p = median(runs, || pool_yield(yields));
    row("P1 yield round trip, 1 task (ns)", o, p, "ns");
    let o = median(runs, || ours_yield_many(100, yields));
    let p = median(runs, || pool_yield_many(100, yields));
    row(
        "P1 yield round trip, 100 tasks taking turns (ns)",
        o,
        p,
        "ns",
    );
    let o = median(runs, || ours_spawn(spawns));
    let p = median(runs, || pool_spawn(spawns));
    row("P2 spawn + complete a trivial task (ns)", o, p, "ns");

    let cases: [(&str, u64, Nanos, Nanos); 3] = [
        ("sleep(1 s)", 1_000_000 / scale, SECOND, 0),
        ("sleep(100 ms)", 100_000 / scale, 100 * MS, 0),
        (
            "sleep(1 s + up to 100 ms of jitter)",
            1_000_000 / scale,
            SECOND,
            100 * MS,
        ),
    ];
    println!(
        "{:<58} {:>10} {:>10}",
        "P10 executor time per task (µs)", "virtual", "real"
    );
    for (name, n, d, spread) in cases {
        let v = median(runs, || ours_scale_virtual(n, d, spread));
        let r = median(runs, || ours_scale_real(n, d, spread));
        println!(
            "  {:<56} {v:>7.3} µs {r:>7.3} µs",
            format!("{} × {name}", thousands(n))
        );
    }
}
