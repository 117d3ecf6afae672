//! The timeline's rows, built from traces: for each model group, a row per
//! lane (main thread, each worker), a row for who holds the GIL, or a row per
//! task; each row lists its spans' indices sorted by start. Rows are built
//! incrementally, so a live run's spans are indexed as they arrive.

use std::rc::Rc;

use engine::model::Model;
use engine::trace::{Span, SpanState, Trace, NO_LANE, NO_TASK};

use crate::runtime::LiveRun;

/// Most task rows per group in the per-task view.
pub const MAX_TASK_ROWS: usize = 64;

/// Task rows shown under the lanes of an event loop's group: its waits sit
/// on no lane (that is the point of an event loop), so its first tasks get a
/// row each to show them.
pub const LOOP_TASK_ROWS: usize = 6;

/// What a row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A lane: 0 is the main thread, 1..=N the workers.
    Lane(u16),
    /// Who holds the GIL (running spans of every thread: only one at a time).
    Gil,
    /// One task's whole life.
    Task(u32),
}

/// Span indices per row, sorted by start.
#[derive(Debug, Default, Clone)]
pub struct Index {
    lanes: Vec<Vec<u32>>,
    gil: Vec<u32>,
    tasks: Vec<Vec<u32>>,
    seen: usize,
    unsorted: Vec<bool>,
}

impl Index {
    /// An empty index for `lanes` lanes.
    pub fn new(lanes: u16, tasks: u64) -> Self {
        let n = usize::from(lanes.max(1));
        let t = (tasks as usize).min(MAX_TASK_ROWS);
        Self {
            lanes: vec![Vec::new(); n],
            gil: Vec::new(),
            tasks: vec![Vec::new(); t],
            seen: 0,
            unsorted: vec![false; n + 1 + t],
        }
    }

    /// Whether this index fits `len` spans (a live recorder whose spans were
    /// taken away at the end of its run has fewer than were indexed).
    pub fn fits(&self, len: usize) -> bool {
        self.seen <= len
    }

    /// Indexes `spans[seen..]` (spans are only ever appended; if there are
    /// fewer than were seen, the recorder was emptied and indexing restarts).
    pub fn update(&mut self, spans: &[Span], gil: bool) {
        if spans.len() < self.seen {
            self.lanes
                .iter_mut()
                .chain(self.tasks.iter_mut())
                .chain(std::iter::once(&mut self.gil))
                .for_each(Vec::clear);
            self.unsorted.iter_mut().for_each(|f| *f = false);
            self.seen = 0;
        }
        let nl = self.lanes.len();
        let push = |row: &mut Vec<u32>, flag: &mut bool, i: u32| {
            if let Some(&last) = row.last() {
                if spans[last as usize].start > spans[i as usize].start {
                    *flag = true;
                }
            }
            row.push(i);
        };
        for (i, s) in spans.iter().enumerate().skip(self.seen) {
            let i = i as u32;
            if s.lane != NO_LANE && usize::from(s.lane) < nl {
                let l = usize::from(s.lane);
                push(&mut self.lanes[l], &mut self.unsorted[l], i);
                if gil && s.lane > 0 && s.state == SpanState::Running {
                    push(&mut self.gil, &mut self.unsorted[nl], i);
                }
            }
            if s.task != NO_TASK && (s.task as usize) < self.tasks.len() {
                let t = s.task as usize;
                push(&mut self.tasks[t], &mut self.unsorted[nl + 1 + t], i);
            }
        }
        self.seen = spans.len();
        // Spans arrive nearly in order (workers report after the fact): sort
        // only the rows that got one out of order.
        for (r, flag) in self.unsorted.iter_mut().enumerate() {
            if *flag {
                let row = if r < nl {
                    &mut self.lanes[r]
                } else if r == nl {
                    &mut self.gil
                } else {
                    &mut self.tasks[r - nl - 1]
                };
                row.sort_by_key(|&i| spans[i as usize].start);
                *flag = false;
            }
        }
    }

    /// The row's span indices, sorted by start.
    pub fn row(&self, kind: RowKind) -> &[u32] {
        match kind {
            RowKind::Lane(l) => self.lanes.get(usize::from(l)).map_or(&[], |v| v.as_slice()),
            RowKind::Gil => &self.gil,
            RowKind::Task(t) => self.tasks.get(t as usize).map_or(&[], |v| v.as_slice()),
        }
    }
}

/// Where a group's spans come from.
#[derive(Clone)]
pub enum Source {
    /// A finished (or imported, or predicted) trace.
    Trace(Rc<Trace>),
    /// A run in progress.
    Live(LiveRun),
}

impl Source {
    /// The run's start, on its clock.
    pub fn start(&self) -> u64 {
        match self {
            Source::Trace(t) => t.start,
            Source::Live(l) => l.start,
        }
    }

