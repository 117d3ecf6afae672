//! Timers: sorted runs of deadlines (with a heap for the rest) and the [`Sleep`] future.
//!
//! Most timers come from `sleep(d)` with one of a few durations `d`, set while
//! the clock moves forward, so the deadlines of one duration arrive already
//! sorted. [`Timers`] keeps such sequences as FIFO runs: setting a timer is an
//! append and firing one is a pop from a front, both O(1) and sequential in
//! memory, where a binary heap of a million timers pays a cache miss per level
//! on every pop. A timer that fits no run goes to a heap, so the worst case is
//! the heap's plus a scan of [`MAX_RUNS`] tails.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::Shared;
use crate::time::Nanos;

/// One pending timer. Ordered by deadline, then by registration order, so
/// timers due at the same instant fire in the order they were set
/// (determinism on the virtual clock depends on it).
///
/// Three words and a waker (24 bytes in wasm, 32 natively): a million
/// sleeping tasks keep a million of these.
pub(super) struct TimerEntry {
    pub(super) deadline: Nanos,
    /// The registration number, with [`PRECISE`] set for a timer that stands
    /// for something that ends by itself (a worker's reply), not for a
    /// `setTimeout`: a virtual driver wakes exactly at the deadline for it.
    seq_and_precise: u64,
    pub(super) waker: Waker,
}

/// The bit of [`TimerEntry::seq_and_precise`] that marks a precise timer;
/// registration numbers never reach it.
const PRECISE: u64 = 1 << 63;

impl TimerEntry {
    fn seq(&self) -> u64 {
        self.seq_and_precise & !PRECISE
    }

    fn precise(&self) -> bool {
        self.seq_and_precise & PRECISE != 0
    }

    fn key(&self) -> Key {
        key(self.deadline, self.seq())
    }
}

impl PartialEq for TimerEntry {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
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
        self.key().cmp(&other.key())
    }
}

/// How many sorted runs [`Timers`] keeps: one per duration in flight, in
/// practice, and a workload has a handful. Past that, timers go to the heap.
const MAX_RUNS: usize = 8;

/// A timer's place in firing order, deadline then registration order, packed
/// into one number so that comparing two timers is one comparison.
type Key = u128;

/// The key of an empty run (or heap): after every real key, since no timer
/// gets sequence number `u64::MAX`.
const NONE: Key = Key::MAX;

/// The index of the heap in [`Timers::fronts`], after the runs'.
const HEAP: usize = MAX_RUNS;

fn key(deadline: Nanos, seq: u64) -> Key {
    (Key::from(deadline) << 64) | Key::from(seq)
}

fn deadline_of(key: Key) -> Nanos {
    (key >> 64) as Nanos
}

/// Pending timers, earliest first: the merge of sorted FIFO runs and a heap.
///
/// Every run is sorted by key, because a timer is appended only behind one due
/// no later than it and sequence numbers only grow; the heap is ordered by key
/// too. The earliest timer is therefore at the front of one of them, and taking
/// fronts in key order fires timers in exactly the order one global heap would.
/// The keys of the fronts and the deadlines of the backs are kept in small
/// arrays, so choosing a run or the next timer scans a few words, not the runs.
pub(super) struct Timers {
    /// `fronts[i]`: the key of run `i`'s earliest timer; `fronts[HEAP]`: the
    /// heap's; [`NONE`] for an empty one.
    fronts: [Key; MAX_RUNS + 1],
    /// `backs[i]`: the deadline of run `i`'s latest timer, if it has any.
    backs: [Nanos; MAX_RUNS],
    runs: [VecDeque<TimerEntry>; MAX_RUNS],
    /// Timers that fit no run.
    heap: BinaryHeap<Reverse<TimerEntry>>,
    /// The index in `fronts` of the earliest timer (its front is `NONE` when
    /// there is no timer at all).
    head: usize,
    /// Runs `used..` are empty: scans stop there (most workloads use one or two).
    used: usize,
    next_seq: u64,
}

impl Default for Timers {
    fn default() -> Self {
        Self {
            fronts: [NONE; MAX_RUNS + 1],
            backs: [0; MAX_RUNS],
            runs: Default::default(),
            heap: BinaryHeap::new(),
            head: HEAP,
            used: 0,
            next_seq: 0,
        }
    }
}

