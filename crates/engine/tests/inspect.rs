//! The inspector's core: the scheduler's state at an instant, rebuilt from a
//! run's events. Every run here is on the virtual clock, so states are exact and
//! compared as text. No test measures wall time: the cost of a query is checked
//! by counting the events it replays.

use std::rc::Rc;

use engine::costs::Costs;
use engine::inspect::{
    events_from_spans, interval_for, Replay, ReplayBuilder, State, TaskState, CHECKPOINT_BUDGET,
    MIN_INTERVAL, STATE_BYTES_PER_TASK,
};
use engine::model::{Model, RunConfig};
use engine::sim::simulate;
use engine::time::{Nanos, MS, SECOND};
use engine::trace::{
    Event, EventKind, PhaseKind, Resource, Span, SpanState, Trace, NO_LANE, NO_TASK,
};

fn run(w: &str, cfg: RunConfig, costs: &Costs) -> Trace {
    let workload = w.parse().unwrap_or_else(|e| panic!("{w}: {e}"));
    simulate(&workload, &cfg, costs)
}

fn gather() -> Trace {
    run(
        "1*io(1s)+1*io(2s)",
        RunConfig::new(Model::Loop),
        &Costs::zero(),
    )
}

/// The state text with its first line (the instant) left out.
fn body(s: &State) -> String {
    s.to_text()
        .split_once('\n')
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_default()
}

/// Every public view of a state agrees with the others.
fn check_consistent(s: &State, tasks: u64) {
    let total: u64 = TaskState::ALL.iter().map(|&st| s.count(st)).sum();
    assert_eq!(
        total,
        tasks,
        "every task is in exactly one state\n{}",
        s.to_text()
    );
    for l in s.lanes() {
        if let Some(t) = l.task {
            assert_eq!(
                s.task(t).lane,
                Some(l.lane),
                "t{t} is on lane {}\n{}",
                l.lane,
                s.to_text()
            );
            assert_eq!(l.state, Some(s.task_state(t)));
        }
    }
    let blocked: u64 = [
        Resource::None,
        Resource::Gil,
        Resource::Semaphore,
        Resource::Lane,
    ]
    .iter()
    .map(|&r| s.blocked_count(r))
    .sum();
    assert_eq!(blocked, s.count(TaskState::Blocked));
    assert_eq!(s.lost_updates(), s.increments().saturating_sub(s.counter()));
}

const AT_500MS: &str = "at 500000000
lane main: -
ready: -
timers: t0@1000000000 t1@2000000000
waiting: t0 t1
blocked: -
gil: - (handoffs 0)
done: 0
pending: 0
counter: 0/0 lost 0
";

const AT_1500MS: &str = "at 1500000000
lane main: -
ready: -
timers: t1@2000000000
waiting: t1
blocked: -
gil: - (handoffs 0)
done: 1 t0
pending: 0
counter: 0/0 lost 0
";

