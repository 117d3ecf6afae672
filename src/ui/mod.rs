//! Leptos components, one concern each. State that is not about drawing
//! (runs, metrics) lives outside, in `session` and the engine.

pub mod code;
pub mod compare;
pub mod costs;
pub mod dom;
pub mod editor;
pub mod header;
pub mod heartbeat;
pub mod import;
pub mod inspector;
pub mod presets;
pub mod results;
pub mod sidebar;
pub mod sweep;
pub mod timeline;
pub mod workspace;

/// Formats a metric value for a table cell.
pub fn format_metric(name: &str, v: f64) -> String {
    if name == "prediction_error_pct" {
        // Rounded first: -0.3 % is "0 %", not "-0 %".
        let r = v.round();
        if r == 0.0 {
            "0 %".to_string()
        } else {
            format!("{r:+.0} %")
        }
    } else if name.ends_with("_pct") {
        format!("{:.0} %", v.round() + 0.0)
    } else if name.ends_with("_ms") {
        // Three significant digits, as the chart's headings show them.
        if v >= 1000.0 {
            format!("{:.2} s", v / 1000.0)
        } else if v >= 100.0 {
            format!("{v:.0} ms")
        } else if v >= 10.0 {
            format!("{v:.1} ms")
        } else {
            format!("{v:.2} ms")
        }
    } else if name.ends_with("_ns_per_iter") {
        format!("{v:.2} ns")
    } else if name == "speedup" {
        format!("{v:.2}×")
    } else {
        format!("{v:.0}")
    }
}

/// A label for people for each metric name.
pub fn metric_label(name: &str) -> &'static str {
    match name {
        "wall_ms" => "Wall time",
        "runs" => "Runs (median shown)",
        "predicted_wall_ms" => "Predicted wall time",
        "prediction_error_pct" => "Prediction error (predicted − measured)",
        "speedup" => "Speedup over sequential",
        "efficiency_pct" => "Parallel efficiency (speedup ÷ workers)",
        "utilisation_pct" => "CPU utilisation",
        "busy_ms" => "CPU busy time (all lanes)",
        "longest_block_ms" => "Longest main-thread block",
        "dropped_frames" => "Dropped frames",
        "lag_p50_ms" => "Event-loop lag p50",
        "lag_p99_ms" => "Event-loop lag p99",
        "pool_startup_ms" => "Pool start-up (before the run)",
        "transfer_ms" => "Transfer time",
        "lost_updates" => "Lost updates",
        "gil_handovers" => "GIL hand-overs",
        "gil_wait_ms" => "Time waiting for the GIL",
        "load_ms" => "Loading the runtime (not in the wall time)",
        "cpu_ns_per_iter" => "CPU time per Σi² iteration",
        "tasks" => "Tasks",
        "failed_tasks" => "Failed tasks",
        "checksum" => "Σi² checksum",
        _ => "",
    }
}

/// Renders its children on a later task: after the page has drawn what it
/// holds now (`paint`), or just after the current task. Parts below the fold
/// or secondary to the chart then add their own build, style and layout work
/// to a later task, instead of making the first one long.
#[leptos::component]
pub fn Deferred(
    #[prop(optional)] paint: bool,
    children: leptos::children::ChildrenFn,
) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let ready = RwSignal::new(false);
    leptos::task::spawn_local(async move {
        if paint {
            crate::runtime::frames::next_frame().await;
        }
        crate::runtime::yield_to_browser().await;
        ready.set(true);
    });
    move || ready.get().then(|| children())
}
