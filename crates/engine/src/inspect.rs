//! The inspector's core: a playhead on a recorded run and, at that instant, the
//! scheduler's state (which task runs on which lane, the ready queue in order,
//! the pending timers, who waits for what, who holds the GIL), rebuilt from the
//! trace's [`Event`]s: a recording, not a guess.
//!
//! The page calls this on every scrub and every arrow key, for runs of up to a
//! million tasks and a few million events, so a state is never rebuilt from the
//! first event. A [`Replay`] keeps *checkpoints*, the full state every
//! [`Replay::interval`] events, and a query clones the nearest earlier one and
//! replays at most `interval - 1` events past it ([`Replay::seek`] says how many
//! it replayed). Building the checkpoints goes in slices ([`ReplayBuilder::step`])
//! so the page never blocks on a long trace.
//!
//! Checkpoint memory is bounded whatever the run's size: with `E` events and a
//! state of `S` bytes (16 bytes per task, see [`STATE_BYTES_PER_TASK`], plus 4
//! per lane), the interval is `K = max(MIN_INTERVAL, ⌈E·S / CHECKPOINT_BUDGET⌉)`,
//! so the `⌊E/K⌋` checkpoints hold at most `E/K · S ≤ CHECKPOINT_BUDGET` bytes.
//! A 100,000-task loop run of one sleep each (700,000 events, 1.6 MB a state)
//! gets `K` ≈ 33,000: a query copies 1.6 MB and replays under 33,000 events,
//! about a millisecond natively. A million-task run at the event cap (4,000,000
//! events, 16 MB a state) gets two checkpoints and replays up to ≈ 1,900,000
//! events a query; a run with few tasks gets `K` = [`MIN_INTERVAL`].
//!
//! Events apply in time order (ties in recorded order), each to its own task;
//! events of a task outside `0..trace.tasks` (or [`NO_TASK`]) are ignored, and a
//! lane outside `0..trace.lanes` counts as no lane:
//!
//! - Spawn, Wake, Yield: ready, at the end of the ready queue (a task already
//!   ready keeps its place, so a repeated wake-up is harmless); it leaves its lane.
//! - Start, Dispatch: running on the event's lane. A lane holds one task: one
//!   recorded there before is displaced (a runner goes back to the ready queue).
//! - Wait: waiting, its timer due at `arg`. On a lane it keeps that lane (a
//!   thread or a worker asleep, or the main thread in a blocking `time.sleep`);
//!   on [`NO_LANE`] it leaves its lane (a loop task).
//! - Block: blocked on the event's resource, keeping or leaving a lane as Wait.
//! - Acquire: the GIL's holder becomes the task (its state does not change: a
//!   Start follows); any other resource makes a blocked, waiting or pending task
//!   ready (the loop also records a Wake for it, in either order: same result).
//! - Release: the GIL's holder, if it is this task, holds it no more; `arg` 1 is
//!   a hand-off.
//! - Incr: the counter becomes `arg`, one more increment.
//! - Done: done, off its lane, and no longer the GIL's holder.
//!
//! Traces without events (imported files, JavaScript and CPython runs) are
//! replayed from events rebuilt out of their spans ([`events_from_spans`]);
//! [`Coverage`] says so, and says when only part of a run was recorded.

use std::collections::BinaryHeap;
use std::fmt::{self, Write};
use std::rc::Rc;

use crate::time::{format_duration, Nanos};
use crate::trace::{Event, EventKind, Resource, SpanState, Trace, NO_LANE, NO_TASK};

/// What one task is doing at an instant. The names are a public contract: they
/// are the page's `data-task-state` attribute values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum TaskState {
    /// On a lane, executing.
    Running,
    /// In the ready queue: it could run but waits its turn.
    Ready,
    /// Waiting for I/O or a timer.
    Waiting,
    /// Waiting for a resource: the GIL, a semaphore slot, a worker (the pool's queue).
    Blocked,
    /// Finished (or failed).
    Done,
    /// Not started yet (or never mentioned by the recording).
    #[default]
    Pending,
}

impl TaskState {
    /// Every state, in the order the inspector lists them.
    pub const ALL: [TaskState; 6] = [
        TaskState::Running,
        TaskState::Ready,
        TaskState::Waiting,
        TaskState::Blocked,
        TaskState::Done,
        TaskState::Pending,
    ];

    /// The name used as the `data-task-state` attribute value and in [`State::to_text`].
    pub fn name(self) -> &'static str {
        match self {
            TaskState::Running => "running",
            TaskState::Ready => "ready",
            TaskState::Waiting => "waiting",
            TaskState::Blocked => "blocked",
            TaskState::Done => "done",
            TaskState::Pending => "pending",
        }
    }
}

/// Bytes of state per task: what a checkpoint costs per task of the run.
pub const STATE_BYTES_PER_TASK: usize = std::mem::size_of::<Slot>();

/// Most bytes all the checkpoints of one [`Replay`] may hold together.
pub const CHECKPOINT_BUDGET: usize = 32 << 20;

/// Fewest events between two checkpoints: below this, copying a checkpoint
/// costs more than replaying the events would.
pub const MIN_INTERVAL: usize = 4096;

/// Lists in [`State::to_text`] stop after this many entries (`… (+N more)`).
pub const TEXT_LIST_MAX: usize = 20;

/// One task's record in a [`State`]. 16 bytes: `key` is the ready queue's
/// sequence number (ready), the order it blocked in (blocked), its timer's due
/// time (waiting) or its completion order (done).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    key: u64,
    lane: u16,
    state: TaskState,
    res: Resource,
}

const PENDING: Slot = Slot {
    key: 0,
    lane: NO_LANE,
    state: TaskState::Pending,
    res: Resource::None,
};

