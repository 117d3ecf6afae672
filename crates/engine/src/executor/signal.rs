//! A change counter that tasks can wait on, together with a timer: "sleep until
//! this deadline, or until something changes, whichever comes first". The
//! simulator uses it where a planned finish time can move (cores shared by
//! more workers, a GIL drop request arriving mid-computation).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::{Handle, Sleep};
use crate::time::Nanos;

#[derive(Default)]
struct Inner {
    generation: Cell<u64>,
    wakers: RefCell<Vec<Waker>>,
}

/// A change counter. Cloning shares it.
#[derive(Default, Clone)]
pub struct Signal {
    inner: Rc<Inner>,
}

impl Signal {
    /// A fresh signal.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many times it has been notified.
    pub fn generation(&self) -> u64 {
        self.inner.generation.get()
    }

    /// Something changed: wakes every task waiting on the signal.
    pub fn notify(&self) {
        self.inner.generation.set(self.inner.generation.get() + 1);
        let wakers = std::mem::take(&mut *self.inner.wakers.borrow_mut());
        for w in wakers {
            w.wake();
        }
    }

    /// Completes when `deadline` passes on `handle`'s clock or the signal is
    /// notified after generation `seen`, whichever is first. The timer is
    /// [precise](Sleep::precise).
    pub fn wait_until(&self, handle: &Handle, deadline: Nanos, seen: u64) -> SleepOrSignal {
        SleepOrSignal {
            sleep: handle.sleep_until(deadline).precise(),
            signal: self.clone(),
            seen,
        }
    }
}

/// The future of [`Signal::wait_until`].
pub struct SleepOrSignal {
    sleep: Sleep,
    signal: Signal,
    seen: u64,
}

impl Future for SleepOrSignal {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.signal.generation() != self.seen {
            return Poll::Ready(());
        }
        if Pin::new(&mut self.sleep).poll(cx).is_ready() {
            return Poll::Ready(());
        }
        self.signal
            .inner
            .wakers
            .borrow_mut()
            .push(cx.waker().clone());
        Poll::Pending
    }
}
