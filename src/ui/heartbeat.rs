//! The heartbeat: a dot that moves every animation frame and a readout of the
//! longest gap between frames in the last second. When the main thread
//! blocks, the dot freezes and the readout jumps.
//!
//! Driven by `requestAnimationFrame` from our code on purpose: a CSS
//! animation runs on the compositor and would keep moving while the page is
//! frozen, hiding exactly what this is here to show.

use std::cell::Cell;

use leptos::html::Div;
use leptos::prelude::*;

/// The always-running heartbeat.
#[component]
pub fn Heartbeat() -> impl IntoView {
    let dot = NodeRef::<Div>::new();
    let worst = RwSignal::new(0.0f64);
    let last = Cell::new(None::<f64>);
    let window_max = Cell::new(0.0f64);
    let window_start = Cell::new(0.0f64);
    crate::runtime::frames::on_frame(move |t: f64| {
        if let Some(prev) = last.replace(Some(t)) {
            window_max.set(window_max.get().max(t - prev));
        }
        if t - window_start.get() > 1000.0 {
            worst.set(window_max.get());
            window_max.set(0.0);
            window_start.set(t);
        }
        if let Some(el) = dot.get_untracked() {
            let x = (t / 8.0) % 110.0;
            let _ = web_sys::HtmlElement::style(&el)
                .set_property("transform", &format!("translateX({x:.1}px)"));
        }
    });
    view! {
        <div class="heartbeat" title="Moves every frame and freezes when the main thread is blocked; the number is the longest gap between frames in the last second">
            <div class="hb-track" aria-hidden="true"><div class="hb-dot" node_ref=dot></div></div>
            <span data-testid="heartbeat" data-value=move || format!("{:.1}", worst.get()) role="status"
                class=move || { if worst.get() > 50.0 { "hb-readout hb-bad" } else { "hb-readout" } }>
                {move || format!("frame gap {:.0} ms", worst.get())}
            </span>
        </div>
    }
}