/// What every state of one replay shares: which tasks have a slot, and the
/// run's shape. Also tells a [`Replay`] whether a [`State`] is one of its own.
#[derive(Debug, PartialEq, Eq)]
struct Ctx {
    /// Sparse runs only: the task index of each slot, sorted. `None`: slot `i`
    /// is task `i` (every run we record; the sparse form keeps hostile data with
    /// a task index of four billion from allocating four billion slots).
    ids: Option<Vec<u32>>,
    /// Slots in a state.
    slots: usize,
    /// `trace.tasks`: tasks at or past it are ignored, tasks without a slot are pending.
    tasks: u64,
    /// Lanes shown (the main thread at least).
    lanes: usize,
}

impl Ctx {
    fn valid(tasks: u64, task: u32) -> bool {
        task != NO_TASK && u64::from(task) < tasks
    }

    fn slot_of(&self, task: u32) -> Option<usize> {
        if !Ctx::valid(self.tasks, task) {
            return None;
        }
        match &self.ids {
            None => ((task as usize) < self.slots).then_some(task as usize),
            Some(ids) => ids.binary_search(&task).ok(),
        }
    }

    fn task_of(&self, slot: usize) -> u32 {
        match &self.ids {
            None => slot as u32,
            Some(ids) => ids.get(slot).copied().unwrap_or(NO_TASK),
        }
    }

    /// Bytes one state holds (what a checkpoint costs).
    fn state_bytes(&self) -> usize {
        let tasks = self.slots.saturating_mul(STATE_BYTES_PER_TASK);
        tasks
            .saturating_add(self.lanes.saturating_mul(4))
            .saturating_add(std::mem::size_of::<State>())
    }
}

/// One lane at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaneView {
    /// 0 is the main thread, 1..=N the workers.
    pub lane: u16,
    /// The task on it, if any (running, or holding the lane while it waits).
    pub task: Option<u32>,
    /// That task's state.
    pub state: Option<TaskState>,
}

/// One task at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskView {
    /// The task's index.
    pub task: u32,
    /// What it is doing.
    pub state: TaskState,
    /// The lane it occupies, if any.
    pub lane: Option<u16>,
    /// What it is blocked on (blocked tasks only).
    pub resource: Option<Resource>,
    /// When its timer is due (waiting tasks only).
    pub due: Option<Nanos>,
}

/// The scheduler's state after some number of events: what the inspector shows
/// at the playhead. Get one from [`Replay::state_at`] or move one with
/// [`Replay::seek`].
#[derive(Clone, PartialEq)]
pub struct State {
    ctx: Rc<Ctx>,
    at: Nanos,
    index: usize,
    slots: Vec<Slot>,
    /// The slot on each lane, or `NO_TASK`.
    lanes: Vec<u32>,
    /// Slots in each [`TaskState`] (pending: slots only, see [`State::count`]).
    counts: [u64; 6],
    /// Blocked slots per [`Resource`].
    blocked_on: [u64; 4],
    seq: u64,
    /// The GIL's holder: (slot, lane).
    gil: Option<(u32, u16)>,
    counter: u64,
    increments: u64,
    handoffs: u64,
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A million slots would drown any assertion message: the text form says it all.
        f.debug_struct("State")
            .field("index", &self.index)
            .field("text", &self.to_text())
            .finish()
    }
}

impl State {
    fn new(ctx: Rc<Ctx>) -> State {
        let mut s = State {
            ctx: ctx.clone(),
            at: 0,
            index: 0,
            slots: Vec::new(),
            lanes: Vec::new(),
            counts: [0; 6],
            blocked_on: [0; 4],
            seq: 0,
            gil: None,
            counter: 0,
            increments: 0,
            handoffs: 0,
        };
        s.reset(ctx);
        s
    }

    /// Back to "no event applied", reusing the allocations.
    fn reset(&mut self, ctx: Rc<Ctx>) {
        self.slots.clear();
        self.slots.resize(ctx.slots, PENDING);
        self.lanes.clear();
        self.lanes.resize(ctx.lanes, NO_TASK);
        self.counts = [0; 6];
        self.counts[TaskState::Pending as usize] = ctx.slots as u64;
        self.blocked_on = [0; 4];
        self.at = 0;
        self.index = 0;
        self.seq = 0;
        self.gil = None;
        self.counter = 0;
        self.increments = 0;
        self.handoffs = 0;
        self.ctx = ctx;
    }

