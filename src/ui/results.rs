//! The results table: one column per model, one row per metric. Every cell
//! carries `data-model`, `data-metric` and `data-value` (the public contract).

use leptos::prelude::*;

use super::{format_metric, metric_label};
use crate::session::ModelResult;

/// One row: a metric's name and each model's value.
#[derive(Clone, PartialEq)]
struct Row {
    name: &'static str,
    cells: Vec<(String, Option<String>, String)>, // (model, data-value, shown)
}

fn rows(results: &[ModelResult]) -> Vec<Row> {
    let Some(first) = results.first() else {
        return Vec::new();
    };
    let mut names: Vec<&'static str> = vec!["wall_ms", "predicted_wall_ms", "prediction_error_pct"];
    names.extend(
        first
            .metrics
            .cells()
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| *n != "wall_ms"),
    );
    names.push("checksum");
    names
        .into_iter()
        .filter_map(|name| {
            let cells: Vec<_> = results
                .iter()
                .map(|r| {
                    let model = r.model.name().to_string();
                    let value: Option<(String, String)> = match name {
                        "predicted_wall_ms" => r.predicted_wall_ms.map(|v| {
                            (
                                format!("{v:.3}"),
                                format!("{} (predicted)", format_metric("wall_ms", v)),
                            )
                        }),
                        "prediction_error_pct" => r.prediction_error_pct().map(|v| {
                            let warn = if v.abs() > crate::session::PREDICTION_WARN_PCT {
                                " ⚠"
                            } else {
                                ""
                            };
                            (
                                format!("{v:.3}"),
                                format!(
                                    "{}{warn}",
                                    crate::ui::format_metric("prediction_error_pct", v)
                                ),
                            )
                        }),
                        // Short runs are repeated: how many, and how far apart.
                        "runs" => r
                            .metrics
                            .runs
                            .map(|n| (n.to_string(), format!("{n} ({})", runs_spread(&r.trace)))),
                        "checksum" => {
                            Some((r.trace.checksum.to_string(), r.trace.checksum.to_string()))
                        }
                        // A cancelled run: how many of them finished.
                        "tasks" if r.metrics.done_before_cancel.is_some() => {
                            let done = r.metrics.done_before_cancel.unwrap_or(0);
                            Some((
                                r.metrics.tasks.to_string(),
                                format!("{} ({done} done before the cancel)", r.metrics.tasks),
                            ))
                        }
                        _ => r
                            .metrics
                            .cells()
                            .into_iter()
                            .find(|(n, _)| *n == name)
                            .and_then(|(_, v)| v)
                            .map(|v| (format!("{v:.3}"), format_metric(name, v))),
                    };
                    match value {
                        Some((data, shown)) => (model, Some(data), shown),
                        None => (model, None, "—".to_string()),
                    }
                })
                .collect();
            // A row where no model has a value says nothing: leave it out.
            cells
                .iter()
                .any(|c| c.1.is_some())
                .then_some(Row { name, cells })
        })
        .collect()
}

/// "13.0 ms to 28.3 ms": a repeated run's spread.
pub fn runs_spread(trace: &engine::trace::Trace) -> String {
    let (lo, hi) = (
        trace.repeats.iter().min().copied().unwrap_or(0),
        trace.repeats.iter().max().copied().unwrap_or(0),
    );
    format!(
        "{} to {}",
        format_metric("wall_ms", lo as f64 / 1e6),
        format_metric("wall_ms", hi as f64 / 1e6)
    )
}

/// Measured walls under this (ms) vary by 10–50 % between two runs in a
/// row on a 2-core machine (BENCHMARKS.md, prediction fidelity): a miss
/// there says as much about the run as about the prediction.
pub const SHORT_RUN_MS: f64 = 200.0;

/// Predictions that missed by more than the fidelity target, said in words.
fn fidelity_warning(results: &[ModelResult]) -> Option<String> {
    let off: Vec<(&str, f64, f64)> = results
        .iter()
        .filter_map(|r| {
            let e = r.prediction_error_pct()?;
            Some((r.model.label(), e, r.metrics.wall_ms))
        })
        .collect();
    fidelity_warning_text(&off)
}

/// The warning for `(model label, prediction error %, measured wall ms)`:
/// `None` when every error is within [`crate::session::PREDICTION_WARN_PCT`].
/// When every model that missed ran under [`SHORT_RUN_MS`], it says that
/// such short runs vary as much from one run to the next, and how to get
/// steadier figures, instead of the general causes.
pub fn fidelity_warning_text(results: &[(&str, f64, f64)]) -> Option<String> {
    let limit = crate::session::PREDICTION_WARN_PCT;
    let off: Vec<&(&str, f64, f64)> = results.iter().filter(|r| r.1.abs() > limit).collect();
    if off.is_empty() {
        return None;
    }
    let named: Vec<String> = off
        .iter()
        // One decimal where rounding would show the limit itself (+15 %),
        // which reads as within it.
        .map(|(m, e, _)| {
            if e.abs().round() <= limit {
                format!("{m} {e:+.1} %")
            } else {
                format!(
                    "{m} {}",
                    crate::ui::format_metric("prediction_error_pct", *e)
                )
            }
        })
        .collect();
    let named = named.join(", ");
    // For short runs the likeliest cause is the run itself, and the fix is
    // a bigger workload; said instead of the general causes, so that the
    // warning stays short enough for a 600×400 embed.
    Some(if off.iter().all(|r| r.2 < SHORT_RUN_MS) {
        format!(
            "The prediction missed by more than {limit:.0} % for {named}. Runs under {SHORT_RUN_MS:.0} ms can vary by 10–50 % from one run to the next: double the workload (Sizes) for steadier figures. The costs are refined from this run."
        )
    } else {
        format!(
            "The prediction missed by more than {limit:.0} % for {named}: this machine's costs were not yet well measured, or something else ran meanwhile. The costs are refined from this run: run again to compare."
        )
    })
}

/// The measured (and predicted) figures of the last run.
#[component]
pub fn ResultsTable(results: Signal<Vec<ModelResult>, LocalStorage>) -> impl IntoView {
    view! {
        {move || results.with(|r| fidelity_warning(r)).map(|w| view! { <p class="warn" role="status" data-testid="prediction-warning">{w}</p> })}
        {move || {
            let notes: Vec<String> = results.with(|r| r.iter().filter_map(|r| r.trace.implementation.as_ref().map(|i| format!("{}: {i}.", r.model.label()))).collect());
            (!notes.is_empty()).then(|| view! { <p class="help" data-testid="implementation">{notes.join(" ")}</p> })
        }}
        <div class="table-wrap" tabindex="0" role="region" aria-label="Results table">
            <table class="results" data-testid="results">
                <caption>"Measured in this browser, except where marked predicted (the engine on a virtual clock)."</caption>
                <thead>
                    <tr>
                        <th scope="col">"Metric"</th>
                        {move || results.get().iter().map(|r| view! {
                            <th scope="col" data-model=r.model.name()>
                                {r.model.label()}
                                {r.trace.cancelled.then_some(view! { <span class="tag">" cancelled"</span> })}
                            </th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {move || rows(&results.get()).into_iter().map(|row| view! {
                        <tr>
                            <th scope="row">{metric_label(row.name)}</th>
                            {row.cells.into_iter().map(|(model, value, shown)| view! {
                                <td data-model=model data-metric=row.name data-value=value>{shown}</td>
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