#[test]
fn gather_on_the_loop_waits_on_two_timers_then_finishes_one_at_a_time() {
    let r = Replay::new(Rc::new(gather()));
    assert!(!r.derived());
    assert!(r.coverage().is_complete());
    assert!(r.coverage().notes().is_empty());
    assert_eq!((r.start(), r.end()), (0, 2 * SECOND));
    assert_eq!(r.state_at(500 * MS).to_text(), AT_500MS);
    assert_eq!(r.state_at(1500 * MS).to_text(), AT_1500MS);
    // Before anything happened, both tasks are pending.
    assert_eq!(r.initial_state().pending_count(), 2);
    assert_eq!(r.state_at_index(0).task_state(0), TaskState::Pending);

    // → from 500 ms: the next instant is the end of the 1 s sleep, where t0
    // wakes, runs and finishes.
    let next = r.next_instant(500 * MS);
    assert_eq!(next, Some(SECOND));
    let at_1s = r.state_at(SECOND);
    assert_eq!(at_1s.done(10), vec![0]);
    assert_eq!(body(&at_1s), body(&r.state_at(1500 * MS)));

    // The same instant one event at a time: wake, start, done.
    let mut s = r.state_at(500 * MS);
    let i = r.index_at(500 * MS);
    let mut seen = Vec::new();
    for step in 1..=3 {
        assert_eq!(
            r.seek(&mut s, i + step),
            1,
            "one arrow key replays one event"
        );
        assert_eq!(s.time(), SECOND);
        let main = s.lane(0);
        seen.push((s.task_state(0).name(), main.task));
    }
    assert_eq!(
        seen,
        vec![("ready", None), ("running", Some(0)), ("done", None)]
    );
    let mid = r.state_at_index(i + 1);
    assert_eq!(mid.ready(10), vec![0]);
    assert!(mid.to_text().contains("ready: t0\n"));
    assert!(r
        .state_at_index(i + 2)
        .to_text()
        .contains("lane main: t0 running\n"));

    // ← from 1 s goes back to the instant everything started: the same state as 500 ms.
    assert_eq!(r.prev_instant(SECOND), Some(0));
    assert_eq!(body(&r.state_at(0)), body(&r.state_at(500 * MS)));
    assert_eq!(r.prev_instant(0), None);
    assert_eq!(r.next_instant(2 * SECOND), None);

    // Shift+arrows: by events, landing on an event's instant.
    assert_eq!(r.skip_events(500 * MS, 1), SECOND);
    assert_eq!(r.skip_events(500 * MS, 4), 2 * SECOND);
    assert_eq!(r.skip_events(500 * MS, 100), r.end());
    assert_eq!(r.skip_events(1500 * MS, -1), SECOND);
    assert_eq!(r.skip_events(1500 * MS, -4), 0);
    assert_eq!(r.skip_events(1500 * MS, -100), r.start());
    assert_eq!(r.skip_events(1500 * MS, 0), 1500 * MS);
    assert_eq!(r.step_index(3, -10), 0);
    assert_eq!(r.step_index(3, 1000), r.len());

    // Navigation by index agrees with the times.
    assert_eq!(r.index_at(2 * SECOND), r.len());
    assert_eq!(r.time_of(0), r.start());
    assert_eq!(r.time_of(r.len()), 2 * SECOND);
    assert_eq!(r.time_of(r.index_at(1500 * MS)), SECOND);

    let end = r.state_at(r.end());
    assert_eq!(end.done(10), vec![0, 1]);
    assert_eq!(end.done_count(), 2);
    check_consistent(&end, 2);
}

#[test]
fn sequential_sleeps_on_the_main_thread_and_a_semaphore_queues_tasks() {
    // time.sleep in a plain loop: the main thread itself waits, the next task has not started.
    let r = Replay::new(Rc::new(run(
        "2*io(1s)",
        RunConfig::new(Model::Sequential),
        &Costs::zero(),
    )));
    assert_eq!(
        r.state_at(500 * MS).to_text(),
        "at 500000000\nlane main: t0 waiting\nready: -\ntimers: t0@1000000000\nwaiting: t0\nblocked: -\n\
         gil: - (handoffs 0)\ndone: 0\npending: 1\ncounter: 0/0 lost 0\n"
    );
    assert_eq!(r.state_at(1500 * MS).lane(0).task, Some(1));
    // Two connections for five tasks: three wait for a slot of the semaphore, in order.
    let cfg = RunConfig {
        limit: Some(2),
        ..RunConfig::new(Model::Loop)
    };
    let r = Replay::new(Rc::new(run("5*io(100ms)", cfg, &Costs::zero())));
    let s = r.state_at(50 * MS);
    assert!(
        s.to_text()
            .contains("waiting: t0 t1\nblocked: semaphore: t2 t3 t4\n"),
        "{}",
        s.to_text()
    );
    let s = r.state_at(150 * MS);
    assert!(
        s.to_text()
            .contains("waiting: t2 t3\nblocked: semaphore: t4\n"),
        "{}",
        s.to_text()
    );
    assert_eq!(s.done(10), vec![0, 1]);
}

#[test]
fn task_states_have_their_contract_names() {
    let names: Vec<&str> = TaskState::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        ["running", "ready", "waiting", "blocked", "done", "pending"]
    );
    assert_eq!(TaskState::default(), TaskState::Pending);
}

