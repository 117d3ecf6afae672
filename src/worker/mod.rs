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
//! - after a job of CPU work, on isolated pages, the worker listens on its
//!   mailbox for the next one for a moment ([`crate::mailbox`]).
//!
//! The worker binary (`src/bin/worker.rs`) only calls [`start`]; the page
//! compiles the wasm module once and hands it to every worker (see
//! `static/worker_boot.js`).

pub mod jobs;
pub mod threads;

use std::cell::RefCell;

use js_sys::{ArrayBuffer, Reflect};
use protocol::{FromWorker, ToWorker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::clock::{epoch_ms, now_ms};
use crate::mailbox::Mailbox;

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
    post_bytes(&protocol::encode(msg), payload);
}

/// Posts a message already encoded.
fn post_bytes(bytes: &[u8], payload: Option<ArrayBuffer>) {
    let out = crate::wire::outgoing(bytes, payload, None);
    let result = match &out.transfer {
        Some(transfer) => scope().post_message_with_transfer(&out.data, transfer),
        None => scope().post_message(&out.data),
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
    let handler = Closure::<dyn FnMut(MessageEvent)>::new(handle);
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

thread_local! {
    /// This worker's mailbox, once the page has sent one (isolated pages only).
    static MAILBOX: RefCell<Option<Mailbox>> = const { RefCell::new(None) };
}

/// After a job, listens on the mailbox (if there is one) for the page's next
/// job for a moment, answering each there; then back to the event loop.
fn serve_mailbox() {
    let Some(mb) = MAILBOX.with(|m| m.borrow().clone()) else {
        return;
    };
    mb.serve(now_ms, serve_request, |answer| post_bytes(&answer, None));
}

/// A job from the mailbox, answered: only jobs that never wait come this way.
fn serve_request(request: &[u8]) -> Vec<u8> {
    let received_ms = epoch_ms();
    let answer = match protocol::decode::<ToWorker>(request) {
        Ok(ToWorker::Job { job, steps, .. }) => match jobs::run_now(&steps) {
            Some((checksum, timings)) => FromWorker::Done {
                job,
                checksum,
                received_ms,
                steps: timings,
                payload_in: 0,
                spans: Vec::new(),
            },
            None => FromWorker::Failed {
                job,
                message: "a job that waits came through the mailbox".into(),
            },
        },
        Ok(_) => FromWorker::Failed {
            job: 0,
            message: "only jobs come through the mailbox".into(),
        },
        Err(e) => FromWorker::Failed {
            job: 0,
            message: e.0,
        },
    };
    protocol::encode(&answer)
}

/// Handles one message from the page. Everything but a job that waits runs
/// here, in the message's own task: a job of CPU work answers without a trip
/// through a future executor's microtask.
fn handle(ev: MessageEvent) {
    let received_ms = epoch_ms();
    MAILBOX.with(|m| {
        if let Some(mb) = m.borrow().as_ref() {
            mb.message_handled();
        }
    });
    let Some(msg) = crate::wire::incoming(ev.data()) else {
        post(
            &FromWorker::Failed {
                job: 0,
                message: "a message of an unknown shape".into(),
            },
            None,
        );
        return;
    };
    let payload_in = msg.payload_bytes;
    match protocol::decode::<ToWorker>(&msg.bytes) {
        Ok(ToWorker::Threads { job, tasks, mode }) => {
            // Thread models: the shared memory rides with the message.
            let Some(mem) = msg.mem else {
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
            let answer = move |(checksum, timings)| {
                let reply =
                    (reply_payload_bytes > 0).then(|| ArrayBuffer::new(reply_payload_bytes));
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
            };
            match jobs::run_now(&steps) {
                Some(done) => {
                    answer(done);
                    serve_mailbox();
                }
                None => wasm_bindgen_futures::spawn_local(async move {
                    answer(jobs::run_steps(&steps).await);
                }),
            }
        }
        Ok(ToWorker::Mailbox) => {
            if let Some(words) = msg.mem {
                MAILBOX.with(|m| *m.borrow_mut() = Some(Mailbox::over(words)));
            }
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
