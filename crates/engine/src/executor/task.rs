//! A task's one allocation, and the three things that point at it: the
//! [`Runnable`] in the ready queue, the wakers, and the [`TaskHandle`] behind
//! a `JoinHandle`.
//!
//! Ours rather than `async-task`'s, which the executor used before: that crate
//! keeps a task's state in atomics and compare-and-swap loops, so that a task
//! may be woken from any thread, and checks for panics to propagate on every
//! poll. Our tasks live and are woken on one thread (the owner check below
//! makes that a guarantee), so the state is a plain byte and the count a plain
//! integer; a yield (P1) and a spawn (P2) are the loop's unit costs, and this
//! is most of what they pay for.
//!
//! # States
//!
//! [`SCHEDULED`]: a `Runnable` exists (in the ready queue, or being run);
//! [`RUNNING`]: the executor is polling the future (a wake then only sets
//! `SCHEDULED`, and the executor queues the task again when the poll
//! returns); [`COMPLETED`]: the future is gone, finished (its output waits
//! for the handle) or dropped (cancelled); it is never polled again;
//! [`HANDLE`]: a `TaskHandle` is alive; [`CLOSING`]: queued only to be dropped.
//!
//! # References
//!
//! `refs` counts the `Runnable` (at most one), every `Waker`, and the handle.
//! The last one to go frees the allocation. A future still pending then
//! (nothing can wake it any more) is first queued once more to be dropped by
//! the executor (see [`drop_ref`]), except where that last one is the
//! runner's after a poll that kept no waker (see [`drop_runner_ref`]): both
//! as `async-task` does.
//!
//! # Safety
//!
//! Every pointer to a task is a counted reference, so the allocation outlives
//! each of them. `Runnable` and `TaskHandle` are `!Send`; a `Waker` is `Send`
//! by type, so each of its functions first checks it is on the thread that
//! made the task: off it, a wake or a clone aborts and a drop leaks (see
//! `owner.rs`). No `&mut` to a task's stage is held across a call that could
//! reach the same task (a future's poll or drop may wake it).

use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::{cells, TaskMeta};

/// A `Runnable` exists.
const SCHEDULED: u8 = 1;
/// The future is being polled.
const RUNNING: u8 = 2;
/// The future is gone: finished or dropped.
const COMPLETED: u8 = 4;
/// A `TaskHandle` exists.
const HANDLE: u8 = 8;
/// Queued only to have its future dropped (see [`drop_ref`]).
const CLOSING: u8 = 16;

/// What every task starts with, whatever its future's type.
pub(super) struct Header {
    state: Cell<u8>,
    refs: Cell<u32>,
    vtable: &'static TaskVTable,
    /// The waker of whoever awaits the task's `JoinHandle`.
    awaiter: Cell<Option<Waker>>,
    /// The task's name and executor.
    pub(super) meta: TaskMeta,
}

// Every task carries a header (P2's memory per task): on wasm32 it fits in
// 32 bytes; a 64-bit field anywhere in it would align it to 8 and grow it to 48.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
const _: () = assert!(size_of::<Header>() <= 32);

/// The functions that know the future's type.
struct TaskVTable {
    /// Polls the future; on `Ready`, drops it and keeps the output if a
    /// handle will take it. Returns whether it finished.
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> bool,
    /// Drops what the stage holds (the future or the output).
    drop_stage: unsafe fn(NonNull<Header>),
    /// Moves the output into `*mut Option<T>`, if there is one.
    take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Frees the allocation: a future still there is forgotten, an output dropped.
    dealloc: unsafe fn(NonNull<Header>),
}

/// What the task holds past its header.
enum Stage<F: Future> {
    Running(F),
    Finished(F::Output),
    Empty,
}

/// The allocation: the header first, so a pointer to it is a pointer to both.
#[repr(C)]
struct Task<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

impl<F: Future> Task<F> {
    const VTABLE: TaskVTable = TaskVTable {
        poll: Self::poll,
        drop_stage: Self::drop_stage,
        take_output: Self::take_output,
        dealloc: Self::dealloc,
    };

    /// SAFETY (every function here): `ptr` is a live task whose future is `F`.
    unsafe fn stage(ptr: NonNull<Header>) -> *mut Stage<F> {
        unsafe { (*ptr.cast::<Task<F>>().as_ptr()).stage.get() }
    }

