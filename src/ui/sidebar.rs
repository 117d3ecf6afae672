//! The editor column: presets, the workload, its sizes, the models, the
//! knobs, Run and Cancel, and the costs behind the predictions. In an embed's
//! slim bar, [`RunBar`] stands alone.

use leptos::prelude::*;

use crate::runtime::python::LoadState;
use crate::state::pool::PoolStatus;
use crate::state::run::{can_run, cancel, start, Phase};
use crate::state::use_app;
use crate::ui::costs::CostsPanel;
use crate::ui::editor::{Knobs, ModelToggles, WorkloadField, WorkloadSteppers};
use crate::ui::presets::PresetMenu;

/// Problems with the link the page was opened with (every good field loaded).
#[component]
pub fn LinkProblems(errors: Vec<urlstate::FieldError>, notices: Vec<String>) -> impl IntoView {
    (!errors.is_empty() || !notices.is_empty()).then(|| {
        view! {
            <section class="link-problems" role="alert" data-testid="link-errors">
                {(!errors.is_empty()).then(|| view! { <p><strong>"This link has problems; everything else in it was loaded:"</strong></p> })}
                <ul>
                    {errors.iter().map(|e| view! { <li><code>{e.field.clone()}</code>": "{e.message.clone()}</li> }).collect_view()}
                    {notices.iter().map(|n| view! { <li class="help">{n.clone()}</li> }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// Run, Cancel, progress, status, and what stands in the way of a run.
#[component]
pub fn RunBar(#[prop(optional)] slim: bool) -> impl IntoView {
    let app = use_app();
    let run = app.run;
    let isolated = app.env.isolated;
    // The confirmation of a long run takes the focus when it appears (an
    // alert dialog), which also scrolls it into view below a tall editor.
    let consent_btn = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if matches!(run.phase.get(), Phase::NeedsConsent(..)) {
            request_animation_frame(move || {
                if let Some(b) = consent_btn.get_untracked() {
                    let _ = b.focus();
                }
            });
        }
    });
    view! {
        <div class="runbar" class:slim=slim role="group" aria-label="Run">
            <div class="row">
                <button type="button" class="run" data-testid="run" disabled=move || !can_run(&app) on:click=move |_| start(app, false)>"Run"</button>
                <button type="button" class="secondary" data-testid="cancel"
                    disabled=move || !run.running() && !matches!(run.phase.get(), Phase::NeedsConsent(..))
                    on:click=move |_| {
                        // Waiting for the long run's confirmation, Cancel says no:
                        // nothing runs, the models stay as chosen.
                        if matches!(run.phase.get_untracked(), Phase::NeedsConsent(..)) {
                            run.phase.set(Phase::Idle);
                        } else {
                            cancel(app);
                        }
                    }>"Cancel"</button>
                <progress data-testid="progress" max="1" aria-label="Run progress" value=move || run.progress().to_string()></progress>
            </div>
            <p class="status" data-testid="status" role="status" aria-live="polite">
                {move || match run.phase.get() {
                    Phase::Idle => "Ready.".to_string(),
                    Phase::Running { model, index, of, .. } => format!("Running {} ({} of {of})…", model.label(), index + 1),
                    Phase::Sweeping { step, of } => format!("Sweeping: value {} of {of}…", step + 1),
                    Phase::Done => "Done.".into(),
                    Phase::Cancelled => "Cancelled: the partial results are kept.".into(),
                    Phase::Failed(_) => "Failed (see below).".into(),
                    Phase::NeedsConsent(..) => "Waiting for your confirmation.".into(),
                }}
            </p>
            {move || match run.phase.get() {
                Phase::NeedsConsent(msg, model) => Some(view! {
                    <div class="consent" role="alertdialog" aria-label="Confirm a long run">
                        <p>{msg}</p>
                        <button type="button" data-testid="consent-run" node_ref=consent_btn on:click=move |_| start(app, true)>"Run anyway"</button>
                        <button type="button" class="secondary" on:click=move |_| {
                            app.scenario.models.update(|m| m.retain(|x| *x != model));
                            run.phase.set(Phase::Idle);
                        }>{format!("Skip {}", model.label())}</button>
                    </div>
                }.into_any()),
                Phase::Failed(e) => Some(view! { <p class="error" role="alert" data-testid="run-error">{e}</p> }.into_any()),
                _ => None,
            }}
            {move || run.notice.get().map(|n| view! { <p class="help notice" role="status" data-testid="run-notice">{n}</p> })}
            {move || match run.python.get() {
                LoadState::NotLoaded => None,
                LoadState::Downloading { loaded, total } => Some(view! {
                    <div class="row python-load" data-testid="python-loading">
                        <span class="help">"Loading CPython (Pyodide)…"</span>
                        <progress data-testid="python-progress" max=total.max(1.0).to_string() value=loaded.to_string()
                            aria-label="Loading CPython"></progress>
                        <span class="help">{format!("{:.1} of {:.1} MB", loaded / 1e6, total / 1e6)}</span>
                    </div>
                }.into_any()),
                LoadState::Ready { version, load_ms } => Some(view! {
                    <p class="help" data-testid="python-ready">{format!("CPython {version} loaded in {:.1} s (not counted in any wall time).", load_ms / 1e3)}</p>
                }.into_any()),
                LoadState::Failed(e) => Some(view! { <p class="error" data-testid="python-failed">{e}</p> }.into_any()),
            }}
            {(!slim).then(|| view! {
                <p class="help" data-testid="pool-status" data-workers=move || match app.pool.status.get() { PoolStatus::Ready { workers, .. } => workers.to_string(), _ => String::new() }>
                    {move || match app.pool.status.get() {
                        PoolStatus::Starting(n) => format!("Starting {n} workers…"),
                        PoolStatus::Ready { workers, startup_ms } => {
                            // Workers changed since the pool started: it is
                            // resized when a run needs it, and says so meanwhile.
                            let next = app.scenario.knobs.get().ok()
                                .map(|k| usize::from(k.workers))
                                .filter(|w| *w != workers)
                                .map(|w| format!(" A run on the workers starts {w} {}.", if w == 1 { "worker" } else { "workers" }))
                                .unwrap_or_default();
                            format!(
                                "{workers} workers ready in {startup_ms:.1} ms (measured).{next} {}",
                                if isolated { "Cross-origin isolated: shared memory." } else { "Not cross-origin isolated: the GIL goes by messages." }
                            )
                        }
                        PoolStatus::Failed(e) => format!("The pool could not start: {e}. Models without workers still run."),
                    }}
                </p>
            })}
            {(slim).then(|| view! {
                <span class="visually-hidden" data-testid="pool-status" data-workers=move || match app.pool.status.get() { PoolStatus::Ready { workers, .. } => workers.to_string(), _ => String::new() }></span>
            })}
            {(!isolated && !app.env.embed).then(|| view! {
                <p class="help">"Shared memory (real races between free threads, the GIL in Atomics) needs cross-origin isolation. "
                    <button type="button" class="secondary small" data-testid="enable-isolation" on:click=move |_| crate::embed::enable_isolation()>
                        "Enable it (reloads the page)"
                    </button>
                </p>
            })}
        </div>
    }
}

/// The whole editor column.
#[component]
pub fn Sidebar() -> impl IntoView {
    view! {
        <aside class="sidebar" aria-label="Scenario">
            // Each part on a task of its own: building the whole column in
            // one would make the page's first task long (the page's state
            // and its pool start in that one). On a 2-core machine whose
            // cores are half as fast as the one these parts were first
            // split on, the editor alone took 40 ms of an 80 ms first task:
            // V8 compiles each wasm function on its first call.
            <crate::ui::Deferred>
                <PresetMenu />
                <WorkloadField />
                <details class="sizes">
                    <summary>"Sizes: ×2 and ÷2"</summary>
                    <WorkloadSteppers />
                </details>
            </crate::ui::Deferred>
            <crate::ui::Deferred><ModelToggles /></crate::ui::Deferred>
            <crate::ui::Deferred><Knobs /></crate::ui::Deferred>
            <crate::ui::Deferred><RunBar /><CostsPanel /></crate::ui::Deferred>
        </aside>
    }
}
