//! The worker-lane models' scheduling policy, written once.
//!
//! Pool, loop + pool, and threads (with the GIL by messages, or free) are tasks
//! on the page's event loop that hold a lane (a worker) and hand it work. The
//! browser runs these very functions with a backend that posts jobs to real
//! Web Workers; the simulator runs them with [`VirtualLanes`], which spends the
//! calibrated cost of each job on the virtual clock. So a prediction and the
//! run it predicts take the same decisions: which task gets which lane when,
//! who waits for the GIL, when it is handed over.
//!
//! Lanes are numbered from 0 here (`slot`); in traces, worker `slot` is lane
//! `slot + 1` (lane 0 is the main thread).

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use workload::{IncrMode, Workload};

use crate::cpu::SharedCpu;
use crate::executor::{yield_now, Handle, Permit, Semaphore};
use crate::runner::{steps, Action, Env, Recorder, Step};
use crate::time::Nanos;
use crate::trace::{EventKind, Resource, SpanState, MAIN_LANE, NO_LANE};

/// A job as a worker reports it, every instant on the page's clock.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JobDone {
    /// When the page posted the job.
    pub sent: Nanos,
    /// When the worker received it.
    pub received: Nanos,
    /// Each step's (start, end), in order.
    pub steps: Vec<(Nanos, Nanos)>,
    /// When the page received the answer.
    pub answered: Nanos,
    /// Σ of the job's CPU results.
    pub checksum: u128,
}

/// A GIL quantum as a worker reports it: Σ i² for `from <= i < reached`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QuantumDone {
    /// When the page granted the GIL (posted the quantum).
    pub sent: Nanos,
    /// When the worker began computing.
    pub start: Nanos,
    /// When it stopped (done, or the switch interval passed).
    pub end: Nanos,
    /// When the page heard the GIL was given back.
    pub answered: Nanos,
    /// How far it got (exclusive).
    pub reached: u64,
    /// Σ i² over what it computed.
    pub sum: u128,
}

/// Where lane work runs: real workers, or the virtual clock.
pub trait Lanes {
    /// Runs `steps` (no `incr`: the counter lives in the parent) on worker
    /// `slot`, carrying `payload_kib` there and back. The caller holds the
    /// slot: one job per worker at a time.
    fn job(
        &self,
        slot: usize,
        steps: &[Step],
        payload_kib: u32,
    ) -> impl Future<Output = Result<JobDone, String>>;

    /// Computes Σ i² for `from <= i < to` on worker `slot`, checking its own
    /// clock every few thousand iterations and stopping once `budget` has
    /// passed: one turn holding the GIL.
    fn quantum(
        &self,
        slot: usize,
        from: u64,
        to: u64,
        budget: Nanos,
    ) -> impl Future<Output = Result<QuantumDone, String>>;

    /// The page's turn-around before a quantum: from the moment the GIL
    /// could next be granted (the last quantum's answer arrived, or the
    /// thread came to want the lock, whichever is later) to this quantum's
    /// grant being posted. The simulation grants at that very instant, so
    /// only real lanes see a gap; they fold it into what they measure of the
    /// GIL's messages. Default: nothing.
    fn gil_turnaround(&self, _gap: Nanos) {}
}

/// How the thread models' lock behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GilMode {
    /// No lock: free threads.
    Free,
    /// CPython's rule with the lock in shared memory: the holder runs until a
    /// thread that has waited a whole switch interval asks it to drop the lock.
    DropRequest,
    /// The lock by messages: the holder computes one switch interval at a time
    /// and gives the lock back to the page, which grants it to the first waiter
    /// (or again to the holder if nobody waits).
    Quantum,
}

/// The GIL of a thread-model run: one FIFO slot plus CPython's drop request.
pub struct Gil {
    lock: Semaphore,
    mode: GilMode,
    switch: Nanos,
    /// Once set, the holder must drop the lock at this instant.
    drop_at: Cell<Option<Nanos>>,
    handoffs: Cell<u64>,
    /// What a contended acquisition costs on top of the wait (the woken
    /// thread's wake-up; 0 where the messages already account for it).
    handoff_cost: Nanos,
    /// When the last quantum's answer reached the page (GIL by messages).
    last_answered: Cell<Option<Nanos>>,
}

impl Gil {
    /// A GIL with switch interval `switch`.
    pub fn new(mode: GilMode, switch: Nanos) -> Self {
        Self {
            lock: Semaphore::new(1),
            mode,
            switch: switch.max(1),
            drop_at: Cell::new(None),
            handoffs: Cell::new(0),
            handoff_cost: 0,
            last_answered: Cell::new(None),
        }
    }