    /// Becomes a copy of `cp`, reusing the allocations (a derived `clone_from`
    /// would allocate a fresh 16 MB on every scrub of a million-task run).
    fn restore(&mut self, cp: &State) {
        self.ctx = cp.ctx.clone();
        self.at = cp.at;
        self.index = cp.index;
        self.slots.clone_from(&cp.slots);
        self.lanes.clone_from(&cp.lanes);
        self.counts = cp.counts;
        self.blocked_on = cp.blocked_on;
        self.seq = cp.seq;
        self.gil = cp.gil;
        self.counter = cp.counter;
        self.increments = cp.increments;
        self.handoffs = cp.handoffs;
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn set(&mut self, s: usize, state: TaskState, key: u64, res: Resource) {
        let Some(slot) = self.slots.get_mut(s) else {
            return;
        };
        let (old, old_res) = (slot.state, slot.res);
        *slot = Slot {
            key,
            lane: slot.lane,
            state,
            res,
        };
        self.counts[old as usize] = self.counts[old as usize].saturating_sub(1);
        self.counts[state as usize] += 1;
        if old == TaskState::Blocked {
            self.blocked_on[old_res as usize] = self.blocked_on[old_res as usize].saturating_sub(1);
        }
        if state == TaskState::Blocked {
            self.blocked_on[res as usize] += 1;
        }
    }

    fn state_of(&self, s: usize) -> TaskState {
        self.slots.get(s).map_or(TaskState::Pending, |x| x.state)
    }

    fn leave_lane(&mut self, s: usize) {
        let Some(slot) = self.slots.get_mut(s) else {
            return;
        };
        let lane = std::mem::replace(&mut slot.lane, NO_LANE);
        if let Some(on) = self.lanes.get_mut(lane as usize) {
            if *on == s as u32 {
                *on = NO_TASK;
            }
        }
    }

    /// Puts slot `s` on `lane`; a lane we do not show (NO_LANE, or past the
    /// run's lanes in messy data) means no lane.
    fn take_lane(&mut self, s: usize, lane: u16) {
        let l = lane as usize;
        if l >= self.lanes.len() {
            self.leave_lane(s);
            return;
        }
        if self.lanes[l] == s as u32 && self.slots.get(s).is_some_and(|x| x.lane == lane) {
            return;
        }
        self.leave_lane(s);
        let other = self.lanes[l] as usize;
        if other != NO_TASK as usize && other != s {
            // Two tasks on one lane: imported data can say so, ours should not.
            // The newcomer wins; a displaced runner goes back to the ready queue.
            if let Some(o) = self.slots.get_mut(other) {
                o.lane = NO_LANE;
            }
            if self.state_of(other) == TaskState::Running {
                self.make_ready(other);
            }
        }
        self.lanes[l] = s as u32;
        if let Some(slot) = self.slots.get_mut(s) {
            slot.lane = lane;
        }
    }

    /// Ready, at the end of the queue; a task already ready keeps its place
    /// (a second wake-up does not requeue it, in the executor either).
    fn make_ready(&mut self, s: usize) {
        if self.state_of(s) != TaskState::Ready {
            let key = self.next_seq();
            self.set(s, TaskState::Ready, key, Resource::None);
        }
        self.leave_lane(s);
    }

    fn shown_lane(&self, lane: u16) -> u16 {
        if (lane as usize) < self.lanes.len() {
            lane
        } else {
            NO_LANE
        }
    }

    /// Applies one event (the semantics are in the module's documentation).
    fn apply(&mut self, e: &Event) {
        self.index += 1;
        self.at = e.at;
        let Some(s) = self.ctx.slot_of(e.task) else {
            return;
        };
        match e.kind {
            EventKind::Spawn | EventKind::Yield | EventKind::Wake => self.make_ready(s),
            EventKind::Start | EventKind::Dispatch => {
                self.set(s, TaskState::Running, 0, Resource::None);
                self.take_lane(s, e.lane);
            }
            EventKind::Wait => {
                self.set(s, TaskState::Waiting, e.arg, Resource::None);
                // A thread or a worker sleeps on its lane; a loop task (NO_LANE) leaves it.
                self.take_lane(s, e.lane);
            }
            EventKind::Block => {
                let same = self
                    .slots
                    .get(s)
                    .is_some_and(|x| x.state == TaskState::Blocked && x.res == e.res);
                let key = if same {
                    self.slots.get(s).map_or(0, |x| x.key)
                } else {
                    self.next_seq()
                };
                self.set(s, TaskState::Blocked, key, e.res);
                // A thread waiting for the GIL keeps its thread.
                self.take_lane(s, e.lane);
            }
            EventKind::Acquire => {
                if e.res == Resource::Gil {
                    // The state does not change: a blocked thread's Start follows.
                    self.gil = Some((s as u32, self.shown_lane(e.lane)));
                } else if matches!(
                    self.state_of(s),
                    TaskState::Blocked | TaskState::Pending | TaskState::Waiting
                ) {
                    // The loop also records a Wake for the same step: making it
                    // ready twice keeps its place, so the order does not matter.
                    self.make_ready(s);
                }
            }
            EventKind::Release => {
                if e.res == Resource::Gil {
                    if self.gil.is_some_and(|(holder, _)| holder as usize == s) {
                        self.gil = None;
                    }
                    if e.arg == 1 {
                        self.handoffs += 1;
                    }
                }
            }
            EventKind::Incr => {
                self.counter = e.arg;
                self.increments += 1;
            }
            EventKind::Done => {
                self.leave_lane(s);
                if self.gil.is_some_and(|(holder, _)| holder as usize == s) {
                    self.gil = None;
                }
                if self.state_of(s) != TaskState::Done {
                    let key = self.next_seq();
                    self.set(s, TaskState::Done, key, Resource::None);
                }
            }
        }
    }

    /// The instant this state shows: the query's time ([`Replay::seek_time`]),
    /// or the last applied event's ([`Replay::seek`]).
    pub fn time(&self) -> Nanos {
        self.at
    }

    /// Events applied: the state is the one after `events[..index]`.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Lanes shown: 1 (the main thread) + workers.
    pub fn lane_count(&self) -> u16 {
        self.lanes.len() as u16
    }

    /// Lane `lane`: the task on it and its state.
    pub fn lane(&self, lane: u16) -> LaneView {
        let slot = self.lanes.get(lane as usize).copied().unwrap_or(NO_TASK);
        if slot == NO_TASK {
            return LaneView {
                lane,
                task: None,
                state: None,
            };
        }
        let s = slot as usize;
        LaneView {
            lane,
            task: Some(self.ctx.task_of(s)),
            state: Some(self.state_of(s)),
        }
    }

    /// Every lane, main thread first.
    pub fn lanes(&self) -> impl Iterator<Item = LaneView> + '_ {
        (0..self.lane_count()).map(|l| self.lane(l))
    }

    /// Task `task` (out of range or never mentioned: pending, on no lane).
    pub fn task(&self, task: u32) -> TaskView {
        let slot = self
            .ctx
            .slot_of(task)
            .and_then(|s| self.slots.get(s))
            .copied()
            .unwrap_or(PENDING);
        TaskView {
            task,
            state: slot.state,
            lane: (slot.lane != NO_LANE).then_some(slot.lane),
            resource: (slot.state == TaskState::Blocked).then_some(slot.res),
            due: (slot.state == TaskState::Waiting).then_some(slot.key),
        }
    }

