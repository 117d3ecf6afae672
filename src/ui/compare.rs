//! The comparison chart: wall time per model, measured bars with the
//! predicted value marked, in SVG (a handful of bars needs no canvas).

use leptos::prelude::*;

use super::format_metric;
use crate::session::ModelResult;

/// Bars of measured wall time, a tick for the prediction.
#[component]
pub fn CompareChart(results: Signal<Vec<ModelResult>, LocalStorage>) -> impl IntoView {
    let bar_h = 26.0;
    let label_w = 120.0;
    let width = 640.0;
    view! {
        {move || {
            let r = results.get();
            let max = r.iter().map(|m| m.metrics.wall_ms.max(m.predicted_wall_ms.unwrap_or(0.0))).fold(0.0, f64::max).max(1e-9);
            let plot = width - label_w - 90.0;
            let h = bar_h * r.len() as f64 + 8.0;
            let summary = r.iter().map(|m| format!("{} {}", m.model.label(), format_metric("wall_ms", m.metrics.wall_ms))).collect::<Vec<_>>().join(", ");
            view! {
                <figure class="compare">
                    <svg viewBox=format!("0 0 {width} {h}") width="100%" role="img" aria-label=format!("Wall time per model: {summary}") data-testid="compare">
                        {r.iter().enumerate().map(|(i, m)| {
                            let y = 4.0 + i as f64 * bar_h;
                            let w = m.metrics.wall_ms / max * plot;
                            let predicted = m.predicted_wall_ms.map(|p| label_w + p / max * plot);
                            view! {
                                <g>
                                    <text x="0" y=y + bar_h * 0.65 class="compare-label">{m.model.label()}</text>
                                    <rect x=label_w y=y + 4.0 width=w.max(1.0) height=bar_h - 8.0 rx="3" class=format!("bar bar-{}", m.model.name())
                                        data-model=m.model.name() data-value=format!("{:.3}", m.metrics.wall_ms) />
                                    {predicted.map(|px| view! {
                                        <line x1=px x2=px y1=y + 1.0 y2=y + bar_h - 1.0 class="predicted-mark">
                                            <title>{format!("predicted {}", format_metric("wall_ms", m.predicted_wall_ms.unwrap_or(0.0)))}</title>
                                        </line>
                                    })}
                                    <text x=label_w + w + 6.0 y=y + bar_h * 0.65 class="compare-value">{format_metric("wall_ms", m.metrics.wall_ms)}</text>
                                </g>
                            }
                        }).collect_view()}
                    </svg>
                    <figcaption class="help">"Bars: measured wall time. Dark ticks: the engine's prediction on a virtual clock. " {summary}</figcaption>
                </figure>
            }
        }}
    }
}