    /// Also charges `cost` to every contended acquisition (simulations).
    pub fn with_handoff_cost(mut self, cost: Nanos) -> Self {
        self.handoff_cost = cost;
        self
    }

    /// Hand-offs so far (the lock went to a thread that was waiting for it).
    pub fn handoffs(&self) -> u64 {
        self.handoffs.get()
    }
}

/// Everything the lane models' tasks share.
pub struct LaneCtx<E, L> {
    /// The page's side: clock, timers, blocking calls.
    pub env: E,
    /// Where the lanes' work runs.
    pub lanes: L,
    /// The executor's handle (for yields and waits on the page).
    pub handle: Handle,
    /// Where spans and events go.
    pub rec: Rc<Recorder>,
    /// The workload.
    pub workload: Workload,
    /// Seed for jitter.
    pub seed: u64,
    /// The concurrency limit, if any.
    pub limit: Option<Semaphore>,
    /// One slot per worker.
    pub slots: Semaphore,
    /// The GIL (thread models).
    pub gil: Option<Gil>,
    /// When the workers are ready (0 if warm).
    pub ready_at: Nanos,
    /// Whether threads wait inside their worker (`Atomics.wait` in shared
    /// memory) rather than on a page timer (the GIL by messages).
    pub waits_in_worker: bool,
}

impl<E: Env, L: Lanes> LaneCtx<E, L> {
    /// The time, for bookkeeping: the page does no work of its own in these
    /// tasks (a job's times come from its worker), so a coarse reading is as
    /// good as a precise one (see `Clock::coarse_now`) and, in the browser,
    /// far cheaper: precise ones, four a task, made loop + pool's page side
    /// cost three times the loop's per task (10,000 one-ms sleeps: 9-13 ms
    /// against 2.5-3.5 ms).
    fn now(&self) -> Nanos {
        self.env.coarse_now()
    }

    async fn acquire_limit(&self, task: u32) -> Option<Permit> {
        let sem = self.limit.as_ref()?;
        if sem.available() == 0 || sem.waiters() > 0 {
            self.rec.event(
                self.now(),
                task,
                NO_LANE,
                EventKind::Block,
                Resource::Semaphore,
                0,
            );
        }
        let p = sem.acquire().await;
        self.rec.event(
            self.now(),
            task,
            NO_LANE,
            EventKind::Acquire,
            Resource::Semaphore,
            0,
        );
        Some(p)
    }

    /// Waits for a free worker (the pool's queue) and for the pool to be up.
    async fn acquire_slot(&self, task: u32) -> Permit {
        if self.slots.available() == 0 || self.slots.waiters() > 0 {
            self.rec.event(
                self.now(),
                task,
                NO_LANE,
                EventKind::Block,
                Resource::Lane,
                0,
            );
        }
        let p = self.slots.acquire().await;
        if self.now() < self.ready_at {
            self.handle.sleep_until(self.ready_at).precise().await;
        }
        self.rec.event(
            self.now(),
            task,
            p.slot() as u16 + 1,
            EventKind::Acquire,
            Resource::Lane,
            0,
        );
        p
    }

    /// `incr` on the page: the counter lives in one place and workers share no memory.
    async fn incr(&self, task: u32, mode: IncrMode) {
        let value = self.rec.read_counter();
        match mode {
            IncrMode::Plain | IncrMode::Atomic => {}
            IncrMode::Await => yield_now().await,
            IncrMode::AwaitFor(d) => {
                let due = self.now().saturating_add(d);
                self.rec.event(
                    self.now(),
                    task,
                    NO_LANE,
                    EventKind::Wait,
                    Resource::None,
                    due,
                );
                self.env.sleep_until(due).await;
            }
        }
        let value = if mode == IncrMode::Atomic {
            self.rec.read_counter()
        } else {
            value
        };
        self.rec.write_counter(value + 1);
        self.rec.event(
            self.now(),
            task,
            MAIN_LANE,
            EventKind::Incr,
            Resource::None,
            value + 1,
        );
    }

    /// Runs `job` on worker `slot` for `task`, noting it as under way on
    /// `lane` until the reply (a cancelled run keeps it, cut at the cancel).
    async fn job(
        &self,
        task: u32,
        lane: u16,
        slot: usize,
        job: &[Step],
        payload_kib: u32,
    ) -> Result<JobDone, String> {
        self.rec.begin_under_way(task, lane, job, self.now());
        let r = self.lanes.job(slot, job, payload_kib).await;
        self.rec.end_under_way(task);
        r
    }

