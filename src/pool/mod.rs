//! The page's handle to the worker pool (the other side of `postMessage` is
//! `crate::worker`): compile the worker's wasm once and hand the module to
//! every worker, start them in parallel, wait for their "ready", send jobs
//! only to idle workers, and survive a worker that dies.
//!
//! - [`early`]: the workers `static/pool_boot.js` started before the app,
//!   which the first pool adopts;
//! - [`module`]: the one compilation of the worker's wasm, started at page load;
//! - [`script`]: the worker's script, fetched once for the workers after the first pool's;
//! - [`lanes`]: the pool as the engine's [`engine::lanes::Lanes`] backend, so
//!   the real runs follow the very policy the predictions simulate.
//! - `watchdog`: the safety net under jobs sent through a worker's mailbox
//!   ([`crate::mailbox`]): none can be lost.
//!
//! Lanes are numbered from 0 here; in traces, worker lane `i` is lane `i + 1`
//! (lane 0 is the main thread).

pub mod early;
pub mod lanes;
pub mod module;
pub mod script;
mod watchdog;

pub use watchdog::rescues as mailbox_rescues;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use engine::time::Nanos;
use futures_channel::oneshot;
use js_sys::ArrayBuffer;
use protocol::{FromWorker, JobStep, ToWorker};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::clock::{epoch_ms_to_page_ns, ms_to_ns, now_ms};
use crate::mailbox::Mailbox;

/// A worker that fails to start this many times in a row is given up on
/// (a broken or missing wasm file would otherwise respawn forever).
const MAX_FAILED_STARTS: u32 = 3;

/// Why a job did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// The worker died (crashed or was terminated) while it held the job.
    WorkerDied(String),
    /// The worker answered that it could not run the job.
    Failed(String),
    /// No such lane, or the lane is not ready.
    Unavailable(String),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::WorkerDied(why) => write!(f, "the worker died: {why}"),
            JobError::Failed(why) => write!(f, "the worker could not run the job: {why}"),
            JobError::Unavailable(why) => write!(f, "{why}"),
        }
    }
}

/// A finished GIL quantum, every instant on the page's clock: the engine's
/// own type, as the lanes hand it on unchanged.
pub use engine::lanes::QuantumDone as QuantumReply;

/// A finished job, with every instant on the page's clock.
#[derive(Debug, Clone, PartialEq)]
pub struct JobReply {
    /// The lane that ran it.
    pub lane: usize,
    /// Σ of the job's CPU results.
    pub checksum: u128,
    /// When the page posted the job.
    pub sent: Nanos,
    /// When the worker received it.
    pub received: Nanos,
    /// Each step's (start, end).
    pub steps: Vec<(Nanos, Nanos)>,
    /// Thread jobs: (task, step, state, start, end).
    pub spans: Vec<(u32, u8, protocol::ThreadState, Nanos, Nanos)>,
    /// When the page received the answer.
    pub answered: Nanos,
    /// Whether the mailbox's safety net rescued the job (`pool/watchdog.rs`):
    /// its round trip then says nothing about dispatch.
    pub rescued: bool,
}

/// How a worker's start went, on the page's clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Startup {
    /// When the page created the worker.
    pub spawned: Nanos,
    /// When the worker said it was ready.
    pub ready: Nanos,
    /// Whether it can block with `Atomics.wait`.
    pub can_block: bool,
}

type Reply = Result<JobReply, JobError>;
type QReply = Result<QuantumReply, JobError>;

/// Who waits for a worker's answer.
enum Waiting {
    Job(oneshot::Sender<Reply>),
    Quantum(oneshot::Sender<QReply>),
}

impl Waiting {
    fn fail(self, e: JobError) {
        match self {
            Waiting::Job(tx) => {
                let _ = tx.send(Err(e));
            }
            Waiting::Quantum(tx) => {
                let _ = tx.send(Err(e));
            }
        }
    }
}

