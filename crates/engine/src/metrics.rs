//! The figures a run shows, computed from its trace.
//!
//! Names are part of the public contract: each is the `data-metric` attribute
//! of a results cell and a key of the JSON export, snake_case with the unit in
//! the name.

use crate::model::Model;
use crate::time::Nanos;
use crate::trace::{SpanState, Trace, MAIN_LANE, NO_LANE};

/// One frame at 60 Hz.
pub const FRAME: Nanos = 16_666_667;

/// The metrics of one run. `None` where a figure does not apply.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metrics {
    /// Wall time, first task ready to last task done.
    pub wall_ms: f64,
    /// How many runs the wall time is the median of, when more than one
    /// ([`Trace::repeats`]).
    pub runs: Option<u64>,
    /// Time some lane spent running, summed over lanes.
    pub busy_ms: f64,
    /// `busy / (lanes that can run × wall)`.
    pub utilisation_pct: f64,
    /// Sequential wall time / this wall time (needs a sequential run to compare).
    pub speedup: Option<f64>,
    /// Speedup / worker lanes (models with workers only).
    pub efficiency_pct: Option<f64>,
    /// The longest stretch the main thread ran without letting the page
    /// render; `None` where nothing measured it (a JavaScript or CPython run
    /// that put no work of its own on the page's thread: the browser's own
    /// handling of its timers is not seen).
    pub longest_block_ms: Option<f64>,
    /// Frames missed while the run went on (browser runs).
    pub dropped_frames: Option<u64>,
    /// Median lateness of the loop's timers.
    pub lag_p50_ms: Option<f64>,
    /// 99th percentile lateness of the loop's timers.
    pub lag_p99_ms: Option<f64>,
    /// Pool start-up (longest lane).
    pub pool_startup_ms: Option<f64>,
    /// Time moving jobs and payloads, summed over lanes.
    pub transfer_ms: Option<f64>,
    /// Increments that were lost to a race.
    pub lost_updates: u64,
    /// GIL hand-overs between threads.
    pub gil_handovers: Option<u64>,
    /// Time threads spent waiting for the GIL, summed.
    pub gil_wait_ms: Option<f64>,
    /// Time loading the runtime before the run (CPython), not in the wall time.
    pub load_ms: Option<f64>,
    /// CPU time per Σi² iteration, from the spans that ran CPU phases (set by
    /// the caller, who knows the iteration count): wasm, JavaScript and
    /// CPython side by side.
    pub cpu_ns_per_iter: Option<f64>,
    /// Tasks in the workload.
    pub tasks: u64,
    /// Tasks that finished before a cancel (their `Done` events); `None` for
    /// a run not cancelled, or one whose events were not all kept.
    pub done_before_cancel: Option<u64>,
    /// Tasks that failed.
    pub failed_tasks: u64,
}

fn ms(d: Nanos) -> f64 {
    d as f64 / 1e6
}

/// The `q` quantile (0..=1) of `samples`, nearest rank.
pub fn quantile(samples: &[Nanos], q: f64) -> Option<Nanos> {
    if samples.is_empty() {
        return None;
    }
    // Selection, not a sort: a million lag samples must not block the page.
    let mut v = samples.to_vec();
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(*v.select_nth_unstable(rank - 1).1)
}

/// Lanes that can run work at once under `model`.
fn parallel_lanes(trace: &Trace, model: Model) -> f64 {
    match model {
        Model::Sequential | Model::Loop | Model::Gil => 1.0,
        _ => f64::from(trace.lanes.saturating_sub(1).max(1)),
    }
}

/// The longest stretch the main thread ran without yielding: the recorded
/// blocks if any, else the longest run of main-lane spans that follow each
/// other with gaps under 50 µs (no chance for the browser to render).
fn longest_main_block(trace: &Trace) -> Option<Nanos> {
    if !trace.main_blocks.is_empty() {
        return trace
            .main_blocks
            .iter()
            .map(|(s, e)| e.saturating_sub(*s))
            .max();
    }
    // Predictions draw every block of the page's thread as main-lane spans;
    // a real run that recorded neither blocks nor such spans measured none.
    if trace.source != crate::trace::Source::Predicted
        && !trace.spans.iter().any(|s| s.lane == MAIN_LANE)
    {
        return None;
    }
    let mut spans: Vec<(Nanos, Nanos)> = trace
        .spans
        .iter()
        .filter(|s| s.lane == MAIN_LANE)
        .map(|s| (s.start, s.end))
        .collect();
    spans.sort_unstable();
    let mut best = 0;
    let mut cur: Option<(Nanos, Nanos)> = None;
    for (s, e) in spans {
        cur = match cur {
            Some((cs, ce)) if s <= ce + 50_000 => Some((cs, ce.max(e))),
            _ => Some((s, e)),
        };
        if let Some((cs, ce)) = cur {
            best = best.max(ce - cs);
        }
    }
    Some(best)
}