    /// Records a job's spans and events on its worker's lane, clamped into
    /// [sent, answered] (worker clocks are converted, and may be off by µs).
    fn record_job(&self, task: u32, lane: u16, steps: &[&Step], r: &JobDone) {
        let rec = &self.rec;
        let clamp = |t: Nanos| t.clamp(r.sent, r.answered.max(r.sent));
        let Some(first) = steps.first() else { return };
        let mut cursor = clamp(r.received);
        rec.span(task, lane, first, SpanState::Transfer, r.sent, cursor);
        rec.event(cursor, task, lane, EventKind::Start, Resource::None, 0);
        for (i, (step, &(s, e))) in steps.iter().zip(&r.steps).enumerate() {
            let (s, e) = (clamp(s).max(cursor), clamp(e).max(cursor));
            let state = if matches!(step.action, Action::Io(_)) {
                SpanState::Waiting
            } else {
                SpanState::Running
            };
            rec.span(task, lane, step, state, s, e);
            if state == SpanState::Waiting {
                rec.event(s, task, lane, EventKind::Wait, Resource::None, e);
                if i + 1 < steps.len() {
                    rec.event(e, task, lane, EventKind::Start, Resource::None, 0);
                }
            }
            cursor = e;
        }
        let last = steps.last().unwrap_or(first);
        rec.span(
            task,
            lane,
            last,
            SpanState::Transfer,
            cursor,
            clamp(r.answered),
        );
    }
}

fn payload_of(steps: &[&Step]) -> u32 {
    steps.iter().map(|s| s.payload_kib).max().unwrap_or(0)
}

/// `pool`: the whole task is one job on one worker (a process runs the task).
pub async fn pool_task<E: Env, L: Lanes>(
    ctx: Rc<LaneCtx<E, L>>,
    group: usize,
    index: u64,
    ready_at: Nanos,
) {
    let task = index as u32;
    let g = &ctx.workload.groups[group];
    let all = steps(&g.phases, &g.opts, ctx.seed, index);
    let Some(first) = all.first() else { return };
    let _limit = ctx.acquire_limit(task).await;
    let permit = ctx.acquire_slot(task).await;
    let lane = permit.slot() as u16 + 1;
    // The counter lives in the parent: processes share no memory.
    for s in &all {
        if let Action::Incr(mode) = s.action {
            ctx.incr(task, mode).await;
        }
    }
    let remote: Vec<&Step> = all
        .iter()
        .filter(|s| !matches!(s.action, Action::Incr(_)))
        .collect();
    // A job's dispatch is timed precisely: the round trip from it to the
    // reply is a figure of its own (P4, and the dispatch cost learnt from
    // runs), and one reading a job costs nothing beside a message.
    let sent = ctx.env.now();
    ctx.rec
        .span(task, NO_LANE, first, SpanState::Queued, ready_at, sent);
    if !remote.is_empty() {
        ctx.rec
            .event(sent, task, lane, EventKind::Dispatch, Resource::None, 0);
        let job: Vec<Step> = remote.iter().map(|s| **s).collect();
        match ctx
            .job(
                task,
                lane,
                permit.slot() as usize,
                &job,
                payload_of(&remote),
            )
            .await
        {
            Ok(r) => {
                ctx.rec.add_checksum(r.checksum);
                ctx.record_job(task, lane, &remote, &r);
            }
            Err(e) => ctx.rec.fail(task, e),
        }
    }
    ctx.rec
        .event(ctx.now(), task, NO_LANE, EventKind::Done, Resource::None, 0);
    drop(permit);
}