fn convoy(shared: bool) -> Replay {
    let preset = engine::presets::find("convoy").expect("the convoy preset");
    let cfg = RunConfig {
        workers: 2,
        shared_memory: shared,
        ..RunConfig::new(Model::Gil)
    };
    Replay::new(Rc::new(run(preset.workload, cfg, &Costs::cpu_only(1.0))))
}

#[test]
fn the_convoy_shows_the_io_thread_blocked_on_the_gil_the_cpu_thread_holds() {
    for shared in [true, false] {
        let r = convoy(shared);
        // Task 0 is the I/O thread, task 1 the CPU thread. Step event by event
        // (one state reused, as the page does) until t0 waits for the GIL t1 holds.
        let mut s = r.initial_state();
        let mut found = None;
        for i in 1..=r.len() {
            assert_eq!(r.seek(&mut s, i), 1);
            check_consistent(&s, 2);
            if s.blocked(Resource::Gil, 10) == vec![0] && s.gil_holder().map(|(t, _)| t) == Some(1)
            {
                found = Some(i);
                break;
            }
        }
        let i = found.unwrap_or_else(|| {
            panic!("shared={shared}: no state with t0 blocked on the GIL t1 holds")
        });
        let text = s.to_text();
        assert!(
            text.contains("lane 1: t0 blocked\nlane 2: t1 running\n"),
            "{text}"
        );
        assert!(
            text.contains("blocked: gil: t0\ngil: t1 on lane 2 (handoffs 0)\n"),
            "{text}"
        );
        assert_eq!(s.task(0).resource, Some(Resource::Gil));
        // The hand-off comes later: t1 gives the lock to the waiting t0.
        let later = r.state_at_index(i + 1);
        assert_eq!(later.gil_handoffs(), 1, "{}", later.to_text());
        let end = r.state_at(r.end());
        assert!(end.gil_handoffs() >= 8, "{}", end.to_text());
        assert_eq!(end.gil_handoffs(), r.trace().gil_handovers);
        assert_eq!(end.gil_holder(), None);
    }
    // With the lock in shared memory, the holder keeps it until a drop request
    // a switch interval later: the convoy is visible at an instant, not only
    // between two events of one instant.
    let r = convoy(true);
    let s = r.state_at(7 * MS);
    assert_eq!(s.blocked(Resource::Gil, 10), vec![0]);
    assert_eq!(s.gil_holder(), Some((1, 2)));
}

#[test]
fn a_pool_runs_one_task_per_worker_and_queues_the_rest() {
    let cfg = RunConfig {
        workers: 2,
        ..RunConfig::new(Model::Pool)
    };
    let r = Replay::new(Rc::new(run("20*cpu(2M)", cfg, &Costs::cpu_only(1.0))));
    let s = r.state_at(3 * MS);
    assert_eq!(
        s.to_text(),
        "at 3000000
lane main: -
lane 1: t2 running
lane 2: t3 running
ready: -
timers: -
waiting: -
blocked: pool queue: t4 t5 t6 t7 t8 t9 t10 t11 t12 t13 t14 t15 t16 t17 t18 t19
gil: - (handoffs 0)
done: 2 t0 t1
pending: 0
counter: 0/0 lost 0
"
    );
    assert_eq!(s.blocked_count(Resource::Lane), 16);
    assert_eq!(s.blocked(Resource::Lane, 3), vec![4, 5, 6]);
    check_consistent(&s, 20);
    // Every instant of the run: never more than two tasks on the workers.
    let mut st = r.initial_state();
    let mut t = r.start();
    while let Some(next) = r.next_instant(t) {
        t = next;
        r.seek_time(&mut st, t);
        check_consistent(&st, 20);
        assert!(st.count(TaskState::Running) <= 2, "{}", st.to_text());
    }
    assert_eq!(st.done_count(), 20);
}

