//! The comparison chart: wall time per model, measured bars with the
//! predicted value marked, and any imported trace beside them, in SVG (a
//! handful of bars needs no canvas).

use leptos::prelude::*;

use super::format_metric;
use crate::session::ModelResult;
use crate::state::use_app;

/// One bar: (label, model name or "imported", measured ms, predicted ms).
type Bar = (String, String, f64, Option<f64>);

/// Bars of measured wall time, a tick for the prediction.
#[component]
pub fn CompareChart(results: Signal<Vec<ModelResult>, LocalStorage>) -> impl IntoView {
    let app = use_app();
    let bar_h = 26.0;
    let label_w = 150.0;
    let width = 600.0;
    view! {
        {move || {
            let mut bars: Vec<Bar> = results.get().iter().map(|m| (m.trace.display_name(), m.model.name().to_string(), m.metrics.wall_ms, m.predicted_wall_ms)).collect();
            app.run.imported.with(|v| bars.extend(v.iter().map(|t| (t.display_name(), "imported".to_string(), t.wall() as f64 / 1e6, None))));
            let max = bars.iter().map(|b| b.2.max(b.3.unwrap_or(0.0))).fold(0.0, f64::max).max(1e-9);
            let plot = width - label_w - 80.0;
            let h = bar_h * bars.len() as f64 + 8.0;
            let summary = bars.iter().map(|b| format!("{} {}", b.0, format_metric("wall_ms", b.2))).collect::<Vec<_>>().join(", ");
            let short = |s: &str| if s.chars().count() > 22 { format!("{}…", s.chars().take(21).collect::<String>()) } else { s.to_string() };
            view! {
                <figure class="compare">
                    <svg viewBox=format!("0 0 {width} {h}") width="100%" role="img" aria-label=format!("Wall time per model: {summary}") data-testid="compare">
                        {bars.iter().enumerate().map(|(i, (label, name, wall, predicted))| {
                            let y = 4.0 + i as f64 * bar_h;
                            let w = wall / max * plot;
                            let px = predicted.map(|p| label_w + p / max * plot);
                            // The number goes past the bar and past the tick: a
                            // prediction above the measurement would cross it.
                            let text_x = px.map_or(label_w + w, |px| px.max(label_w + w)) + 6.0;
                            view! {
                                <g>
                                    <text x="0" y=y + bar_h * 0.65 class="compare-label"><title>{label.clone()}</title>{short(label)}</text>
                                    <rect x=label_w y=y + 4.0 width=w.max(1.0) height=bar_h - 8.0 rx="3" class=format!("bar bar-{name}")
                                        data-model=name.clone() data-value=format!("{wall:.3}") />
                                    {px.map(|px| view! {
                                        <line x1=px x2=px y1=y + 1.0 y2=y + bar_h - 1.0 class="predicted-mark">
                                            <title>{format!("predicted {}", format_metric("wall_ms", predicted.unwrap_or(0.0)))}</title>
                                        </line>
                                    })}
                                    <text x=text_x y=y + bar_h * 0.65 class="compare-value">{format_metric("wall_ms", *wall)}</text>
                                </g>
                            }
                        }).collect_view()}
                    </svg>
                    <figcaption class="help">"Bars: measured wall time. Upright ticks: the engine's prediction on a virtual clock. " {summary}</figcaption>
                </figure>
            }
        }}
    }
}
