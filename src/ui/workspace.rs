//! The main area: the chart, large, with tabs for the timeline (and the
//! inspector), the comparison, the results, the sweep, the code and the
//! gallery. Only the tab shown is rendered: views nobody opened cost nothing
//! at start-up.

use leptos::prelude::*;

use crate::session::ModelResult;
use crate::state::run::Phase;
use crate::state::use_app;
use crate::state::view::Tab;
use crate::ui::code::CodeTabs;
use crate::ui::compare::CompareChart;
use crate::ui::import::TraceImport;
use crate::ui::inspector::Inspector;
use crate::ui::presets::Gallery;
use crate::ui::results::ResultsTable;
use crate::ui::sweep::SweepPanel;
use crate::ui::timeline::Timeline;

/// The exports of the last run.
#[component]
pub fn Exports() -> impl IntoView {
    let app = use_app();
    let results = app.run.results;
    let error = RwSignal::new(None::<String>);
    let link = move || crate::url::link(&app.scenario.link_untracked());
    view! {
        <div class="row exports" aria-label="Export">
            <span class="help">"Export:"</span>
            <button type="button" class="secondary small" data-testid="export-json"
                on:click=move |_| error.set(crate::export::results(&link(), &results.get_untracked()).err())>"Results JSON"</button>
            <button type="button" class="secondary small" data-testid="export-csv"
                on:click=move |_| error.set(crate::export::csv(&results.get_untracked()).err())>"Spans CSV"</button>
            <button type="button" class="secondary small" data-testid="export-trace"
                on:click=move |_| error.set(crate::export::trace(&results.get_untracked()).err())>"Trace (Perfetto)"</button>
            <button type="button" class="secondary small" data-testid="export-png"
                on:click=move |_| error.set(crate::export::png(&app).err())>"Timeline PNG"</button>
        </div>
        {move || error.get().map(|e| view! { <p class="error" role="alert">{format!("Export failed: {e}")}</p> })}
    }
}

/// Tasks that failed in the last run.
#[component]
pub fn Failures() -> impl IntoView {
    let app = use_app();
    let failures = move || {
        app.run.results.with(|r| {
            r.iter()
                .flat_map(|m| {
                    m.trace
                        .failures
                        .iter()
                        .map(move |f| format!("{} task {}: {}", m.model.label(), f.task, f.message))
                })
                .collect::<Vec<_>>()
        })
    };
    move || {
        let f = failures();
        (!f.is_empty()).then(|| {
            view! {
                <div class="error" role="alert" data-testid="failures">
                    <p>{format!("{} task(s) failed:", f.len())}</p>
                    <ul>{f.into_iter().take(20).map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                </div>
            }
        })
    }
}

/// The last runs, to compare.
#[component]
pub fn History() -> impl IntoView {
    let app = use_app();
    let history = app.run.history;
    move || {
        (history.with(|h| h.len()) > 1).then(|| view! {
        <section aria-labelledby="history-h">
            <h2 id="history-h" class="sub-h">"Recent runs"</h2>
            <ul class="history" data-testid="history">
                {history.get().into_iter().map(|(label, r)| {
                    let walls = r.iter().map(|m| format!("{} {}", m.model.name(), crate::ui::format_metric("wall_ms", m.metrics.wall_ms))).collect::<Vec<_>>().join(" · ");
                    let rr = r.clone();
                    view! {
                        <li>
                            <code>{label}</code>" "<span class="help">{walls}</span>" "
                            <button type="button" class="secondary small" on:click=move |_| app.run.results.set(rr.clone())>"Show"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    })
    }
}

/// The results to show: during a run, its models measured so far (the
/// last run's figures would read as this one's); otherwise the last run's.
fn shown_results(
    app: crate::state::AppState,
) -> (Memo<bool>, Signal<Vec<ModelResult>, LocalStorage>) {
    let running = Memo::new(move |_| matches!(app.run.phase.get(), Phase::Running { .. }));
    let shown = Signal::derive_local(move || {
        if running.get() {
            app.run.partial.get()
        } else {
            app.run.results.get()
        }
    });
    (running, shown)
}

/// Said while a run has measured no model yet.
const FIRST_MODEL_RUNNING: &str = "Running: each model's figures appear here as soon as it ends.";

/// The results tab (and an embed's compact table).
#[component]
pub fn ResultsPanel() -> impl IntoView {
    let (running, results) = shown_results(use_app());
    view! {
        {move || match (results.with(|r| r.is_empty()), running.get()) {
            (true, true) => view! { <p class="help" data-testid="results-running">{FIRST_MODEL_RUNNING}</p> }.into_any(),
            (true, false) => view! { <p class="help">"Press Run to measure the chosen models on this workload."</p> }.into_any(),
            (false, true) => view! { <ResultsTable results=results /> }.into_any(),
            (false, false) => view! { <ResultsTable results=results /> <Exports /> }.into_any(),
        }}
        <Failures />
        <History />
    }
}

/// The comparison tab.
#[component]
pub fn ComparePanel() -> impl IntoView {
    let app = use_app();
    let (running, results) = shown_results(app);
    move || {
        match (results.with(|r| r.is_empty()), app.run.imported.with(|v| v.is_empty())) {
        (true, true) if running.get() => view! { <p class="help" data-testid="results-running">{FIRST_MODEL_RUNNING}</p> }.into_any(),
        (true, true) => view! { <p class="help">"After a run, each model's wall time appears here, measured beside predicted."</p> }.into_any(),
        (true, false) => view! { <CompareChart results=results /> }.into_any(),
        _ => view! { <CompareChart results=results /> <div class="compact-table"><ResultsTable results=results /></div> }.into_any(),
    }
    }
}

/// The tab strip and the tab shown.
#[component]
pub fn Workspace(#[prop(optional)] tabs: Option<Vec<Tab>>) -> impl IntoView {
    let app = use_app();
    let tab = app.view.tab;
    let tabs = tabs.unwrap_or_else(|| Tab::ALL.to_vec());
    let show_strip = tabs.len() > 1;
    view! {
        <section class="workspace" aria-label="Charts">
            {show_strip.then(|| view! {
                <div role="tablist" aria-label="View" class="tabs main-tabs">
                    {tabs.iter().map(|&t| view! {
                        <button type="button" role="tab" class="tab" data-testid=format!("tab-{}", t.name())
                            aria-selected=move || (tab.get() == t).to_string()
                            on:click=move |_| tab.set(t)>{t.label()}</button>
                    }).collect_view()}
                </div>
            })}
            <div class="panel" role="tabpanel" aria-label=move || tab.get().label()>
                {move || match tab.get() {
                    Tab::Timeline => view! { <Timeline /> <crate::ui::Deferred paint=true><Inspector /> <TraceImport /></crate::ui::Deferred> }.into_any(),
                    Tab::Compare => view! { <ComparePanel /> }.into_any(),
                    Tab::Results => view! { <ResultsPanel /> }.into_any(),
                    Tab::Sweep => view! { <SweepPanel /> }.into_any(),
                    Tab::Code => view! { <CodeTabs /> }.into_any(),
                    Tab::Gallery => view! { <Gallery /> }.into_any(),
                }}
            </div>
        </section>
    }
}