#[test]
fn an_await_between_read_and_write_loses_all_but_one_update() {
    let r = Replay::new(Rc::new(run(
        "1000*incr(await)",
        RunConfig::new(Model::Loop),
        &Costs::zero(),
    )));
    let end = r.state_at(r.end());
    assert_eq!(
        (end.counter(), end.increments(), end.lost_updates()),
        (1, 1000, 999)
    );
    let tail = "done: 1000 t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12 t13 t14 t15 t16 t17 t18 t19 … (+980 more)\n\
                pending: 0\ncounter: 1/1000 lost 999\n";
    assert!(end.to_text().ends_with(tail), "{}", end.to_text());
    // Halfway through the writes, the counter already reads 1.
    let incrs: Vec<usize> = r
        .events()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EventKind::Incr)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(incrs.len(), 1000);
    let mid = r.state_at_index(incrs[499] + 1);
    assert_eq!(
        (mid.counter(), mid.increments(), mid.lost_updates()),
        (1, 500, 499)
    );
}

#[test]
fn a_trace_without_events_is_replayed_from_its_spans() {
    let recorded = gather();
    let mut bare = recorded.clone();
    bare.events.clear();
    let derived = Replay::new(Rc::new(bare));
    let real = Replay::new(Rc::new(recorded));
    assert!(derived.derived());
    assert!(derived
        .coverage()
        .notes()
        .iter()
        .any(|n| n.contains("Rebuilt from spans")));
    for t in [0, 500 * MS, SECOND, 1500 * MS, 2 * SECOND] {
        assert_eq!(
            derived.state_at(t).to_text(),
            real.state_at(t).to_text(),
            "at {t}"
        );
    }

    // The pool from its spans: two tasks on the workers, the rest waiting their
    // turn (spans cannot tell a pool's queue from the ready queue).
    let cfg = RunConfig {
        workers: 2,
        ..RunConfig::new(Model::Pool)
    };
    let mut pool = run("20*cpu(2M)", cfg, &Costs::cpu_only(1.0));
    pool.events.clear();
    let r = Replay::new(Rc::new(pool));
    let s = r.state_at(3 * MS);
    assert!(
        s.to_text()
            .contains("lane 1: t2 running\nlane 2: t3 running\nready: t4 t5"),
        "{}",
        s.to_text()
    );
    assert_eq!((s.done_count(), s.count(TaskState::Ready)), (2, 16));
    assert_eq!(r.state_at(r.end()).done_count(), 20);

    // The convoy from its spans: the I/O thread's GIL-blocked stretch keeps its thread.
    let preset = engine::presets::find("convoy").expect("the convoy preset");
    let mut convoy = run(
        preset.workload,
        RunConfig {
            workers: 2,
            ..RunConfig::new(Model::Gil)
        },
        &Costs::cpu_only(1.0),
    );
    convoy.events.clear();
    let r = Replay::new(Rc::new(convoy));
    let s = r.state_at(7 * MS);
    assert!(
        s.to_text()
            .contains("lane 1: t0 blocked\nlane 2: t1 running\n"),
        "{}",
        s.to_text()
    );
    assert_eq!(s.blocked(Resource::Gil, 10), vec![0]);
}

#[test]
fn events_from_spans_follow_the_recipe() {
    let span = |task, lane, state, start, end| Span {
        task,
        lane,
        phase: 0,
        kind: PhaseKind::None,
        state,
        start,
        end,
    };
    let trace = Trace {
        lanes: 2,
        tasks: 2,
        spans: vec![
            span(NO_TASK, 1, SpanState::Startup, 0, 5),
            span(1, 1, SpanState::Running, 20, 30),
            span(0, NO_LANE, SpanState::Queued, 0, 10),
            span(0, 1, SpanState::Transfer, 10, 12),
            span(0, 1, SpanState::Running, 12, 15),
            span(0, 1, SpanState::Waiting, 15, 18),
            span(0, 1, SpanState::GilBlocked, 18, 20),
        ],
        ..Trace::default()
    };
    let text: Vec<String> = events_from_spans(&trace)
        .iter()
        .map(Event::to_text)
        .collect();
    assert_eq!(
        text,
        [
            "0 t0 l- spawn",
            "0 t0 l- wake",
            "10 t0 l1 dispatch",
            "12 t0 l1 start",
            "15 t0 l1 wait due=18",
            "18 t0 l1 block gil",
            // t0's done comes before t1's start at the same instant: the lane is free.
            "20 t0 l- done",
            "20 t1 l- spawn",
            "20 t1 l1 start",
            "30 t1 l- done",
        ]
    );
    let r = Replay::new(Rc::new(trace));
    assert!(r.derived());
    assert_eq!(r.state_at(16).task(0).due, Some(18));
    assert_eq!(r.state_at(16).lane(1).task, Some(0));
    assert_eq!(r.state_at(20).lane(1).task, Some(1));
}

