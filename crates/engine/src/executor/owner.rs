//! Keeps the executor's `Rc` state on the thread that owns it.
//!
//! A task's `Waker` reaches its metadata from whichever thread wakes or drops
//! it, because a `Waker` may legally travel to another thread. Our state
//! is `Rc`/`RefCell` (one thread; in the browser there is no other), so each
//! task's metadata carries it in an [`Owned`] that checks, cheaply, that it is
//! used on the thread that made it: a wake from another thread aborts instead
//! of racing, and a drop on another thread leaks instead of touching the
//! reference count. Both are unreachable in this project (no waker leaves its
//! thread), and neither is undefined behaviour.
//!
//! On `wasm32` without the `atomics` target feature (the page's build) there is
//! no second thread to guard against: the module's memory is not shared, so no
//! other thread can ever run this code on it. There the check compiles to
//! nothing and [`Owned`] is just the `Rc`, saving a thread-local read per wake
//! and a word per task.

use std::mem::ManuallyDrop;
use std::rc::Rc;

use super::Shared;

#[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
thread_local! {
    static MARK: u8 = const { 0 };
}

/// An address unique to the current thread while it lives: that of a thread-local.
#[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
fn thread_mark() -> usize {
    MARK.with(|m| m as *const u8 as usize)
}

/// The shared state, usable only on the thread that created this value.
pub(super) struct Owned {
    /// The creating thread's mark (absent where only one thread can exist).
    #[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
    mark: usize,
    shared: ManuallyDrop<Rc<Shared>>,
}

// SAFETY: every access to `shared` (in `get` and `drop`) first checks that the
// calling thread is the creating thread; on any other thread `get` aborts and
// `drop` leaks, so the `Rc` and the `RefCell`s behind it are only ever touched
// by one thread. On wasm32 without `atomics` (where the check is compiled out)
// no other thread exists to send the value to, so the claim is vacuous.
unsafe impl Send for Owned {}
// SAFETY: as above; `&Owned` gives access to `shared` only through `get`.
unsafe impl Sync for Owned {}

impl Owned {
    pub(super) fn new(shared: Rc<Shared>) -> Self {
        Self {
            #[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
            mark: thread_mark(),
            shared: ManuallyDrop::new(shared),
        }
    }

    /// Whether the calling thread is the one that created this value.
    #[inline]
    pub(super) fn on_owner_thread(&self) -> bool {
        #[cfg(not(all(target_arch = "wasm32", not(target_feature = "atomics"))))]
        {
            thread_mark() == self.mark
        }
        // The only thread there is.
        #[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
        {
            true
        }
    }

    /// The shared state; aborts on any thread but the creating one.
    #[inline]
    pub(super) fn get(&self) -> &Shared {
        if !self.on_owner_thread() {
            // A waker was used on a foreign thread: refuse rather than race.
            std::process::abort();
        }
        &self.shared
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        if self.on_owner_thread() {
            // SAFETY: dropped exactly once, here, on the owner thread.
            unsafe { ManuallyDrop::drop(&mut self.shared) }
        }
        // On a foreign thread the Rc is leaked on purpose (see the module docs).
    }
}
