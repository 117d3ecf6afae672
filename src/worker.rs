//! The worker's side: receive a job, run its steps for real, report timings.
//!
//! Each worker is its own wasm instance with its own memory, like a process
//! in `multiprocessing`: nothing is shared with the page but messages.

use js_sys::{Array, ArrayBuffer, Promise, Reflect, Uint8Array};
use protocol::{FromWorker, JobStep, StepTiming, ToWorker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::clock::{epoch_ms, now_ms};

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Whether this worker may block with `Atomics.wait` (needs cross-origin isolation).
fn can_block() -> bool {
    let global = js_sys::global();
    Reflect::get(&global, &"crossOriginIsolated".into()).map(|v| v.is_truthy()).unwrap_or(false)
        && Reflect::has(&global, &"SharedArrayBuffer".into()).unwrap_or(false)
}

/// Posts `msg`, transferring `payload` if there is one.
fn post(msg: &FromWorker, payload: Option<ArrayBuffer>) {
    let bytes = Uint8Array::from(protocol::encode(msg).as_slice());
    let data = Array::of2(&bytes, &payload.clone().map_or(JsValue::UNDEFINED, JsValue::from));
    let result = match payload {
        Some(buf) => scope().post_message_with_transfer(&data, &Array::of1(&buf)),
        None => scope().post_message(&data),
    };
    if let Err(e) = result {
        web_sys::console::error_2(&"worker: could not post a reply".into(), &e);
    }
}

/// Σi² in chunks of 2¹⁶: V8 first runs wasm in its baseline tier and swaps in
/// the optimised code only for later *calls*, so one long call would stay slow
/// to the end. Chunked, a long job is optimised after its first few chunks.
fn sum_squares_chunked(n: u64) -> u128 {
    const CHUNK: u64 = 1 << 16;
    let mut total = 0u128;
    let mut k = 0;
    while k < n {
        let end = n.min(k + CHUNK);
        total += workload::sum_squares_range(k, end);
        k = end;
    }
    total
}

/// Installs the message handler, then says "ready": a message posted before
/// the handler exists would be lost, so the page waits for this.
pub fn start() {
    // Warm the kernel up (about a millisecond) so the optimising tier is on
    // its way before the first job, which a pool benchmark would otherwise pay.
    std::hint::black_box(sum_squares_chunked(1 << 20));
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        wasm_bindgen_futures::spawn_local(handle(ev));
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the worker does.
    handler.forget();
    post(&FromWorker::Ready { at_ms: epoch_ms(), can_block: can_block() }, None);
}

async fn handle(ev: MessageEvent) {
    let received_ms = epoch_ms();
    let data: Array = ev.data().unchecked_into();
    let bytes = Uint8Array::new(&data.get(0)).to_vec();
    let payload_in = data.get(1).dyn_into::<ArrayBuffer>().map_or(0, |b| b.byte_length());
    match protocol::decode::<ToWorker>(&bytes) {
        Ok(ToWorker::Threads { job, tasks, mode }) => {
            // Thread models: the shared memory rides as the message's third item.
            let Ok(mem) = data.get(2).dyn_into::<js_sys::Int32Array>() else {
                post(&FromWorker::Failed { job, message: "a thread job came without its shared memory".into() }, None);
                return;
            };
            let (checksum, spans) = crate::threads::run_queue(&tasks, mode, &mem);
            post(&FromWorker::Done { job, checksum, received_ms, steps: Vec::new(), payload_in, spans }, None);
        }
        Ok(ToWorker::Job { job, steps, reply_payload_bytes }) => {
            let mut timings = Vec::with_capacity(steps.len());
            let mut checksum = 0u128;
            for step in steps {
                let start_ms = epoch_ms();
                match step {
                    JobStep::Cpu { n } => checksum = checksum.wrapping_add(sum_squares_chunked(n)),
                    JobStep::Io { ns } => wait(ns).await,
                    JobStep::Block { ns } => spin(ns),
                    // The pool runs the counter in the parent (processes share nothing).
                    JobStep::Incr { .. } => {}
                }
                timings.push(StepTiming { start_ms, end_ms: epoch_ms() });
            }
            let reply = (reply_payload_bytes > 0).then(|| ArrayBuffer::new(reply_payload_bytes));
            post(&FromWorker::Done { job, checksum, received_ms, steps: timings, payload_in, spans: Vec::new() }, reply);
        }
        Ok(ToWorker::Crash) => panic!("crash requested by the page (fault drill)"),
        Err(e) => post(&FromWorker::Failed { job: 0, message: e.to_string() }, None),
    }
}

/// An I/O wait that occupies the worker: `Atomics.wait` where the page is
/// cross-origin isolated (the thread really sleeps), otherwise a timer during
/// which this worker takes no new job (the page sends it none until it answers).
async fn wait(ns: u64) {
    let ms = ns as f64 / 1e6;
    if can_block() {
        // `can_block` checked that SharedArrayBuffer exists, so this cannot throw.
        let cell = js_sys::Int32Array::new(&js_sys::SharedArrayBuffer::new(4));
        if js_sys::Atomics::wait_with_timeout(&cell, 0, 0, ms).is_ok() {
            return;
        }
    }
    let promise = Promise::new(&mut |resolve, _| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms.ceil() as i32);
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