/// `hybrid`: the loop waits, each CPU phase is a job for a free worker
/// (`await loop.run_in_executor(pool, f)`), a blocking call stalls the loop.
pub async fn hybrid_task<E: Env, L: Lanes>(
    ctx: Rc<LaneCtx<E, L>>,
    group: usize,
    index: u64,
    ready_at: Nanos,
) {
    let task = index as u32;
    let g = &ctx.workload.groups[group];
    let all = steps(&g.phases, &g.opts, ctx.seed, index);
    let Some(first) = all.first() else { return };
    let _limit = ctx.acquire_limit(task).await;
    ctx.rec
        .span(task, NO_LANE, first, SpanState::Queued, ready_at, ctx.now());
    for step in &all {
        match step.action {
            Action::Io(d) => {
                let t0 = ctx.now();
                let due = t0 + d;
                ctx.rec
                    .event(t0, task, NO_LANE, EventKind::Wait, Resource::None, due);
                ctx.env.sleep_until(due).await;
                let t1 = ctx.now();
                ctx.rec
                    .span(task, NO_LANE, step, SpanState::Waiting, t0, due.min(t1));
                ctx.rec
                    .span(task, NO_LANE, step, SpanState::Queued, due.min(t1), t1);
            }
            Action::Cpu { .. } => {
                let t0 = ctx.now();
                let permit = ctx.acquire_slot(task).await;
                let lane = permit.slot() as u16 + 1;
                // Precise, as in `pool_task`.
                let sent = ctx.env.now();
                ctx.rec
                    .span(task, NO_LANE, step, SpanState::Queued, t0, sent);
                ctx.rec
                    .event(sent, task, lane, EventKind::Dispatch, Resource::None, 0);
                match ctx
                    .job(
                        task,
                        lane,
                        permit.slot() as usize,
                        std::slice::from_ref(step),
                        step.payload_kib,
                    )
                    .await
                {
                    Ok(r) => {
                        ctx.rec.add_checksum(r.checksum);
                        ctx.record_job(task, lane, &[step], &r);
                        ctx.rec
                            .event(ctx.now(), task, NO_LANE, EventKind::Wake, Resource::None, 0);
                    }
                    Err(e) => {
                        ctx.rec.fail(task, e);
                        break;
                    }
                }
            }
            Action::Block(d) => {
                // A blocking call on the loop's thread stalls the loop itself.
                let t0 = ctx.now();
                ctx.env.block(d);
                ctx.rec
                    .span(task, MAIN_LANE, step, SpanState::Running, t0, ctx.now());
            }
            Action::Incr(mode) => ctx.incr(task, mode).await,
        }
    }
    ctx.rec
        .event(ctx.now(), task, NO_LANE, EventKind::Done, Resource::None, 0);
}

impl<E: Env, L: Lanes> LaneCtx<E, L> {
    /// Takes the GIL for `task` on `lane`: a thread must hold it to run Python.
    async fn take_gil(&self, task: u32, lane: u16, step: &Step) -> Option<Permit> {
        let gil = self.gil.as_ref().filter(|g| g.mode != GilMode::Free)?;
        let t0 = self.now();
        let contended = gil.lock.available() == 0 || gil.lock.waiters() > 0;
        if contended {
            self.rec
                .event(t0, task, lane, EventKind::Block, Resource::Gil, 0);
            // CPython: a waiter that has waited a whole switch interval asks the
            // holder to drop the lock.
            // (The holder looks at least every switch interval, so it sees this in time.)
            if gil.mode == GilMode::DropRequest && gil.drop_at.get().is_none() {
                gil.drop_at.set(Some(t0 + gil.switch));
            }
        }
        let p = gil.lock.acquire().await;
        if contended && gil.handoff_cost > 0 {
            self.handle.sleep(gil.handoff_cost).precise().await;
        }
        let t1 = self.now();
        self.rec
            .span(task, lane, step, SpanState::GilBlocked, t0, t1);
        // The next drop request comes a switch interval after this thread got
        // the lock, if anyone is already waiting for it.
        gil.drop_at
            .set((gil.lock.waiters() > 0).then_some(t1 + gil.switch));
        self.rec
            .event(t1, task, lane, EventKind::Acquire, Resource::Gil, 0);
        if contended {
            self.rec
                .event(t1, task, lane, EventKind::Start, Resource::None, 0);
        }
        Some(p)
    }

    /// Gives the GIL back.
    fn drop_gil(&self, task: u32, lane: u16, permit: Option<Permit>) {
        let (Some(gil), Some(p)) = (self.gil.as_ref(), permit) else {
            return;
        };
        let handoff = gil.lock.waiters() > 0;
        if handoff {
            gil.handoffs.set(gil.handoffs.get() + 1);
            self.rec.gil_handover();
        }
        self.rec.event(
            self.now(),
            task,
            lane,
            EventKind::Release,
            Resource::Gil,
            u64::from(handoff),
        );
        gil.drop_at.set(None);
        drop(p);
    }
}

