//! The presets gallery: one click loads a scenario; each says what to look for.

use engine::presets::{Preset, PRESETS};
use leptos::prelude::*;

/// The gallery; `load` is called with the chosen preset.
#[component]
pub fn Gallery(load: Callback<&'static Preset>) -> impl IntoView {
    view! {
        <details class="gallery" open>
            <summary>"Presets: the claims of the asyncio literature, ready to check"</summary>
            <ul class="presets">
                {PRESETS.iter().map(|p| view! {
                    <li class="preset">
                        <button type="button" class="preset-load" data-testid=format!("preset-{}", p.name)
                            on:click=move |_| load.run(p)>
                            <strong>{p.title}</strong>
                            <code>{p.workload}</code>
                        </button>
                        <p>{p.look_for}</p>
                    </li>
                }).collect_view()}
            </ul>
        </details>
    }
}