fn ev(at: Nanos, task: u32, lane: u16, kind: EventKind, res: Resource, arg: u64) -> Event {
    Event {
        at,
        arg,
        task,
        lane,
        kind,
        res,
    }
}

#[test]
fn hostile_data_never_panics() {
    // An empty trace.
    let r = Replay::new(Rc::new(Trace::default()));
    assert!(r.is_empty());
    assert_eq!(r.index_at(123), 0);
    assert_eq!((r.next_instant(0), r.prev_instant(5)), (None, None));
    assert_eq!(r.skip_events(7, 3), 7);
    assert_eq!(r.skip_events(7, -3), 0);
    let mut s = r.state_at(5);
    assert_eq!(r.seek(&mut s, 1000), 0);
    let empty = "at 0\nlane main: -\nready: -\ntimers: -\nwaiting: -\nblocked: -\n\
                 gil: - (handoffs 0)\ndone: 0\npending: 0\ncounter: 0/0 lost 0\n";
    assert_eq!(s.to_text(), empty);
    assert_eq!(s.task(u32::MAX).state, TaskState::Pending);
    assert_eq!(s.lane(9999).task, None);

    // Out-of-range tasks and lanes, events out of order, every kind and resource.
    let big = u32::MAX - 1;
    let events = vec![
        ev(50, 1, 9999, EventKind::Start, Resource::None, 0),
        ev(10, big, 1, EventKind::Spawn, Resource::None, 0),
        ev(20, big, 1, EventKind::Start, Resource::None, 0),
        ev(5, NO_TASK, 0, EventKind::Start, Resource::None, 0),
        ev(30, 3, 1, EventKind::Start, Resource::None, 0),
        ev(30, 3, 9999, EventKind::Acquire, Resource::Gil, 0),
        ev(31, 4, 1, EventKind::Dispatch, Resource::None, 0),
        ev(32, 4, NO_LANE, EventKind::Block, Resource::None, 0),
        ev(33, 4, NO_LANE, EventKind::Acquire, Resource::Semaphore, 0),
        ev(34, 5, 0, EventKind::Release, Resource::Gil, 1),
        ev(35, 5, 0, EventKind::Release, Resource::Lane, 7),
        ev(36, 3, 0, EventKind::Incr, Resource::None, u64::MAX),
        ev(37, 3, 0, EventKind::Done, Resource::None, 0),
        ev(38, 3, 0, EventKind::Wake, Resource::None, 0),
        ev(39, 3, 2, EventKind::Wait, Resource::None, u64::MAX),
        ev(40, 6, 2, EventKind::Yield, Resource::None, 0),
        ev(
            u64::MAX,
            7,
            u16::MAX - 1,
            EventKind::Done,
            Resource::Lane,
            u64::MAX,
        ),
    ];
    for tasks in [0, 5, u64::from(u32::MAX), u64::MAX] {
        let events = events.clone();
        let trace = Trace {
            lanes: 3,
            tasks,
            start: 100,
            end: 0,
            events,
            events_dropped: 2,
            detail_tasks: Some(4),
            ..Trace::default()
        };
        let r = Replay::new(Rc::new(trace));
        assert!(r.coverage().reordered);
        assert!(!r.coverage().is_complete());
        assert!(r.events().windows(2).all(|w| w[0].at <= w[1].at));
        let mut s = r.initial_state();
        for i in (0..=r.len() + 2).chain((0..=r.len()).rev()) {
            r.seek(&mut s, i);
            check_consistent(&s, tasks);
            let _ = s.to_text();
            for t in [0, 1, 3, 4, 5, 6, 7, big, NO_TASK] {
                let _ = s.task(t);
            }
        }
        for t in [0, 1, 50, u64::MAX] {
            let _ = r.state_at(t).to_text();
            let _ = (
                r.next_instant(t),
                r.prev_instant(t),
                r.skip_events(t, i64::MAX),
                r.skip_events(t, i64::MIN),
            );
        }
        let _ = r.coverage().notes();
    }
    // A task index of four billion gets a slot of its own, not four billion slots.
    let trace = Trace {
        lanes: 2,
        tasks: u64::MAX,
        events: events.clone(),
        ..Trace::default()
    };
    let r = Replay::new(Rc::new(trace));
    let s = r.state_at(25);
    assert_eq!(s.task(big).state, TaskState::Running);
    assert_eq!(s.lane(1).task, Some(big));
    assert_eq!(s.pending_count(), u64::MAX - 1);
    assert_eq!(r.coverage().ignored_events, 1);
    // Lane 9999 is not a lane we show: the task runs on no lane, and says so.
    let s = r.state_at(60);
    assert!(
        s.to_text().contains("running (no lane): t1"),
        "{}",
        s.to_text()
    );
    assert_eq!(s.gil_holder(), None, "t3 held the GIL until it was done");
    assert_eq!(s.gil_handoffs(), 1);
    assert_eq!(s.counter(), u64::MAX);
}