/// A thread (GIL by messages, free threads, or the simulated shared-memory
/// GIL): the task runs on one worker start to end, like a
/// `ThreadPoolExecutor` job. It needs the GIL to run Python, drops it while it
/// waits, and must win it back afterwards (the convoy effect).
pub async fn thread_task<E: Env, L: Lanes>(
    ctx: Rc<LaneCtx<E, L>>,
    group: usize,
    index: u64,
    ready_at: Nanos,
) {
    let task = index as u32;
    let g = &ctx.workload.groups[group];
    let all = steps(&g.phases, &g.opts, ctx.seed, index);
    let Some(first) = all.first() else { return };
    let _limit = ctx.acquire_limit(task).await;
    let slot = ctx.acquire_slot(task).await;
    let lane = slot.slot() as u16 + 1;
    ctx.rec
        .span(task, NO_LANE, first, SpanState::Queued, ready_at, ctx.now());
    ctx.rec
        .event(ctx.now(), task, lane, EventKind::Start, Resource::None, 0);
    let mut gil = ctx.take_gil(task, lane, first).await;
    for step in &all {
        match step.action {
            Action::Io(d) | Action::Block(d) => {
                // A wait (or time.sleep) drops the GIL; the thread keeps its lane.
                ctx.drop_gil(task, lane, gil.take());
                let t0 = ctx.now();
                let due = t0 + d;
                ctx.rec
                    .event(t0, task, lane, EventKind::Wait, Resource::None, due);
                if ctx.waits_in_worker {
                    ctx.handle.sleep_until(due).precise().await;
                } else {
                    ctx.env.sleep_until(due).await;
                }
                ctx.rec
                    .span(task, lane, step, SpanState::Waiting, t0, ctx.now());
                ctx.rec
                    .event(ctx.now(), task, lane, EventKind::Start, Resource::None, 0);
                gil = ctx.take_gil(task, lane, step).await;
            }
            Action::Cpu { n, .. } => {
                let mode = ctx.gil.as_ref().map_or(GilMode::Free, |g| g.mode);
                if mode == GilMode::Free {
                    // No lock: the thread computes the whole phase at once.
                    match ctx
                        .job(
                            task,
                            lane,
                            slot.slot() as usize,
                            std::slice::from_ref(step),
                            0,
                        )
                        .await
                    {
                        Ok(r) => {
                            if let Some(&(s, e)) = r.steps.first() {
                                ctx.rec.span(
                                    task,
                                    lane,
                                    step,
                                    SpanState::Running,
                                    s.max(r.sent),
                                    e.max(s),
                                );
                            }
                            ctx.rec.add_checksum(r.checksum);
                        }
                        Err(e) => {
                            ctx.rec.fail(task, e);
                            break;
                        }
                    }
                    continue;
                }
                let mut from = 0;
                // Whether this thread's last quantum ended with it keeping the lock.
                let mut kept = false;
                while from < n {
                    // From when could this quantum have been granted: the
                    // last answer if the thread held or awaited the lock
                    // since, else when it came to want it.
                    let mut wanted = ctx.now();
                    let last = || ctx.gil.as_ref().and_then(|g| g.last_answered.get());
                    if gil.is_none() {
                        gil = ctx.take_gil(task, lane, step).await;
                    }
                    if kept {
                        // Its own last answer: the lock never left it.
                        wanted = last().unwrap_or(wanted);
                    } else if let Some(a) = last() {
                        wanted = wanted.max(a);
                    }
                    let budget = ctx.gil_budget();
                    match ctx
                        .lanes
                        .quantum(slot.slot() as usize, from, n, budget)
                        .await
                    {
                        Ok(q) => {
                            ctx.lanes.gil_turnaround(q.sent.saturating_sub(wanted));
                            if let Some(g) = ctx.gil.as_ref() {
                                g.last_answered.set(Some(q.answered));
                            }
                            // The GIL's messages, drawn: the grant travelling to the
                            // thread, and the lock travelling back to the page.
                            ctx.rec.span(
                                task,
                                lane,
                                step,
                                SpanState::Transfer,
                                q.sent,
                                q.start.max(q.sent),
                            );
                            ctx.rec.span(
                                task,
                                lane,
                                step,
                                SpanState::Running,
                                q.start.max(q.sent),
                                q.end.max(q.start),
                            );
                            ctx.rec.span(
                                task,
                                lane,
                                step,
                                SpanState::Transfer,
                                q.end.max(q.start),
                                q.answered.max(q.end),
                            );
                            ctx.rec.add_checksum(q.sum);
                            from = q.reached.max(from + 1).min(n);
                        }
                        Err(e) => {
                            ctx.rec.fail(task, e);
                            ctx.drop_gil(task, lane, gil.take());
                            ctx.rec.event(
                                ctx.now(),
                                task,
                                NO_LANE,
                                EventKind::Done,
                                Resource::None,
                                0,
                            );
                            return;
                        }
                    }
                    kept = true;
                    if from < n && ctx.should_drop_gil() {
                        ctx.drop_gil(task, lane, gil.take());
                        kept = false;
                    }
                }
            }
            Action::Incr(mode) => ctx.incr(task, mode).await,
        }
    }
    ctx.drop_gil(task, lane, gil.take());
    ctx.rec
        .event(ctx.now(), task, NO_LANE, EventKind::Done, Resource::None, 0);
    drop(slot);
}

