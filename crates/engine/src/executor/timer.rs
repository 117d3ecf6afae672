//! Timers: a min-heap of deadlines and the [`Sleep`] future.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::{Shared, TaskRef};
use crate::time::Nanos;

/// One pending timer. Ordered by deadline, then by registration order, so
/// timers due at the same instant fire in the order they were set
/// (determinism on the virtual clock depends on it).
pub(super) struct TimerEntry {
    pub(super) deadline: Nanos,
    seq: u64,
    pub(super) waker: Waker,
    /// The task that set it (for hooks).
    pub(super) task: TaskRef,
    /// Stands for something that ends by itself (a worker's reply), not for a
    /// `setTimeout`: a virtual driver wakes exactly at the deadline for it.
    pub(super) precise: bool,
}

impl PartialEq for TimerEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl Eq for TimerEntry {}
impl PartialOrd for TimerEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TimerEntry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

/// Pending timers, earliest first.
#[derive(Default)]
pub(super) struct TimerHeap {
    heap: BinaryHeap<Reverse<TimerEntry>>,
    next_seq: u64,
}

impl TimerHeap {
    fn push(&mut self, deadline: Nanos, waker: Waker, task: TaskRef, precise: bool) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(TimerEntry { deadline, seq, waker, task, precise }));
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub(super) fn pop_due(&mut self, now: Nanos) -> Option<TimerEntry> {
        if self.heap.peek()?.0.deadline <= now {
            self.heap.pop().map(|Reverse(e)| e)
        } else {
            None
        }
    }

    pub(super) fn next_deadline(&self) -> Option<Nanos> {
        self.heap.peek().map(|Reverse(e)| e.deadline)
    }

    pub(super) fn next(&self) -> Option<(Nanos, bool)> {
        self.heap.peek().map(|Reverse(e)| (e.deadline, e.precise))
    }
}

/// Completes when the executor's clock reaches a deadline. Created by
/// [`super::Handle::sleep`] and [`super::Handle::sleep_until`].
///
/// A dropped `Sleep` leaves its timer in the heap; it fires harmlessly later
/// (waking a task that no longer waits is a no-op), which is cheaper than
/// removing it from the middle of a heap.
pub struct Sleep {
    shared: Rc<Shared>,
    deadline: Nanos,
    registered: bool,
    precise: bool,
}

impl Sleep {
    pub(super) fn new(shared: Rc<Shared>, deadline: Nanos) -> Self {
        Self { shared, deadline, registered: false, precise: false }
    }

    /// Marks the sleep as standing for something that ends by itself (a
    /// worker's reply on the virtual clock), not for a `setTimeout`: a
    /// virtual driver then wakes exactly at the deadline, without rounding.
    pub fn precise(mut self) -> Self {
        self.precise = true;
        self
    }

    /// When this sleep ends, on the executor's clock.
    pub fn deadline(&self) -> Nanos {
        self.deadline
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.shared.clock.now() >= self.deadline {
            return Poll::Ready(());
        }
        if !self.registered {
            // A task only ever polls its own sleeps, and every waker of one task
            // wakes the same task, so registering once is enough.
            let task = self.shared.current.get().unwrap_or(TaskRef { id: super::TaskId(u64::MAX), tag: super::UNTAGGED });
            let precise = self.precise;
            self.shared.timers.borrow_mut().push(self.deadline, cx.waker().clone(), task, precise);
            self.registered = true;
        }
        Poll::Pending
    }
}
