//! The worker's side of the thread models: a GIL in a `SharedArrayBuffer`,
//! taken and handed over with `Atomics`, the way CPython's has worked since
//! 3.2: a thread that waits a whole switch interval sets a drop request; the
//! holder checks it between small chunks of work ("bytecodes"), drops the
//! GIL, and waits until another thread has taken it before asking again.
//! Without the GIL (free threads) the same code simply skips the lock.
//!
//! Everything here blocks the worker's thread, which is what a thread does.

use js_sys::{Atomics, Int32Array};
use protocol::{shared, IncrGap, JobStep, ThreadMode, ThreadState, WorkerSpan};

use crate::clock::epoch_ms;

/// Σi² iterations between two checks of the drop request: about 20-50 µs.
const CHUNK: u64 = 20_000;
/// Work between an `incr`'s read and write: the bytecodes of `counter += 1`
/// (a little real computation, so two free threads can overlap there).
const INCR_GAP_WORK: u64 = 5_000;

struct Thread<'a> {
    mem: &'a Int32Array,
    me: i32,
    /// Lane (0-based) and threads in all: where this thread's ring is.
    lane: u32,
    threads: u32,
    /// Whether spans still go to the ring: once it is full the page is
    /// behind, and the rest come with the reply only (in order, never with a gap).
    stream: bool,
    gil: bool,
    switch_ms: f64,
    spans: Vec<WorkerSpan>,
    task: u32,
    step: u8,
    /// Scratch cell for timed waits (never notified).
    sleeper: Int32Array,
}

impl Thread<'_> {
    fn span(&mut self, state: ThreadState, start_ms: f64, end_ms: f64) {
        if end_ms > start_ms {
            if self.stream {
                self.stream = self.publish(state, start_ms, end_ms);
            }
            self.spans.push(WorkerSpan {
                task: self.task,
                step: self.step,
                state,
                start_ms,
                end_ms,
            });
        }
    }

    /// Writes a span to this thread's ring (see `protocol::shared`), then
    /// counts it written; false if the ring is full.
    fn publish(&self, state: ThreadState, start_ms: f64, end_ms: f64) -> bool {
        let m = self.mem;
        let written = Atomics::load(m, shared::written(self.lane)).unwrap_or(0);
        let read = Atomics::load(m, shared::read(self.lane)).unwrap_or(0);
        if written.wrapping_sub(read) as u32 >= shared::RING {
            return false;
        }
        let at = shared::record(self.lane, self.threads, written as u32);
        // Both ends in whole µs, so that one span's end and the next one's
        // start (the same instant) stay equal.
        let (start_us, end_us) = ((start_ms * 1000.0) as i64, (end_ms * 1000.0) as i64);
        let words = [
            self.task as i32,
            i32::from(self.step) | shared::state_code(state) << 8,
            (start_us >> 32) as i32,
            start_us as i32,
            (end_us - start_us).min(i64::from(i32::MAX)) as i32,
        ];
        for (k, w) in (0..).zip(words) {
            let _ = Atomics::store(m, at + k, w);
        }
        let _ = Atomics::store(m, shared::written(self.lane), written.wrapping_add(1));
        true
    }

    fn sleep_ms(&self, ms: f64) {
        let _ = Atomics::wait_with_timeout(&self.sleeper, 0, 0, ms.max(0.0));
    }

    /// Takes the GIL, recording the wait as GIL-blocked.
    fn acquire(&mut self) {
        self.acquire_since(epoch_ms());
    }

    /// Takes the GIL, recording the wait from `t0` as GIL-blocked.
    fn acquire_since(&mut self, t0: f64) {
        if !self.gil {
            return;
        }
        loop {
            match Atomics::compare_exchange(self.mem, shared::GIL, 0, self.me) {
                Ok(0) => {
                    let _ = Atomics::add(self.mem, shared::SWITCHES, 1);
                    let _ = Atomics::notify(self.mem, shared::SWITCHES);
                    break;
                }
                Ok(holder) => {
                    // Wait for a change, at most a switch interval; if none
                    // came, ask the holder to drop it.
                    let r =
                        Atomics::wait_with_timeout(self.mem, shared::GIL, holder, self.switch_ms);
                    if r.ok().and_then(|v| v.as_string()).as_deref() == Some("timed-out") {
                        let _ = Atomics::store(self.mem, shared::DROP_REQUEST, 1);
                    }
                }
                Err(_) => break,
            }
        }
        self.span(ThreadState::GilBlocked, t0, epoch_ms());
    }

    fn release(&self) {
        if self.gil {
            let _ = Atomics::store(self.mem, shared::GIL, 0);
            let _ = Atomics::notify(self.mem, shared::GIL);
        }
    }

    /// At a check point: if another thread asked, hand the GIL over, wait
    /// until someone took it (forced switching), and queue for it again. The
    /// whole wait, from `t0` (when its running stopped), is GIL-blocked: the
    /// thread wants to run.
    fn check_drop(&mut self, t0: f64) -> bool {
        if !self.gil || Atomics::load(self.mem, shared::DROP_REQUEST).unwrap_or(0) == 0 {
            return false;
        }
        let _ = Atomics::store(self.mem, shared::DROP_REQUEST, 0);
        let _ = Atomics::add(self.mem, shared::HANDOVERS, 1);
        // "Someone took it" is the count of takes moving, as CPython's
        // `switch_number`: the GIL being held would miss a taker that has
        // already let go again (an I/O thread off to its next wait), and
        // this thread would then sleep a whole switch interval with the GIL
        // free.
        let switches = Atomics::load(self.mem, shared::SWITCHES).unwrap_or(0);
        self.release();
        loop {
            let left = self.switch_ms - (epoch_ms() - t0);
            if Atomics::load(self.mem, shared::SWITCHES).unwrap_or(switches) != switches
                || left <= 0.0
            {
                break;
            }
            let _ = Atomics::wait_with_timeout(self.mem, shared::SWITCHES, switches, left);
        }
        self.acquire_since(t0);
        true
    }

    /// A wait that drops the GIL (I/O, `time.sleep`), then takes it back.
    fn wait_ms(&mut self, ms: f64) {
        self.release();
        let t0 = epoch_ms();
        self.sleep_ms(ms);
        self.span(ThreadState::Waiting, t0, epoch_ms());
        self.acquire();
    }
}