#[test]
fn two_tasks_on_one_lane_displace_the_first_runner() {
    let events = vec![
        ev(0, 0, 1, EventKind::Start, Resource::None, 0),
        ev(1, 1, 1, EventKind::Start, Resource::None, 0),
        ev(2, 2, 1, EventKind::Wait, Resource::None, 9),
        ev(3, 0, 1, EventKind::Start, Resource::None, 0),
    ];
    let r = Replay::new(Rc::new(Trace {
        lanes: 2,
        tasks: 3,
        events,
        ..Trace::default()
    }));
    let s = r.state_at(1);
    assert_eq!(
        (s.lane(1).task, s.task_state(0), s.ready(5)),
        (Some(1), TaskState::Ready, vec![0])
    );
    let s = r.state_at(2);
    assert_eq!(
        (s.lane(1).task, s.task_state(1), s.ready(5)),
        (Some(2), TaskState::Ready, vec![0, 1])
    );
    // A sleeper is displaced too, but keeps waiting: it just has no lane any more.
    let s = r.state_at(3);
    assert_eq!(
        (s.lane(1).task, s.task_state(2), s.task(2).lane),
        (Some(0), TaskState::Waiting, None)
    );
    assert_eq!(s.ready(5), vec![1]);
    check_consistent(&s, 3);
}

/// A deterministic stream of messy events: 20,000 of them on 50 tasks (some
/// out of range), lanes valid and not, every kind.
fn messy_events() -> Vec<Event> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let res = [
        Resource::None,
        Resource::Gil,
        Resource::Semaphore,
        Resource::Lane,
    ];
    (0..20_000u64)
        .map(|i| {
            let r = next();
            let kind = EventKind::ALL[(r % 11) as usize];
            let task = ((r >> 8) % 55) as u32;
            let lane = [0, 1, 2, 3, NO_LANE, 9999][((r >> 16) % 6) as usize];
            ev(
                i * 10,
                task,
                lane,
                kind,
                res[((r >> 24) % 4) as usize],
                (r >> 32) % 3,
            )
        })
        .collect()
}

#[test]
fn any_path_to_an_index_gives_the_same_state() {
    let trace = Rc::new(Trace {
        lanes: 4,
        tasks: 50,
        events: messy_events(),
        ..Trace::default()
    });
    let r = Replay::new(trace.clone());
    assert_eq!(r.interval(), MIN_INTERVAL);
    assert_eq!(r.checkpoints(), 20_000 / MIN_INTERVAL);
    // Built in small slices, the replay is the same.
    let mut b = ReplayBuilder::new(trace);
    let mut last = 0.0;
    let mut steps = 0;
    while !b.step(777) {
        assert!(b.progress() >= last);
        last = b.progress();
        steps += 1;
    }
    assert!(b.is_done() && steps > 40);
    let sliced = b.finish();
    assert_eq!(
        (sliced.interval(), sliced.checkpoints()),
        (r.interval(), r.checkpoints())
    );

    let mut roaming = r.initial_state();
    let mut x = 12345usize;
    for _ in 0..300 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345) % 1_000_003;
        let i = x % (r.len() + 1);
        let replayed = r.seek(&mut roaming, i);
        assert!(replayed < r.interval());
        let fresh = r.state_at_index(i);
        assert_eq!(roaming, fresh, "index {i}");
        assert_eq!(sliced.state_at_index(i).to_text(), fresh.to_text());
        check_consistent(&fresh, 50);
    }
    // A state from another replay is reset, not mixed in.
    let other = Replay::new(Rc::new(gather()));
    let mut s = other.state_at(SECOND);
    r.seek(&mut s, 5000);
    assert_eq!(s, r.state_at_index(5000));
}