    /// Task `task`'s state (the `data-task-state` value).
    pub fn task_state(&self, task: u32) -> TaskState {
        self.task(task).state
    }

    /// Tasks in `state`. Pending counts every task of the run that has not
    /// started, including those the recording never mentions.
    pub fn count(&self, state: TaskState) -> u64 {
        if state == TaskState::Pending {
            let started: u64 = TaskState::ALL
                .iter()
                .filter(|s| **s != TaskState::Pending)
                .map(|s| self.counts[*s as usize])
                .sum();
            self.ctx.tasks.saturating_sub(started)
        } else {
            self.counts[state as usize]
        }
    }

    /// Tasks finished.
    pub fn done_count(&self) -> u64 {
        self.count(TaskState::Done)
    }

    /// Tasks not started yet.
    pub fn pending_count(&self) -> u64 {
        self.count(TaskState::Pending)
    }

    /// Tasks blocked on `res`.
    pub fn blocked_count(&self, res: Resource) -> u64 {
        self.blocked_on[res as usize]
    }

    /// The `limit` slots in `state` with the smallest (key, slot), in that
    /// order: one pass with a bounded heap, so the first 200 of a million
    /// waiting tasks cost a scan, not a sort.
    fn first(
        &self,
        state: TaskState,
        res: Option<Resource>,
        by_key: bool,
        limit: usize,
    ) -> Vec<(u64, usize)> {
        if limit == 0 || self.counts[state as usize] == 0 {
            return Vec::new();
        }
        let mut heap: BinaryHeap<(u64, usize)> = BinaryHeap::with_capacity(limit.min(1024) + 1);
        for (i, s) in self.slots.iter().enumerate() {
            if s.state != state || res.is_some_and(|r| r != s.res) {
                continue;
            }
            let item = (if by_key { s.key } else { 0 }, i);
            if heap.len() < limit {
                heap.push(item);
            } else if heap.peek().is_some_and(|top| item < *top) {
                heap.pop();
                heap.push(item);
            } else if !by_key {
                // Slot order: nothing later can beat what the heap holds.
                break;
            }
        }
        heap.into_sorted_vec()
    }

    fn tasks(&self, items: Vec<(u64, usize)>) -> Vec<u32> {
        items
            .into_iter()
            .map(|(_, s)| self.ctx.task_of(s))
            .collect()
    }

    /// The first `limit` tasks of the ready queue, in queue order.
    pub fn ready(&self, limit: usize) -> Vec<u32> {
        self.tasks(self.first(TaskState::Ready, None, true, limit))
    }

    /// The first `limit` pending timers, by due time (then task): (task, due).
    pub fn timers(&self, limit: usize) -> Vec<(u32, Nanos)> {
        // Slots follow task order, so (due, slot) order is (due, task) order.
        self.first(TaskState::Waiting, None, true, limit)
            .into_iter()
            .map(|(due, s)| (self.ctx.task_of(s), due))
            .collect()
    }

    /// The first `limit` tasks waiting on I/O or a timer, by task index.
    pub fn waiting(&self, limit: usize) -> Vec<u32> {
        self.tasks(self.first(TaskState::Waiting, None, false, limit))
    }

    /// The first `limit` tasks blocked on `res`, in the order they blocked
    /// (the queue's order: the GIL and semaphores are FIFO).
    pub fn blocked(&self, res: Resource, limit: usize) -> Vec<u32> {
        if self.blocked_count(res) == 0 {
            return Vec::new();
        }
        self.tasks(self.first(TaskState::Blocked, Some(res), true, limit))
    }

    /// The first `limit` tasks finished, in completion order.
    pub fn done(&self, limit: usize) -> Vec<u32> {
        self.tasks(self.first(TaskState::Done, None, true, limit))
    }

    /// The first `limit` tasks running on no lane we show (messy data only).
    pub fn running_off_lane(&self, limit: usize) -> Vec<u32> {
        let on_lanes = self
            .lanes()
            .filter(|l| l.state == Some(TaskState::Running))
            .count() as u64;
        if self.count(TaskState::Running) <= on_lanes {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, s) in self.slots.iter().enumerate() {
            if out.len() >= limit {
                break;
            }
            if s.state == TaskState::Running && s.lane == NO_LANE {
                out.push(self.ctx.task_of(i));
            }
        }
        out
    }

    /// Who holds the GIL: (task, lane; lane is `NO_LANE` if not shown).
    pub fn gil_holder(&self) -> Option<(u32, u16)> {
        self.gil
            .map(|(s, lane)| (self.ctx.task_of(s as usize), lane))
    }

    /// GIL hand-offs so far (the lock went to a thread that waited for it).
    pub fn gil_handoffs(&self) -> u64 {
        self.handoffs
    }

    /// The shared counter's value.
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// Increments attempted so far.
    pub fn increments(&self) -> u64 {
        self.increments
    }

    /// Increments lost to races so far.
    pub fn lost_updates(&self) -> u64 {
        self.increments.saturating_sub(self.counter)
    }