    /// How long it has run (live: up to the last span recorded).
    pub fn wall(&self) -> u64 {
        match self {
            Source::Trace(t) => t.wall(),
            Source::Live(l) => {
                let end = l.rec.with_spans(|s| {
                    s.iter()
                        .rev()
                        .take(64)
                        .map(|s| s.end)
                        .max()
                        .unwrap_or(l.start)
                });
                engine::time::Clock::now(&crate::clock::RealClock)
                    .max(end)
                    .saturating_sub(l.start)
            }
        }
    }

    /// The name of `lane`: an imported file's, else `main` / `worker N`.
    pub fn lane_name(&self, lane: u16) -> String {
        match self {
            Source::Trace(t) => t.name_of_lane(lane),
            Source::Live(_) => engine::trace::lane_name(lane),
        }
    }

    /// Lanes.
    pub fn lanes(&self) -> u16 {
        match self {
            Source::Trace(t) => t.lanes,
            Source::Live(l) => l.lanes,
        }
    }

    /// Tasks.
    pub fn tasks(&self) -> u64 {
        match self {
            Source::Trace(t) => t.tasks,
            Source::Live(l) => l.tasks,
        }
    }

    /// A live run's work under way on lanes (jobs whose reply is still to
    /// come), each as a span that ends where it began; none for a trace.
    pub fn under_way(&self) -> Vec<Span> {
        match self {
            Source::Trace(_) => Vec::new(),
            Source::Live(l) => l.rec.with_under_way(|s| s.to_vec()),
        }
    }

    /// Calls `f` with the events.
    pub fn with_events<R>(&self, f: impl FnOnce(&[engine::trace::Event]) -> R) -> R {
        match self {
            Source::Trace(t) => f(&t.events),
            Source::Live(l) => l.rec.with_events(f),
        }
    }

    /// Calls `f` with the spans.
    pub fn with_spans<R>(&self, f: impl FnOnce(&[Span]) -> R) -> R {
        match self {
            Source::Trace(t) => f(&t.spans),
            Source::Live(l) => l.rec.with_spans(f),
        }
    }
}

/// Waits still under way in a live run, per task: a wait's span is recorded
/// when it ends, so without these a long sleep would show nothing until then.
#[derive(Debug, Default, Clone)]
pub struct OpenWaits {
    /// (task, lane, start) of each wait begun and not yet over.
    pub open: Vec<(u32, u16, u64)>,
    seen: usize,
}

impl OpenWaits {
    /// Follows the events recorded since the last call (tasks below `tasks` only).
    pub fn update(&mut self, events: &[engine::trace::Event], tasks: u32) {
        use engine::trace::EventKind;
        for e in events.iter().skip(self.seen) {
            if e.task >= tasks {
                continue;
            }
            match e.kind {
                EventKind::Wait => {
                    self.open.retain(|o| o.0 != e.task);
                    self.open.push((e.task, e.lane, e.at));
                }
                EventKind::Wake | EventKind::Start | EventKind::Done | EventKind::Yield => {
                    self.open.retain(|o| o.0 != e.task)
                }
                _ => {}
            }
        }
        self.seen = events.len();
    }
}

/// One write to the shared counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    /// When, on the run's clock.
    pub at: u64,
    /// The value written.
    pub value: u64,
    /// The task that wrote it.
    pub task: u32,
}

/// The shared counter's writes (a race's increments), per row: a write takes
/// less than a clock step, so it has no span to draw, and where each task
/// wrote, and what, is the race.
#[derive(Debug, Default, Clone)]
pub struct Writes {
    /// For each of the group's rows, in order: its writes, by time.
    pub rows: Vec<Vec<Write>>,
    seen: usize,
}

impl Writes {
    /// Follows the events recorded since the last call, for `rows`.
    pub fn update(&mut self, events: &[engine::trace::Event], rows: &[(RowKind, String)]) {
        use engine::trace::EventKind;
        if self.rows.len() != rows.len() {
            self.rows = vec![Vec::new(); rows.len()];
            self.seen = 0;
        }
        let new = events.get(self.seen..).unwrap_or(&[]);
        self.seen = events.len();
        if !new.iter().any(|e| e.kind == EventKind::Incr) {
            return;
        }
        // Which row each task and each lane has (most tasks have none).
        let (mut by_task, mut by_lane) = (Vec::new(), Vec::new());
        for (i, (kind, _)) in rows.iter().enumerate() {
            let (v, at) = match *kind {
                RowKind::Task(t) => (&mut by_task, t as usize),
                RowKind::Lane(l) => (&mut by_lane, usize::from(l)),
                RowKind::Gil => continue,
            };
            if v.len() <= at {
                v.resize(at + 1, None);
            }
            v[at] = Some(i);
        }
        let before: Vec<usize> = self.rows.iter().map(Vec::len).collect();
        for e in new.iter().filter(|e| e.kind == EventKind::Incr) {
            let task = by_task.get(e.task as usize).copied().flatten();
            let lane = by_lane.get(usize::from(e.lane)).copied().flatten();
            for row in [task, lane].into_iter().flatten() {
                self.rows[row].push(Write {
                    at: e.at,
                    value: e.arg,
                    task: e.task,
                });
            }
        }
        // Recorded in order but stamped by a coarse clock: keep each row sorted.
        for (r, from) in self.rows.iter_mut().zip(before) {
            if r.len() > from && !r[from.saturating_sub(1)..].is_sorted_by_key(|w| w.at) {
                r.sort_by_key(|w| w.at);
            }
        }
    }

