//! Keeps the executor's `Rc` state on the thread that owns it.
//!
//! `async-task` wants a `Send + Sync` schedule function, because a `Waker` may
//! legally travel to another thread. Our state is `Rc`/`RefCell` (one thread;
//! in the browser there is no other), so the schedule function carries it in
//! an [`Owned`] that checks, cheaply, that it is used on the thread that made it:
//! a wake from another thread aborts instead of racing, and a drop on another
//! thread leaks instead of touching the reference count. Both are unreachable in
//! this project (no waker leaves its thread), and neither is undefined behaviour.

use std::mem::ManuallyDrop;
use std::rc::Rc;

use super::Shared;

thread_local! {
    static MARK: u8 = const { 0 };
}

/// An address unique to the current thread while it lives: that of a thread-local.
fn thread_mark() -> usize {
    MARK.with(|m| m as *const u8 as usize)
}

/// The shared state, usable only on the thread that created this value.
pub(super) struct Owned {
    mark: usize,
    shared: ManuallyDrop<Rc<Shared>>,
}

// SAFETY: every access to `shared` (in `get` and `drop`) first checks that the
// calling thread is the creating thread; on any other thread `get` aborts and
// `drop` leaks, so the `Rc` and the `RefCell`s behind it are only ever touched
// by one thread.
unsafe impl Send for Owned {}
// SAFETY: as above; `&Owned` gives access to `shared` only through `get`.
unsafe impl Sync for Owned {}

impl Owned {
    pub(super) fn new(shared: Rc<Shared>) -> Self {
        Self { mark: thread_mark(), shared: ManuallyDrop::new(shared) }
    }

    pub(super) fn get(&self) -> &Shared {
        if thread_mark() != self.mark {
            // A waker was used on a foreign thread: refuse rather than race.
            std::process::abort();
        }
        &self.shared
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if thread_mark() == self.mark {
            // SAFETY: dropped exactly once, here, on the owner thread.
            unsafe { ManuallyDrop::drop(&mut self.shared) }
        }
        // On a foreign thread the Rc is leaked on purpose (see the module docs).
    }
}