/// Tasks a cancelled run finished (its `Done` events); `None` for a run not
/// cancelled, or one whose events were not all kept.
pub fn done_before_cancel(trace: &Trace) -> Option<u64> {
    (trace.cancelled
        && trace.events_dropped == 0
        && trace
            .detail_tasks
            .is_none_or(|d| u64::from(d) >= trace.tasks))
    .then(|| {
        trace
            .events
            .iter()
            .filter(|e| e.kind == crate::trace::EventKind::Done)
            .count() as u64
    })
}

impl Metrics {
    /// Sets [`Metrics::cpu_ns_per_iter`] from `trace`, which ran `iterations`
    /// Σi² iterations in all (none for a cancelled run or no CPU work).
    pub fn with_cpu_rate(mut self, trace: &Trace, iterations: u128) -> Self {
        let busy: Nanos = trace
            .spans
            .iter()
            .filter(|s| s.state == SpanState::Running && s.kind == crate::trace::PhaseKind::Cpu)
            .map(|s| s.duration())
            .sum();
        if iterations > 0 && busy > 0 && !trace.cancelled {
            self.cpu_ns_per_iter = Some(busy as f64 / iterations as f64);
        }
        self
    }

    /// Computes the metrics of `trace`; `sequential_wall` (from a sequential
    /// run of the same workload) enables speedup and efficiency.
    pub fn from_trace(trace: &Trace, sequential_wall: Option<Nanos>) -> Self {
        let model = trace.model.unwrap_or(Model::Sequential);
        let wall = trace.wall();
        let mut busy = 0;
        let mut transfer = 0;
        let mut gil_wait = 0;
        let mut startup_per_lane = vec![0; usize::from(trace.lanes)];
        for s in &trace.spans {
            match s.state {
                SpanState::Running if s.lane != NO_LANE => busy += s.duration(),
                SpanState::Transfer => transfer += s.duration(),
                SpanState::GilBlocked => gil_wait += s.duration(),
                SpanState::Startup => {
                    if let Some(x) = startup_per_lane.get_mut(usize::from(s.lane)) {
                        *x += s.duration();
                    }
                }
                _ => {}
            }
        }
        let lanes = parallel_lanes(trace, model);
        let speedup = sequential_wall
            .filter(|_| wall > 0)
            .map(|s| s as f64 / wall as f64);
        let uses_workers = model.uses_workers();
        // The frames a gap of `g` ns between two drawn frames lost.
        let lost = |g: &Nanos| (g / FRAME).saturating_sub(1);
        let dropped = if !trace.frame_gaps.is_empty() {
            Some(trace.frame_gaps.iter().map(lost).sum())
        } else if !trace.main_blocks.is_empty() {
            // A run that blocked the page from start to end (sequential)
            // gives its frame probe no frame to see; each measured block is
            // a gap with no frame drawn.
            Some(
                trace
                    .main_blocks
                    .iter()
                    .map(|(s, e)| lost(&e.saturating_sub(*s)))
                    .sum(),
            )
        } else {
            None
        };
        Metrics {
            wall_ms: ms(wall),
            runs: (trace.repeats.len() > 1).then_some(trace.repeats.len() as u64),
            busy_ms: ms(busy),
            utilisation_pct: if wall == 0 {
                0.0
            } else {
                100.0 * busy as f64 / (lanes * wall as f64)
            },
            speedup,
            // Speedup per worker, as the cell says ("speedup ÷ workers"); on
            // one thread it only restates speedup. Under the GIL too the
            // workers are the threads started (only one of them runs at a
            // time, which utilisation counts): 4 threads of CPU work at 0.8×
            // are 20 % efficient, not 80 %.
            efficiency_pct: speedup
                .filter(|_| uses_workers)
                .map(|s| 100.0 * s / f64::from(trace.lanes.saturating_sub(1).max(1))),
            longest_block_ms: longest_main_block(trace).map(ms),
            dropped_frames: dropped,
            lag_p50_ms: quantile(&trace.lag, 0.50).map(ms),
            lag_p99_ms: quantile(&trace.lag, 0.99).map(ms),
            pool_startup_ms: matches!(model, Model::Pool | Model::Hybrid)
                .then(|| ms(startup_per_lane.into_iter().max().unwrap_or(0))),
            transfer_ms: uses_workers.then_some(ms(transfer)),
            lost_updates: trace.lost_updates(),
            gil_handovers: (model == Model::Gil).then_some(trace.gil_handovers),
            gil_wait_ms: (model == Model::Gil).then_some(ms(gil_wait)),
            load_ms: trace.load.map(ms),
            cpu_ns_per_iter: None,
            tasks: trace.tasks,
            done_before_cancel: done_before_cancel(trace),
            failed_tasks: trace.failures.len() as u64,
        }
    }

