//! The loop's record when the clock is expensive to read: coarse readings
//! for bookkeeping never break a task's spans or the events' order, CPU spans
//! still end at precise readings, and what the page reserves up front
//! (`loop_record_estimate`) is what the loop then records.

use std::cell::Cell;
use std::rc::Rc;

use engine::costs::Costs;
use engine::executor::{yield_now, Executor, Handle, Outcome};
use engine::model::{Model, RunConfig};
use engine::runner::{
    loop_record_estimate, run_loop_task, spawn_batched, Env, LoopCtx, LoopHooks, Recorder,
};
use engine::sim::simulate;
use engine::time::{Clock, Nanos, VirtualClock};
use engine::trace::{EventKind, SpanState, Trace, MAIN_LANE};
use workload::Workload;

/// A virtual clock whose coarse readings repeat its latest precise one, as
/// the page's `performance.now()` clock may; it counts both.
#[derive(Default)]
struct LaggingClock {
    inner: VirtualClock,
    latest: Cell<Nanos>,
    precise: Cell<u64>,
    coarse: Cell<u64>,
}

impl Clock for LaggingClock {
    fn now(&self) -> Nanos {
        self.precise.set(self.precise.get() + 1);
        self.latest.set(self.inner.now());
        self.inner.now()
    }
    fn coarse_now(&self) -> Nanos {
        self.coarse.set(self.coarse.get() + 1);
        self.latest.get()
    }
}

/// CPU at 1 ns an iteration on the lagging clock.
struct LaggingEnv {
    clock: Rc<LaggingClock>,
    handle: Handle,
}

impl Env for LaggingEnv {
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
        self.clock.inner.advance(end - start);
        workload::sum_squares_range(start, end)
    }
    fn block(&self, d: Nanos) {
        self.clock.inner.advance(d);
    }
}

/// Runs `text` on the loop as the page does, on the lagging clock (each spawn
/// also costs `per_poll`), with room reserved up front or not, and returns
/// the trace and the clock.
fn run_lagging(text: &str, per_poll: Nanos, reserve: bool) -> (Trace, Rc<LaggingClock>) {
    let workload: Workload = text.parse().unwrap();
    let clock = Rc::new(LaggingClock::default());
    let rec = Rc::new(Recorder::new());
    let hooks = LoopHooks::new(rec.clone(), clock.clone(), MAIN_LANE);
    let est = loop_record_estimate(&workload, None);
    if reserve {
        // As the page does.
        rec.reserve(est.spans, est.events);
        hooks.reserve_lag(est.timers);
    }
    let hooks = Rc::new(hooks);
    let ex = Executor::with_hooks(clock.clone(), hooks.clone());
    if reserve {
        ex.reserve_timers(est.timers as usize);
    }
    ex.set_polls_per_clock_check(16);
    let ctx = Rc::new(LoopCtx {
        env: LaggingEnv {
            clock: clock.clone(),
            handle: ex.handle(),
        },
        rec: rec.clone(),
        workload: workload.clone(),
        limit: None,
        seed: 7,
    });
    let c = clock.clone();
    spawn_batched(&ex.handle(), &workload, move |h, group, index, at| {
        c.inner.advance(per_poll);
        h.spawn_tagged(index as u32, run_loop_task(ctx.clone(), group, index, at));
    });
    assert_eq!(ex.run_virtual(&clock.inner), Outcome::Done);
    let mut trace = Trace {
        model: Some(Model::Loop),
        lanes: 1,
        tasks: workload.task_count(),
        end: clock.inner.now(),
        ..Trace::default()
    };
    rec.with_events(|e| {
        assert!(
            e.windows(2).all(|w| w[0].at <= w[1].at),
            "events are recorded in time order"
        )
    });
    rec.finish_into(&mut trace);
    (trace, clock)
}