impl Timers {
    fn push(&mut self, deadline: Nanos, waker: Waker, precise: bool) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let k = key(deadline, seq);
        let entry = TimerEntry {
            deadline,
            seq_and_precise: seq | if precise { PRECISE } else { 0 },
            waker,
        };
        // Best fit: the run whose latest deadline is the latest one not after
        // this one, so a run of long sleeps does not take a short one and then
        // turn away the next short ones. Failing that, an empty run.
        let mut at = HEAP;
        let mut empty = if self.used < MAX_RUNS {
            self.used
        } else {
            HEAP
        };
        for i in 0..self.used {
            if self.fronts[i] == NONE {
                if empty == HEAP {
                    empty = i;
                }
            } else if self.backs[i] <= deadline && (at == HEAP || self.backs[i] > self.backs[at]) {
                at = i;
            }
        }
        if at == HEAP {
            at = empty;
            self.used = self.used.max(at + 1).min(MAX_RUNS);
        }
        if at == HEAP {
            self.heap.push(Reverse(entry));
        } else {
            self.runs[at].push_back(entry);
            self.backs[at] = deadline;
        }
        // The new timer is its container's front only if it is that container's
        // earliest (an empty run's first, or the heap's new minimum).
        if k < self.fronts[at] {
            self.fronts[at] = k;
        }
        if k < self.fronts[self.head] {
            self.head = at;
        }
    }

    /// Makes room for `n` timers in the run the first timer goes to (no room
    /// is made once a timer is set: which run the next ones join is unknown).
    pub(super) fn reserve(&mut self, n: usize) {
        if self.used == 0 && self.heap.is_empty() {
            self.runs[0].reserve(n);
        }
    }

    /// Removes and returns the earliest timer if it is due at `now`.
    pub(super) fn pop_due(&mut self, now: Nanos) -> Option<TimerEntry> {
        let h = self.head;
        let k = self.fronts[h];
        if k == NONE || deadline_of(k) > now {
            return None;
        }
        let (entry, next) = if h == HEAP {
            let entry = self.heap.pop().map(|Reverse(e)| e);
            (entry, self.heap.peek().map(|Reverse(e)| e.key()))
        } else {
            let run = &mut self.runs[h];
            let entry = run.pop_front();
            (entry, run.front().map(TimerEntry::key))
        };
        self.fronts[h] = next.unwrap_or(NONE);
        while self.used > 0 && self.fronts[self.used - 1] == NONE {
            self.used -= 1;
        }
        let mut head = HEAP;
        for i in 0..self.used {
            if self.fronts[i] < self.fronts[head] {
                head = i;
            }
        }
        self.head = head;
        entry
    }

    pub(super) fn next_deadline(&self) -> Option<Nanos> {
        let k = self.fronts[self.head];
        (k != NONE).then(|| deadline_of(k))
    }

    pub(super) fn next(&self) -> Option<(Nanos, bool)> {
        let front = if self.head == HEAP {
            self.heap.peek().map(|Reverse(e)| e)
        } else {
            self.runs[self.head].front()
        };
        front.map(|e| (e.deadline, e.precise()))
    }
}

/// Completes when the executor's clock reaches a deadline. Created by
/// [`super::Handle::sleep`] and [`super::Handle::sleep_until`].
///
/// A dropped `Sleep` leaves its timer set; it fires harmlessly later (waking a
/// task that no longer waits is a no-op), which is cheaper than removing it
/// from the middle of a run or a heap.
pub struct Sleep {
    shared: Rc<Shared>,
    deadline: Nanos,
    registered: bool,
    precise: bool,
}

