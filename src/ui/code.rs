//! The same workload as real programs: Python (sequential, asyncio,
//! threading, multiprocessing) and JavaScript (the event loop, workers), each
//! ready to copy and run. The JavaScript shown is the very source the `js`
//! and `jsworker` models run.

use leptos::prelude::*;
use workload::js::JsFlavour;
use workload::python::Flavour;

use crate::state::use_app;

/// Copies `text` to the clipboard; says whether it could.
pub fn copy_text(text: &str) -> bool {
    web_sys::window()
        .map(|w| w.navigator().clipboard())
        .map(|c| {
            let _ = c.write_text(text);
            true
        })
        .unwrap_or(false)
}

/// Which program a tab shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prog {
    Py(Flavour),
    Js(JsFlavour),
}

impl Prog {
    fn id(self) -> String {
        match self {
            Prog::Py(f) => format!("py-{}", f.name()),
            Prog::Js(f) => format!("js-{}", f.model_id()),
        }
    }
    fn label(self) -> String {
        match self {
            Prog::Py(f) => format!("Python · {}", f.name()),
            Prog::Js(f) => format!("JavaScript · {}", f.name()),
        }
    }
}

/// The code tabs.
#[component]
pub fn CodeTabs() -> impl IntoView {
    let app = use_app();
    let sc = app.scenario;
    let which = RwSignal::new(Prog::Py(Flavour::Asyncio));
    let copied = RwSignal::new(false);
    let code = Memo::new(move |_| {
        let w = sc.parsed.get().ok()?;
        let k = sc.knobs.get().ok()?;
        Some(match which.get() {
            Prog::Py(f) => workload::python::program(&w, f, k.workers, k.limit, k.seed),
            Prog::Js(f) => workload::js::program(&w, f, k.workers, k.limit, k.seed),
        })
    });
    let progs: Vec<Prog> = Flavour::ALL
        .into_iter()
        .map(Prog::Py)
        .chain(JsFlavour::ALL.into_iter().map(Prog::Js))
        .collect();
    view! {
        <div class="code-tabs">
            <div class="row">
                <div role="tablist" aria-label="Program" class="tabs">
                    {progs.into_iter().map(|p| view! {
                        <button type="button" role="tab" class="tab small" data-testid=p.id()
                            aria-selected=move || (which.get() == p).to_string()
                            on:click=move |_| { which.set(p); copied.set(false); }>{p.label()}</button>
                    }).collect_view()}
                </div>
                <button type="button" class="secondary small" data-testid="code-copy"
                    on:click=move |_| { if let Some(c) = code.get_untracked() { copied.set(copy_text(&c)); } }>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
            {move || match which.get() {
                Prog::Py(Flavour::Threading) | Prog::Py(Flavour::Multiprocessing) => Some(view! {
                    <p class="help" data-testid="pyodide-note">
                        "threading and multiprocessing do not run in the browser's CPython (Pyodide has no threads or processes): run this program "
                        "on your machine with "<code>"python3 prog.py --trace trace.json"</code>", then drop the trace on the Timeline tab to draw it here."
                    </p>
                }),
                _ => None,
            }}
            {move || match code.get() {
                Some(c) => view! { <pre class="code" data-testid="python-code" tabindex="0"><code>{c}</code></pre> }.into_any(),
                None => view! { <p class="help">"Fix the workload to see its programs."</p> }.into_any(),
            }}
        </div>
    }
}
