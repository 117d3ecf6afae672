//! The equivalent Python programs, one tab per flavour, with a copy button.

use leptos::prelude::*;
use workload::python::{program, Flavour};
use workload::{ParseError, Workload};

/// Copies `text` to the clipboard; says how it went.
pub fn copy_text(text: &str) -> bool {
    web_sys::window().map(|w| w.navigator().clipboard()).map(|c| { let _ = c.write_text(text); true }).unwrap_or(false)
}

/// The Python tab.
#[component]
pub fn PythonCode(parsed: Memo<Result<Workload, ParseError>>, workers: Signal<u16>, limit: Signal<Option<u32>>) -> impl IntoView {
    let flavour = RwSignal::new(Flavour::Asyncio);
    let copied = RwSignal::new(false);
    let code = Memo::new(move |_| parsed.get().ok().map(|w| program(&w, flavour.get(), workers.get(), limit.get())));
    view! {
        <div class="python">
            <div class="row">
                <div role="tablist" aria-label="Python flavour" class="tabs">
                    {Flavour::ALL.into_iter().map(|f| view! {
                        <button type="button" role="tab" class="tab" data-testid=format!("py-{}", f.name())
                            aria-selected=move || (flavour.get() == f).to_string()
                            on:click=move |_| { flavour.set(f); copied.set(false); }>{f.name()}</button>
                    }).collect_view()}
                </div>
                <button type="button" class="secondary small" data-testid="py-copy"
                    on:click=move |_| { if let Some(c) = code.get_untracked() { copied.set(copy_text(&c)); } }>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
            {move || match code.get() {
                Some(c) => view! { <pre class="code" data-testid="python-code"><code>{c}</code></pre> }.into_any(),
                None => view! { <p class="help">"Fix the workload to see its Python program."</p> }.into_any(),
            }}
            <p class="help">"Run it with python3 and compare its wall time and checksum with the table."</p>
        </div>
    }
}
