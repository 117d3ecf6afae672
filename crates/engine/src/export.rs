//! Exports of a run: results as JSON, spans as CSV, and the trace in Chrome's
//! Trace Event format (opens in Perfetto and `chrome://tracing`).

use serde_json::{json, Map, Value};

use crate::metrics::Metrics;
use crate::trace::{Trace, NO_LANE, NO_TASK};

/// One model's run, as exported.
pub struct Exported<'a> {
    /// The measured trace.
    pub trace: &'a Trace,
    /// Its metrics.
    pub metrics: &'a Metrics,
    /// The engine's predicted wall time, ms.
    pub predicted_wall_ms: Option<f64>,
}

/// A span's start and end, ns from its run's start, clipped to the run: a
/// thread's wait for the GIL can begin while the run is still being set up,
/// and an export that clipped the start alone would give a duration that
/// does not match its ends.
fn since_start(t: &Trace, s: &crate::trace::Span) -> (u64, u64) {
    let from = s.start.saturating_sub(t.start);
    (from, s.end.saturating_sub(t.start).max(from))
}

/// The version of the results JSON: 2 added `runs`, what replay needs.
pub const RESULTS_VERSION: u64 = 2;

/// One run as data the page can import back: its header, every span and
/// every scheduler event, times in ns from the run's start.
pub fn run_json(t: &Trace) -> Value {
    let start = t.start;
    let spans: Vec<Value> = t
        .spans
        .iter()
        .map(|s| {
            json!([
                s.task,
                s.lane,
                s.phase,
                s.kind as u8,
                s.state as u8,
                s.start.saturating_sub(start),
                s.end.saturating_sub(start)
            ])
        })
        .collect();
    let events: Vec<Value> = t
        .events
        .iter()
        .map(|e| {
            let arg = if e.kind == crate::trace::EventKind::Wait {
                e.arg.saturating_sub(start)
            } else {
                e.arg
            };
            json!([
                e.at.saturating_sub(start),
                e.task,
                e.lane,
                e.kind as u8,
                e.res as u8,
                arg
            ])
        })
        .collect();
    json!({
        "model": t.model.map(|m| m.name()),
        "label": t.label,
        "source": match t.source { crate::trace::Source::Measured => "measured", crate::trace::Source::Predicted => "predicted", crate::trace::Source::Imported => "imported" },
        "implementation": t.implementation,
        "lanes": t.lanes,
        "tasks": t.tasks,
        "wall_ns": t.wall(),
        "cancelled": t.cancelled,
        "checksum": t.checksum.to_string(),
        "counter": t.counter,
        "increments": t.increments,
        "gil_handovers": t.gil_handovers,
        "detail_tasks": t.detail_tasks,
        "events_dropped": t.events_dropped,
        "spans": spans,
        "events": events,
    })
}