    unsafe fn poll(ptr: NonNull<Header>, cx: &mut Context<'_>) -> bool {
        let stage = unsafe { Self::stage(ptr) };
        // SAFETY: the future is pinned in the allocation and never moved out
        // while `Running`; the borrow ends with the poll.
        let out = match unsafe { &mut *stage } {
            Stage::Running(f) => match unsafe { Pin::new_unchecked(f) }.poll(cx) {
                Poll::Ready(out) => out,
                Poll::Pending => return false,
            },
            _ => return true,
        };
        // The future goes first (its destructors may wake tasks), then the
        // output is kept for the handle, if there still is one.
        unsafe { Self::drop_stage(ptr) };
        if unsafe { ptr.as_ref() }.state.get() & HANDLE != 0 {
            // SAFETY: the stage is `Empty` (nothing to drop) and not borrowed.
            unsafe { stage.write(Stage::Finished(out)) };
        }
        true
    }

    unsafe fn drop_stage(ptr: NonNull<Header>) {
        // Emptied before what it held is dropped: that drop may reach this task.
        let old = unsafe { std::ptr::replace(Self::stage(ptr), Stage::Empty) };
        let was_future = matches!(old, Stage::Running(_));
        abort_on_unwind(|| drop(old));
        if was_future {
            // The future's own destructors have run: the task is no longer live.
            let s = unsafe { ptr.as_ref() }.meta.owner.get();
            s.live.set(s.live.get() - 1);
        }
    }

    unsafe fn take_output(ptr: NonNull<Header>, out: *mut ()) {
        let stage = unsafe { Self::stage(ptr) };
        if matches!(unsafe { &*stage }, Stage::Finished(_)) {
            if let Stage::Finished(v) = unsafe { std::ptr::replace(stage, Stage::Empty) } {
                unsafe { *out.cast::<Option<F::Output>>() = Some(v) };
            }
        }
    }

    unsafe fn dealloc(ptr: NonNull<Header>) {
        let cell = ptr.cast::<Task<F>>();
        // SAFETY: the last reference: what the cell holds is dropped in
        // place (not copied out: a task's future can be hundreds of bytes),
        // then the cell is handed back and never used again.
        unsafe {
            let task = cell.as_ptr();
            if !matches!(*(*task).stage.get(), Stage::Running(_)) {
                std::ptr::drop_in_place((*task).stage.get());
            }
            // A future still running is forgotten (see `drop_runner_ref`).
            std::ptr::drop_in_place(&raw mut (*task).header);
            cells::free_cell(cell);
        }
    }
}

/// Allocates a task for `future` named by `meta`: its `Runnable` (scheduled,
/// for the caller to queue) and its handle.
pub(super) fn spawn<F: Future>(meta: TaskMeta, future: F) -> (Runnable, TaskHandle<F::Output>) {
    let cell = cells::alloc_cell::<Task<F>>();
    let task = Task {
        header: Header {
            state: Cell::new(SCHEDULED | HANDLE),
            refs: Cell::new(2),
            vtable: &Task::<F>::VTABLE,
            awaiter: Cell::new(None),
            meta,
        },
        stage: UnsafeCell::new(Stage::Running(future)),
    };
    // SAFETY: a fresh cell sized and aligned for a `Task<F>`.
    unsafe { cell.as_ptr().write(task) };
    let ptr = cell.cast::<Header>();
    (
        Runnable { ptr },
        TaskHandle {
            ptr,
            _output: PhantomData,
        },
    )
}

/// Allocates a task with no handle (its output is dropped): its `Runnable`
/// alone, as [`spawn`] then dropping the handle at once would leave it, but
/// without making and unmaking the handle (the workload's tasks are all
/// spawned this way, and it is P2's path). Written out beside [`spawn`]
/// rather than through a shared helper, as `Shared::spawn_detached` is (the
/// helper stayed a call under `opt-level = "z"`).
pub(super) fn spawn_detached<F: Future>(meta: TaskMeta, future: F) -> Runnable {
    let cell = cells::alloc_cell::<Task<F>>();
    let task = Task {
        header: Header {
            state: Cell::new(SCHEDULED),
            refs: Cell::new(1),
            vtable: &Task::<F>::VTABLE,
            awaiter: Cell::new(None),
            meta,
        },
        stage: UnsafeCell::new(Stage::Running(future)),
    };
    // SAFETY: a fresh cell sized and aligned for a `Task<F>`.
    unsafe { cell.as_ptr().write(task) };
    Runnable {
        ptr: cell.cast::<Header>(),
    }
}