fn bounded(tasks: u64) {
    let w = format!("{tasks}*io(1s)");
    let trace = run(&w, RunConfig::new(Model::Loop), &Costs::zero());
    let r = Replay::new(Rc::new(trace));
    let k = r.interval();
    assert!(k >= MIN_INTERVAL);
    assert_eq!(
        k,
        interval_for(
            r.len(),
            tasks as usize * STATE_BYTES_PER_TASK + 4 + std::mem::size_of::<State>()
        )
    );
    assert!(r.checkpoints() * tasks as usize * STATE_BYTES_PER_TASK <= CHECKPOINT_BUDGET);
    assert!(
        r.checkpoint_bytes() <= CHECKPOINT_BUDGET,
        "{} bytes",
        r.checkpoint_bytes()
    );
    assert_eq!(r.checkpoints(), r.len() / k);
    // Queries anywhere replay fewer than K events: from a fresh state...
    for i in (0..=10)
        .map(|n| n * r.len() / 10)
        .chain([k - 1, k, k + 1, r.len().saturating_sub(1)])
    {
        let mut s = r.initial_state();
        assert!(r.seek(&mut s, i) < k, "index {i}");
    }
    // ...and from a state already somewhere, backwards and forwards.
    let mut s = r.initial_state();
    for i in [r.len(), r.len() / 2, r.len() / 3, 1, r.len() - 1, 0] {
        assert!(r.seek(&mut s, i) < k, "index {i}");
    }
    assert!(r.seek_time(&mut s, 500 * MS) < k);
    let n = tasks;
    if r.trace().events_dropped == 0 {
        let waiting = format!("waiting: t0 t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12 t13 t14 t15 t16 t17 t18 t19 … (+{} more)", n - 20);
        assert_eq!(s.to_text().lines().nth(4), Some(waiting.as_str()));
        assert_eq!(s.count(TaskState::Waiting), n);
        let end = r.state_at(r.end());
        assert_eq!(end.done_count(), n);
        assert!(r.coverage().is_complete());
    } else {
        // Past the event cap the recording stops, and the replay says when.
        assert!(!r.coverage().is_complete());
        let until = r.coverage().recorded_until.expect("a stop time");
        assert!(!r.coverage().covers_time(until + 1));
        assert!(r
            .coverage()
            .notes()
            .iter()
            .any(|n| n.starts_with("Recording stops at")));
    }
    check_consistent(&s, n);
}

#[test]
fn checkpoints_stay_in_budget_and_queries_replay_less_than_an_interval_100k() {
    bounded(100_000);
}

#[test]
fn checkpoints_stay_in_budget_and_queries_replay_less_than_an_interval_1m() {
    // About three seconds in a debug build: a million tasks' events hit the cap.
    bounded(1_000_000);
}

#[test]
fn a_detail_limit_is_reported() {
    let workload = "100*io(10ms)".parse().expect("workload");
    let mut sim =
        engine::sim::Simulation::new(&workload, &RunConfig::new(Model::Loop), &Costs::zero());
    sim.set_detail_limit(10);
    while !sim.step(u64::MAX) {}
    let r = Replay::new(Rc::new(sim.finish()));
    let c = r.coverage();
    assert_eq!(c.detail_tasks, Some(10));
    assert!(c.covers_task(9) && !c.covers_task(10));
    assert!(c
        .notes()
        .iter()
        .any(|n| n == "Events for tasks < 10 only: later tasks show as pending."));
    let s = r.state_at(5 * MS);
    assert_eq!((s.count(TaskState::Waiting), s.pending_count()), (10, 90));
}
