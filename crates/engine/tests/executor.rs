//! The executor on its own: polls, wakes, timers, the semaphore, cancellation.
//! Small counters in the style of async-task's tests; everything on a virtual clock.
//! Miri checks the task cell's unsafe code with these: `cargo +nightly miri
//! test -p engine --test executor -- --skip a_million`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use engine::executor::{yield_now, Executor, Hooks, Outcome, Semaphore, TaskRef};
use engine::time::{Clock, Nanos, VirtualClock, MS, SECOND};

fn setup() -> (Rc<VirtualClock>, Executor) {
    let clock = Rc::new(VirtualClock::new());
    let ex = Executor::new(clock.clone());
    (clock, ex)
}

#[derive(Default)]
struct Counting {
    spawned: Cell<u32>,
    polls: Cell<u32>,
    completed: Cell<u32>,
    wakes: Cell<u32>,
    fired: RefCell<Vec<(Nanos, Nanos)>>,
}

impl Hooks for Counting {
    fn spawned(&self, _: TaskRef) {
        self.spawned.set(self.spawned.get() + 1);
    }
    fn poll_start(&self, _: TaskRef) {
        self.polls.set(self.polls.get() + 1);
    }
    fn poll_end(&self, _: TaskRef, completed: bool) {
        if completed {
            self.completed.set(self.completed.get() + 1);
        }
    }
    fn woken(&self, _: TaskRef) {
        self.wakes.set(self.wakes.get() + 1);
    }
    fn timer_fired(&self, deadline: Nanos, now: Nanos) {
        self.fired.borrow_mut().push((deadline, now));
    }
}

/// Sets a flag when dropped.
struct DropFlag(Rc<Cell<bool>>);
impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn hooks_count_spawns_polls_wakes_and_completions() {
    let clock = Rc::new(VirtualClock::new());
    let hooks = Rc::new(Counting::default());
    let ex = Executor::with_hooks(clock.clone(), hooks.clone());
    for _ in 0..3 {
        ex.spawn(async {
            yield_now().await;
            yield_now().await;
        });
    }
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(hooks.spawned.get(), 3);
    assert_eq!(
        hooks.polls.get(),
        9,
        "each task: first poll + one per yield"
    );
    assert_eq!(hooks.completed.get(), 3);
    assert_eq!(hooks.wakes.get(), 9, "3 initial schedules + 6 yields");
    assert_eq!(ex.live_tasks(), 0);
}

#[test]
fn yield_puts_the_task_at_the_back_of_the_queue() {
    let (clock, ex) = setup();
    let order = Rc::new(RefCell::new(Vec::new()));
    for name in ["a", "b"] {
        let order = order.clone();
        ex.spawn(async move {
            for i in 0..3 {
                order.borrow_mut().push(format!("{name}{i}"));
                yield_now().await;
            }
        });
    }
    ex.run_virtual(&clock);
    assert_eq!(order.borrow().join(" "), "a0 b0 a1 b1 a2 b2");
}

#[test]
fn timers_fire_in_deadline_order_then_registration_order() {
    let (clock, ex) = setup();
    let order = Rc::new(RefCell::new(Vec::new()));
    for (name, ms) in [("slow", 30), ("fast", 10), ("tie-1", 20), ("tie-2", 20)] {
        let (h, order) = (ex.handle(), order.clone());
        ex.spawn(async move {
            h.sleep(ms * MS).await;
            order.borrow_mut().push((name, h.now() / MS));
        });
    }
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(
        *order.borrow(),
        vec![("fast", 10), ("tie-1", 20), ("tie-2", 20), ("slow", 30)]
    );
}

#[test]
fn join_handle_returns_the_output() {
    let (clock, ex) = setup();
    let h = ex.handle();
    let inner = ex.handle();
    let out = Rc::new(Cell::new(0));
    let out2 = out.clone();
    ex.spawn(async move {
        let child = h.spawn(async move {
            inner.sleep(SECOND).await;
            21
        });
        out2.set(child.await * 2);
    });
    ex.run_virtual(&clock);
    assert_eq!(out.get(), 42);
    assert_eq!(clock.now(), SECOND);
}

#[test]
fn run_stops_at_the_deadline_and_reports_ready_work() {
    let (clock, ex) = setup();
    let c = clock.clone();
    ex.spawn(async move {
        loop {
            c.advance(MS); // a task that "computes" one ms per poll
            yield_now().await;
        }
    });
    assert_eq!(ex.run(5 * MS), Outcome::Ready);
    assert_eq!(
        clock.now(),
        5 * MS,
        "polls until the clock reaches the deadline"
    );
    assert_eq!(ex.polls(), 5);
}

