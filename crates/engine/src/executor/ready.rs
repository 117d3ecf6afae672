//! The ready queue: tasks woken and waiting for their turn, first in first out.

use std::cell::UnsafeCell;
use std::collections::VecDeque;

use super::task::Runnable;

/// A `VecDeque` of runnables behind an `UnsafeCell` rather than a `RefCell`.
///
/// Every task turn pushes once (the wake) and pops once (the poll), and with
/// `opt-level = "z"` each `RefCell` borrow is an out-of-line call with its own
/// flag checks: about a seventh of a yield's instructions. The flag buys
/// nothing here, because no two borrows of the deque can overlap: each method
/// holds it only for `VecDeque` operations that run no other code at all. None
/// allocates or frees under the borrow ([`ReadyQueue::grow`] allocates and
/// frees outside it, since the allocator is code we do not control), moving a
/// `Runnable` copies a pointer, and nothing is dropped inside: [`ReadyQueue::take`]
/// hands the runnables out to be dropped by the caller. The queue is `!Sync`,
/// so only its own thread ever gets here.
#[derive(Default)]
pub(super) struct ReadyQueue {
    queue: UnsafeCell<VecDeque<Runnable>>,
}

impl ReadyQueue {
    /// Puts a task at the back.
    #[inline]
    pub(super) fn push_back(&self, runnable: Runnable) {
        if self.is_full() {
            self.grow();
        }
        // SAFETY: the only borrow of the deque (see the type's docs); it has
        // room, so `push_back` neither allocates nor runs any other code.
        unsafe { (*self.queue.get()).push_back(runnable) }
    }

    /// Takes the task at the front.
    #[inline]
    pub(super) fn pop_front(&self) -> Option<Runnable> {
        // SAFETY: the only borrow of the deque (see the type's docs).
        unsafe { (*self.queue.get()).pop_front() }
    }

    /// Tasks waiting.
    pub(super) fn len(&self) -> usize {
        // SAFETY: the only borrow of the deque (see the type's docs).
        unsafe { (*self.queue.get()).len() }
    }

    /// Whether no task waits.
    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Empties the queue, handing its runnables to the caller: dropping one
    /// drops its future, which may wake tasks and so push onto this queue.
    pub(super) fn take(&self) -> VecDeque<Runnable> {
        // SAFETY: the only borrow of the deque (see the type's docs);
        // `VecDeque::new` does not allocate, and the old contents are dropped
        // by the caller, after the borrow ends.
        unsafe { std::mem::take(&mut *self.queue.get()) }
    }

    /// Whether the next push would have to allocate.
    #[inline]
    fn is_full(&self) -> bool {
        // SAFETY: the only borrow of the deque (see the type's docs), for two reads.
        let q = unsafe { &*self.queue.get() };
        q.len() == q.capacity()
    }

    /// Makes room for one more runnable. The new buffer is allocated, and the
    /// old one freed, with no borrow of the deque alive; under the borrow the
    /// runnables only move into a buffer that already has room for them.
    #[cold]
    #[inline(never)]
    fn grow(&self) {
        while self.is_full() {
            let mut bigger = VecDeque::with_capacity(self.len().max(8) * 2);
            // SAFETY: the only borrow of the deque (see the type's docs). `bigger`
            // has room for every runnable and one more, so `append` (which only
            // reserves what is missing) does not allocate; the swap moves two
            // headers. If the allocation above made the queue longer meanwhile
            // (it cannot in practice), nothing moves and the loop tries again.
            unsafe {
                let q = &mut *self.queue.get();
                if q.len() < bigger.capacity() {
                    bigger.append(q);
                    std::mem::swap(q, &mut bigger);
                }
            }
            // The old, now empty, buffer (or the unused new one) is freed here.
            drop(bigger);
        }
    }
}
