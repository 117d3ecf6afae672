//! The presets: a compact menu in the editor column (it shows the picked
//! preset's two sentences of what to look for), and the full gallery as a tab.

use engine::presets::{Preset, PRESETS};
use leptos::prelude::*;

use crate::state::use_app;
use crate::state::view::Tab;

fn load(p: &'static Preset) {
    let app = use_app();
    app.scenario.load_preset(p);
    app.run.notice.set(None);
}

/// The preset menu and the picked preset's "what to look for".
#[component]
pub fn PresetMenu() -> impl IntoView {
    let app = use_app();
    let sc = app.scenario;
    // The preset loaded, while its workload is still the one in the editor:
    // once edited, its sentences (which quote its figures) no longer apply,
    // and the menu says "Custom workload".
    let current = Memo::new(move |_| {
        sc.preset
            .get()
            .filter(|p| sc.text.with(|t| t.trim() == p.workload))
    });
    view! {
        <div class="field preset-menu">
            <label for="preset">"Preset"</label>
            <select id="preset" data-testid="preset" disabled=app.env.readonly
                on:change:target=move |ev| {
                    if let Some(p) = engine::presets::find(&ev.target().value()) {
                        let app = use_app();
                        app.scenario.load_preset(p);
                        app.run.notice.set(None);
                    }
                }>
                <option value="" selected=move || current.get().is_none()>"Custom workload"</option>
                {PRESETS.iter().map(|p| view! {
                    <option value=p.name selected=move || current.get().map(|x| x.name) == Some(p.name)>{p.title}</option>
                }).collect_view()}
            </select>
            {move || current.get().map(|p| view! {
                <p class="look-for" data-testid="look-for"><strong>{p.title}": "</strong>{p.look_for}</p>
            })}
        </div>
    }
}

/// The gallery: every preset with what to look for; one click loads it and
/// shows the timeline.
#[component]
pub fn Gallery() -> impl IntoView {
    let app = use_app();
    view! {
        <ul class="presets" aria-label="Presets: the claims of the asyncio literature, ready to check">
            {PRESETS.iter().map(|p| view! {
                <li class="preset">
                    <button type="button" class="preset-load" data-testid=format!("preset-{}", p.name)
                        on:click=move |_| { load(p); app.view.tab.set(Tab::Timeline); }>
                        <strong>{p.title}</strong>
                        <code>{p.workload}</code>
                    </button>
                    <p>{p.look_for}</p>
                </li>
            }).collect_view()}
        </ul>
    }
}