struct Slot {
    worker: Worker,
    spawned: Nanos,
    startup: Option<Startup>,
    /// The page asked this worker for its kernel probe ([`ToWorker::Probe`]).
    probe_asked: bool,
    /// The worker reported its warmed-up kernel probe.
    probed: bool,
    ready_waiters: Vec<oneshot::Sender<Result<Startup, String>>>,
    job: Option<(u64, Nanos, Waiting)>,
    /// Starts that failed in a row (reset by a "ready").
    failed_starts: u32,
    /// Bumped on every respawn, so events from a dead worker are ignored.
    generation: u32,
    /// The job fast path, where the page is isolated (see [`crate::mailbox`]),
    /// and the function that handles its answers.
    mailbox: Option<(Mailbox, js_sys::Function)>,
    /// The job out through the mailbox, if the current job went that way.
    watched: Option<watchdog::Watched>,
    /// The safety net rescued the current job.
    rescued: bool,
    /// When the safety net last read an answer whose wake-up had not come
    /// (ms, the page's clock): if that wake-up comes after all, it was late,
    /// not lost, and the page says how late.
    answer_rescued_at: Cell<Option<f64>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Slot {
    /// Posts `bytes` as a message, transferring `payload` if there is one,
    /// with the shared memory `mem` beside it. The mailbox, if any, is told
    /// first: a listening worker goes back to its event loop to take it.
    fn send(
        &self,
        bytes: &[u8],
        payload: Option<ArrayBuffer>,
        mem: Option<&js_sys::Int32Array>,
    ) -> Result<(), JsValue> {
        if let Some((mb, _)) = &self.mailbox {
            mb.message_coming();
        }
        let out = crate::wire::outgoing(bytes, payload, mem);
        let posted = match &out.transfer {
            Some(transfer) => self.worker.post_message_with_transfer(&out.data, transfer),
            None => self.worker.post_message(&out.data),
        };
        if posted.is_err() {
            if let Some((mb, _)) = &self.mailbox {
                mb.message_withdrawn();
            }
        }
        posted
    }

    /// Gives a ready worker a mailbox, where the page can have one.
    fn open_mailbox(&mut self, inner: &Rc<Inner>, lane: usize) {
        let Some(mb) = Mailbox::new() else {
            return;
        };
        if self
            .send(
                &protocol::encode(&ToWorker::Mailbox),
                None,
                Some(mb.words()),
            )
            .is_err()
        {
            return;
        }
        let weak = Rc::downgrade(inner);
        let generation = self.generation;
        let on_answer = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
            let answered = ms_to_ns(now_ms());
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let (answer, rescued_at) = {
                let slots = inner.slots.borrow();
                match slots.get(lane) {
                    Some(s) if s.generation == generation => {
                        let answer = s.mailbox.as_ref().and_then(|(mb, _)| mb.take_answer());
                        let rescued_at = if answer.is_none() {
                            s.answer_rescued_at.take()
                        } else {
                            None
                        };
                        (answer, rescued_at)
                    }
                    _ => (None, None),
                }
            };
            if let Some(bytes) = answer {
                on_answer(&inner, lane, generation, answered, &bytes);
            } else if let Some(at) = rescued_at {
                watchdog::late_wake_up(lane, now_ms() - at);
            }
        });
        // Kept for the page's life: an answer's promise may still settle after
        // this worker is replaced (the handler then finds a newer generation),
        // and a dropped closure would throw. One per worker started.
        let f: js_sys::Function = on_answer.into_js_value().unchecked_into();
        self.mailbox = Some((mb, f));
    }
}

struct Inner {
    slots: RefCell<Vec<Slot>>,
    next_job: Cell<u64>,
    replaced: Cell<u32>,
    /// Kernel probes the workers reported: (iterations, ns).
    probes: RefCell<Vec<(u64, f64)>>,
    /// The mailbox jobs' safety net.
    watchdog: watchdog::Watchdog,
}

/// A pool of Web Workers. Cloning shares it.
#[derive(Clone)]
pub struct Pool {
    inner: Rc<Inner>,
}

