//! A fair semaphore whose permits are numbered slots.
//!
//! One type serves three jobs: a concurrency limit ("the database allows ten
//! connections"), the lanes of a simulated worker pool (the slot number is the
//! lane) and, with one slot, the GIL of the simulated threads. Waiters are
//! served first come, first served, and the lowest free slot is handed out
//! first, so runs on the virtual clock are deterministic.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

struct Waiter {
    granted: Cell<Option<u32>>,
    waker: RefCell<Option<Waker>>,
}

struct Inner {
    capacity: u32,
    free: RefCell<BinaryHeap<Reverse<u32>>>,
    waiters: RefCell<VecDeque<Rc<Waiter>>>,
}

impl Inner {
    fn release(&self, slot: u32) {
        let next = self.waiters.borrow_mut().pop_front();
        match next {
            Some(w) => {
                // Hand the slot straight to the first waiter: no barging.
                w.granted.set(Some(slot));
                let waker = w.waker.borrow_mut().take();
                if let Some(waker) = waker {
                    waker.wake();
                }
            }
            None => self.free.borrow_mut().push(Reverse(slot)),
        }
    }
}

/// A counting semaphore with `capacity` numbered slots. Cloning shares it.
#[derive(Clone)]
pub struct Semaphore {
    inner: Rc<Inner>,
}

impl Semaphore {
    /// A semaphore with slots `0..capacity`, all free.
    pub fn new(capacity: u32) -> Self {
        Self {
            inner: Rc::new(Inner {
                capacity,
                free: RefCell::new((0..capacity).map(Reverse).collect()),
                waiters: RefCell::new(VecDeque::new()),
            }),
        }
    }

    /// Waits for a free slot.
    pub fn acquire(&self) -> Acquire {
        Acquire {
            sem: self.clone(),
            waiter: None,
        }
    }

    /// Total slots.
    pub fn capacity(&self) -> u32 {
        self.inner.capacity
    }

    /// Slots free right now.
    pub fn available(&self) -> usize {
        self.inner.free.borrow().len()
    }

    /// Tasks waiting for a slot.
    pub fn waiters(&self) -> usize {
        self.inner.waiters.borrow().len()
    }
}

/// A held slot; dropping it frees the slot (or hands it to the next waiter).
pub struct Permit {
    sem: Rc<Inner>,
    slot: u32,
}

impl Permit {
    /// The slot number, in `0..capacity`: the lane of a pool, for example.
    pub fn slot(&self) -> u32 {
        self.slot
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.sem.release(self.slot);
    }
}

/// The future returned by [`Semaphore::acquire`].
pub struct Acquire {
    sem: Semaphore,
    waiter: Option<Rc<Waiter>>,
}

impl Future for Acquire {
    type Output = Permit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Permit> {
        let inner = self.sem.inner.clone();
        if let Some(w) = &self.waiter {
            if let Some(slot) = w.granted.take() {
                self.waiter = None;
                return Poll::Ready(Permit { sem: inner, slot });
            }
            *w.waker.borrow_mut() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if inner.waiters.borrow().is_empty() {
            let free = inner.free.borrow_mut().pop();
            if let Some(Reverse(slot)) = free {
                return Poll::Ready(Permit { sem: inner, slot });
            }
        }
        let w = Rc::new(Waiter {
            granted: Cell::new(None),
            waker: RefCell::new(Some(cx.waker().clone())),
        });
        inner.waiters.borrow_mut().push_back(w.clone());
        self.waiter = Some(w);
        Poll::Pending
    }
}

impl Drop for Acquire {
    fn drop(&mut self) {
        let Some(w) = self.waiter.take() else { return };
        match w.granted.take() {
            // Granted but never collected: pass the slot on.
            Some(slot) => self.sem.inner.release(slot),
            None => self
                .sem
                .inner
                .waiters
                .borrow_mut()
                .retain(|x| !Rc::ptr_eq(x, &w)),
        }
    }
}
