//! The slim bar at the top: the title, the heartbeat, the theme and sharing
//! (link, iframe snippet, Markdown). In an embed: an "Open in playground"
//! link instead, with the full state.

use leptos::prelude::*;
use urlstate::Theme;

use crate::state::use_app;
use crate::ui::code::copy_text;
use crate::ui::heartbeat::Heartbeat;

/// The share buttons; the copied text is also shown, for pages that may not
/// write the clipboard.
#[component]
pub fn Share() -> impl IntoView {
    let app = use_app();
    let out = RwSignal::new(String::new());
    let copy = move |f: fn(&urlstate::Scenario) -> String| {
        let t = f(&app.scenario.link_untracked());
        copy_text(&t);
        out.set(t);
    };
    view! {
        <details class="share-menu">
            <summary data-testid="share">"Share"</summary>
            <div class="share-pop">
                <div class="row">
                    <button type="button" class="secondary small" data-testid="copy-link" on:click=move |_| copy(crate::url::link)>"Copy link"</button>
                    <button type="button" class="secondary small" data-testid="copy-iframe" on:click=move |_| copy(crate::url::iframe)>"Copy iframe"</button>
                    <button type="button" class="secondary small" data-testid="copy-markdown"
                        on:click=move |_| copy(|s| crate::url::markdown(s, "No-GIL Playground"))>"Copy Markdown"</button>
                </div>
                {move || (!out.get().is_empty()).then(|| view! {
                    <input class="mono share-output" readonly data-testid="share-output" aria-label="Copied text" prop:value=move || out.get() />
                })}
            </div>
        </details>
    }
}

/// The top bar.
#[component]
pub fn Header() -> impl IntoView {
    let app = use_app();
    let theme = app.scenario.theme;
    view! {
        <header class="top">
            <h1>"No-GIL Playground"</h1>
            <p class="tagline">"The event loop, processes and threads, run for real in your browser."</p>
            <div class="top-side">
                <Heartbeat />
                <label class="theme">"Theme "
                    <select data-testid="theme" on:change:target=move |ev| theme.set(match ev.target().value().as_str() {
                        "light" => Theme::Light,
                        "dark" => Theme::Dark,
                        _ => Theme::Auto,
                    })>
                        <option value="auto" selected=move || theme.get() == Theme::Auto>"System"</option>
                        <option value="light" selected=move || theme.get() == Theme::Light>"Light"</option>
                        <option value="dark" selected=move || theme.get() == Theme::Dark>"Dark"</option>
                    </select>
                </label>
                <Share />
            </div>
        </header>
    }
}

/// An embed's link to the full playground, with the whole scenario.
#[component]
pub fn OpenFull() -> impl IntoView {
    let app = use_app();
    view! {
        <a class="open-full" data-testid="open-full" target="_blank" rel="noopener"
            href=move || crate::url::link(&crate::url::full_page(&app.scenario.link()))>"Open in playground ↗"</a>
    }
}
