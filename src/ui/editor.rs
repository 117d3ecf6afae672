//! The workload field with live validation, and the run knobs.

use engine::model::Model;
use leptos::prelude::*;
use workload::{ParseError, Workload};

/// The workload text field; the error (with a caret under the offending
/// characters) appears under it while the last valid run stays on screen.
#[component]
pub fn WorkloadField(text: RwSignal<String>, parsed: Memo<Result<Workload, ParseError>>, readonly: Signal<bool>) -> impl IntoView {
    view! {
        <div class="field">
            <label for="workload">"Workload"</label>
            <input id="workload" data-testid="workload" class="mono wide" autocomplete="off" spellcheck="false"
                aria-describedby="workload-help"
                aria-invalid=move || parsed.get().is_err().to_string()
                readonly=readonly
                prop:value=move || text.get()
                on:input:target=move |ev| text.set(ev.target().value()) />
            <div id="workload-help" role="status" aria-live="polite">
                {move || match parsed.get() {
                    Ok(w) => view! {
                        <p class="help" data-testid="workload-ok">
                            {format!("{} tasks · canonical form: {}", w.task_count(), w)}
                        </p>
                    }.into_any(),
                    Err(e) => view! {
                        <div class="help error" data-testid="workload-error">
                            <pre class="caret" aria-hidden="true">{e.caret(&text.get_untracked())}</pre>
                            <p>{format!("Error at character {}: {}", e.span.start + 1, e.message)}</p>
                        </div>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

/// Toggles for the models to run.
#[component]
pub fn ModelToggles(selected: RwSignal<Vec<Model>>, shared_memory: Signal<bool>) -> impl IntoView {
    view! {
        <fieldset class="models">
            <legend>"Models"</legend>
            {Model::ALL.into_iter().map(|m| {
                let unavailable = move || !m.is_ours() && !shared_memory.get() && false;
                view! {
                    <label class="toggle" title=move || if unavailable() { "Needs shared memory: a cross-origin isolated page" } else { "" }>
                        <input type="checkbox" data-testid=format!("model-{}", m.name())
                            disabled=unavailable
                            prop:checked=move || selected.get().contains(&m)
                            on:change:target=move |ev| {
                                let on = ev.target().checked();
                                selected.update(|s| {
                                    s.retain(|x| *x != m);
                                    if on { s.push(m); s.sort(); }
                                });
                            } />
                        <span>{m.label()}</span>
                    </label>
                }
            }).collect_view()}
            {move || (!shared_memory.get()).then_some(view! {
                <p class="help">"Threads with a GIL and free threads need cross-origin isolation (SharedArrayBuffer)."</p>
            })}
        </fieldset>
    }
}

/// A labelled number input bound to a text signal (validated by the caller).
#[component]
pub fn NumberField(id: &'static str, label: &'static str, value: RwSignal<String>, #[prop(into)] hint: String) -> impl IntoView {
    view! {
        <div class="knob">
            <label for=id>{label}</label>
            <input id=id data-testid=id class="mono" inputmode="numeric" autocomplete="off"
                title=hint.clone() aria-label=format!("{label} ({hint})")
                prop:value=move || value.get()
                on:input:target=move |ev| value.set(ev.target().value()) />
        </div>
    }
}
