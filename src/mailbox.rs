//! A job's fast path where the page is cross-origin isolated: one mailbox
//! per worker in a `SharedArrayBuffer`, used by both sides (`crate::pool`
//! posts, `crate::worker` serves).
//!
//! A job by `postMessage` pays the message's serialization on both sides and
//! a task on each thread's event loop, and the worker's thread, asleep by the
//! time the next job comes, must be woken through its event loop. Measured
//! on the 2-core machine (hand-written JavaScript, same page): a bare echo
//! took 26–45 µs a round trip, the same over shared memory with
//! `Atomics.notify` one way and `Atomics.waitAsync` back 12–23 µs. Ours, a
//! trivial job as a task sees it: 45–55 µs by messages, 20–30 µs here.
//!
//! So after a job of CPU work, a worker stays in its job loop for
//! [`LINGER_MS`], first checking the mailbox ([`SPIN_MS`]), then asleep in
//! `Atomics.wait`. A job the page sends meanwhile goes through the mailbox:
//! the page claims it (`LISTENING → CLAIMED`, a compare-and-swap, so it and
//! a worker leaving cannot both win), writes the request, marks it posted
//! and notifies; the worker runs it and writes the answer back, which the
//! page awaits with `Atomics.waitAsync`. Anything else (a job that waits, a
//! payload, the thread models' queue, a probe) still goes as a message. The
//! two sides count messages (the page those it posts, the worker those it
//! takes from its queue): while one is on its way the worker does not listen
//! and the page posts no job to the mailbox, so a message is never left
//! behind the wait nor overtaken by a later job
//! ([`Mailbox::message_coming`]). A worker leaves on its own after
//! [`LINGER_MS`] of quiet.
//!
//! Layout: eight `i32` words (the request's state, the answer's flag, the
//! request's length, the answer's length, the messages posted and those
//! taken, two unused), then [`CAP`] bytes of request and [`CAP`] bytes of
//! answer.

