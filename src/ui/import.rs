//! Bring your own trace: a Trace Event JSON file written by the Python tab's
//! programs (`--trace FILE`, on your machine, with threads and processes
//! that the browser's CPython lacks), any other Trace Event file, or the
//! playground's own results export. Drop it on the timeline or pick it; it is
//! drawn as a group of its own, named by what the file says. The file is only
//! ever read as data: names in it are shown as text, never as markup.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::state::use_app;

async fn read(file: web_sys::File) -> Result<Vec<engine::import::Imported>, String> {
    if file.size() > engine::import::MAX_BYTES as f64 {
        return Err(engine::import::ImportError::TooLarge {
            bytes: file.size() as usize,
        }
        .to_string());
    }
    let text = JsFuture::from(file.text())
        .await
        .map_err(|e| format!("the file could not be read: {e:?}"))?;
    let text = text.as_string().ok_or("the file is not text")?;
    // Let the page draw the "reading" status before the parse.
    crate::runtime::yield_to_browser().await;
    engine::import::import_any(&text).map_err(|e| e.to_string())
}

/// The drop zone and file picker.
#[component]
pub fn TraceImport() -> impl IntoView {
    let app = use_app();
    let status = RwSignal::new(None::<Result<String, String>>);
    let over = RwSignal::new(false);
    let take = move |file: web_sys::File| {
        let name = file.name();
        status.set(Some(Ok(format!("Reading {name}…"))));
        spawn_local(async move {
            match read(file).await {
                Ok(runs) => {
                    let summary = engine::import::summary(&runs);
                    app.run.imported.update(|v| {
                        for r in runs {
                            let mut t = r.trace;
                            // The same file (or the same runs) imported
                            // twice: number the later ones, so the chart,
                            // Compare and the inspector can tell them apart.
                            let taken = |l: &str| v.iter().any(|x| x.label.as_deref() == Some(l));
                            let mut label = r.label.clone();
                            let mut n = 2;
                            while taken(&label) {
                                label = format!("{} #{n}", r.label);
                                n += 1;
                            }
                            t.label = Some(label);
                            v.push(Rc::new(t));
                        }
                    });
                    app.run.stale.set(false);
                    status.set(Some(Ok(summary)));
                }
                Err(e) => status.set(Some(Err(format!("{name}: {e}")))),
            }
        });
    };
    let on_pick = move |ev: web_sys::Event| {
        let input: web_sys::HtmlInputElement = ev
            .target()
            .and_then(|t| t.dyn_into().ok())
            .expect("the picker is an input");
        if let Some(f) = input.files().and_then(|fs| fs.get(0)) {
            take(f);
        }
        input.set_value("");
    };
    view! {
        <div class="import" class:over=move || over.get() data-testid="trace-drop"
            on:dragover=move |ev: web_sys::DragEvent| { ev.prevent_default(); over.set(true); }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                over.set(false);
                if let Some(f) = ev.data_transfer().and_then(|d| d.files()).and_then(|fs| fs.get(0)) {
                    take(f);
                }
            }>
            <label class="import-pick">
                <span>"Import a trace: drop a file here or "</span>
                <input type="file" accept=".json,application/json" data-testid="trace-file" on:change=on_pick />
            </label>
            <span class="help">" (a Python tab program's --trace file from your machine, any Trace Event JSON, or a results export)"</span>
            {move || (!app.run.imported.with(|v| v.is_empty())).then(|| view! {
                <button type="button" class="secondary small" data-testid="trace-clear" on:click=move |_| app.run.imported.set(Vec::new())>"Remove imported"</button>
            })}
            {move || status.get().map(|s| match s {
                Ok(m) => view! { <p class="help" role="status" data-testid="trace-status">{m}</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert" data-testid="trace-error">{e}</p> }.into_any(),
            })}
        </div>
    }
}