/// Longest a thread waits at the start barrier for the others: a worker
/// that never arrives (it died, or never got the job) must not stall the rest.
const START_BARRIER_MS: f64 = 2_000.0;

/// Waits until `threads` threads have arrived (or [`START_BARRIER_MS`]
/// passed). Without it, on a loaded machine one worker can receive its job
/// tens of milliseconds after another and empty the queue before the others
/// start, so threads that should contend for the GIL never meet.
fn start_barrier(mem: &Int32Array, threads: u16) {
    let arrived = Atomics::add(mem, shared::STARTED, 1).unwrap_or(0) + 1;
    let _ = Atomics::notify(mem, shared::STARTED);
    let want = i32::from(threads);
    if arrived >= want {
        return;
    }
    let deadline = epoch_ms() + START_BARRIER_MS;
    loop {
        let now_in = Atomics::load(mem, shared::STARTED).unwrap_or(want);
        let left = deadline - epoch_ms();
        if now_in >= want || left <= 0.0 {
            return;
        }
        let _ = Atomics::wait_with_timeout(mem, shared::STARTED, now_in, left);
    }
}

/// Runs the shared queue: takes task indices with `Atomics.add` until none
/// are left. Returns the checksum of the tasks this thread ran and their spans.
pub fn run_queue(
    tasks: &[Vec<JobStep>],
    mode: ThreadMode,
    mem: &Int32Array,
) -> (u128, Vec<WorkerSpan>) {
    let mut t = Thread {
        mem,
        me: i32::from(mode.lane) + 1,
        lane: u32::from(mode.lane),
        threads: u32::from(mode.threads),
        stream: true,
        gil: mode.gil,
        switch_ms: f64::from(mode.switch_us.max(1)) / 1000.0,
        spans: Vec::new(),
        task: 0,
        step: 0,
        sleeper: Int32Array::new(&js_sys::SharedArrayBuffer::new(4)),
    };
    start_barrier(mem, mode.threads);
    let mut checksum = 0u128;
    loop {
        let index = Atomics::add(mem, shared::NEXT_TASK, 1).unwrap_or(i32::MAX);
        let Some(steps) = usize::try_from(index).ok().and_then(|i| tasks.get(i)) else {
            break;
        };
        t.task = index as u32;
        t.step = 0;
        checksum += run_task(&mut t, steps);
    }
    (checksum, t.spans)
}

/// One task on this thread: it takes the GIL to run any Python at all, and
/// drops it when done.
fn run_task(t: &mut Thread<'_>, steps: &[JobStep]) -> u128 {
    let mem = t.mem;
    let mut checksum = 0u128;
    t.acquire();
    for (i, step) in steps.iter().enumerate() {
        t.step = i as u8;
        match *step {
            JobStep::Cpu { n } => {
                let mut run_start = epoch_ms();
                let mut k = 0;
                while k < n {
                    let end = n.min(k + CHUNK);
                    checksum += workload::sum_squares_range(k, end);
                    k = end;
                    if k < n && t.gil && Atomics::load(mem, shared::DROP_REQUEST).unwrap_or(0) != 0
                    {
                        // One instant ends the running and starts the wait.
                        let now = epoch_ms();
                        t.span(ThreadState::Running, run_start, now);
                        t.check_drop(now);
                        run_start = epoch_ms();
                    }
                }
                t.span(ThreadState::Running, run_start, epoch_ms());
            }
            JobStep::Io { ns } | JobStep::Block { ns } => t.wait_ms(ns as f64 / 1e6),
            JobStep::Incr { gap } => {
                let t0 = epoch_ms();
                if gap == IncrGap::Atomic {
                    let _ = Atomics::add(mem, shared::COUNTER, 1);
                } else {
                    let value = Atomics::load(mem, shared::COUNTER).unwrap_or(0);
                    match gap {
                        IncrGap::Plain => {
                            std::hint::black_box(workload::sum_squares(INCR_GAP_WORK));
                            // The GIL may switch between the read and the write.
                            t.check_drop(epoch_ms());
                        }
                        IncrGap::Yield => t.wait_ms(0.0),
                        IncrGap::Sleep { ns } => t.wait_ms(ns as f64 / 1e6),
                        IncrGap::Atomic => {}
                    }
                    let _ = Atomics::store(mem, shared::COUNTER, value.wrapping_add(1));
                }
                t.span(ThreadState::Running, t0, epoch_ms());
            }
        }
    }
    t.release();
    checksum
}
