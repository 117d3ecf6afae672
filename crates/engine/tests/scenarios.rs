//! The claims of the product, checked on the virtual clock: a scenario in, the
//! wall time (and a few tallies) out, one table row each.

use engine::costs::{Cost, Costs};
use engine::metrics::Metrics;
use engine::model::{Model, RunConfig};
use engine::sim::simulate;
use engine::time::{Nanos, MS, SECOND};
use engine::trace::{SpanState, Trace, NO_LANE};
use workload::Workload;

fn run(w: &str, model: Model, workers: u16, limit: Option<u32>) -> Trace {
    let workload: Workload = w.parse().unwrap_or_else(|e| panic!("{w}: {e}"));
    let cfg = RunConfig {
        workers,
        limit,
        ..RunConfig::new(model)
    };
    // No overheads at all: the rows below state exact figures.
    let costs = Costs::cpu_only(1.0);
    simulate(&workload, &cfg, &costs)
}

/// (workload, model, workers, limit, expected wall in ns)
const EXACT: &[(&str, Model, u16, Option<u32>, Nanos)] = &[
    // gather: the loop takes the longest wait, sequential the sum.
    ("2*io(1s)", Model::Loop, 1, None, SECOND),
    ("2*io(1s)", Model::Sequential, 1, None, 2 * SECOND),
    ("1*io(1s)+1*io(2s)", Model::Loop, 1, None, 2 * SECOND),
    ("1*io(1s)+1*io(2s)", Model::Sequential, 1, None, 3 * SECOND),
    // CPU on one thread: no gain from the loop.
    ("20*cpu(10M)", Model::Sequential, 1, None, 200 * MS),
    ("20*cpu(10M)", Model::Loop, 1, None, 200 * MS),
    // Processes and free threads divide it; the GIL does not.
    ("20*cpu(10M)", Model::Pool, 4, None, 50 * MS),
    ("20*cpu(10M)", Model::Free, 4, None, 50 * MS),
    ("20*cpu(10M)", Model::Gil, 4, None, 200 * MS),
    // I/O overlaps under the GIL.
    ("4*io(500ms)", Model::Gil, 4, None, 500 * MS),
    // The database that allows ten connections.
    ("1000*io(100ms)", Model::Loop, 1, Some(10), 10 * SECOND),
    ("1000*io(100ms)", Model::Loop, 1, None, 100 * MS),
    // Loop + pool: waits overlap on the loop, CPU spreads over the lanes.
    ("4*[io(100ms),cpu(50M)]", Model::Hybrid, 4, None, 150 * MS),
    ("4*[io(100ms),cpu(50M)]", Model::Loop, 1, None, 300 * MS),
];