/// Results as JSON: the scenario (the link), each model's metrics under the
/// same names as the page's `data-metric` cells, the machine it ran on, and
/// each run's spans and events (`runs`), which the page imports back into the
/// timeline and the inspector.
pub fn results_json(link: &str, machine: Value, runs: &[Exported<'_>]) -> String {
    let models: Vec<Value> = runs
        .iter()
        .map(|r| {
            let mut m = Map::new();
            m.insert(
                "model".into(),
                json!(r.trace.model.map_or("-", |m| m.name())),
            );
            m.insert("cancelled".into(), json!(r.trace.cancelled));
            for (name, v) in r.metrics.cells() {
                m.insert(name.into(), v.map_or(Value::Null, |v| json!(v)));
            }
            if r.trace.repeats.len() > 1 {
                // Every run's wall, in order; the figures above are the median run's.
                m.insert(
                    "runs_wall_ms".into(),
                    json!(r
                        .trace
                        .repeats
                        .iter()
                        .map(|&w| w as f64 / 1e6)
                        .collect::<Vec<_>>()),
                );
            }
            m.insert(
                "predicted_wall_ms".into(),
                r.predicted_wall_ms.map_or(Value::Null, |v| json!(v)),
            );
            let error = r
                .predicted_wall_ms
                .filter(|_| r.metrics.wall_ms > 0.0 && !r.trace.cancelled)
                .map(|p| (p - r.metrics.wall_ms) / r.metrics.wall_ms * 100.0);
            m.insert(
                "prediction_error_pct".into(),
                error.map_or(Value::Null, |v| json!(v)),
            );
            if let Some(i) = &r.trace.implementation {
                m.insert("implementation".into(), json!(i));
            }
            m.insert("checksum".into(), json!(r.trace.checksum.to_string()));
            m.insert(
                "failures".into(),
                json!(r
                    .trace
                    .failures
                    .iter()
                    .map(|f| json!({"task": f.task, "message": f.message}))
                    .collect::<Vec<_>>()),
            );
            Value::Object(m)
        })
        .collect();
    let replay: Vec<Value> = runs.iter().map(|r| run_json(r.trace)).collect();
    serde_json::to_string(&json!({
        "format": "nogil-playground-results",
        "version": RESULTS_VERSION,
        "scenario": link,
        "machine": machine,
        "models": models,
        "runs": replay,
    }))
    .unwrap_or_default()
}

/// Every span of every run as CSV: `model,task,lane,phase,kind,state,start_us,end_us,duration_us`,
/// times from each run's start.
pub fn spans_csv(runs: &[Exported<'_>]) -> String {
    let mut out = String::from("model,task,lane,phase,kind,state,start_us,end_us,duration_us\n");
    for r in runs {
        let t = r.trace;
        let model = t.model.map_or("-", |m| m.name());
        for s in &t.spans {
            let task = if s.task == NO_TASK {
                String::new()
            } else {
                s.task.to_string()
            };
            let (from, to) = since_start(t, s);
            out.push_str(&format!(
                "{model},{task},{},{},{},{},{:.3},{:.3},{:.3}\n",
                t.name_of_lane(s.lane),
                s.phase,
                s.kind.name(),
                s.state.name(),
                from as f64 / 1e3,
                to as f64 / 1e3,
                (to - from) as f64 / 1e3
            ));
        }
    }
    out
}

/// The runs in Chrome's Trace Event format: one process per model, one
/// thread per lane (tasks' off-lane waits on a thread per task), one complete
/// ("X") event per span, microseconds from each run's start.
pub fn trace_events(runs: &[Exported<'_>]) -> String {
    let mut events = Vec::new();
    for (pid, r) in runs.iter().enumerate() {
        let t = r.trace;
        let pid = pid + 1;
        // The task count and wall time ride along: a task may have recorded
        // no span, and the run may last past its last span.
        events.push(
            json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {
                "name": t.model.map_or("-", |m| m.label()),
                "tasks": t.tasks,
                "wall_us": t.wall() as f64 / 1e3,
            }}),
        );
        for lane in 0..t.lanes {
            events.push(json!({"ph": "M", "name": "thread_name", "pid": pid, "tid": lane, "args": {"name": t.name_of_lane(lane)}}));
        }
        for s in &t.spans {
            // Off-lane spans (a loop task waiting) go on a row per task.
            let tid = if s.lane == NO_LANE {
                1000 + u64::from(s.task)
            } else {
                u64::from(s.lane)
            };
            let task = if s.task == NO_TASK {
                "-".to_string()
            } else {
                s.task.to_string()
            };
            let (from, to) = since_start(t, s);
            events.push(json!({
                "name": format!("{} {}", s.kind.name(), s.state.name()),
                "cat": s.state.name(),
                "ph": "X",
                "pid": pid,
                "tid": tid,
                "ts": from as f64 / 1e3,
                "dur": (to - from) as f64 / 1e3,
                "args": {"task": task, "phase": s.phase, "state": s.state.name()},
            }));
        }
    }
    serde_json::to_string(&json!({"traceEvents": events, "displayTimeUnit": "ms"}))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::costs::Costs;
    use crate::model::{Model, RunConfig};
    use crate::sim::simulate;

    #[test]
    fn a_repeated_run_exports_how_many_runs_and_each_one_s_wall() {
        let w: workload::Workload = "2*cpu(1M)".parse().unwrap();
        let mut t = simulate(&w, &RunConfig::new(Model::Loop), &Costs::default());
        let export = |t: &Trace| -> Value {
            let m = Metrics::from_trace(t, None);
            let runs = [Exported {
                trace: t,
                metrics: &m,
                predicted_wall_ms: None,
            }];
            serde_json::from_str(&results_json("", Value::Null, &runs)).unwrap()
        };
        let once = export(&t);
        assert_eq!(once["models"][0]["runs"], Value::Null);
        assert!(once["models"][0].get("runs_wall_ms").is_none());
        t.repeats = vec![3_000_000, 2_500_000, 4_000_000];
        let again = export(&t);
        assert_eq!(again["models"][0]["runs"], json!(3.0));
        assert_eq!(again["models"][0]["runs_wall_ms"], json!([3.0, 2.5, 4.0]));
    }

    #[test]
    fn exports_have_one_record_per_span() {
        let w: workload::Workload = "3*[io(10ms),cpu(1M)]".parse().unwrap();
        let t = simulate(&w, &RunConfig::new(Model::Loop), &Costs::default());
        let m = Metrics::from_trace(&t, None);
        let runs = [Exported {
            trace: &t,
            metrics: &m,
            predicted_wall_ms: Some(1.0),
        }];
        let csv = spans_csv(&runs);
        assert_eq!(csv.lines().count(), 1 + t.spans.len());
        let te: Value = serde_json::from_str(&trace_events(&runs)).unwrap();
        let xs = te["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == "X")
            .count();
        assert_eq!(xs, t.spans.len());
        let res: Value =
            serde_json::from_str(&results_json("v=1&w=x", json!({"cores": 2}), &runs)).unwrap();
        assert_eq!(res["models"][0]["model"], "loop");
        assert!(res["models"][0]["wall_ms"].as_f64().unwrap() > 0.0);
        assert_eq!(res["machine"]["cores"], 2);
    }

    #[test]
    fn a_span_that_began_before_its_run_is_clipped_at_both_ends_alike() {
        use crate::trace::{PhaseKind, Span, SpanState};
        let t = Trace {
            start: 1_000_000,
            end: 9_000_000,
            lanes: 1,
            tasks: 1,
            spans: vec![Span {
                task: 0,
                lane: crate::trace::NO_LANE,
                phase: 0,
                kind: PhaseKind::Incr,
                state: SpanState::Queued,
                start: 300_000,
                end: 3_000_000,
            }],
            ..Trace::default()
        };
        let m = Metrics::from_trace(&t, None);
        let runs = [Exported {
            trace: &t,
            metrics: &m,
            predicted_wall_ms: None,
        }];
        let csv = spans_csv(&runs);
        let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
        assert_eq!(row[6..], ["0.000", "2000.000", "2000.000"], "{csv}");
        let te: Value = serde_json::from_str(&trace_events(&runs)).unwrap();
        let x = te["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["ph"] == "X")
            .unwrap()
            .clone();
        assert_eq!(
            (x["ts"].as_f64(), x["dur"].as_f64()),
            (Some(0.0), Some(2000.0))
        );
    }
}
