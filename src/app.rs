//! The page: it builds the state, keeps the link and the theme in step, asks
//! for predictions as the scenario changes, and composes the sections. Every
//! section is a component of its own (`ui/`); every piece of state lives in
//! `state/`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use urlstate::View;

use crate::pool::hardware_concurrency;
use crate::runtime::{calibrate, sleep_ms};
use crate::state::run::{can_run, start, Phase};
use crate::state::view::Tab;
use crate::state::{
    cross_origin_isolated, AppState, PageEnv, PoolState, PredictState, RunState, ScenarioState,
    ViewState,
};
use crate::ui::header::{Header, OpenFull};
use crate::ui::sidebar::{LinkProblems, RunBar, Sidebar};
use crate::ui::timeline::Timeline;
use crate::ui::workspace::{ComparePanel, ResultsPanel, Workspace};

/// How long the scenario must stay unchanged before it is predicted again, ms
/// (a slider drag predicts a few times a second, not at every pixel).
const PREDICT_DEBOUNCE_MS: i32 = 60;
/// The start-up probes wait for the page to be idle after its first frame,
/// at most this long (ms) each.
const STARTUP_PROBES_AFTER_MS: u32 = 1000;

/// The models an embed's slim bar can toggle: the ones the link chose.
#[component]
fn SlimModels() -> impl IntoView {
    let app = crate::state::use_app();
    let sc = app.scenario;
    let chosen = sc.models.get_untracked();
    view! {
        <div class="slim-models" role="group" aria-label="Models">
            {chosen.into_iter().map(|m| view! {
                <label class="toggle chip">
                    <input type="checkbox" data-testid=format!("model-{}", m.name()) disabled=app.env.readonly
                        prop:checked=move || sc.models.with(|s| s.contains(&m))
                        on:change:target=move |ev| {
                            let on = ev.target().checked();
                            sc.models.update(|s| { s.retain(|x| *x != m); if on { s.push(m); s.sort(); } });
                        } />
                    <span>{m.label()}</span>
                </label>
            }).collect_view()}
        </div>
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let link = crate::url::read();
    let cores = hardware_concurrency();
    let sc = &link.scenario;
    let env = PageEnv {
        cores,
        isolated: cross_origin_isolated(),
        embed: sc.embed,
        view: sc.view,
        readonly: sc.readonly,
        autorun: sc.autorun,
    };
    let scenario = ScenarioState::new(env);
    let capped = scenario.apply_link(&link);
    let tab = match (env.embed, env.view) {
        (true, Some(View::Compare)) => Tab::Compare,
        (true, Some(View::Code)) => Tab::Code,
        _ => Tab::Timeline,
    };
    let app = AppState {
        env,
        scenario,
        run: RunState::new(),
        // As many workers as the scenario asks for (one per core unless it
        // says): a pool of another size would be restarted at the first Run,
        // which then paid the start-up and cut short the start-up probes
        // measuring the pool the page began with.
        pool: PoolState::start(
            scenario
                .knobs
                .get_untracked()
                .map_or(cores, |k| usize::from(k.workers).max(1)),
        ),
        view: ViewState::new(tab),
        predict: PredictState::new(),
    };
    provide_context(app);

    // The address bar follows the scenario (replacing the entry: editing must
    // not flood the back button).
    Effect::new(move |_| crate::url::replace(&scenario.link()));
    Effect::new(move |_| {
        let t = scenario.theme.get();
        if let Some(root) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = if t == urlstate::Theme::Auto {
                root.remove_attribute("data-theme")
            } else {
                root.set_attribute("data-theme", t.name())
            };
        }
    });
    if env.embed {
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.class_list().add_1("embed");
        }
        crate::embed::report_height();
    }

    // CPython loads only when a Python model is chosen; its progress shows in the run bar.
    {
        let python = app.run.python;
        crate::runtime::python::on_load_state(move |s| python.set(s));
        Effect::new(move |_| {
            if scenario.models.with(|m| m.iter().any(|m| m.needs_python())) {
                crate::runtime::python::preload();
            }
        });
    }

    // Measure this machine's costs in idle time, after the first render
    // (the workers' probes are tens of ms of CPU each: begun any sooner,
    // they share a small machine's cores with that render); predictions are
    // redone when the costs change.
    {
        let pool = app.pool.get();
        let version = app.predict.costs_version;
        spawn_local(async move {
            crate::runtime::frames::drawn(STARTUP_PROBES_AFTER_MS as i32).await;
            crate::runtime::frames::idle(STARTUP_PROBES_AFTER_MS).await;
            calibrate::probe_all(pool).await;
            version.set(calibrate::version());
        });
    }
    Effect::new(move |_| {
        // After a run the costs were refined: the next predictions use them.
        if matches!(app.run.phase.get(), Phase::Done | Phase::Cancelled) {
            app.predict.costs_version.set(calibrate::version());
        }
    });

    // Predict the scenario as edited (not while a run measures: the page's
    // thread belongs to the run then).
    let edits = StoredValue::new(0u64);
    Effect::new(move |_| {
        let parsed = scenario.parsed.get();
        let models = scenario.models.get();
        let knobs = scenario.knobs.get();
        app.predict.costs_version.track();
        if app.run.running() {
            return;
        }
        edits.update_value(|e| *e += 1);
        let me = edits.get_value();
        let (Ok(w), Ok(_)) = (parsed, knobs) else {
            app.predict
                .request(workload::Workload { groups: Vec::new() }, Vec::new());
            return;
        };
        spawn_local(async move {
            sleep_ms(PREDICT_DEBOUNCE_MS).await;
            if edits.get_value() != me || app.run.running() {
                return;
            }
            let configs = models
                .iter()
                .filter_map(|m| scenario.run_config(*m))
                .collect();
            app.predict.request(w, configs);
        });
    });

    // An edited scenario puts its predictions in the chart (the last run's
    // results stay in their tabs until the next run).
    Effect::new(move |prev: Option<()>| {
        scenario.text.track();
        scenario.models.track();
        scenario.knobs.track();
        // (Untracked: the end of a run is not an edit.)
        if prev.is_some() && !untrack(|| app.run.running()) {
            app.run.stale.set(true);
        }
    });

    // autorun=1: run once, as soon as the pool has started (or failed); then
    // at= puts the inspector's playhead where the link says.
    if env.autorun {
        let fired = StoredValue::new(false);
        Effect::new(move |_| {
            if can_run(&app) && app.pool.settled() && !fired.get_value() {
                fired.set_value(true);
                start(app, false);
            }
        });
        Effect::new(move |_| {
            if app.run.phase.get() == Phase::Done {
                if let Some(at) = scenario.at_ns.get_untracked() {
                    app.view.playhead.set(Some(at));
                }
            }
        });
    }

    // The editor column and the Run button come first; the chart area is
    // built after they have been drawn (its own task, its own style and
    // layout), so no task at start-up is long and Run is usable at once.
    let link_errors = link.errors.clone();
    let mut link_notices = link.notices.clone();
    link_notices.extend(capped);
    match (env.embed, env.view) {
        (false, _) => view! {
            <crate::ui::Deferred><Header /></crate::ui::Deferred>
            <LinkProblems errors=link_errors notices=link_notices />
            <div class="bench">
                <Sidebar />
                <main class="main"><crate::ui::Deferred paint=true><Workspace /></crate::ui::Deferred></main>
            </div>
        }
        .into_any(),
        (true, Some(View::Timeline)) => view! {
            <div class="slimbar"><RunBar slim=true /><SlimModels /><OpenFull /></div>
            <LinkProblems errors=link_errors notices=link_notices />
            <main class="main embed-main"><Timeline />{scenario.at_ns.get_untracked().map(|_| view! { <crate::ui::inspector::Inspector /> })}</main>
        }
        .into_any(),
        (true, Some(View::Compare)) => view! {
            <div class="slimbar"><RunBar slim=true /><SlimModels /><OpenFull /></div>
            <LinkProblems errors=link_errors notices=link_notices />
            <main class="main embed-main"><ComparePanel /></main>
        }
        .into_any(),
        (true, Some(View::Code)) => view! {
            <div class="slimbar"><OpenFull /></div>
            <main class="main embed-main"><crate::ui::code::CodeTabs /></main>
        }
        .into_any(),
        (true, Some(View::Controls)) => view! {
            <div class="slimbar"><OpenFull /></div>
            <LinkProblems errors=link_errors notices=link_notices />
            <div class="bench"><Sidebar /><main class="main"><ResultsPanel /></main></div>
        }
        .into_any(),
        (true, None) => view! {
            <div class="slimbar"><RunBar slim=true /><SlimModels /><OpenFull /></div>
            <LinkProblems errors=link_errors notices=link_notices />
            <main class="main embed-main"><Workspace tabs=vec![Tab::Timeline, Tab::Compare, Tab::Results, Tab::Code] /></main>
        }
        .into_any(),
    }
}
