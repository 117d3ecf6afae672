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
    let Some(first) = results.first() else { return Vec::new() };
    let mut names: Vec<&'static str> = vec!["wall_ms", "predicted_wall_ms"];
    names.extend(first.metrics.cells().iter().map(|(n, _)| *n).filter(|n| *n != "wall_ms"));
    names.push("checksum");
    names
        .into_iter()
        .filter_map(|name| {
            let cells: Vec<_> = results
                .iter()
                .map(|r| {
                    let model = r.model.name().to_string();
                    let value: Option<(String, String)> = match name {
                        "predicted_wall_ms" => r.predicted_wall_ms.map(|v| (format!("{v:.3}"), format!("{} (predicted)", format_metric("wall_ms", v)))),
                        "checksum" => Some((r.trace.checksum.to_string(), r.trace.checksum.to_string())),
                        _ => r.metrics.cells().into_iter().find(|(n, _)| *n == name).and_then(|(_, v)| v).map(|v| (format!("{v:.3}"), format_metric(name, v))),
                    };
                    match value {
                        Some((data, shown)) => (model, Some(data), shown),
                        None => (model, None, "—".to_string()),
                    }
                })
                .collect();
            // A row where no model has a value says nothing: leave it out.
            cells.iter().any(|c| c.1.is_some()).then_some(Row { name, cells })
        })
        .collect()
}

/// The measured (and predicted) figures of the last run.
#[component]
pub fn ResultsTable(results: Signal<Vec<ModelResult>, LocalStorage>) -> impl IntoView {
    view! {
        <div class="table-wrap">
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