#[test]
fn polls_per_clock_check_trades_precision_for_fewer_clock_reads() {
    let (clock, ex) = setup();
    ex.set_polls_per_clock_check(4);
    let c = clock.clone();
    ex.spawn(async move {
        loop {
            c.advance(MS);
            yield_now().await;
        }
    });
    assert_eq!(ex.run(5 * MS), Outcome::Ready);
    assert_eq!(ex.polls(), 8, "checks the clock after polls 4 and 8");
}

#[test]
fn sleeping_and_stalled_outcomes_say_what_comes_next() {
    let (_clock, ex) = setup();
    let h = ex.handle();
    ex.spawn(async move { h.sleep(7 * MS).await });
    assert_eq!(ex.run(u64::MAX), Outcome::Sleeping { until: 7 * MS });

    // A future that only an outside event would wake.
    let (_c2, ex2) = setup();
    ex2.spawn(std::future::pending::<()>());
    assert_eq!(ex2.run(u64::MAX), Outcome::Stalled);
}

#[test]
fn a_wake_from_outside_resumes_a_stalled_task() {
    struct Slot {
        ready: Cell<bool>,
        waker: RefCell<Option<std::task::Waker>>,
    }
    struct WaitSlot(Rc<Slot>);
    impl Future for WaitSlot {
        type Output = ();
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0.ready.get() {
                return Poll::Ready(());
            }
            *self.0.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }
    }
    let (_clock, ex) = setup();
    let slot = Rc::new(Slot {
        ready: Cell::new(false),
        waker: RefCell::new(None),
    });
    ex.spawn(WaitSlot(slot.clone()));
    assert_eq!(ex.run(u64::MAX), Outcome::Stalled);
    slot.ready.set(true);
    slot.waker.borrow_mut().take().unwrap().wake(); // as a worker's reply would
    assert_eq!(ex.run(u64::MAX), Outcome::Done);
}

#[test]
fn cancel_drops_every_live_future_and_ignores_later_wakes() {
    let (clock, ex) = setup();
    let flags: Vec<_> = (0..3).map(|_| Rc::new(Cell::new(false))).collect();
    for (i, flag) in flags.iter().enumerate() {
        let (h, flag) = (ex.handle(), flag.clone());
        ex.spawn(async move {
            let _f = DropFlag(flag);
            h.sleep((i as u64 + 1) * SECOND).await;
        });
    }
    assert_eq!(ex.run(u64::MAX), Outcome::Sleeping { until: SECOND });
    ex.cancel();
    assert!(flags.iter().all(|f| f.get()), "every future was dropped");
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(ex.live_tasks(), 0);
}

#[test]
fn dropping_the_executor_frees_its_tasks() {
    let (_clock, ex) = setup();
    let flag = Rc::new(Cell::new(false));
    let (h, f) = (ex.handle(), flag.clone());
    ex.spawn(async move {
        let _f = DropFlag(f);
        h.sleep(SECOND).await;
    });
    ex.run(u64::MAX);
    drop(ex);
    assert!(flag.get());
}

#[test]
fn semaphore_limits_concurrency_fairly_and_hands_out_lowest_slots() {
    let (clock, ex) = setup();
    let sem = Semaphore::new(2);
    let log = Rc::new(RefCell::new(Vec::new()));
    for i in 0..5u64 {
        let (h, sem, log) = (ex.handle(), sem.clone(), log.clone());
        ex.spawn(async move {
            let permit = sem.acquire().await;
            log.borrow_mut().push((i, permit.slot(), h.now() / MS));
            h.sleep(10 * MS).await;
        });
    }
    ex.run_virtual(&clock);
    assert_eq!(
        *log.borrow(),
        vec![(0, 0, 0), (1, 1, 0), (2, 0, 10), (3, 1, 10), (4, 0, 20)]
    );
    assert_eq!(sem.available(), 2);
}

