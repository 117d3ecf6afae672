//! Code that runs *inside* a worker (the other side of `postMessage` is
//! `crate::pool`). Each worker is its own wasm instance with its own memory,
//! like a process in `multiprocessing`: nothing is shared with the page but
//! messages (and, for the thread models on an isolated page, one
//! `SharedArrayBuffer`).
//!
//! - [`start`]: installs the message handler and says "ready"; when the page
//!   asks, the worker warms the kernel up and reports what an iteration costs
//!   here (a calibration probe).
//! - [`jobs`]: a job's steps, and one GIL quantum.
//! - [`threads`]: the thread models in shared memory (the GIL in Atomics).
//!
//! The worker binary (`src/bin/worker.rs`) only calls [`start`]; the page
//! compiles the wasm module once and hands it to every worker (see
//! `static/worker_boot.js`).

pub mod jobs;
pub mod threads;

use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use protocol::{FromWorker, ToWorker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::clock::epoch_ms;

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Whether this worker may block with `Atomics.wait` (needs cross-origin isolation).
pub(crate) fn can_block() -> bool {
    let global = js_sys::global();
    Reflect::get(&global, &"crossOriginIsolated".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false)
        && Reflect::has(&global, &"SharedArrayBuffer".into()).unwrap_or(false)
}

/// Posts `msg`, transferring `payload` if there is one.
pub(crate) fn post(msg: &FromWorker, payload: Option<ArrayBuffer>) {
    let bytes = Uint8Array::from(protocol::encode(msg).as_slice());
    let data = Array::of2(
        &bytes,
        &payload.clone().map_or(JsValue::UNDEFINED, JsValue::from),
    );
    let result = match payload {
        Some(buf) => scope().post_message_with_transfer(&data, &Array::of1(&buf)),
        None => scope().post_message(&data),
    };
    if result.is_err() {
        web_sys::console::error_1(&"worker: could not post a reply".into());
    }
}

/// Installs the message handler, then says "ready": a message posted before
/// the handler exists would be lost, so the page waits for this. The kernel
/// probe (warm-up, then the cost per iteration the predictions use) waits
/// for the page to ask ([`ToWorker::Probe`]), so it never competes with the
/// page's first render for the cores.
pub fn start() {
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(|ev: MessageEvent| {
        wasm_bindgen_futures::spawn_local(handle(ev));
    });
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // The handler lives as long as the worker does.
    handler.forget();
    post(
        &FromWorker::Ready {
            at_ms: epoch_ms(),
            can_block: can_block(),
        },
        None,
    );
}

async fn handle(ev: MessageEvent) {
    let received_ms = epoch_ms();
    let data: Array = ev.data().unchecked_into();
    let bytes = Uint8Array::new(&data.get(0)).to_vec();
    let payload_in = data
        .get(1)
        .dyn_into::<ArrayBuffer>()
        .map_or(0, |b| b.byte_length());
    match protocol::decode::<ToWorker>(&bytes) {
        Ok(ToWorker::Threads { job, tasks, mode }) => {
            // Thread models: the shared memory rides as the message's third item.
            let Ok(mem) = data.get(2).dyn_into::<js_sys::Int32Array>() else {
                post(
                    &FromWorker::Failed {
                        job,
                        message: "a thread job came without its shared memory".into(),
                    },
                    None,
                );
                return;
            };
            let (checksum, spans) = threads::run_queue(&tasks, mode, &mem);
            post(
                &FromWorker::Done {
                    job,
                    checksum,
                    received_ms,
                    steps: Vec::new(),
                    payload_in,
                    spans,
                },
                None,
            );
        }
        Ok(ToWorker::Job {
            job,
            steps,
            reply_payload_bytes,
        }) => {
            let (checksum, timings) = jobs::run_steps(&steps).await;
            let reply = (reply_payload_bytes > 0).then(|| ArrayBuffer::new(reply_payload_bytes));
            post(
                &FromWorker::Done {
                    job,
                    checksum,
                    received_ms,
                    steps: timings,
                    payload_in,
                    spans: Vec::new(),
                },
                reply,
            );
        }
        Ok(ToWorker::Quantum {
            job,
            from,
            to,
            budget_ns,
        }) => {
            let (start_ms, end_ms, reached, sum) = jobs::quantum(from, to, budget_ns);
            post(
                &FromWorker::Quantum {
                    job,
                    received_ms,
                    start_ms,
                    end_ms,
                    reached,
                    sum,
                },
                None,
            );
        }
        Ok(ToWorker::Crash) => panic!("crash requested by the page (fault drill)"),
        Ok(ToWorker::Probe) => {
            let (iterations, ns) = jobs::warm_up_and_probe();
            post(&FromWorker::Probe { iterations, ns }, None);
        }
        Err(e) => post(
            &FromWorker::Failed {
                job: 0,
                message: e.0,
            },
            None,
        ),
    }
}