    /// A stable multi-line text form, for tests and debugging:
    ///
    /// ```text
    /// at 500000000
    /// lane main: -
    /// ready: -
    /// timers: t0@1000000000 t1@2000000000
    /// waiting: t0 t1
    /// blocked: -
    /// gil: - (handoffs 0)
    /// done: 0
    /// pending: 0
    /// counter: 0/0 lost 0
    /// ```
    ///
    /// A lane line reads `lane 1: t3 waiting`; blocked tasks are grouped by
    /// resource (`blocked: gil: t0; pool queue: t4 t5`); the GIL line names its
    /// holder (`gil: t1 on lane 2 (handoffs 3)`); the done line lists tasks in
    /// completion order after the count (`done: 2 t0 t1`). A `running (no lane)`
    /// line appears only for messy data. Lists stop after [`TEXT_LIST_MAX`]
    /// entries with `… (+N more)`.
    pub fn to_text(&self) -> String {
        let names = |v: Vec<u32>| v.into_iter().map(|t| format!("t{t}")).collect::<Vec<_>>();
        let mut out = format!("at {}\n", self.at);
        for l in self.lanes() {
            let name = if l.lane == 0 {
                "main".to_string()
            } else {
                l.lane.to_string()
            };
            match (l.task, l.state) {
                (Some(t), Some(s)) => {
                    let _ = writeln!(out, "lane {name}: t{t} {}", s.name());
                }
                _ => {
                    let _ = writeln!(out, "lane {name}: -");
                }
            }
        }
        let off = self.running_off_lane(TEXT_LIST_MAX + 1);
        if !off.is_empty() {
            let on_lanes = self
                .lanes()
                .filter(|l| l.state == Some(TaskState::Running))
                .count() as u64;
            out.push_str(&format!(
                "running (no lane): {}\n",
                list(names(off), self.count(TaskState::Running) - on_lanes)
            ));
        }
        let _ = writeln!(
            out,
            "ready: {}",
            list(
                names(self.ready(TEXT_LIST_MAX)),
                self.count(TaskState::Ready)
            )
        );
        let timers = self
            .timers(TEXT_LIST_MAX)
            .into_iter()
            .map(|(t, due)| format!("t{t}@{due}"))
            .collect();
        let _ = writeln!(
            out,
            "timers: {}",
            list(timers, self.count(TaskState::Waiting))
        );
        let _ = writeln!(
            out,
            "waiting: {}",
            list(
                names(self.waiting(TEXT_LIST_MAX)),
                self.count(TaskState::Waiting)
            )
        );
        let mut groups = Vec::new();
        for res in [
            Resource::Gil,
            Resource::Semaphore,
            Resource::Lane,
            Resource::None,
        ] {
            let n = self.blocked_count(res);
            if n > 0 {
                groups.push(format!(
                    "{}: {}",
                    res.name(),
                    list(names(self.blocked(res, TEXT_LIST_MAX)), n)
                ));
            }
        }
        let _ = writeln!(
            out,
            "blocked: {}",
            if groups.is_empty() {
                "-".to_string()
            } else {
                groups.join("; ")
            }
        );
        match self.gil_holder() {
            Some((t, lane)) if lane != NO_LANE => {
                let _ = writeln!(out, "gil: t{t} on lane {lane} (handoffs {})", self.handoffs);
            }
            Some((t, _)) => {
                let _ = writeln!(out, "gil: t{t} (handoffs {})", self.handoffs);
            }
            None => {
                let _ = writeln!(out, "gil: - (handoffs {})", self.handoffs);
            }
        }
        let done = self.done_count();
        if done == 0 {
            out.push_str("done: 0\n");
        } else {
            let _ = writeln!(
                out,
                "done: {done} {}",
                list(names(self.done(TEXT_LIST_MAX)), done)
            );
        }
        let _ = writeln!(out, "pending: {}", self.pending_count());
        let _ = writeln!(
            out,
            "counter: {}/{} lost {}",
            self.counter,
            self.increments,
            self.lost_updates()
        );
        out
    }
}

/// `a b c`, `-` when empty, `… (+N more)` when `total` is past what is listed.
fn list(items: Vec<String>, total: u64) -> String {
    if items.is_empty() {
        return "-".to_string();
    }
    let shown = items.len().min(TEXT_LIST_MAX);
    let mut s = items[..shown].join(" ");
    let more = total.saturating_sub(shown as u64);
    if more > 0 {
        let _ = write!(s, " … (+{more} more)");
    }
    s
}

/// How much of a run the replay knows, for the page to say so.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coverage {
    /// The events were rebuilt from the spans ([`events_from_spans`]): the
    /// trace recorded none. States are then approximate (no GIL holder, no
    /// counter, a pool's queue shows as ready).
    pub derived: bool,
    /// Only tasks below this index have events; later ones show as pending.
    /// `None` when every task was recorded.
    pub detail_tasks: Option<u32>,
    /// Events not kept past the trace's cap.
    pub events_dropped: u64,
    /// When events were dropped: the last recorded event's time. Later states
    /// are not known.
    pub recorded_until: Option<Nanos>,
    /// The events were not in time order and were sorted here.
    pub reordered: bool,
    /// Events ignored because their task is not one of the run's.
    pub ignored_events: u64,
}

impl Coverage {
    /// Whether the replay knows every task's state at every instant.
    pub fn is_complete(&self) -> bool {
        self.detail_tasks.is_none() && self.events_dropped == 0
    }

    /// Whether `task`'s state is recorded (else it shows as pending).
    pub fn covers_task(&self, task: u32) -> bool {
        self.detail_tasks.is_none_or(|n| task < n)
    }

    /// Whether the state at `t` is known (the recording had not stopped yet).
    pub fn covers_time(&self, t: Nanos) -> bool {
        self.recorded_until.is_none_or(|u| t <= u)
    }

    /// Sentences for people, one a limitation (empty when complete and recorded).
    pub fn notes(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.derived {
            v.push("Rebuilt from spans: the run recorded no scheduler events.".to_string());
        }
        if let Some(n) = self.detail_tasks {
            v.push(format!(
                "Events for tasks < {n} only: later tasks show as pending."
            ));
        }
        if let Some(t) = self.recorded_until {
            let (at, dropped) = (format_duration(t), self.events_dropped);
            v.push(format!("Recording stops at {at} ({dropped} events past the cap): later states are not known."));
        }
        if self.reordered {
            v.push("The events were out of order and were sorted by time.".to_string());
        }
        if self.ignored_events > 0 {
            v.push(format!(
                "{} events ignored: their task is not one of the run's.",
                self.ignored_events
            ));
        }
        v
    }
}