thread_local! {
    /// The page's pool, for the fault drill below.
    static CURRENT: RefCell<Option<Pool>> = const { RefCell::new(None) };
}

/// Makes `pool` the page's current pool (the one the fault drill reaches).
pub fn set_current(pool: Option<Pool>) {
    CURRENT.with(|c| *c.borrow_mut() = pool);
}

/// The fault drill, for tests and curious users (`wasmBindings.crash_worker(0)`
/// in the console, exported by the app binary): worker `lane` panics; its job
/// fails and it is replaced.
pub fn crash_worker(lane: usize) {
    CURRENT.with(|c| {
        if let Some(p) = c.borrow().as_ref() {
            p.crash(lane);
        }
    });
}

/// The fault drill's other half: terminate worker `lane` now, mid-job or not.
pub fn kill_worker(lane: usize) {
    CURRENT.with(|c| {
        if let Some(p) = c.borrow().as_ref() {
            p.terminate(lane, "the worker was killed (fault drill)");
        }
    });
}

/// Workers replaced after dying since the page's pool started.
pub fn workers_replaced() -> u32 {
    CURRENT.with(|c| c.borrow().as_ref().map_or(0, |p| p.replaced()))
}

thread_local! {
    /// Jobs sent through a mailbox rather than as messages, by any pool.
    static MAILBOX_JOBS: Cell<u64> = const { Cell::new(0) };
}

/// Jobs the page's pools have sent through a worker's mailbox (the fast path
/// on isolated pages) rather than as messages.
pub fn mailbox_jobs() -> u64 {
    MAILBOX_JOBS.with(Cell::get)
}

/// `navigator.hardwareConcurrency`, at least 1.
pub fn hardware_concurrency() -> usize {
    web_sys::window()
        .map_or(1, |w| w.navigator().hardware_concurrency() as usize)
        .max(1)
}

impl Pool {
    /// Spawns `n` workers (at least 1). Wait for [`Pool::ready`] before sending jobs.
    pub fn new(n: usize) -> Result<Self, String> {
        let pool = Self {
            inner: Rc::new(Inner {
                slots: RefCell::new(Vec::new()),
                next_job: Cell::new(1),
                replaced: Cell::new(0),
                probes: RefCell::new(Vec::new()),
                watchdog: watchdog::Watchdog::default(),
            }),
        };
        for lane in 0..n.max(1) {
            let slot = spawn_slot(Rc::downgrade(&pool.inner), lane, 0, 0)?;
            pool.inner.slots.borrow_mut().push(slot);
        }
        early::release_rest();
        // Later workers (replacements, another pool) start without a request.
        script::prefetch();
        Ok(pool)
    }

    /// Takes the kernel probes workers have reported since the last call:
    /// (iterations, ns) each.
    pub fn take_probes(&self) -> Vec<(u64, f64)> {
        self.inner.probes.take()
    }

    /// Workers in the pool.
    pub fn size(&self) -> usize {
        self.inner.slots.borrow().len()
    }

    /// Workers replaced after dying, since the pool started.
    pub fn replaced(&self) -> u32 {
        self.inner.replaced.get()
    }

    /// Waits until every worker is ready; returns each one's start-up.
    pub async fn ready(&self) -> Result<Vec<Startup>, String> {
        let n = self.size();
        let mut out = Vec::with_capacity(n);
        for lane in 0..n {
            out.push(self.lane_ready(lane).await?);
        }
        Ok(out)
    }

    /// Asks every worker for its kernel probe (once each, as soon as it is
    /// ready, a replacement included), then waits until all have reported,
    /// at most `at_most_ms`. A worker answers its messages in order, so a
    /// job posted after the ask waits for the probe: a run that waits here
    /// loses no time, and its prediction can use the workers' own CPU cost
    /// rather than a typical one. Workers are asked only while someone
    /// waits here, never in the middle of a run (a worker replaced during a
    /// run probes before the next run's clock starts). Stops waiting when
    /// `give_up()` (Cancel pressed).
    pub async fn probed(&self, at_most_ms: f64, give_up: impl Fn() -> bool) {
        crate::runtime::wait_until(at_most_ms, give_up, || {
            let all_probed = {
                let mut slots = self.inner.slots.borrow_mut();
                slots.iter_mut().for_each(ask_probe);
                slots.iter().all(|s| s.probed)
            };
            all_probed || self.gave_up().is_some()
        })
        .await;
    }