#[test]
fn a_dropped_acquire_leaves_the_queue_and_passes_its_slot_on() {
    let (clock, ex) = setup();
    let sem = Semaphore::new(1);
    let got = Rc::new(Cell::new(false));
    {
        let (h, sem) = (ex.handle(), sem.clone());
        ex.spawn(async move {
            let _p = sem.acquire().await;
            h.sleep(SECOND).await;
        });
    }
    ex.run(u64::MAX);
    // A waiter that gives up (its task is cancelled) must not strand the slot.
    let mut abandoned = Box::pin(sem.acquire());
    let waker = std::task::Waker::noop();
    assert!(abandoned
        .as_mut()
        .poll(&mut Context::from_waker(waker))
        .is_pending());
    assert_eq!(sem.waiters(), 1);
    drop(abandoned);
    assert_eq!(sem.waiters(), 0);
    {
        let (sem, got) = (sem.clone(), got.clone());
        ex.spawn(async move {
            let _p = sem.acquire().await;
            got.set(true);
        });
    }
    ex.run_virtual(&clock);
    assert!(got.get());
    assert_eq!(clock.now(), SECOND);
}

#[test]
fn a_million_trivial_tasks_spawn_and_complete() {
    let (clock, ex) = setup();
    let done = Rc::new(Cell::new(0u32));
    for _ in 0..1_000_000 {
        let done = done.clone();
        ex.spawn(async move { done.set(done.get() + 1) });
    }
    assert_eq!(ex.live_tasks(), 1_000_000);
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(done.get(), 1_000_000);
}

#[test]
fn a_poll_budget_bounds_one_call_whatever_the_clock_says() {
    let (clock, ex) = setup();
    for _ in 0..10 {
        ex.spawn(async {
            for _ in 0..10 {
                yield_now().await;
            }
        });
    }
    assert_eq!(ex.run_budget(u64::MAX, 25), Outcome::Ready);
    assert_eq!(ex.polls(), 25);
    let mut calls = 1;
    loop {
        calls += 1;
        if ex.run_virtual_budget(&clock, 25) != Outcome::Ready {
            break;
        }
    }
    assert_eq!(ex.polls(), 110, "each task: 11 polls");
    assert_eq!(calls, 5, "110 polls in budgets of 25: 25+25+25+25+10");
}

#[test]
fn a_cancel_in_steps_drops_the_tasks_a_few_at_a_time_and_ignores_later_wakes() {
    let (clock, ex) = setup();
    let dropped = Rc::new(Cell::new(0u32));
    for i in 0..1000u64 {
        let (h, d) = (ex.handle(), dropped.clone());
        ex.spawn(async move {
            let _flag = CountOnDrop(d);
            h.sleep(SECOND + i).await;
        });
    }
    // Every task polled once, now asleep on its timer.
    assert!(matches!(ex.run(u64::MAX), Outcome::Sleeping { .. }));
    assert_eq!(ex.live_tasks(), 1000);
    let mut left = ex.cancel_in_steps();
    assert!(ex.is_cancelled());
    assert!(!left.drop_some(300));
    assert_eq!(dropped.get(), 300, "only as many as asked");
    while !left.drop_some(300) {}
    assert_eq!(dropped.get(), 1000);
    assert_eq!(ex.live_tasks(), 0);
    clock.advance(10 * SECOND);
    assert_eq!(ex.run(u64::MAX), Outcome::Done);
}