/// Each task's spans, in recorded order, follow each other with no gap and
/// never run backwards.
fn assert_spans_tile(trace: &Trace) {
    for task in 0..trace.tasks as u32 {
        let spans: Vec<_> = trace.spans.iter().filter(|s| s.task == task).collect();
        assert!(!spans.is_empty(), "t{task} has spans");
        for w in spans.windows(2) {
            assert_eq!(w[0].end, w[1].start, "t{task}: {:?} then {:?}", w[0], w[1]);
        }
        assert!(spans.iter().all(|s| s.end > s.start));
    }
}

#[test]
fn coarse_readings_keep_spans_tiled_and_events_in_order() {
    let (trace, clock) = run_lagging(
        "300*io(10ms)+20*[cpu(30K,yield=10K),io(1ms),incr(await=1ms)]",
        50,
        true,
    );
    assert_spans_tile(&trace);
    assert_eq!(trace.counter + trace.lost_updates(), 20);
    // Bookkeeping reads are coarse; precise ones are the executor's checks
    // and the ends of CPU chunks.
    let tasks = trace.tasks;
    assert!(
        clock.coarse.get() >= 8 * tasks,
        "{} coarse readings",
        clock.coarse.get()
    );
    assert!(
        clock.precise.get() < tasks,
        "{} precise readings for {tasks} tasks",
        clock.precise.get()
    );
}

#[test]
fn cpu_spans_end_at_precise_readings() {
    // Three chunks of 10 µs each: their running spans last exactly that,
    // however stale the coarse readings between them.
    let (trace, _) = run_lagging("3*cpu(30K,yield=10K)", 1_000, false);
    assert_spans_tile(&trace);
    let running: Vec<Nanos> = trace
        .spans
        .iter()
        .filter(|s| s.state == SpanState::Running)
        .map(|s| s.duration())
        .collect();
    assert_eq!(running, vec![10_000; 9]);
    let done = trace
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Done)
        .count();
    assert_eq!(done, 3);
}

#[test]
fn the_reserved_record_is_what_the_loop_records() {
    // Every wait really waits and every poll costs something (the default
    // costs), so no span is empty: the estimate is exact.
    for (text, detail) in [
        ("500*io(10ms)", None),
        ("300*io(10ms)+40*[io(2ms),io(3ms)]", Some(100)),
        ("30*[cpu(300K,yield=100K),io(1ms)]+10*incr(await=1ms)", None),
    ] {
        let workload: Workload = text.parse().unwrap();
        let mut sim = engine::sim::Simulation::new(
            &workload,
            &RunConfig::new(Model::Loop),
            &Costs::default(),
        );
        if let Some(d) = detail {
            sim.set_detail_limit(d);
        }
        while !sim.step(u64::MAX) {}
        let trace = sim.finish();
        let est = loop_record_estimate(&workload, detail);
        assert_eq!(est.events, trace.events.len() as u64, "{text}: events");
        assert_eq!(est.spans, trace.spans.len() as u64, "{text}: spans");
        assert_eq!(est.timers, trace.lag.len() as u64, "{text}: timers");
    }
    // Without poll costs a task's first poll comes at once: its queued span
    // is empty and dropped, so the estimate is a ceiling for spans.
    let workload: Workload = "100*io(10ms)".parse().unwrap();
    let trace = simulate(
        &workload,
        &RunConfig::new(Model::Loop),
        &Costs::cpu_only(1.0),
    );
    let est = loop_record_estimate(&workload, None);
    assert!(est.spans >= trace.spans.len() as u64);
    assert_eq!(est.events, trace.events.len() as u64);
}

#[test]
fn reserving_changes_nothing_recorded() {
    let text = "200*io(10ms)+5*[cpu(300K),io(1ms)]";
    let (plain, _) = run_lagging(text, 100, false);
    let (reserved, _) = run_lagging(text, 100, true);
    assert_eq!(plain.to_text(), reserved.to_text());
    assert_eq!(plain.events_text(), reserved.events_text());
}