    /// Waits until every worker asked for its probe has reported it, asking
    /// none, at most `at_most_ms` or until `give_up()`: a run on the main
    /// thread starts on a machine whose workers are quiet.
    pub async fn probes_answered(&self, at_most_ms: f64, give_up: impl Fn() -> bool) {
        crate::runtime::wait_until(at_most_ms, give_up, || {
            self.gave_up().is_some()
                || !self
                    .inner
                    .slots
                    .borrow()
                    .iter()
                    .any(|s| s.probe_asked && !s.probed)
        })
        .await;
    }

    /// Waits until no worker holds a job (a start-up probe's last job, a
    /// few ms), at most `at_most_ms` or until `give_up()`.
    pub async fn settled(&self, at_most_ms: f64, give_up: impl Fn() -> bool) {
        crate::runtime::wait_until(at_most_ms, give_up, || {
            self.inner.slots.borrow().iter().all(|s| s.job.is_none())
        })
        .await;
    }

    /// Waits until worker `lane` is ready.
    pub async fn lane_ready(&self, lane: usize) -> Result<Startup, String> {
        let rx = {
            let mut slots = self.inner.slots.borrow_mut();
            let slot = slots
                .get_mut(lane)
                .ok_or_else(|| format!("no worker {lane}"))?;
            if let Some(s) = slot.startup {
                return Ok(s);
            }
            let (tx, rx) = oneshot::channel();
            slot.ready_waiters.push(tx);
            rx
        };
        rx.await
            .unwrap_or_else(|_| Err(format!("worker {lane} went away while starting")))
    }

    /// Whether worker `lane` is ready and holds no job.
    pub fn is_idle(&self, lane: usize) -> bool {
        self.inner
            .slots
            .borrow()
            .get(lane)
            .is_some_and(|s| s.startup.is_some() && s.job.is_none())
    }

    /// Runs `steps` on worker `lane`, sending `payload_bytes` with the job and
    /// asking for as many back. The lane must be idle: the caller allocates lanes
    /// (a semaphore), which is how "one task per worker at a time" is kept.
    pub async fn run(&self, lane: usize, steps: Vec<JobStep>, payload_bytes: u32) -> Reply {
        self.run_job(lane, steps, payload_bytes).await
    }

    /// Makes worker `lane` a thread working through the shared queue `tasks`,
    /// with `shared` (an `Int32Array` over a `SharedArrayBuffer`) beside the message.
    pub async fn run_threads(
        &self,
        lane: usize,
        tasks: Vec<Vec<JobStep>>,
        mode: protocol::ThreadMode,
        shared: &js_sys::Int32Array,
    ) -> Reply {
        let (tx, rx) = oneshot::channel();
        let job = self.next_job();
        self.post(
            lane,
            job,
            ToWorker::Threads { job, tasks, mode },
            0,
            Some(shared.clone()),
            Waiting::Job(tx),
        )?;
        rx.await
            .unwrap_or_else(|_| Err(JobError::WorkerDied("the pool was shut down".into())))
    }

    /// One GIL quantum on worker `lane` (the GIL by messages): Σ i² for
    /// `from..to`, stopping once `budget_ns` has passed. The answer gives the
    /// GIL back.
    pub async fn quantum(&self, lane: usize, from: u64, to: u64, budget_ns: u64) -> QReply {
        let (tx, rx) = oneshot::channel();
        let job = self.next_job();
        self.post(
            lane,
            job,
            ToWorker::Quantum {
                job,
                from,
                to,
                budget_ns,
            },
            0,
            None,
            Waiting::Quantum(tx),
        )?;
        rx.await
            .unwrap_or_else(|_| Err(JobError::WorkerDied("the pool was shut down".into())))
    }