    /// Every metric as `(name, value)`, in table order; the names are the
    /// public `data-metric` contract.
    pub fn cells(&self) -> Vec<(&'static str, Option<f64>)> {
        vec![
            ("wall_ms", Some(self.wall_ms)),
            ("runs", self.runs.map(|v| v as f64)),
            ("speedup", self.speedup),
            ("efficiency_pct", self.efficiency_pct),
            ("utilisation_pct", Some(self.utilisation_pct)),
            ("busy_ms", Some(self.busy_ms)),
            ("longest_block_ms", self.longest_block_ms),
            ("dropped_frames", self.dropped_frames.map(|v| v as f64)),
            ("lag_p50_ms", self.lag_p50_ms),
            ("lag_p99_ms", self.lag_p99_ms),
            ("pool_startup_ms", self.pool_startup_ms),
            ("transfer_ms", self.transfer_ms),
            ("lost_updates", Some(self.lost_updates as f64)),
            ("gil_handovers", self.gil_handovers.map(|v| v as f64)),
            ("gil_wait_ms", self.gil_wait_ms),
            ("load_ms", self.load_ms),
            ("cpu_ns_per_iter", self.cpu_ns_per_iter),
            ("tasks", Some(self.tasks as f64)),
            ("failed_tasks", Some(self.failed_tasks as f64)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_nearest_rank() {
        let v: Vec<Nanos> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), Some(50));
        assert_eq!(quantile(&v, 0.99), Some(99));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7], 0.99), Some(7));
    }

    #[test]
    fn a_run_that_blocked_the_page_dropped_the_frames_of_its_blocks() {
        // Sequential: the frame probe saw no frame, the block was measured.
        let t = Trace {
            model: Some(Model::Sequential),
            end: 3_000_000_000,
            main_blocks: vec![(0, 3_000_000_000)],
            ..Trace::default()
        };
        assert_eq!(Metrics::from_trace(&t, None).dropped_frames, Some(178));
        // Frames seen win: they are the page's own record.
        let t = Trace {
            frame_gaps: vec![FRAME, 3 * FRAME],
            ..t
        };
        assert_eq!(Metrics::from_trace(&t, None).dropped_frames, Some(2));
        let t = Trace {
            frame_gaps: vec![],
            main_blocks: vec![],
            ..t
        };
        assert_eq!(Metrics::from_trace(&t, None).dropped_frames, None);
    }

    #[test]
    fn a_block_nothing_measured_is_not_shown_as_zero() {
        use crate::trace::{PhaseKind, Source, Span};
        // A JavaScript-workers run: its work is all in workers, and the page's
        // own handling of it was not recorded.
        let js = Trace {
            model: Some(Model::JsWorker),
            lanes: 3,
            end: 100_000_000,
            spans: vec![Span {
                task: 0,
                lane: 1,
                phase: 0,
                kind: PhaseKind::Cpu,
                state: SpanState::Running,
                start: 0,
                end: 90_000_000,
            }],
            ..Trace::default()
        };
        assert_eq!(Metrics::from_trace(&js, None).longest_block_ms, None);
        // Predicted, the same trace says the page never blocked.
        let predicted = Trace {
            source: Source::Predicted,
            ..js.clone()
        };
        assert_eq!(
            Metrics::from_trace(&predicted, None).longest_block_ms,
            Some(0.0)
        );
        // Its CPU on the page's thread is a block measured.
        let on_page = Trace {
            spans: vec![Span {
                lane: MAIN_LANE,
                ..js.spans[0]
            }],
            ..js
        };
        assert_eq!(
            Metrics::from_trace(&on_page, None).longest_block_ms,
            Some(90.0)
        );
    }
}