/// Drops one reference. The last one frees a finished task; an unfinished
/// one (nothing can wake it any more) is queued once more instead, marked
/// [`CLOSING`], so that the executor drops its future at its own pace (or
/// at once, if the run was cancelled), as `async-task` does.
///
/// SAFETY: the caller owns one reference to the live task `ptr`.
unsafe fn drop_ref(ptr: NonNull<Header>) {
    let h = unsafe { ptr.as_ref() };
    let refs = h.refs.get() - 1;
    h.refs.set(refs);
    if refs > 0 {
        return;
    }
    let state = h.state.get();
    if state & COMPLETED != 0 {
        unsafe { (h.vtable.dealloc)(ptr) };
    } else {
        // No runnable exists (it would hold a reference): the new one takes this one.
        h.refs.set(1);
        h.state.set(state | SCHEDULED | CLOSING);
        super::schedule(Runnable { ptr });
    }
}

/// Drops the runner's reference after a poll returned `Pending` without the
/// future keeping a waker: if that was the last reference, the future is
/// forgotten rather than dropped, as `async-task` did. It stays a live task
/// that never ends (like an asyncio task awaiting a future nobody resolves),
/// and what it owns is never released.
///
/// SAFETY: as [`drop_ref`].
unsafe fn drop_runner_ref(ptr: NonNull<Header>) {
    let h = unsafe { ptr.as_ref() };
    if h.refs.get() == 1 {
        unsafe { (h.vtable.dealloc)(ptr) };
    } else {
        unsafe { drop_ref(ptr) };
    }
}

/// Marks the task completed (not to be polled again), drops its future, and
/// wakes whoever awaits it. The caller still owns a reference.
///
/// SAFETY: `ptr` is live and the caller owns a reference to it.
unsafe fn close(ptr: NonNull<Header>) {
    let h = unsafe { ptr.as_ref() };
    h.state
        .set((h.state.get() & !(SCHEDULED | RUNNING)) | COMPLETED);
    unsafe { (h.vtable.drop_stage)(ptr) };
    if let Some(w) = h.awaiter.take() {
        abort_on_unwind(|| w.wake());
    }
}

/// A task that is ready to be polled: the ready queue's entry. Running it
/// polls the future once; dropping it without running drops the future (the
/// task is cancelled).
pub(super) struct Runnable {
    ptr: NonNull<Header>,
}

impl Runnable {
    /// The task's name and executor.
    #[inline]
    pub(super) fn metadata(&self) -> &TaskMeta {
        // SAFETY: the runnable holds a reference, so the task is live.
        unsafe { &self.ptr.as_ref().meta }
    }

    /// Polls the future once. If it is woken meanwhile (a yield), it goes to
    /// the back of the ready queue when the poll returns.
    #[inline]
    pub(super) fn run(self) {
        let ptr = self.ptr;
        // The reference now belongs to this call; it is passed on or dropped below.
        std::mem::forget(self);
        // SAFETY: we own a reference, so `ptr` is live throughout.
        let h = unsafe { ptr.as_ref() };
        if h.state.get() & CLOSING != 0 {
            // Nothing could wake it any more: dropped, not polled.
            unsafe {
                close(ptr);
                drop_ref(ptr);
            }
            return;
        }
        h.state.set((h.state.get() & !SCHEDULED) | RUNNING);
        // A borrowed waker: it owns no reference (clones do).
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw_waker(ptr)) });
        let mut cx = Context::from_waker(&waker);
        // If the poll unwinds (native tests; the page aborts on panic), the
        // task is closed and our reference dropped on the way out.
        let guard = Unwinding(ptr);
        let finished = unsafe { (h.vtable.poll)(ptr, &mut cx) };
        std::mem::forget(guard);
        let state = h.state.get();
        if finished {
            h.state.set((state & !(SCHEDULED | RUNNING)) | COMPLETED);
            if let Some(w) = h.awaiter.take() {
                abort_on_unwind(|| w.wake());
            }
            unsafe { drop_ref(ptr) };
        } else if state & SCHEDULED != 0 {
            // Woken during its poll: queued again, with this reference.
            h.state.set(state & !RUNNING);
            super::schedule(Runnable { ptr });
        } else {
            h.state.set(state & !RUNNING);
            unsafe { drop_runner_ref(ptr) };
        }
    }
}

impl Drop for Runnable {
    fn drop(&mut self) {
        // Never run: the task is cancelled.
        unsafe {
            close(self.ptr);
            drop_ref(self.ptr);
        }
    }
}

/// Closes the task and drops the runner's reference if a poll unwinds.
struct Unwinding(NonNull<Header>);

impl Drop for Unwinding {
    fn drop(&mut self) {
        unsafe {
            close(self.0);
            drop_ref(self.0);
        }
    }
}