#[test]
fn wall_times_match_the_claims_exactly() {
    let mut failures = Vec::new();
    for &(w, model, workers, limit, want) in EXACT {
        let got = run(w, model, workers, limit).wall();
        if got != want {
            failures.push(format!(
                "{w} under {model} ×{workers} limit {limit:?}: wall {got} ns, want {want} ns"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_blocking_call_delays_every_other_task_by_its_length() {
    let t = run("3*io(100ms)+1*block(500ms)", Model::Loop, 1, None);
    assert_eq!(t.wall(), 500 * MS);
    // Each I/O task waited 100 ms, then sat ready for 400 ms behind the block.
    for task in 0..3 {
        let queued: Nanos = t
            .spans
            .iter()
            .filter(|s| s.task == task && s.state == SpanState::Queued)
            .map(|s| s.duration())
            .sum();
        assert_eq!(queued, 400 * MS, "task {task}");
    }
    let m = Metrics::from_trace(&t, None);
    assert_eq!(m.lag_p50_ms, Some(400.0), "the timers fired 400 ms late");
    assert_eq!(m.longest_block_ms, Some(500.0));
}

#[test]
fn an_await_between_read_and_write_loses_updates_on_the_loop() {
    let with_await = run("1000*incr(await)", Model::Loop, 1, None);
    assert_eq!(with_await.increments, 1000);
    assert_eq!(
        with_await.lost_updates(),
        999,
        "everyone read 0 before anyone wrote"
    );
    let without = run("1000*incr", Model::Loop, 1, None);
    assert_eq!(without.lost_updates(), 0);
    let atomic = run("1000*incr(atomic)", Model::Loop, 1, None);
    assert_eq!(atomic.lost_updates(), 0);
    assert_eq!(Metrics::from_trace(&with_await, None).lost_updates, 999);
}

#[test]
fn the_cpu_checksum_is_exact_in_every_model() {
    let want = 20 * workload::closed_form(10_000_000);
    for model in Model::ALL {
        assert_eq!(run("20*cpu(10M)", model, 4, None).checksum, want, "{model}");
    }
}

#[test]
fn the_same_seed_gives_the_same_trace_and_another_seed_differs() {
    let w: Workload = "50*[io(100ms,jitter=50),cpu(1M,jitter=50)]"
        .parse()
        .unwrap();
    let costs = Costs::default();
    for model in Model::ALL {
        let cfg = RunConfig {
            seed: 7,
            ..RunConfig::new(model)
        };
        let a = simulate(&w, &cfg, &costs).to_text();
        let b = simulate(&w, &cfg, &costs).to_text();
        assert_eq!(a, b, "{model} is not deterministic");
        let other = simulate(
            &w,
            &RunConfig {
                seed: 8,
                ..cfg.clone()
            },
            &costs,
        )
        .to_text();
        assert_ne!(a, other, "{model} ignores the seed");
    }
}

#[test]
fn spans_never_overlap_within_a_lane() {
    for model in Model::ALL {
        let t = run(
            "20*[io(10ms),cpu(3M),block(1ms)]+5*incr(await)",
            model,
            3,
            Some(7),
        );
        for lane in 0..t.lanes {
            let mut spans: Vec<_> = t.lane_spans(lane).map(|s| (s.start, s.end)).collect();
            spans.sort_unstable();
            for pair in spans.windows(2) {
                assert!(
                    pair[0].1 <= pair[1].0,
                    "{model} lane {lane}: {:?} overlaps {:?}",
                    pair[0],
                    pair[1]
                );
            }
        }
    }
}

#[test]
fn each_loop_task_accounts_for_its_whole_life() {
    // Under the loop, a task is always exactly one of running, waiting or
    // queued, so its spans tile [run start, its end] with no gap or overlap.
    let t = run(
        "10*[io(20ms),cpu(2M,yield=500k)]+2*block(5ms)",
        Model::Loop,
        1,
        None,
    );
    for task in 0..12u32 {
        let mut spans: Vec<_> = t
            .spans
            .iter()
            .filter(|s| s.task == task)
            .map(|s| (s.start, s.end))
            .collect();
        spans.sort_unstable();
        assert_eq!(spans[0].0, 0, "task {task} starts with the run");
        for pair in spans.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "task {task}: gap or overlap");
        }
    }
}

#[test]
fn pool_start_up_and_transfer_are_spans_of_their_own() {
    let w: Workload = "8*cpu(10M){payload=1024}".parse().unwrap();
    let costs = Costs::cpu_only(1.0)
        .with(Cost::PoolStartup, 30e6)
        .with(Cost::Dispatch, 100_000.0)
        .with(Cost::TransferKib, 1000.0);
    let t = simulate(
        &w,
        &RunConfig {
            workers: 4,
            ..RunConfig::new(Model::Pool)
        },
        &costs,
    );
    let m = Metrics::from_trace(&t, Some(80 * MS));
    assert_eq!(m.pool_startup_ms, Some(30.0));
    // Each job: 2 × (50 µs + 1024 KiB × 1 µs) of transfer.
    assert!(
        (m.transfer_ms.unwrap() - 8.0 * 2.0 * (0.05 + 1.024)).abs() < 1e-6,
        "{:?}",
        m.transfer_ms
    );
    // 30 ms start-up + 2 rounds × (10 ms + 2 × 1.074 ms).
    assert_eq!(t.wall(), 30 * MS + 2 * (10 * MS + 2 * 1_074_000));
    assert!(m.speedup.unwrap() > 1.0 && m.efficiency_pct.unwrap() < 100.0);
    assert!(t
        .spans
        .iter()
        .all(|s| s.state != SpanState::Startup || s.lane != NO_LANE));
}

#[test]
fn the_gil_never_lets_two_threads_run_at_once() {
    let t = run("4*cpu(20M)", Model::Gil, 4, None);
    let mut running: Vec<_> = t
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Running)
        .map(|s| (s.start, s.end))
        .collect();
    running.sort_unstable();
    for pair in running.windows(2) {
        assert!(
            pair[0].1 <= pair[1].0,
            "two threads ran at once: {:?} {:?}",
            pair[0],
            pair[1]
        );
    }
    let m = Metrics::from_trace(&t, None);
    assert!(
        m.gil_handovers.unwrap() > 10,
        "threads took turns: {:?}",
        m.gil_handovers
    );
    assert!(m.gil_wait_ms.unwrap() > 0.0);
    // Efficiency is speedup per thread started: the GIL's four threads of CPU
    // work are no faster than one, so about 25 % at best, never 100 %.
    let seq = run("4*cpu(20M)", Model::Sequential, 1, None);
    let m = Metrics::from_trace(&t, Some(seq.wall()));
    let (speedup, eff) = (m.speedup.unwrap(), m.efficiency_pct.unwrap());
    assert!(
        (eff - 100.0 * speedup / 4.0).abs() < 1e-9,
        "{eff} % at {speedup}×"
    );
    assert!(eff <= 26.0, "{eff} %");
}

#[test]
fn the_convoy_effect_stretches_an_io_thread_beside_a_cpu_thread() {
    // One thread does 20 × (1 ms of I/O), another computes for 200 ms.
    let alone = run(
        "1*[io(1ms),io(1ms),io(1ms),io(1ms),io(1ms)]",
        Model::Gil,
        2,
        None,
    );
    let convoy = run(
        "1*[io(1ms),io(1ms),io(1ms),io(1ms),io(1ms)]+1*cpu(200M)",
        Model::Gil,
        2,
        None,
    );
    let io_task_end = |t: &Trace| {
        t.spans
            .iter()
            .filter(|s| s.task == 0)
            .map(|s| s.end)
            .max()
            .unwrap()
    };
    assert_eq!(io_task_end(&alone), 5 * MS);
    assert!(
        io_task_end(&convoy) >= 5 * MS + 4 * 4 * MS,
        "each resume waits for a switch interval: {}",
        io_task_end(&convoy)
    );
}

#[test]
fn loop_plus_pool_pays_the_loops_per_task_costs_on_the_page() {
    // Only waits: on loop + pool every task stays on the page's loop, and
    // pays its spawn and polls there as on the loop (the simulation once
    // charged it nothing: 1.3 ms for ten thousand tasks, or a million).
    let w: Workload = "10000*io(1ms)".parse().unwrap();
    let costs = Costs::default().with(Cost::Poll, 500.0);
    let lp = simulate(&w, &RunConfig::new(Model::Loop), &costs);
    let cfg = RunConfig {
        workers: 2,
        ..RunConfig::new(Model::Hybrid)
    };
    let hy = simulate(&w, &cfg, &costs);
    // 10,000 spawns and 20,000 polls at 0.5 µs: 15 ms beside the 1 ms wait.
    assert!(hy.wall() >= 10 * MS, "{} ns", hy.wall());
    let ratio = hy.wall() as f64 / lp.wall() as f64;
    assert!(
        (0.95..1.05).contains(&ratio),
        "loop + pool {} ns, loop {} ns",
        hy.wall(),
        lp.wall()
    );
}

#[test]
fn a_run_cut_short_keeps_its_open_waits_and_jobs_up_to_the_cut() {
    // Cut at 15 ms: on the loop each task is 5 ms into its second sleep; on
    // the pool each job is 5 ms into its second sleep, in its worker.
    for (model, lane) in [(Model::Loop, NO_LANE), (Model::Pool, 1)] {
        let w: Workload = "1*[io(10ms),io(20ms)]".parse().unwrap();
        let cfg = RunConfig {
            workers: 1,
            ..RunConfig::new(model)
        };
        let mut sim = engine::sim::Simulation::new(&w, &cfg, &Costs::cpu_only(1.0));
        while sim.now() < 15 * MS {
            assert!(!sim.step(1), "{model:?} ended before the cut");
        }
        let cut = sim.now();
        let t = sim.finish();
        let waits: Vec<(u8, Nanos, Nanos)> = t
            .spans
            .iter()
            .filter(|s| s.state == SpanState::Waiting && s.lane == lane)
            .map(|s| (s.phase, s.start, s.end))
            .collect();
        let off = waits.first().map_or(0, |w| w.1);
        assert_eq!(
            waits,
            [(0, off, off + 10 * MS), (1, off + 10 * MS, cut)],
            "{model:?}: both sleeps, the second up to the cut at {cut}"
        );
    }
}