    /// Whether any row has a write.
    pub fn any(&self) -> bool {
        self.rows.iter().any(|r| !r.is_empty())
    }
}

/// One model group: a title, its rows, the measured source and the prediction.
pub struct Group {
    /// "Event loop", "Threads + GIL (predicted)", an imported file's name.
    pub title: String,
    /// The model, when it is one of ours or a real thing we run.
    pub model: Option<Model>,
    /// What is drawn in full.
    pub main: Source,
    /// Index of `main`.
    pub index: Index,
    /// Whether `main` is itself a prediction (drawn lighter, titled so).
    pub main_is_prediction: bool,
    /// The prediction drawn faintly under a measured run.
    pub overlay: Option<(Rc<Trace>, Index)>,
    /// The rows, top to bottom.
    pub rows: Vec<(RowKind, String)>,
    /// A live run's waits under way.
    pub open: OpenWaits,
    /// The counter's writes, per row.
    pub writes: Writes,
}

impl Group {
    /// How many of the run's tasks have a row of their own, and how many
    /// tasks it has: the chart says when some are left out.
    pub fn task_rows(&self) -> (usize, u64) {
        let shown = self
            .rows
            .iter()
            .filter(|(k, _)| matches!(k, RowKind::Task(_)))
            .count();
        (shown, self.main.tasks())
    }

    /// A group drawing `main` (and `overlay` under it).
    pub fn new(
        title: String,
        model: Option<Model>,
        main: Source,
        main_is_prediction: bool,
        overlay: Option<Rc<Trace>>,
        by_task: bool,
    ) -> Self {
        let gil = model == Some(Model::Gil);
        let mut index = Index::new(main.lanes(), main.tasks());
        main.with_spans(|s| index.update(s, gil));
        let overlay = overlay.map(|t| {
            let mut i = Index::new(t.lanes, t.tasks);
            i.update(&t.spans, gil);
            (t, i)
        });
        let task_row = |t: usize| (RowKind::Task(t as u32), format!("task {t}"));
        let rows = if by_task {
            (0..(main.tasks() as usize).min(MAX_TASK_ROWS))
                .map(task_row)
                .collect()
        } else {
            // Another tool's file puts its threads on lanes 1..=N: the
            // page's lane 0 would be an empty "main" row.
            let skip_main = matches!(&main, Source::Trace(t) if t.source == engine::trace::Source::Imported
                && !t.spans.iter().any(|s| s.lane == 0));
            let mut rows: Vec<(RowKind, String)> = (u16::from(skip_main)..main.lanes())
                .map(|l| (RowKind::Lane(l), main.lane_name(l)))
                .collect();
            if gil {
                rows.push((RowKind::Gil, "GIL holder".to_string()));
            }
            let event_loop = matches!(
                model,
                Some(Model::Loop | Model::Hybrid | Model::Js | Model::PyAsync)
            ) || (model.is_none()
                && main.with_spans(|s| s.iter().any(|x| x.lane == NO_LANE)));
            if event_loop {
                rows.extend((0..(main.tasks() as usize).min(LOOP_TASK_ROWS)).map(task_row));
            }
            rows
        };
        let mut g = Self {
            title,
            model,
            main,
            index,
            main_is_prediction,
            overlay,
            rows,
            open: OpenWaits::default(),
            writes: Writes::default(),
        };
        g.follow_waits();
        g.follow_writes();
        g
    }

    fn follow_writes(&mut self) {
        let (writes, rows) = (&mut self.writes, &self.rows);
        self.main.with_events(|e| writes.update(e, rows));
    }

    fn follow_waits(&mut self) {
        if let Source::Live(l) = &self.main {
            let tasks = MAX_TASK_ROWS as u32;
            let open = &mut self.open;
            l.rec.with_events(|e| open.update(e, tasks));
        }
    }

    /// Indexes the spans a live run recorded since the last call.
    pub fn refresh(&mut self) {
        let gil = self.model == Some(Model::Gil);
        let index = &mut self.index;
        self.main.with_spans(|s| index.update(s, gil));
        self.follow_waits();
        self.follow_writes();
    }
}