impl Sleep {
    pub(super) fn new(shared: Rc<Shared>, deadline: Nanos) -> Self {
        Self {
            shared,
            deadline,
            registered: false,
            precise: false,
        }
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
        // The clock never goes back, so a reading the executor took already
        // settles a fired timer's poll without reading the clock again (a call
        // into JavaScript in the browser); otherwise a coarse reading does: a
        // deadline it has not seen pass yet gets a timer, which the executor's
        // next clock check fires.
        if self.shared.clock_floor.get() >= self.deadline
            || self.shared.clock.coarse_now() >= self.deadline
        {
            return Poll::Ready(());
        }
        if !self.registered {
            // A task only ever polls its own sleeps, and every waker of one task
            // wakes the same task, so registering once is enough.
            // Cloned before the borrow: a foreign waker's clone is code of its own.
            let waker = cx.waker().clone();
            self.shared
                .timers
                .borrow_mut()
                .push(self.deadline, waker, self.precise);
            self.registered = true;
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BinaryHeap;

    use super::*;
    use workload::SplitMix64;

    /// Pushes `deadlines` (interleaved with pops at a moving `now`) into
    /// [`Timers`] and into one plain heap ordered by (deadline, registration),
    /// and checks that both fire the same timers in the same order.
    fn agrees_with_one_heap(deadlines: &[Nanos], pops_every: usize, step: Nanos) {
        let mut timers = Timers::default();
        let mut reference = BinaryHeap::new();
        let (mut now, mut fired, mut expected) = (0, Vec::new(), Vec::new());
        let mut drain =
            |timers: &mut Timers, reference: &mut BinaryHeap<Reverse<(Nanos, u64)>>, now: Nanos| {
                while let Some(e) = timers.pop_due(now) {
                    fired.push((e.deadline, e.seq(), e.precise()));
                }
                while reference.peek().is_some_and(|Reverse((d, _))| *d <= now) {
                    let Reverse((d, i)) = reference.pop().unwrap();
                    expected.push((d, i, i.is_multiple_of(3)));
                }
                let next = reference
                    .peek()
                    .map(|Reverse((d, i))| (*d, i.is_multiple_of(3)));
                assert_eq!(timers.next(), next, "next timer at {now}");
                assert_eq!(timers.next_deadline(), next.map(|(d, _)| d));
            };
        for (i, &d) in deadlines.iter().enumerate() {
            let i = i as u64;
            timers.push(d, Waker::noop().clone(), i.is_multiple_of(3));
            reference.push(Reverse((d, i)));
            if pops_every > 0 && (i as usize).is_multiple_of(pops_every) {
                now += step;
                drain(&mut timers, &mut reference, now);
            }
        }
        drain(&mut timers, &mut reference, Nanos::MAX);
        assert_eq!(fired, expected);
        assert_eq!(fired.len(), deadlines.len());
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn same_deadlines_fire_in_registration_order() {
        agrees_with_one_heap(&[5; 100], 0, 0);
        agrees_with_one_heap(&[5, 3, 5, 3, 5, 3, 7, 3], 0, 0);
    }

    #[test]
    fn interleaved_durations_fire_in_deadline_order() {
        // Three durations set while the clock moves: three sorted runs.
        let d: Vec<Nanos> = (0..3000u64)
            .map(|i| i / 3 + [1000, 100, 10][i as usize % 3])
            .collect();
        agrees_with_one_heap(&d, 0, 0);
        agrees_with_one_heap(&d, 7, 2);
    }

    #[test]
    fn more_durations_than_runs_spill_into_the_heap() {
        let d: Vec<Nanos> = (0..5000u64).map(|i| i / 20 + (i % 20) * 37).collect();
        agrees_with_one_heap(&d, 0, 0);
        agrees_with_one_heap(&d, 11, 3);
        let falling: Vec<Nanos> = (0..500u64).rev().collect();
        agrees_with_one_heap(&falling, 0, 0);
        agrees_with_one_heap(&falling, 5, 1);
    }

    #[test]
    fn random_deadlines_agree_with_one_heap() {
        let n = if cfg!(miri) { 100 } else { 2000 };
        for seed in 0..20 {
            let mut rng = SplitMix64::new(seed);
            let span = [4, 1000, 1 << 40][seed as usize % 3];
            let d: Vec<Nanos> = (0..n).map(|_| rng.next_u64() % span).collect();
            agrees_with_one_heap(&d, seed as usize % 4 * 3, span / 500 + 1);
        }
        agrees_with_one_heap(&[Nanos::MAX, 0, Nanos::MAX, 1, Nanos::MAX - 1], 0, 0);
    }
}