    async fn run_job(&self, lane: usize, steps: Vec<JobStep>, payload_bytes: u32) -> Reply {
        let (tx, rx) = oneshot::channel();
        let job = self.next_job();
        self.post(
            lane,
            job,
            ToWorker::Job {
                job,
                steps,
                reply_payload_bytes: payload_bytes,
            },
            payload_bytes,
            None,
            Waiting::Job(tx),
        )?;
        rx.await
            .unwrap_or_else(|_| Err(JobError::WorkerDied("the pool was shut down".into())))
    }

    fn next_job(&self) -> u64 {
        let job = self.inner.next_job.get();
        self.inner.next_job.set(job + 1);
        job
    }

    /// Posts `msg` (with `payload_bytes` of payload, transferred, and the
    /// shared memory `mem` if any) to idle worker `lane`, which then holds `waiting`.
    fn post(
        &self,
        lane: usize,
        job: u64,
        msg: ToWorker,
        payload_bytes: u32,
        mem: Option<js_sys::Int32Array>,
        waiting: Waiting,
    ) -> Result<(), JobError> {
        let mut slots = self.inner.slots.borrow_mut();
        let slot = slots
            .get_mut(lane)
            .ok_or_else(|| JobError::Unavailable(format!("no worker {lane}")))?;
        if slot.startup.is_none() {
            return Err(JobError::Unavailable(format!("worker {lane} is not ready")));
        }
        if slot.job.is_some() {
            return Err(JobError::Unavailable(format!("worker {lane} is busy")));
        }
        let bytes = protocol::encode(&msg);
        let sent = ms_to_ns(now_ms());
        // A job of CPU work with nothing beside it goes through the mailbox
        // if the worker listens there; anything else as a message.
        let quick = payload_bytes == 0
            && mem.is_none()
            && matches!(&msg, ToWorker::Job { steps, .. }
                if !steps.iter().any(|s| matches!(s, JobStep::Io { .. })));
        match &slot.mailbox {
            Some((mb, on_answer)) if quick && mb.try_post(&bytes) => {
                mb.when_answered(on_answer);
                MAILBOX_JOBS.with(|n| n.set(n.get() + 1));
                slot.watched = Some(watchdog::Watched::new(job));
                watchdog::arm(&self.inner);
            }
            _ => {
                let payload = (payload_bytes > 0).then(|| ArrayBuffer::new(payload_bytes));
                slot.send(&bytes, payload, mem.as_ref()).map_err(|e| {
                    JobError::Unavailable(format!("could not post to worker {lane}: {e:?}"))
                })?;
            }
        }
        slot.job = Some((job, sent, waiting));
        slot.rescued = false;
        Ok(())
    }

    /// Asks worker `lane` to crash (the fault drill): it dies, its job fails,
    /// and the pool replaces it.
    pub fn crash(&self, lane: usize) {
        if let Some(slot) = self.inner.slots.borrow().get(lane) {
            let _ = slot.send(&protocol::encode(&ToWorker::Crash), None, None);
        }
    }

    /// Whether any worker gave up starting (see [`MAX_FAILED_STARTS`]).
    pub fn gave_up(&self) -> Option<String> {
        self.inner.slots.borrow().iter().find(|s| s.failed_starts >= MAX_FAILED_STARTS).map(|_| {
            format!("a worker failed to start {MAX_FAILED_STARTS} times in a row: is worker_bg.wasm served (with Content-Type application/wasm)?")
        })
    }

    /// Terminates worker `lane` now (cancel, or a fault): its job fails with
    /// `why` and a fresh worker takes its place.
    pub fn terminate(&self, lane: usize, why: &str) {
        replace(&self.inner, lane, why);
    }

    /// Terminates every worker (page unload).
    pub fn shutdown(&self) {
        for slot in self.inner.slots.borrow_mut().drain(..) {
            slot.worker.terminate();
        }
    }
}