/// The `JoinHandle`'s side of a task: its output once it finishes.
pub(super) struct TaskHandle<T> {
    ptr: NonNull<Header>,
    // A raw pointer: `!Send`, and `Unpin` whatever `T` is (the output is never pinned).
    _output: PhantomData<*const T>,
}

impl<T> TaskHandle<T> {
    /// Whether the future is gone (finished or cancelled).
    pub(super) fn is_finished(&self) -> bool {
        // SAFETY: the handle holds a reference.
        unsafe { self.ptr.as_ref() }.state.get() & COMPLETED != 0
    }

    /// The output if the task has finished; otherwise `cx`'s waker is woken
    /// when it does.
    ///
    /// # Panics
    ///
    /// If the task finished and its output is gone: polled again after it
    /// returned the output, or its future was dropped (cancelled: the
    /// executor drops every task then, so only a caught panic gets here).
    /// As `async-task`'s handle does: pending for ever would hang the awaiter
    /// without a word.
    pub(super) fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        // SAFETY: the handle holds a reference.
        let h = unsafe { self.ptr.as_ref() };
        if h.state.get() & COMPLETED != 0 {
            let mut out: Option<T> = None;
            unsafe { (h.vtable.take_output)(self.ptr, (&mut out as *mut Option<T>).cast()) };
            return match out {
                Some(v) => Poll::Ready(v),
                None => panic!("a JoinHandle polled after its task's output was taken, or after its task was cancelled"),
            };
        }
        // Replaced, not compared: the old waker (if any) is dropped here,
        // outside any borrow of the task.
        drop(h.awaiter.replace(Some(cx.waker().clone())));
        Poll::Pending
    }
}

impl<T> Drop for TaskHandle<T> {
    fn drop(&mut self) {
        // Detach: the task runs on; an output it already left is dropped.
        let h = unsafe { self.ptr.as_ref() };
        h.state.set(h.state.get() & !HANDLE);
        drop(h.awaiter.take());
        if h.state.get() & COMPLETED != 0 {
            unsafe { (h.vtable.drop_stage)(self.ptr) };
        }
        unsafe { drop_ref(self.ptr) };
    }
}

/// Runs `f`; a panic out of it (a destructor, a wake) aborts instead of
/// unwinding through a task left half-changed, as `async-task` does.
#[inline]
fn abort_on_unwind<R>(f: impl FnOnce() -> R) -> R {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            std::process::abort();
        }
    }
    let bomb = Bomb;
    let r = f();
    std::mem::forget(bomb);
    r
}

/// One more reference. Aborts rather than wrap (`mem::forget` of clones in
/// a loop could otherwise bring the count back to 0 under live references).
fn add_ref(h: &Header) {
    let refs = h.refs.get();
    if refs == u32::MAX {
        std::process::abort();
    }
    h.refs.set(refs + 1);
}

/// Aborts unless on the thread that made the task (see `owner.rs`): a waker
/// may travel, but its task's cells are not atomic.
#[inline]
fn abort_off_owner_thread(h: &Header) {
    h.meta.owner.get();
}

// ------------------------------------------------------------------ wakers

static WAKER_VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

fn raw_waker(ptr: NonNull<Header>) -> RawWaker {
    RawWaker::new(ptr.as_ptr().cast::<()>().cast_const(), &WAKER_VTABLE)
}

/// SAFETY: `data` comes from [`raw_waker`], whose reference keeps the task live.
unsafe fn header<'a>(data: *const ()) -> (&'a Header, NonNull<Header>) {
    let ptr = unsafe { NonNull::new_unchecked(data.cast::<Header>().cast_mut()) };
    (unsafe { ptr.as_ref() }, ptr)
}

unsafe fn clone(data: *const ()) -> RawWaker {
    let (h, ptr) = unsafe { header(data) };
    // The count is not atomic.
    abort_off_owner_thread(h);
    add_ref(h);
    raw_waker(ptr)
}

unsafe fn wake(data: *const ()) {
    unsafe {
        wake_by_ref(data);
        drop_waker(data);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    let (h, ptr) = unsafe { header(data) };
    abort_off_owner_thread(h);
    let state = h.state.get();
    if state & (SCHEDULED | COMPLETED) != 0 {
        return;
    }
    h.state.set(state | SCHEDULED);
    if state & RUNNING != 0 {
        // The executor queues it when the poll returns.
        return;
    }
    add_ref(h);
    super::schedule(Runnable { ptr });
}

unsafe fn drop_waker(data: *const ()) {
    let (h, ptr) = unsafe { header(data) };
    if h.meta.owner.on_owner_thread() {
        unsafe { drop_ref(ptr) };
    }
    // Off the owner thread a waker's reference leaks: the task is never freed.
}
