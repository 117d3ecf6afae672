//! Inside a worker: a job's steps, one GIL quantum, and the kernel warm-up.

use std::future::Future;

use js_sys::Promise;
use protocol::{JobStep, StepTiming};
use wasm_bindgen::JsCast;
use web_sys::DedicatedWorkerGlobalScope;

use crate::clock::{epoch_ms, now_ms};

/// Iterations per kernel call. V8 first runs wasm in its baseline tier and
/// swaps in optimised code only for later *calls*, so one long call would stay
/// slow to its end; in chunks, a long job is optimised after its first few.
/// Also how often a quantum looks at its clock (a few µs apart).
const CHUNK: u64 = 1 << 14;

/// Σ i² for `from <= i < to`, in [`CHUNK`]-sized calls.
pub fn sum_squares_chunked(from: u64, to: u64) -> u128 {
    let mut total = 0u128;
    let mut k = from;
    while k < to {
        let end = to.min(k + CHUNK);
        total += workload::sum_squares_range(k, end);
        k = end;
    }
    total
}

/// Runs the kernel until V8 has optimised it, then times 16 rounds of 2²²
/// iterations (a few ms each: the clock of a worker on a page that is not
/// cross-origin isolated counts in 0.1 ms) and reports the lower quartile:
/// (iterations, ns). Baseline code runs at a steady speed
/// too, only several times slower, so "settled" means: at least 12 rounds of
/// 2²⁰ iterations (well above the coarse clock's step), and the last four
/// within 10 % of the fastest seen.
pub fn warm_up_and_probe() -> (u64, f64) {
    const ROUND: u64 = 1 << 20;
    let mut best = f64::INFINITY;
    let mut recent = [f64::INFINITY; 4];
    for round in 0..60 {
        let t0 = now_ms();
        std::hint::black_box(sum_squares_chunked(0, ROUND));
        let took = now_ms() - t0;
        best = best.min(took);
        recent[round % 4] = took;
        if round >= 12 && recent.iter().all(|r| *r <= 1.1 * best.max(0.01)) {
            break;
        }
    }
    // Then the figure: the lower quartile of 16 warm rounds. The workers
    // probe beside each other and beside whatever the page and the browser
    // still do once the page is idle, so on a small machine a single long
    // measurement can catch them sharing a core and read up to twice the
    // cost a run then sees; the quartile keeps the rounds that had a core.
    const MEASURE: u64 = 4 * ROUND; // a few ms: the coarse clock's step is 0.1 ms
    let mut rounds = [0.0f64; 16];
    for r in rounds.iter_mut() {
        let t0 = now_ms();
        std::hint::black_box(sum_squares_chunked(0, MEASURE));
        *r = now_ms() - t0;
    }
    rounds.sort_by(f64::total_cmp);
    (MEASURE, rounds[rounds.len() / 4] * 1e6)
}

/// Runs a job's steps for real; returns the checksum and each step's timing
/// (epoch ms).
pub async fn run_steps(steps: &[JobStep]) -> (u128, Vec<StepTiming>) {
    let mut timings = Vec::with_capacity(steps.len());
    let mut checksum = 0u128;
    for step in steps {
        let start_ms = epoch_ms();
        match *step {
            JobStep::Cpu { n } => checksum = checksum.wrapping_add(sum_squares_chunked(0, n)),
            JobStep::Io { ns } => wait(ns).await,
            JobStep::Block { ns } => spin(ns),
            // The pool runs the counter in the parent (processes share nothing).
            JobStep::Incr { .. } => {}
        }
        timings.push(StepTiming {
            start_ms,
            end_ms: epoch_ms(),
        });
    }
    (checksum, timings)
}

/// Runs a job that never waits at once, in the caller's task; `None` if a
/// step waits (run that job with [`run_steps`]).
pub fn run_now(steps: &[JobStep]) -> Option<(u128, Vec<StepTiming>)> {
    if steps.iter().any(|s| matches!(s, JobStep::Io { .. })) {
        return None;
    }
    // With nothing to wait for, the future completes in its first poll.
    let mut job = std::pin::pin!(run_steps(steps));
    match job
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(done) => Some(done),
        std::task::Poll::Pending => None,
    }
}

/// One turn holding the GIL: computes from `from` towards `to`, looking at the
/// clock every [`CHUNK`] iterations, until done or `budget_ns` has passed.
/// Returns (start ms, end ms, reached, sum), times as epoch ms.
pub fn quantum(from: u64, to: u64, budget_ns: u64) -> (f64, f64, u64, u128) {
    let start = epoch_ms();
    let deadline = now_ms() + budget_ns as f64 / 1e6;
    let mut k = from;
    let mut sum = 0u128;
    while k < to {
        let end = to.min(k + CHUNK);
        sum += workload::sum_squares_range(k, end);
        k = end;
        if now_ms() >= deadline {
            break;
        }
    }
    (start, epoch_ms(), k, sum)
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// An I/O wait that occupies the worker: `Atomics.wait` where the page is
/// cross-origin isolated (the thread really sleeps), otherwise a timer during
/// which this worker takes no new job (the page sends it none until it answers).
async fn wait(ns: u64) {
    let ms = ns as f64 / 1e6;
    if super::can_block() {
        // `can_block` checked that SharedArrayBuffer exists, so this cannot throw.
        let cell = js_sys::Int32Array::new(&js_sys::SharedArrayBuffer::new(4));
        if js_sys::Atomics::wait_with_timeout(&cell, 0, 0, ms).is_ok() {
            return;
        }
    }
    let promise = Promise::new(&mut |resolve, _| {
        let _ = scope()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms.ceil() as i32);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A blocking call: the thread spins for `ns`.
fn spin(ns: u64) {
    let end = now_ms() + ns as f64 / 1e6;
    while now_ms() < end {
        std::hint::spin_loop();
    }
}