/// Counts drops.
struct CountOnDrop(Rc<Cell<u32>>);
impl Drop for CountOnDrop {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Counts its drops: an output or a future dropped exactly once.
struct CountDrops(Rc<Cell<u32>>);
impl Drop for CountDrops {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn an_output_is_dropped_once_whoever_lets_go_of_it() {
    let (clock, ex) = setup();
    let drops = Rc::new(Cell::new(0));
    // Detached before it finishes: the task drops its output itself.
    let d = drops.clone();
    drop(ex.spawn(async move { CountDrops(d) }));
    // Finished, then its handle dropped unread: the handle drops it.
    let d = drops.clone();
    let unread = ex.spawn(async move { CountDrops(d) });
    // Finished and taken: whoever took it drops it.
    let (d, h) = (drops.clone(), ex.handle());
    let taken = Rc::new(Cell::new(false));
    let t = taken.clone();
    ex.spawn(async move {
        let out = h.spawn(async move { CountDrops(d) }).await;
        t.set(true);
        drop(out);
    });
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert!(taken.get());
    assert!(unread.is_finished());
    assert_eq!(drops.get(), 2, "the detached one and the taken one");
    drop(unread);
    assert_eq!(drops.get(), 3);
}

#[test]
fn a_detached_task_runs_like_any_other_and_drops_its_own_output() {
    let clock = Rc::new(VirtualClock::new());
    let hooks = Rc::new(Counting::default());
    let ex = Executor::with_hooks(clock.clone(), hooks.clone());
    let drops = Rc::new(Cell::new(0));
    let order = Rc::new(RefCell::new(Vec::new()));
    for (i, wait) in [(0u32, 30 * MS), (1, 10 * MS), (2, 20 * MS)] {
        let (h, d, o) = (ex.handle(), drops.clone(), order.clone());
        ex.handle().spawn_tagged_detached(i, async move {
            h.sleep(wait).await;
            o.borrow_mut().push((i, h.current_tag()));
            CountDrops(d)
        });
    }
    let d = drops.clone();
    ex.spawn_detached(async move { CountDrops(d) });
    assert_eq!(ex.live_tasks(), 4);
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(clock.now(), 30 * MS);
    assert_eq!(*order.borrow(), vec![(1, 1), (2, 2), (0, 0)]);
    assert_eq!(drops.get(), 4, "each output dropped by its own task");
    assert_eq!(ex.live_tasks(), 0);
    assert_eq!((hooks.spawned.get(), hooks.completed.get()), (4, 4));
    // Cancelled while asleep: the futures are dropped, outputs never made.
    let d = drops.clone();
    let h = ex.handle();
    ex.spawn_detached(async move {
        h.sleep(SECOND).await;
        CountDrops(d)
    });
    assert!(matches!(ex.run(clock.now()), Outcome::Sleeping { .. }));
    ex.cancel();
    assert_eq!(ex.live_tasks(), 0);
    assert_eq!(drops.get(), 4);
}

#[test]
fn a_waker_kept_past_its_task_s_end_wakes_nothing_and_frees_it_when_dropped() {
    let (clock, ex) = setup();
    let kept = Rc::new(RefCell::new(None));
    let k = kept.clone();
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    ex.spawn(std::future::poll_fn(move |cx: &mut Context<'_>| {
        p.set(p.get() + 1);
        *k.borrow_mut() = Some(cx.waker().clone());
        Poll::Ready(())
    }));
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    let waker = kept.borrow_mut().take().unwrap();
    waker.wake_by_ref();
    assert_eq!(ex.ready_tasks(), 0, "a finished task is never queued again");
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(polls.get(), 1);
    // Miri checks that this frees the task (no leak) and nothing after uses it.
    drop(waker);
}

#[test]
fn a_task_woken_many_times_in_one_poll_is_queued_once() {
    let (clock, ex) = setup();
    let polls = Rc::new(Cell::new(0));
    let p = polls.clone();
    ex.spawn(std::future::poll_fn(move |cx: &mut Context<'_>| {
        p.set(p.get() + 1);
        if p.get() == 3 {
            return Poll::Ready(());
        }
        for _ in 0..4 {
            cx.waker().wake_by_ref();
            // A clone woken by value (its reference dropped with it).
            #[allow(clippy::waker_clone_wake)]
            cx.waker().clone().wake();
        }
        Poll::Pending
    }));
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(polls.get(), 3);
    assert_eq!(ex.live_tasks(), 0);
}

/// Cancelling a run whose tasks queue on a semaphore: each dropped waiter
/// that had been granted the permit passes it on, which wakes the next
/// waiter, which the cancelled executor drops at once. Those drops must not
/// nest (a million of them overflowed the page's stack), so this runs on a
/// thread with a small stack, and every task is dropped.
#[test]
fn cancelling_a_long_queue_on_a_semaphore_drops_every_task_without_nesting_the_drops() {
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            const TASKS: u32 = 200_000;
            let (clock, ex) = setup();
            let sem = Semaphore::new(1);
            let dropped = Rc::new(Cell::new(0u32));
            struct Counted(Rc<Cell<u32>>);
            impl Drop for Counted {
                fn drop(&mut self) {
                    self.0.set(self.0.get() + 1);
                }
            }
            for _ in 0..TASKS {
                let (h, sem, c) = (ex.handle(), sem.clone(), Counted(dropped.clone()));
                ex.spawn(async move {
                    let _c = c;
                    let _p = sem.acquire().await;
                    h.sleep(SECOND).await;
                });
            }
            ex.run(u64::MAX);
            assert_eq!(sem.waiters(), TASKS as usize - 1);
            // The holder's sleep ends: it releases the permit, which wakes
            // the first waiter; the run is cancelled before that one runs.
            clock.advance_to(SECOND);
            ex.run_budget(Nanos::MAX, 1);
            ex.cancel();
            drop(ex);
            assert_eq!(dropped.get(), TASKS, "every task's future was dropped");
        })
        .unwrap()
        .join()
        .expect("the cancelled run's drops overflowed the stack or panicked");
}