fn spawn_slot(
    inner: Weak<Inner>,
    lane: usize,
    generation: u32,
    failed_starts: u32,
) -> Result<Slot, String> {
    // A worker the page's boot script started (first pool only: a
    // replacement must be a fresh worker), or a new one.
    let early = if generation == 0 { early::take() } else { None };
    let (worker, spawned_ms) = match &early {
        Some(e) => (e.worker.clone(), e.spawned_ms),
        None => {
            // A worker that failed to start is replaced by one from the URL,
            // in case the `blob:` script is what failed (a strict CSP).
            let url = if failed_starts == 0 {
                script::url()
            } else {
                script::BOOT.to_string()
            };
            let worker = Worker::new(&url)
                .or_else(|_| Worker::new(script::BOOT))
                .map_err(|e| format!("could not start a worker: {e:?}"))?;
            // The module arrives when the one compilation finishes; the boot
            // script waits for it (messages to a worker queue until its
            // script has run).
            module::send_to(&worker);
            (worker, now_ms())
        }
    };
    let weak = inner.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if let Some(inner) = weak.upgrade() {
            on_message(&inner, lane, generation, ev);
        }
    });
    let weak = inner;
    let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
        ev.prevent_default();
        if let Some(inner) = weak.upgrade() {
            let current = inner.slots.borrow().get(lane).map(|s| s.generation);
            if current == Some(generation) {
                let why = ev.message();
                let why = if why.is_empty() {
                    "it failed to load or crashed".to_string()
                } else {
                    why
                };
                replace(&inner, lane, &why);
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    if let Some(e) = early {
        e.adopt();
    }
    Ok(Slot {
        worker,
        spawned: ms_to_ns(spawned_ms),
        startup: None,
        probe_asked: false,
        probed: false,
        ready_waiters: Vec::new(),
        job: None,
        failed_starts,
        generation,
        mailbox: None,
        watched: None,
        rescued: false,
        answer_rescued_at: Cell::new(None),
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// Posts [`ToWorker::Probe`] to a ready worker not yet asked.
fn ask_probe(slot: &mut Slot) {
    if slot.startup.is_none() || slot.probe_asked {
        return;
    }
    slot.probe_asked = true;
    let _ = slot.send(&protocol::encode(&ToWorker::Probe), None, None);
}

/// Terminates the worker in `lane`, fails its job, and spawns a replacement.
fn replace(inner: &Rc<Inner>, lane: usize, why: &str) {
    let (job, waiters, generation, failed_starts) = {
        let mut slots = inner.slots.borrow_mut();
        let Some(slot) = slots.get_mut(lane) else {
            return;
        };
        slot.worker.terminate();
        let failed = if slot.startup.is_none() {
            slot.failed_starts + 1
        } else {
            0
        };
        (
            slot.job.take(),
            std::mem::take(&mut slot.ready_waiters),
            slot.generation + 1,
            failed,
        )
    };
    inner.replaced.set(inner.replaced.get() + 1);
    if failed_starts >= MAX_FAILED_STARTS {
        // Give up on this lane: tell whoever waits, and keep the dead slot.
        if let Some(slot) = inner.slots.borrow_mut().get_mut(lane) {
            slot.failed_starts = failed_starts;
        }
        let msg = format!("worker {lane} failed to start {failed_starts} times in a row: {why}");
        for w in waiters {
            let _ = w.send(Err(msg.clone()));
        }
        if let Some((_, _, w)) = job {
            w.fail(JobError::WorkerDied(why.to_string()));
        }
        return;
    }
    match spawn_slot(Rc::downgrade(inner), lane, generation, failed_starts) {
        Ok(mut fresh) => {
            // Whoever waited for the old worker to start waits for the new one.
            fresh.ready_waiters = waiters;
            // Swap outside of any closure call: the old closures are dropped here.
            let old = std::mem::replace(&mut inner.slots.borrow_mut()[lane], fresh);
            drop(old);
        }
        Err(e) => {
            for w in waiters {
                let _ = w.send(Err(e.clone()));
            }
        }
    }
    if let Some((_, _, w)) = job {
        w.fail(JobError::WorkerDied(why.to_string()));
    }
}

/// A worker's instant (epoch ms, on its own clock) on the page's clock, kept
/// between the page posting the job (`sent`) and receiving the answer
/// (`answered`): whatever the worker did happened in between. Where the page
/// is not cross-origin isolated each clock steps by 0.1 ms with jitter, so the
/// two can disagree by a few tenths of a millisecond the other way (a quantum
/// seen ending 0.2 ms after the page received its answer).
fn causal(epoch_ms: f64, sent: Nanos, answered: Nanos) -> Nanos {
    epoch_ms_to_page_ns(epoch_ms).clamp(sent, answered.max(sent))
}

fn on_message(inner: &Rc<Inner>, lane: usize, generation: u32, ev: MessageEvent) {
    let answered = ms_to_ns(now_ms());
    if let Some(incoming) = crate::wire::incoming(ev.data()) {
        on_answer(inner, lane, generation, answered, &incoming.bytes);
    }
}

/// A worker's message or mailbox answer, `bytes`, received at `answered`.
fn on_answer(inner: &Rc<Inner>, lane: usize, generation: u32, answered: Nanos, bytes: &[u8]) {
    let msg = protocol::decode::<FromWorker>(bytes);
    let mut slots = inner.slots.borrow_mut();
    let Some(slot) = slots.get_mut(lane).filter(|s| s.generation == generation) else {
        return;
    };
    match msg {
        Ok(FromWorker::Ready {
            at_ms: _,
            can_block,
        }) => {
            let startup = Startup {
                spawned: slot.spawned,
                ready: answered,
                can_block,
            };
            slot.startup = Some(startup);
            slot.failed_starts = 0;
            slot.open_mailbox(inner, lane);
            for w in slot.ready_waiters.drain(..) {
                let _ = w.send(Ok(startup));
            }
        }
        Ok(FromWorker::Probe { iterations, ns }) => {
            slot.probed = true;
            drop(slots);
            inner.probes.borrow_mut().push((iterations, ns));
        }
        Ok(FromWorker::Done {
            job,
            checksum,
            received_ms,
            steps,
            spans,
            ..
        }) => match slot.job.take() {
            Some((id, sent, Waiting::Job(tx))) if id == job => {
                let at = |ms| causal(ms, sent, answered);
                let steps = steps
                    .iter()
                    .map(|s| (at(s.start_ms), at(s.end_ms)))
                    .collect();
                let spans = spans
                    .iter()
                    .map(|s| (s.task, s.step, s.state, at(s.start_ms), at(s.end_ms)))
                    .collect();
                let reply = JobReply {
                    lane,
                    checksum,
                    sent,
                    received: at(received_ms),
                    steps,
                    spans,
                    answered,
                    rescued: std::mem::take(&mut slot.rescued),
                };
                drop(slots);
                let _ = tx.send(Ok(reply));
            }
            other => slot.job = other,
        },
        Ok(FromWorker::Quantum {
            job,
            start_ms,
            end_ms,
            reached,
            sum,
            ..
        }) => match slot.job.take() {
            Some((id, sent, Waiting::Quantum(tx))) if id == job => {
                let reply = QuantumReply {
                    sent,
                    start: causal(start_ms, sent, answered),
                    end: causal(end_ms, sent, answered),
                    answered,
                    reached,
                    sum,
                };
                drop(slots);
                let _ = tx.send(Ok(reply));
            }
            other => slot.job = other,
        },
        Ok(FromWorker::Failed { message, .. }) => {
            if let Some((_, _, w)) = slot.job.take() {
                drop(slots);
                w.fail(JobError::Failed(message));
            }
        }
        Err(e) => {
            if let Some((_, _, w)) = slot.job.take() {
                drop(slots);
                w.fail(JobError::Failed(e.to_string()));
            }
        }
    }
}
