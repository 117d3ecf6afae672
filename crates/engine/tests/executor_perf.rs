//! The executor's fast paths keep its contracts: shapes and counts at scale
//! (firing order, clock reads, the live count), never wall-time thresholds,
//! which a loaded machine would miss. The timings themselves are printed by
//! `cargo run --release -p engine --example executor_bench`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use engine::executor::{yield_now, Executor, Hooks, Outcome, TaskRef};
use engine::time::{Clock, Nanos, VirtualClock, MS, SECOND};

/// `n`, or a hundredth of it under Miri (`cargo +nightly miri test -p engine
/// --test executor_perf` checks the executor's unsafe code; it is slow).
fn scaled(n: u64) -> u64 {
    if cfg!(miri) {
        n / 100
    } else {
        n
    }
}

/// A virtual clock that counts how often it is read.
#[derive(Default)]
struct CountingClock {
    inner: VirtualClock,
    reads: Cell<u64>,
}

impl Clock for CountingClock {
    fn now(&self) -> Nanos {
        self.reads.set(self.reads.get() + 1);
        self.inner.now()
    }
}

#[test]
fn a_sleeping_task_reads_the_clock_twice_not_three_times() {
    let clock = Rc::new(CountingClock::default());
    let ex = Executor::new(clock.clone());
    ex.set_polls_per_clock_check(16);
    let n = scaled(10_000);
    for _ in 0..n {
        let h = ex.handle();
        ex.spawn(async move { h.sleep(SECOND).await });
    }
    assert_eq!(clock.reads.get(), 0, "spawning reads no clock");
    assert_eq!(ex.run_virtual(&clock.inner), Outcome::Done);
    // Per task: one reading to set the deadline, one for the first poll. The
    // poll after the timer fires is settled by the reading that fired it.
    let reads = clock.reads.get();
    assert!(
        reads >= 2 * n && reads <= 2 * n + 2 * n / 16 + 10,
        "{reads} clock reads for {n} tasks"
    );
    assert_eq!(clock.inner.now(), SECOND);
}

#[test]
fn yields_read_the_clock_once_per_check() {
    let clock = Rc::new(CountingClock::default());
    let ex = Executor::new(clock.clone());
    ex.set_polls_per_clock_check(16);
    ex.spawn(async {
        for _ in 0..scaled(16_000) {
            yield_now().await;
        }
    });
    assert_eq!(ex.run(Nanos::MAX), Outcome::Done);
    let polls = scaled(16_000) + 1;
    assert_eq!(ex.polls(), polls);
    let reads = clock.reads.get();
    assert!(
        reads <= polls / 16 + 3,
        "{reads} clock reads for {polls} polls"
    );
}

#[test]
fn many_timers_fire_by_deadline_then_registration_at_scale() {
    // Four durations interleaved, set while the clock moves (each task first
    // waits `i / 1000` ms), plus a few deadlines set backwards: the sorted runs
    // and the heap behind them must agree with one global order.
    let clock = Rc::new(VirtualClock::new());
    let ex = Executor::new(clock.clone());
    let fired = Rc::new(RefCell::new(Vec::new()));
    let mut want = Vec::new();
    let n = scaled(40_000);
    for i in 0..n {
        let (h, fired) = (ex.handle(), fired.clone());
        let start = i / 1000 * MS;
        let deadline = if i % 97 == 0 {
            50 * SECOND - i * MS
        } else {
            start + [SECOND, 100 * MS, 10 * MS, 3 * SECOND][i as usize % 4]
        };
        want.push((deadline, i));
        ex.spawn(async move {
            h.sleep_until(start).await;
            h.sleep_until(deadline).await;
            fired.borrow_mut().push((h.now(), i));
        });
    }
    assert_eq!(ex.live_tasks(), n);
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(ex.live_tasks(), 0);
    // The second timers were set in order of `start` then spawn order (the
    // first timers fire so), so registration order is that order too.
    want.sort_by_key(|&(deadline, i)| (deadline, i / 1000 * MS, i));
    assert_eq!(*fired.borrow(), want);
}

#[test]
fn next_timer_names_the_earliest_and_its_precision() {
    let clock = Rc::new(VirtualClock::new());
    let ex = Executor::new(clock.clone());
    for (d, precise) in [(30, false), (20, true), (20, false), (40, true)] {
        let h = ex.handle();
        ex.spawn(async move {
            let s = h.sleep(d * MS);
            if precise {
                s.precise().await
            } else {
                s.await
            }
        });
    }
    assert_eq!(ex.next_timer(), None);
    assert_eq!(ex.run(Nanos::MAX), Outcome::Sleeping { until: 20 * MS });
    assert_eq!(
        ex.next_timer(),
        Some((20 * MS, true)),
        "the first set of the two due at 20 ms"
    );
    clock.advance_to(20 * MS);
    assert_eq!(ex.run(Nanos::MAX), Outcome::Sleeping { until: 30 * MS });
    assert_eq!(ex.next_timer(), Some((30 * MS, false)));
    assert_eq!(ex.live_tasks(), 2);
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(ex.next_timer(), None);
}

/// Hands its waker out and stays pending until woken.
struct Parked(Rc<RefCell<Option<Waker>>>, Rc<Cell<bool>>);