/// Events rebuilt from spans, for traces that carry none (imported files,
/// JavaScript and CPython runs). Per task, its spans sorted by start: the first
/// span's start is a Spawn; then Running on lane L is a Start(L), Waiting a
/// Wait (due at the span's end, on its lane), Queued a Wake, GIL-blocked a
/// Block(GIL) on its lane, Transfer a Dispatch to its lane; the end of the
/// task's last span is a Done. Start-up spans and spans of no task give none.
///
/// Sorted by time, stably, except that at one instant a Done comes first: the
/// lane a task leaves is then free for the task that starts on it at the same
/// instant (no task has another event at the instant it is done, since spans
/// are never empty). Not sliced: O(spans · log spans) in one go.
pub fn events_from_spans(trace: &Trace) -> Vec<Event> {
    let spans = &trace.spans;
    let mut order: Vec<usize> = (0..spans.len())
        .filter(|&i| spans[i].task != NO_TASK && spans[i].state != SpanState::Startup)
        .collect();
    order.sort_by_key(|&i| (spans[i].task, spans[i].start));
    let mut out = Vec::with_capacity(order.len() * 2);
    let ev = |at, task, lane, kind, res, arg| Event {
        at,
        arg,
        task,
        lane,
        kind,
        res,
    };
    for group in order.chunk_by(|&a, &b| spans[a].task == spans[b].task) {
        let Some(first) = group.first().map(|&i| spans[i]) else {
            continue;
        };
        let task = first.task;
        out.push(ev(
            first.start,
            task,
            NO_LANE,
            EventKind::Spawn,
            Resource::None,
            0,
        ));
        let mut last = first.end;
        for &i in group {
            let s = spans[i];
            last = last.max(s.end);
            let (kind, res, arg) = match s.state {
                SpanState::Running => (EventKind::Start, Resource::None, 0),
                SpanState::Waiting => (EventKind::Wait, Resource::None, s.end),
                SpanState::Queued => (EventKind::Wake, Resource::None, 0),
                SpanState::GilBlocked => (EventKind::Block, Resource::Gil, 0),
                SpanState::Transfer => (EventKind::Dispatch, Resource::None, 0),
                SpanState::Startup => continue,
            };
            out.push(ev(s.start, task, s.lane, kind, res, arg));
        }
        out.push(ev(last, task, NO_LANE, EventKind::Done, Resource::None, 0));
    }
    out.sort_by_key(|e| (e.at, e.kind != EventKind::Done));
    out
}

/// Where the builder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Rebuild events from spans if the trace has none.
    Derive,
    /// One pass over the events: the highest task index, whether they are sorted.
    Scan,
    /// Sort if needed, map tasks to slots, choose the interval.
    Prepare,
    /// Apply every event, keeping a checkpoint every interval.
    Apply,
    /// Finished.
    Done,
}

/// Builds a [`Replay`] a slice at a time, so a trace of millions of events
/// never blocks the page: call [`ReplayBuilder::step`] once per frame (or
/// idle callback) until it returns true, then [`ReplayBuilder::finish`].
pub struct ReplayBuilder {
    trace: Rc<Trace>,
    owned: Option<Vec<Event>>,
    derived: bool,
    stage: Stage,
    pos: usize,
    max_task: Option<u32>,
    sorted: bool,
    prev_at: Nanos,
    ignored: u64,
    ctx: Option<Rc<Ctx>>,
    interval: usize,
    state: Option<State>,
    checkpoints: Vec<State>,
}

impl ReplayBuilder {
    /// A builder for `trace`'s replay; nothing is computed yet.
    pub fn new(trace: Rc<Trace>) -> Self {
        Self {
            trace,
            owned: None,
            derived: false,
            stage: Stage::Derive,
            pos: 0,
            max_task: None,
            sorted: true,
            prev_at: 0,
            ignored: 0,
            ctx: None,
            interval: MIN_INTERVAL,
            state: None,
            checkpoints: Vec::new(),
        }
    }

    fn events(&self) -> &[Event] {
        self.owned.as_deref().unwrap_or(&self.trace.events)
    }

    /// Does about `max_events` events' worth of work; returns whether the
    /// replay is ready. Two steps are not sliced: rebuilding events from spans
    /// (traces without events) and sorting events that are out of order
    /// (messy imported data); each ends its slice.
    pub fn step(&mut self, max_events: usize) -> bool {
        let mut budget = max_events.max(1);
        loop {
            match self.stage {
                Stage::Derive => {
                    self.stage = Stage::Scan;
                    let t = &self.trace;
                    if t.events.is_empty()
                        && t.spans
                            .iter()
                            .any(|s| s.task != NO_TASK && s.state != SpanState::Startup)
                    {
                        self.owned = Some(events_from_spans(t));
                        self.derived = true;
                        return false;
                    }
                }
                Stage::Scan => {
                    let tasks = self.trace.tasks;
                    let events: &[Event] = self.owned.as_deref().unwrap_or(&self.trace.events);
                    let end = self.pos.saturating_add(budget).min(events.len());
                    for e in events.get(self.pos..end).unwrap_or(&[]) {
                        if e.at < self.prev_at {
                            self.sorted = false;
                        }
                        self.prev_at = e.at;
                        if Ctx::valid(tasks, e.task) {
                            self.max_task = Some(self.max_task.map_or(e.task, |m| m.max(e.task)));
                        } else {
                            self.ignored += 1;
                        }
                    }
                    budget -= end - self.pos;
                    self.pos = end;
                    if self.pos >= events.len() {
                        self.stage = Stage::Prepare;
                    }
                    if budget == 0 {
                        return false;
                    }
                }
                Stage::Prepare => {
                    let heavy = self.prepare();
                    self.stage = Stage::Apply;
                    self.pos = 0;
                    if heavy {
                        return false;
                    }
                }
                Stage::Apply => {
                    let (Some(state), k) = (self.state.as_mut(), self.interval) else {
                        self.stage = Stage::Done;
                        continue;
                    };
                    let events: &[Event] = self.owned.as_deref().unwrap_or(&self.trace.events);
                    let end = state.index.saturating_add(budget).min(events.len());
                    let from = state.index;
                    while state.index < end {
                        let next_cp = (state.index / k + 1).saturating_mul(k);
                        let Some(slice) = events.get(state.index..end.min(next_cp)) else {
                            break;
                        };
                        for e in slice {
                            state.apply(e);
                        }
                        if state.index == next_cp {
                            self.checkpoints.push(state.clone());
                        }
                    }
                    budget = budget.saturating_sub(end - from);
                    self.pos = state.index;
                    if state.index >= events.len() {
                        self.stage = Stage::Done;
                    }
                    if budget == 0 {
                        return self.stage == Stage::Done;
                    }
                }
                Stage::Done => return true,
            }
        }
    }