use js_sys::{Atomics, Int32Array, Promise, Reflect, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

/// Bytes each way; a longer request or answer goes as a message.
pub const CAP: u32 = 4096;
/// How long a worker listens after a job before it goes back to its event
/// loop, ms: long enough for the page to handle an answer and send the next
/// job even on a loaded machine (a job between frames of the page's own
/// work). No message waits on it (see [`Mailbox::message_coming`]).
pub const LINGER_MS: f64 = 20.0;
/// How long of that a worker checks the mailbox without sleeping, ms: a job
/// that comes this soon skips waking a sleeping thread (measured: 20–30 µs a
/// trivial job from the task's view with 0.1 ms, 25–55 µs with none).
pub const SPIN_MS: f64 = 0.1;

#[wasm_bindgen]
extern "C" {
    /// `promise.then(f)` with a plain function: the handler outlives the
    /// slot that armed it (see `crate::pool`), so it is not a `Closure`.
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then(this: &Thenable, f: &js_sys::Function) -> JsValue;
}

/// A mailbox's size in bytes.
pub const BYTES: u32 = HEADER + 2 * CAP;

const REQ: u32 = 0;
const REPLY: u32 = 1;
const REQ_LEN: u32 = 2;
const REPLY_LEN: u32 = 3;
/// Messages the page has posted to the worker since the mailbox opened.
const SENT: u32 = 4;
/// Of those, how many the worker has taken from its event loop's queue.
const HANDLED: u32 = 5;
const HEADER: u32 = 32;

/// The request word's states.
mod state {
    /// The worker is in its event loop: send a message.
    pub const IDLE: i32 = 0;
    /// The worker waits on the mailbox.
    pub const LISTENING: i32 = 1;
    /// The page is writing a request.
    pub const CLAIMED: i32 = 2;
    /// A request is there.
    pub const POSTED: i32 = 3;
    /// The worker is running the request.
    pub const TAKEN: i32 = 4;
}

/// One worker's mailbox. Cloning shares it.
#[derive(Clone)]
pub struct Mailbox {
    words: Int32Array,
    bytes: Uint8Array,
}

impl Mailbox {
    /// A new mailbox, if this page can have one: cross-origin isolated (for
    /// `SharedArrayBuffer`) and with `Atomics.waitAsync` (the page's thread
    /// may not block).
    pub fn new() -> Option<Self> {
        let global = js_sys::global();
        let isolated =
            Reflect::get(&global, &"crossOriginIsolated".into()).is_ok_and(|v| v.is_truthy());
        let atomics = Reflect::get(&global, &"Atomics".into()).ok()?;
        let wait_async = Reflect::get(&atomics, &"waitAsync".into()).ok()?;
        if !isolated || !wait_async.is_function() {
            return None;
        }
        let buffer = SharedArrayBuffer::new(BYTES);
        Some(Self::over(Int32Array::new(&buffer)))
    }

    /// The mailbox over `words` ([`BYTES`] long): the worker's side, from
    /// the page's message.
    pub fn over(words: Int32Array) -> Self {
        let bytes = Uint8Array::new(&words.buffer());
        Self { words, bytes }
    }

    /// The words, to send to the worker.
    pub fn words(&self) -> &Int32Array {
        &self.words
    }

    fn load(&self, at: u32) -> i32 {
        Atomics::load(&self.words, at).unwrap_or(state::IDLE)
    }

    fn store(&self, at: u32, v: i32) {
        let _ = Atomics::store(&self.words, at, v);
    }

    fn swap_if(&self, at: u32, from: i32, to: i32) -> bool {
        Atomics::compare_exchange(&self.words, at, from, to) == Ok(from)
    }

    fn write(&self, at: u32, len_word: u32, data: &[u8]) {
        self.bytes
            .subarray(at, at + data.len() as u32)
            .copy_from(data);
        self.store(len_word, data.len() as i32);
    }

    fn read(&self, at: u32, len_word: u32) -> Vec<u8> {
        let len = (self.load(len_word).max(0) as u32).min(CAP);
        self.bytes.subarray(at, at + len).to_vec()
    }

    // ---- the page's side

    /// Posts `request` if the worker listens; `false` if it does not, if a
    /// message is still on its way (the job must not overtake it), or if the
    /// request is too long: send a message instead. Post only after taking
    /// the last answer ([`Mailbox::take_answer`]): the worker writes the next
    /// answer over it.
    pub fn try_post(&self, request: &[u8]) -> bool {
        if request.len() > CAP as usize
            || self.load(SENT) != self.load(HANDLED)
            || !self.swap_if(REQ, state::LISTENING, state::CLAIMED)
        {
            return false;
        }
        self.write(HEADER, REQ_LEN, request);
        self.store(REQ, state::POSTED);
        let _ = Atomics::notify(&self.words, REQ);
        true
    }

    /// Says a message is coming, before it is posted: the worker does not
    /// listen while one waits in its queue, and a listening worker is sent
    /// back to its event loop at once.
    pub fn message_coming(&self) {
        let _ = Atomics::add(&self.words, SENT, 1);
        if self.swap_if(REQ, state::LISTENING, state::IDLE) {
            let _ = Atomics::notify(&self.words, REQ);
        }
    }

    /// Takes back a [`Mailbox::message_coming`] whose message could not be
    /// posted: a count the worker will never match would keep it from
    /// listening for the rest of its life.
    pub fn message_withdrawn(&self) {
        let _ = Atomics::sub(&self.words, SENT, 1);
    }

    /// Calls `f` once an answer is there (in a microtask, if one is already).
    pub fn when_answered(&self, f: &js_sys::Function) {
        let _ = self.answered().unchecked_ref::<Thenable>().then(f);
    }

    /// Resolves once an answer is there (at once if one is).
    fn answered(&self) -> Promise {
        Atomics::wait_async(&self.words, REPLY, 0)
            .ok()
            .filter(|r| Reflect::get(r, &"async".into()).is_ok_and(|a| a.is_truthy()))
            .and_then(|r| Reflect::get(&r, &"value".into()).ok())
            .and_then(|v| v.dyn_into::<Promise>().ok())
            .unwrap_or_else(|| Promise::resolve(&JsValue::UNDEFINED))
    }

    /// Takes the answer, if one is there.
    pub fn take_answer(&self) -> Option<Vec<u8>> {
        if !self.answer_waiting() {
            return None;
        }
        let answer = self.read(HEADER + CAP, REPLY_LEN);
        self.store(REPLY, 0);
        Some(answer)
    }

    /// Whether an answer waits to be taken.
    pub fn answer_waiting(&self) -> bool {
        self.load(REPLY) == 1
    }

    /// Whether a posted request waits for the worker to take it.
    pub fn request_untaken(&self) -> bool {
        self.load(REQ) == state::POSTED
    }

    /// Takes back a request the worker has not taken (a compare-and-swap,
    /// so the worker and the page cannot both have it), to send it as a
    /// message instead; `None` if the worker took it meanwhile. The worker,
    /// if it still listens, goes back to its event loop.
    pub fn reclaim(&self) -> Option<Vec<u8>> {
        if !self.swap_if(REQ, state::POSTED, state::IDLE) {
            return None;
        }
        let _ = Atomics::notify(&self.words, REQ);
        Some(self.read(HEADER, REQ_LEN))
    }

    /// The header words, for a diagnostic message.
    pub fn describe(&self) -> String {
        format!(
            "request {}, answer {}, messages sent {} / handled {}",
            self.load(REQ),
            self.load(REPLY),
            self.load(SENT),
            self.load(HANDLED)
        )
    }

    // ---- the worker's side

    /// Counts a message taken from the worker's queue (every message after
    /// the one that brought the mailbox).
    pub fn message_handled(&self) {
        let _ = Atomics::add(&self.words, HANDLED, 1);
    }

    /// Whether a message the page posted still waits in the worker's queue.
    fn message_waiting(&self) -> bool {
        self.load(SENT) != self.load(HANDLED)
    }

    /// Listens for requests for up to [`LINGER_MS`] of quiet, answering each
    /// with `serve(request)` (an answer longer than [`CAP`] goes to
    /// `too_long`, to be sent as a message). Returns when the worker should
    /// go back to its event loop.
    pub fn serve(
        &self,
        now_ms: impl Fn() -> f64,
        mut serve: impl FnMut(&[u8]) -> Vec<u8>,
        mut too_long: impl FnMut(Vec<u8>),
    ) {
        if !self.swap_if(REQ, state::IDLE, state::LISTENING) {
            return;
        }
        loop {
            let quiet_from = now_ms();
            loop {
                let s = self.load(REQ);
                // Taken by compare-and-swap: the page may have reclaimed a
                // job it found untaken for too long ([`Mailbox::reclaim`]).
                if s == state::POSTED {
                    if self.swap_if(REQ, state::POSTED, state::TAKEN) {
                        break;
                    }
                    continue;
                }
                if s == state::IDLE {
                    return;
                }
                // A message waits: back to the event loop, unless the page
                // claimed a job first (that job came first; serve it).
                if self.message_waiting() {
                    if self.swap_if(REQ, state::LISTENING, state::IDLE) {
                        return;
                    }
                    continue;
                }
                let t = now_ms();
                if s == state::LISTENING && t - quiet_from >= LINGER_MS {
                    if self.swap_if(REQ, state::LISTENING, state::IDLE) {
                        return;
                    }
                    continue;
                }
                if t - quiet_from < SPIN_MS {
                    continue;
                }
                // The page writes a claimed request at once: wait briefly.
                let left = if s == state::LISTENING {
                    LINGER_MS - (t - quiet_from)
                } else {
                    0.1
                };
                let _ = Atomics::wait_with_timeout(&self.words, REQ, s, left.max(0.01));
            }
            let request = self.read(HEADER, REQ_LEN);
            let answer = serve(&request);
            if answer.len() > CAP as usize {
                self.store(REQ, state::LISTENING);
                too_long(answer);
                continue;
            }
            self.write(HEADER + CAP, REPLY_LEN, &answer);
            // Listening again before the answer is seen: the page's next job
            // then finds the mailbox open.
            self.store(REQ, state::LISTENING);
            self.store(REPLY, 1);
            let _ = Atomics::notify(&self.words, REPLY);
        }
    }
}