impl Future for Parked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.1.get() {
            return Poll::Ready(());
        }
        *self.0.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
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
fn a_task_whose_last_waker_is_dropped_stops_being_live() {
    let (clock, slot, dropped) = (
        Rc::new(VirtualClock::new()),
        Rc::new(RefCell::new(None)),
        Rc::new(Cell::new(false)),
    );
    let ex = Executor::new(clock.clone());
    let (s, f) = (slot.clone(), dropped.clone());
    ex.spawn(async move {
        let _flag = DropFlag(f);
        Parked(s, Rc::new(Cell::new(false))).await;
    });
    assert_eq!(ex.run(Nanos::MAX), Outcome::Stalled);
    assert_eq!(ex.live_tasks(), 1);
    // Nothing can wake it any more: it is queued once more, to be dropped.
    drop(slot.borrow_mut().take());
    assert_eq!(ex.ready_tasks(), 1);
    assert_eq!(ex.run(Nanos::MAX), Outcome::Done);
    assert!(dropped.get());
    assert_eq!(ex.live_tasks(), 0);
}

#[test]
fn cancel_drops_tasks_queued_timed_and_parked_outside() {
    let clock = Rc::new(VirtualClock::new());
    let ex = Executor::new(clock.clone());
    let flags: Vec<_> = (0..3).map(|_| Rc::new(Cell::new(false))).collect();
    let slot = Rc::new(RefCell::new(None));
    let (h, f) = (ex.handle(), flags[0].clone());
    ex.spawn(async move {
        let _flag = DropFlag(f);
        h.sleep(SECOND).await;
    });
    let (s, f) = (slot.clone(), flags[1].clone());
    ex.spawn(async move {
        let _flag = DropFlag(f);
        Parked(s, Rc::new(Cell::new(false))).await;
    });
    assert_eq!(ex.run(Nanos::MAX), Outcome::Sleeping { until: SECOND });
    let flag = DropFlag(flags[2].clone()); // made outside: the task never gets to run
    ex.handle().spawn(async move {
        let _flag = flag;
        yield_now().await;
    });
    assert_eq!((ex.live_tasks(), ex.ready_tasks()), (3, 1));
    ex.cancel();
    assert!(
        flags[0].get() && flags[2].get(),
        "the timed and the queued task are dropped at once"
    );
    assert!(!flags[1].get(), "the parked one waits for its waker");
    assert_eq!(ex.live_tasks(), 1);
    slot.borrow_mut().take().unwrap().wake(); // a late wake is ignored: the task is dropped
    assert!(flags[1].get());
    assert_eq!(ex.live_tasks(), 0);
    assert_eq!(ex.ready_tasks(), 0);
    assert_eq!(ex.run(Nanos::MAX), Outcome::Done);
}

#[test]
fn a_waker_outliving_its_executor_is_harmless() {
    let slot = Rc::new(RefCell::new(None));
    let dropped = Rc::new(Cell::new(false));
    {
        let ex = Executor::new(Rc::new(VirtualClock::new()));
        let (s, f) = (slot.clone(), dropped.clone());
        ex.spawn(async move {
            let _flag = DropFlag(f);
            Parked(s, Rc::new(Cell::new(false))).await;
        });
        assert_eq!(ex.run(Nanos::MAX), Outcome::Stalled);
    }
    assert!(!dropped.get());
    // The waker holds the last reference to the task, which holds the last one
    // to the executor's state: waking it schedules, finds the run cancelled and
    // drops the task, freeing that state during the wake.
    let waker = slot.borrow_mut().take().unwrap();
    waker.wake();
    assert!(dropped.get());
}

#[derive(Default)]
struct Tally {
    spawned: Cell<u64>,
    completed: Cell<u64>,
    woken: Cell<u64>,
    fired: Cell<u64>,
}

impl Hooks for Tally {
    fn spawned(&self, _: TaskRef) {
        self.spawned.set(self.spawned.get() + 1);
    }
    fn poll_end(&self, _: TaskRef, completed: bool) {
        self.completed
            .set(self.completed.get() + u64::from(completed));
    }
    fn woken(&self, _: TaskRef) {
        self.woken.set(self.woken.get() + 1);
    }
    fn timer_fired(&self, _: Nanos, _: Nanos) {
        self.fired.set(self.fired.get() + 1);
    }
}

#[test]
fn hooks_count_every_step_of_the_sleep_path_at_scale() {
    let clock = Rc::new(VirtualClock::new());
    let hooks = Rc::new(Tally::default());
    let ex = Executor::with_hooks(clock.clone(), hooks.clone());
    let n = scaled(100_000);
    for i in 0..n {
        let h = ex.handle();
        ex.spawn_tagged(i as u32, async move { h.sleep(100 * MS).await });
    }
    assert_eq!(ex.run_virtual(&clock), Outcome::Done);
    assert_eq!(hooks.spawned.get(), n);
    assert_eq!(hooks.fired.get(), n);
    assert_eq!(
        hooks.woken.get(),
        2 * n,
        "the first schedule and the timer's wake"
    );
    assert_eq!(hooks.completed.get(), n);
    assert_eq!(ex.polls(), 2 * n);
    assert_eq!(clock.now(), 100 * MS);
}