    /// Sorts if needed, maps tasks to slots, chooses the interval and sets up
    /// the first state; returns whether it did heavy work (which ends a slice).
    fn prepare(&mut self) -> bool {
        let mut heavy = false;
        if !self.sorted {
            let mut v = self
                .owned
                .take()
                .unwrap_or_else(|| self.trace.events.clone());
            Event::sort_by_time(&mut v);
            self.owned = Some(v);
            heavy = true;
        }
        let tasks = self.trace.tasks;
        let len = self.events().len();
        let span = self.max_task.map_or(0, |m| m as usize + 1);
        // Every run we record mentions its tasks densely (slot = task). Only
        // data with task indices far beyond its event count (hostile, or
        // hand-made) gets a sorted map, so it cannot make us allocate slots
        // for billions of tasks it never mentions.
        let ids = if span <= len.saturating_mul(2).saturating_add(MIN_INTERVAL) {
            None
        } else {
            let mut ids: Vec<u32> = self
                .events()
                .iter()
                .map(|e| e.task)
                .filter(|&t| Ctx::valid(tasks, t))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            heavy = true;
            Some(ids)
        };
        let slots = ids.as_ref().map_or(span, Vec::len);
        let ctx = Rc::new(Ctx {
            ids,
            slots,
            tasks,
            lanes: usize::from(self.trace.lanes.max(1)),
        });
        self.interval = interval_for(len, ctx.state_bytes());
        self.state = Some(State::new(ctx.clone()));
        self.ctx = Some(ctx);
        heavy
    }

    /// How far the build is, from 0 to 1 (for a progress bar).
    pub fn progress(&self) -> f64 {
        let len = self.events().len();
        match self.stage {
            Stage::Derive => 0.0,
            Stage::Done => 1.0,
            _ if len == 0 => 1.0,
            Stage::Scan | Stage::Prepare => self.pos as f64 / (2.0 * len as f64),
            Stage::Apply => 0.5 + self.pos as f64 / (2.0 * len as f64),
        }
    }

    /// Whether [`ReplayBuilder::step`] has finished.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Done
    }

    /// The replay (finishing the build in one go if it is not done).
    pub fn finish(mut self) -> Replay {
        while !self.step(usize::MAX) {}
        let ctx = self.ctx.unwrap_or_else(|| {
            Rc::new(Ctx {
                ids: None,
                slots: 0,
                tasks: self.trace.tasks,
                lanes: 1,
            })
        });
        let t = &self.trace;
        let detail_tasks = t.detail_tasks.filter(|&n| u64::from(n) < t.tasks);
        let last = self
            .owned
            .as_deref()
            .unwrap_or(&t.events)
            .last()
            .map(|e| e.at);
        let coverage = Coverage {
            derived: self.derived,
            detail_tasks,
            events_dropped: t.events_dropped,
            recorded_until: if t.events_dropped > 0 {
                Some(last.unwrap_or(t.start))
            } else {
                None
            },
            reordered: !self.sorted,
            ignored_events: self.ignored,
        };
        Replay {
            trace: self.trace,
            owned: self.owned,
            ctx,
            interval: self.interval,
            checkpoints: self.checkpoints,
            coverage,
        }
    }
}

/// Events between checkpoints for `len` events and states of `state_bytes`:
/// `max(MIN_INTERVAL, ⌈len · state_bytes / CHECKPOINT_BUDGET⌉)`, so the
/// `⌊len / K⌋` checkpoints hold at most [`CHECKPOINT_BUDGET`] bytes.
pub fn interval_for(len: usize, state_bytes: usize) -> usize {
    let need = (len as u128 * state_bytes as u128).div_ceil(CHECKPOINT_BUDGET as u128);
    usize::try_from(need)
        .unwrap_or(usize::MAX)
        .max(MIN_INTERVAL)
}

/// A recorded run, ready to show its scheduler's state at any instant.
pub struct Replay {
    trace: Rc<Trace>,
    /// Events rebuilt from spans, or sorted: else the trace's own are used.
    owned: Option<Vec<Event>>,
    ctx: Rc<Ctx>,
    interval: usize,
    /// The state after `(i + 1) · interval` events, for each i.
    checkpoints: Vec<State>,
    coverage: Coverage,
}

impl Replay {
    /// Builds the replay of `trace` in one go (see [`ReplayBuilder`] to build
    /// it a slice at a time). Traces without events are replayed from their
    /// spans ([`Coverage::derived`]).
    pub fn new(trace: Rc<Trace>) -> Replay {
        ReplayBuilder::new(trace).finish()
    }