impl<E: Env, L: Lanes> LaneCtx<E, L> {
    /// How long the holder may compute before it next looks at the lock.
    fn gil_budget(&self) -> Nanos {
        let Some(gil) = self.gil.as_ref() else {
            return Nanos::MAX;
        };
        match (gil.mode, gil.drop_at.get()) {
            // Until the pending drop request, or a switch interval to look again.
            (GilMode::DropRequest, Some(at)) => at.saturating_sub(self.now()).max(1),
            _ => gil.switch,
        }
    }

    /// Whether the holder must give the lock up now.
    fn should_drop_gil(&self) -> bool {
        let Some(gil) = self.gil.as_ref() else {
            return false;
        };
        if gil.lock.waiters() == 0 {
            return false;
        }
        match gil.mode {
            GilMode::Free => false,
            GilMode::Quantum => true,
            GilMode::DropRequest => gil.drop_at.get().is_some_and(|at| self.now() >= at),
        }
    }
}

/// Spawns task `index` of `group` under `model`'s lane policy (loop + pool,
/// threads, or the pool): what a run's spawner calls for every task, on the
/// page and in the simulator alike.
pub fn spawn_lane_task<E: Env + 'static, L: Lanes + 'static>(
    h: &Handle,
    model: crate::model::Model,
    ctx: Rc<LaneCtx<E, L>>,
    group: usize,
    index: u64,
    at: Nanos,
) {
    use crate::model::Model;
    let tag = index as u32;
    match model {
        Model::Hybrid => h.spawn_tagged_detached(tag, hybrid_task(ctx, group, index, at)),
        Model::Gil | Model::Free => {
            h.spawn_tagged_detached(tag, thread_task(ctx, group, index, at))
        }
        _ => h.spawn_tagged_detached(tag, pool_task(ctx, group, index, at)),
    }
}

/// The virtual clock's lanes: each job spends its calibrated cost.
pub struct VirtualLanes {
    /// The executor's handle (its clock is virtual).
    pub handle: Handle,
    /// The cores the workers share.
    pub cpu: Rc<SharedCpu>,
    /// One Σi² iteration on a worker, ns.
    pub ns_per_iter: f64,
    /// Each worker's warm-up, by slot (the `jsworker` model's fresh workers).
    pub warmup: Option<Vec<crate::warmup::Warmup>>,
    /// Half of this each way per job (0 for threads fed from a shared queue).
    pub dispatch: Nanos,
    /// Payload per KiB, one way.
    pub ns_per_kib: f64,
    /// A GIL message one way (quantum grants and give-backs).
    pub gil_message: Nanos,
}

impl VirtualLanes {
    /// `n` iterations on the worker in `slot`, now.
    fn cost(&self, slot: usize, n: u64) -> Nanos {
        let warm = (n as f64 * self.ns_per_iter).round() as Nanos;
        let extra = self
            .warmup
            .as_ref()
            .and_then(|w| w.get(slot))
            .map_or(0, |w| w.extra(n, self.ns_per_iter));
        warm + extra
    }

    async fn sleep(&self, d: Nanos) {
        if d > 0 {
            self.handle.sleep(d).precise().await;
        }
    }
}

fn sum_range(start: u64, end: u64) -> u128 {
    workload::closed_form(end) - workload::closed_form(start)
}