    /// The trace replayed.
    pub fn trace(&self) -> &Rc<Trace> {
        &self.trace
    }

    /// The events replayed: the trace's, or those rebuilt from its spans.
    pub fn events(&self) -> &[Event] {
        self.owned.as_deref().unwrap_or(&self.trace.events)
    }

    /// Event `index`, if any.
    pub fn event(&self, index: usize) -> Option<&Event> {
        self.events().get(index)
    }

    /// Events replayed.
    pub fn len(&self) -> usize {
        self.events().len()
    }

    /// Whether there is no event at all.
    pub fn is_empty(&self) -> bool {
        self.events().is_empty()
    }

    /// What the replay knows of the run.
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// Whether the events were rebuilt from spans ("rebuilt from spans").
    pub fn derived(&self) -> bool {
        self.coverage.derived
    }

    /// Events between checkpoints: a query replays fewer than this.
    pub fn interval(&self) -> usize {
        self.interval
    }

    /// Checkpoints kept.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// Bytes the checkpoints hold (at most [`CHECKPOINT_BUDGET`]).
    pub fn checkpoint_bytes(&self) -> usize {
        self.checkpoints
            .len()
            .saturating_mul(self.ctx.state_bytes())
    }

    /// The run's start (`trace.start`).
    pub fn start(&self) -> Nanos {
        self.trace.start
    }

    /// The run's end (`trace.end`).
    pub fn end(&self) -> Nanos {
        self.trace.end
    }

    /// How many events happened at or before `t`: the index of the state at `t`.
    pub fn index_at(&self, t: Nanos) -> usize {
        self.events().partition_point(|e| e.at <= t)
    }

    /// The time of the state after `index` events: the last applied event's
    /// time, or the run's start for none.
    pub fn time_of(&self, index: usize) -> Nanos {
        match index
            .min(self.len())
            .checked_sub(1)
            .and_then(|i| self.events().get(i))
        {
            Some(e) => e.at,
            None => self.start(),
        }
    }

    /// The first instant after `t` at which something happens (→): the state
    /// there includes every event of that instant. `None` past the last event.
    pub fn next_instant(&self, t: Nanos) -> Option<Nanos> {
        self.events().get(self.index_at(t)).map(|e| e.at)
    }

    /// The last instant before `t` at which something happened (←). `None`
    /// before the first event.
    pub fn prev_instant(&self, t: Nanos) -> Option<Nanos> {
        let i = self.events().partition_point(|e| e.at < t);
        i.checked_sub(1)
            .and_then(|i| self.events().get(i))
            .map(|e| e.at)
    }

    /// Shift+arrows: the instant of the `n`-th event after `t` (`n` > 0) or
    /// before it (`n` < 0), clamped to the run's end or start. The state there
    /// includes every event of that instant, so events that share an instant
    /// are stepped over together; use [`Replay::seek`] with an index to step
    /// through them one by one.
    pub fn skip_events(&self, t: Nanos, n: i64) -> Nanos {
        let events = self.events();
        let by = usize::try_from(n.unsigned_abs()).unwrap_or(usize::MAX);
        if n >= 0 {
            if by == 0 {
                return t;
            }
            match self
                .index_at(t)
                .checked_add(by - 1)
                .and_then(|i| events.get(i))
            {
                Some(e) => e.at,
                None => self.end().max(t),
            }
        } else {
            let before = events.partition_point(|e| e.at < t);
            match before.checked_sub(by).and_then(|i| events.get(i)) {
                Some(e) => e.at,
                None => self.start().min(t),
            }
        }
    }

    /// `index` moved by `delta` events, clamped to `0..=len`.
    pub fn step_index(&self, index: usize, delta: i64) -> usize {
        let by = usize::try_from(delta.unsigned_abs()).unwrap_or(usize::MAX);
        let i = if delta >= 0 {
            index.saturating_add(by)
        } else {
            index.saturating_sub(by)
        };
        i.min(self.len())
    }

    /// The state before any event (every task pending).
    pub fn initial_state(&self) -> State {
        let mut s = State::new(self.ctx.clone());
        s.at = self.start();
        s
    }

    /// The state at `t` (after every event at or before `t`).
    pub fn state_at(&self, t: Nanos) -> State {
        let mut s = self.initial_state();
        self.seek_time(&mut s, t);
        s
    }

    /// The state after `index` events.
    pub fn state_at_index(&self, index: usize) -> State {
        let mut s = self.initial_state();
        self.seek(&mut s, index);
        s
    }

    /// Moves `state` to the state after `index` events (clamped to the event
    /// count) and returns how many events it replayed: fewer than
    /// [`Replay::interval`]. Moving forward from where the state is replays
    /// from there (an arrow key replays one instant's events); anything else
    /// starts from the nearest earlier checkpoint. A state from another
    /// replay is reset first.
    pub fn seek(&self, state: &mut State, index: usize) -> usize {
        let events = self.events();
        let index = index.min(events.len());
        let c = (index / self.interval).min(self.checkpoints.len());
        let base = c * self.interval;
        let own = Rc::ptr_eq(&state.ctx, &self.ctx);
        if !(own && state.index >= base && state.index <= index) {
            match c.checked_sub(1).and_then(|i| self.checkpoints.get(i)) {
                Some(cp) => state.restore(cp),
                None => state.reset(self.ctx.clone()),
            }
        }
        let from = state.index;
        for e in events.get(from..index).unwrap_or(&[]) {
            state.apply(e);
        }
        state.index = index;
        state.at = self.time_of(index);
        index.saturating_sub(from)
    }

    /// Moves `state` to the instant `t` (see [`Replay::seek`]); its
    /// [`State::time`] is then `t`.
    pub fn seek_time(&self, state: &mut State, t: Nanos) -> usize {
        let n = self.seek(state, self.index_at(t));
        state.at = t;
        n
    }
}