impl Lanes for VirtualLanes {
    async fn job(&self, slot: usize, steps: &[Step], payload_kib: u32) -> Result<JobDone, String> {
        let sent = self.handle.now();
        let move_one_way =
            self.dispatch / 2 + (f64::from(payload_kib) * self.ns_per_kib).round() as Nanos;
        self.sleep(move_one_way).await;
        let received = self.handle.now();
        let mut timings = Vec::with_capacity(steps.len());
        let mut checksum = 0u128;
        for s in steps {
            let t0 = self.handle.now();
            match s.action {
                Action::Io(d) => self.sleep(d).await,
                Action::Cpu { n, .. } => {
                    self.cpu.compute(&self.handle, self.cost(slot, n)).await;
                    checksum += sum_range(0, n);
                }
                // A blocking call spins until its clock says so: it holds a
                // core and ends on time.
                Action::Block(d) => self.cpu.occupy(&self.handle, d).await,
                Action::Incr(_) => {}
            }
            timings.push((t0, self.handle.now()));
        }
        self.sleep(move_one_way).await;
        Ok(JobDone {
            sent,
            received,
            steps: timings,
            answered: self.handle.now(),
            checksum,
        })
    }

    async fn quantum(
        &self,
        slot: usize,
        from: u64,
        to: u64,
        budget: Nanos,
    ) -> Result<QuantumDone, String> {
        let sent = self.handle.now();
        self.sleep(self.gil_message).await;
        let start = self.handle.now();
        let left = to - from;
        let can = if self.ns_per_iter <= 0.0 {
            left
        } else {
            ((budget as f64 / self.ns_per_iter).floor() as u64).clamp(1, left)
        };
        self.cpu.compute(&self.handle, self.cost(slot, can)).await;
        let end = self.handle.now();
        self.sleep(self.gil_message).await;
        Ok(QuantumDone {
            sent,
            start,
            end,
            answered: self.handle.now(),
            reached: from + can,
            sum: sum_range(from, from + can),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::driver::VirtualDriver;
    use crate::executor::Executor;
    use crate::model::Model;
    use crate::runner::spawn_batched;
    use crate::sim::VirtualEnv;
    use crate::time::{VirtualClock, MS};
    use crate::trace::Trace;

    /// Virtual lanes whose page takes `lag` to post each quantum's grant,
    /// as a busy main thread does; it keeps the turn-arounds it is told of.
    struct Laggy {
        inner: VirtualLanes,
        lag: Nanos,
        seen: RefCell<Vec<Nanos>>,
    }

    impl Lanes for Laggy {
        async fn job(
            &self,
            slot: usize,
            steps: &[Step],
            payload_kib: u32,
        ) -> Result<JobDone, String> {
            self.inner.job(slot, steps, payload_kib).await
        }

        async fn quantum(
            &self,
            slot: usize,
            from: u64,
            to: u64,
            budget: Nanos,
        ) -> Result<QuantumDone, String> {
            self.inner.sleep(self.lag).await;
            self.inner.quantum(slot, from, to, budget).await
        }

        fn gil_turnaround(&self, gap: Nanos) {
            self.seen.borrow_mut().push(gap);
        }
    }

    /// Virtual lanes on `ex`: 2 cores, 1 ns an iteration, free dispatch.
    fn virtual_lanes(ex: &Executor, gil_message: Nanos) -> VirtualLanes {
        VirtualLanes {
            handle: ex.handle(),
            cpu: Rc::new(SharedCpu::new(2, 1.0)),
            ns_per_iter: 1.0,
            warmup: None,
            dispatch: 0,
            ns_per_kib: 0.0,
            gil_message,
        }
    }

    /// Runs `text` under `model` on 2 lanes made by `lanes`, on the virtual
    /// clock from 1 ms, until every task is done or waits for ever; returns
    /// the context (its recorder and lanes).
    fn run_on<L: Lanes + 'static>(
        text: &str,
        model: Model,
        lanes: impl FnOnce(&Executor) -> L,
    ) -> Rc<LaneCtx<VirtualEnv, L>> {
        let workload: Workload = text.parse().unwrap();
        let clock = Rc::new(VirtualClock::new());
        let ex = Rc::new(Executor::new(clock.clone()));
        let ctx = Rc::new(LaneCtx {
            env: VirtualEnv::new(clock.clone(), ex.handle(), 1.0),
            lanes: lanes(&ex),
            handle: ex.handle(),
            rec: Rc::new(Recorder::new()),
            workload: workload.clone(),
            seed: 1,
            limit: None,
            slots: Semaphore::new(2),
            gil: (model == Model::Gil).then(|| Gil::new(GilMode::Quantum, 5 * MS)),
            ready_at: 0,
            waits_in_worker: false,
        });
        let c = ctx.clone();
        spawn_batched(&ex.handle(), &workload, move |h, group, index, at| {
            spawn_lane_task(h, model, c.clone(), group, index, at)
        });
        clock.advance(MS);
        VirtualDriver::new(ex, clock, 0, 0).run();
        ctx
    }

    /// The turn-arounds `text` shows under the GIL by messages, 2 workers.
    fn turnarounds(text: &str, lag: Nanos) -> Vec<Nanos> {
        let ctx = run_on(text, Model::Gil, |ex| Laggy {
            inner: virtual_lanes(ex, 100_000),
            lag,
            seen: RefCell::new(Vec::new()),
        });
        let seen = ctx.lanes.seen.borrow().clone();
        seen
    }

    #[test]
    fn the_simulation_grants_with_no_turnaround() {
        let seen = turnarounds("2*cpu(20M)", 0);
        assert!(
            seen.len() >= 8,
            "two 20 ms threads take turns of 5 ms: {seen:?}"
        );
        assert!(seen.iter().all(|&g| g == 0), "{seen:?}");
    }

    #[test]
    fn a_page_that_posts_late_shows_its_lag_and_only_that() {
        // Every quantum's grant leaves `lag` after the lock was free to go:
        // the turn-around is the lag, whether the lock changed hands or
        // stayed. Time spent waiting on I/O, wanting no lock, is not in it.
        let lag = 300_000;
        let seen = turnarounds("2*[cpu(20M),io(7ms),cpu(6M)]", lag);
        assert!(seen.len() >= 10, "{seen:?}");
        assert!(seen.iter().all(|&g| g == lag), "{seen:?}");
    }

    /// Lanes whose workers never answer, as when a run is cancelled mid-job.
    struct Silent;

    impl Lanes for Silent {
        async fn job(
            &self,
            _slot: usize,
            _steps: &[Step],
            _payload_kib: u32,
        ) -> Result<JobDone, String> {
            std::future::pending().await
        }

        async fn quantum(
            &self,
            _slot: usize,
            _from: u64,
            _to: u64,
            _budget: Nanos,
        ) -> Result<QuantumDone, String> {
            std::future::pending().await
        }
    }

    #[test]
    fn jobs_under_way_are_kept_and_cut_where_the_run_is_cancelled() {
        let rec = run_on("4*block(10s)", Model::Pool, |_| Silent).rec.clone();
        // Two workers hold a job each; the other two tasks wait for a worker.
        let lanes: Vec<u16> = rec.with_under_way(|s| s.iter().map(|s| s.lane).collect());
        assert_eq!(lanes, vec![1, 2]);
        assert_eq!(rec.span_count(), 0, "nothing has ended yet");
        rec.cut_under_way(5 * MS);
        let mut trace = Trace::default();
        rec.finish_into(&mut trace);
        let running: Vec<(u16, Nanos, Nanos)> = trace
            .spans
            .iter()
            .filter(|s| s.state == SpanState::Running)
            .map(|s| (s.lane, s.start, s.end))
            .collect();
        assert_eq!(running, vec![(1, MS, 5 * MS), (2, MS, 5 * MS)]);
        assert!(rec.with_under_way(|s| s.is_empty()));
    }

    #[test]
    fn a_job_cut_by_a_cancel_is_laid_out_by_its_steps() {
        // Each job sleeps 3 ms, then computes: cut at 2 ms, it only slept;
        // cut at 6 ms, it slept 3 ms and computed the rest.
        for (cut, want) in [
            (2 * MS, vec![(SpanState::Waiting, MS, 2 * MS)]),
            (
                6 * MS,
                vec![
                    (SpanState::Waiting, MS, 4 * MS),
                    (SpanState::Running, 4 * MS, 6 * MS),
                ],
            ),
        ] {
            let rec = run_on("2*[io(3ms),cpu(1G)]", Model::Pool, |_| Silent)
                .rec
                .clone();
            rec.cut_under_way(cut);
            let mut trace = Trace::default();
            rec.finish_into(&mut trace);
            let lane1: Vec<(SpanState, Nanos, Nanos)> = trace
                .spans
                .iter()
                .filter(|s| s.lane == 1)
                .map(|s| (s.state, s.start, s.end))
                .collect();
            assert_eq!(lane1, want, "cut at {cut}");
        }
    }

    #[test]
    fn a_finished_run_leaves_nothing_under_way() {
        let rec = run_on("3*[io(1ms),cpu(1M)]", Model::Hybrid, |ex| {
            virtual_lanes(ex, 0)
        })
        .rec
        .clone();
        assert!(rec.span_count() > 0);
        assert!(rec.with_under_way(|s| s.is_empty()));
    }
}
