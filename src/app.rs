//! The page: the workload editor, the run bar, and the results.

use engine::model::{Model, RunConfig};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::pool::{hardware_concurrency, Pool};
use crate::runtime::{CancelToken, RunError};
use crate::session::{run_models, ModelResult, SessionConfig, SessionEnd};
use engine::presets::Preset;
use engine::sweep::{parse_values, SweepParam};
use workload::Workload;

use crate::ui::compare::CompareChart;
use crate::ui::editor::{ModelToggles, NumberField, WorkloadField};
use crate::ui::heartbeat::Heartbeat;
use crate::ui::presets::Gallery;
use crate::ui::python::PythonCode;
use crate::ui::results::ResultsTable;
use crate::ui::sweep::{SweepChart, SweepPoint};
use crate::ui::timeline::Timeline;

/// Sets `<body data-run-state>`, the public signal scripts wait on.
pub fn set_run_state(state: &str) {
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.set_attribute("data-run-state", state);
    }
}

/// Whether the page is cross-origin isolated (SharedArrayBuffer available).
fn cross_origin_isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into()).map(|v| v.is_truthy()).unwrap_or(false)
}

#[derive(Clone, Debug, PartialEq)]
enum PoolStatus {
    Starting(usize),
    Ready { workers: usize, startup_ms: f64 },
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Idle,
    Running { model: Model, index: usize, of: usize, fraction: f64 },
    Sweeping { step: usize, of: usize },
    Done,
    Cancelled,
    Failed(String),
    NeedsConsent(String),
}

/// Parses a knob: empty → `empty`, else a whole number in `lo..=hi`.
fn knob(text: &str, name: &str, lo: u64, hi: u64, empty: Option<u64>) -> Result<Option<u64>, String> {
    let t = text.trim().replace('_', "");
    if t.is_empty() {
        return match empty {
            Some(v) => Ok(Some(v)),
            None => Ok(None),
        };
    }
    match t.parse::<u64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(Some(v)),
        _ => Err(format!("{name} must be a whole number from {lo} to {hi}")),
    }
}

/// Starts a pool of `n` workers and reports into `status`; returns it.
fn start_pool(n: usize, status: RwSignal<PoolStatus>) -> Option<Pool> {
    status.set(PoolStatus::Starting(n));
    match Pool::new(n) {
        Ok(p) => {
            crate::pool::set_current(Some(p.clone()));
            let q = p.clone();
            spawn_local(async move {
                match q.ready().await {
                    Ok(s) => {
                        let spawned = s.iter().map(|s| s.spawned).min().unwrap_or(0);
                        let ready = s.iter().map(|s| s.ready).max().unwrap_or(0);
                        status.set(PoolStatus::Ready { workers: s.len(), startup_ms: ready.saturating_sub(spawned) as f64 / 1e6 });
                    }
                    Err(e) => status.set(PoolStatus::Failed(e)),
                }
            });
            Some(p)
        }
        Err(e) => {
            status.set(PoolStatus::Failed(e));
            None
        }
    }
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let cores = hardware_concurrency();
    let isolated = cross_origin_isolated();
    let status = RwSignal::new(PoolStatus::Starting(cores));
    let pool = StoredValue::new_local(start_pool(cores, status));
    // Measure this machine's costs in idle time, after the first render.
    {
        let p = pool.get_value();
        spawn_local(async move {
            crate::runtime::next_macrotask().await;
            crate::runtime::calibrate::probe_all(p).await;
        });
    }

    let text = RwSignal::new("1*io(1s)+1*io(2s)".to_string());
    let parsed = Memo::new(move |_| workload::parse(&text.get()));
    let models = RwSignal::new(vec![Model::Sequential, Model::Loop, Model::Pool, Model::Hybrid]);
    let workers_text = RwSignal::new(cores.to_string());
    let limit_text = RwSignal::new(String::new());
    let seed_text = RwSignal::new("1".to_string());
    let switch_text = RwSignal::new("5".to_string());
    let switch = Memo::new(move |_| -> Result<u64, String> {
        match switch_text.get().trim().parse::<f64>() {
            Ok(ms) if (0.001..=1000.0).contains(&ms) => Ok((ms * 1000.0).round() as u64),
            _ => Err("GIL switch interval must be a number of ms from 0.001 to 1000".into()),
        }
    });
    let max_workers = (2 * cores) as u64;
    let knobs = Memo::new(move |_| -> Result<(u16, Option<u32>, u64), String> {
        let workers = knob(&workers_text.get(), "Workers", 1, max_workers, None)?.unwrap_or(cores as u64) as u16;
        let limit = knob(&limit_text.get(), "Limit", 1, 1_000_000, None)?.map(|v| v as u32);
        let seed = knob(&seed_text.get(), "Seed", 0, u64::MAX, Some(1))?.unwrap_or(1);
        Ok((workers, limit, seed))
    });

    let phase = RwSignal::new(Phase::Idle);
    let results = RwSignal::new_local(Vec::<ModelResult>::new());
    let cancel = StoredValue::new_local(None::<CancelToken>);
    let running = Memo::new(move |_| matches!(phase.get(), Phase::Running { .. } | Phase::Sweeping { .. }));
    let history = RwSignal::new_local(Vec::<(String, Vec<ModelResult>)>::new());
    let look_for = RwSignal::new(None::<(&'static str, &'static str)>);
    let notice = RwSignal::new(None::<String>);
    let theme = RwSignal::new("auto".to_string());

    // The link the page was opened with: apply every field that read, show
    // every one that did not, and keep the link in step from then on.
    let link = crate::url::read();
    let sc = link.scenario.clone();
    let embed = sc.embed;
    let view_opt = sc.view;
    let readonly = sc.readonly;
    if let Some(us) = sc.switch_us {
        switch_text.set(format!("{}", us as f64 / 1000.0));
    }
    let autorun = sc.autorun;
    if !sc.workload.is_empty() {
        text.set(sc.workload.clone());
    }
    let link_notices = link.notices.clone();
    if !sc.models.is_empty() {
        models.set(sc.models.clone());
    }
    if let Some(w) = sc.workers {
        workers_text.set(w.min(max_workers as u16).to_string());
    }
    if let Some(l) = sc.limit {
        limit_text.set(l.to_string());
    }
    if let Some(seed) = sc.seed {
        seed_text.set(seed.to_string());
    }
    theme.set(sc.theme.name().to_string());
    if let Some(p) = sc.preset.as_deref().and_then(engine::presets::find) {
        look_for.set(Some((p.title, p.look_for)));
    }
    let link_errors = link.errors.clone();
    let scenario = Memo::new(move |_| {
        let k = knobs.get().ok();
        urlstate::Scenario {
            preset: None,
            workload: text.get(),
            models: models.get(),
            workers: k.map(|k| k.0),
            limit: k.and_then(|k| k.1),
            switch_us: switch.get().ok().filter(|us| *us != 5_000),
            seed: k.map(|k| k.2).filter(|s| *s != 1),
            embed,
            view: view_opt,
            theme: match theme.get().as_str() {
                "light" => urlstate::Theme::Light,
                "dark" => urlstate::Theme::Dark,
                _ => urlstate::Theme::Auto,
            },
            autorun,
            readonly,
        }
    });
    Effect::new(move |_| crate::url::replace(&scenario.get()));
    let share_output = RwSignal::new(String::new());
    let export_error = RwSignal::new(None::<String>);
    // What each part of the page shows: everything, or in an embed, its view.
    use urlstate::View;
    let show = |part: &str| -> bool {
        if !embed {
            return true;
        }
        matches!(
            (view_opt, part),
            (None, "scenario" | "runbar" | "results" | "timeline")
                | (Some(View::Timeline), "runbar" | "timeline")
                | (Some(View::Compare), "runbar" | "results")
                | (Some(View::Code), "python")
                | (Some(View::Controls), "scenario" | "runbar" | "results")
        )
    };
    let (show_gallery, show_scenario, show_runbar, show_results, show_timeline, show_sweep, show_python, show_history) = (
        show("gallery"), show("scenario"), show("runbar"), show("results"), show("timeline"), show("sweep"), show("python"), show("history"),
    );
    if embed {
        if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
            let _ = body.class_list().add_1("embed");
        }
        crate::embed::report_height();
    }
    Effect::new(move |_| {
        let t = theme.get();
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = if t == "auto" { root.remove_attribute("data-theme") } else { root.set_attribute("data-theme", &t) };
        }
    });
    let can_run = Memo::new(move |_| {
        !running.get() && parsed.get().is_ok() && knobs.get().is_ok() && switch.get().is_ok() && !models.get().is_empty()
            && matches!(status.get(), PoolStatus::Ready { .. } | PoolStatus::Failed(_))
    });

    // Prepares the pool for `workers` and runs one session; shared by Run and Sweep.
    let session = move |w: Workload, chosen: Vec<Model>, workers: u16, limit: Option<u32>, seed: u64, allow_long: bool, token: CancelToken, report: Option<(usize, usize)>| async move {
            // The pool runs with the chosen number of workers: restart it if that changed.
            let needs_pool = chosen.iter().any(|m| m.uses_pool());
            let mut p = pool.get_value();
            if needs_pool && p.as_ref().map(|p| p.size()) != Some(usize::from(workers)) {
                if let Some(old) = p.take() {
                    old.shutdown();
                }
                p = start_pool(usize::from(workers), status);
                pool.set_value(p.clone());
            }
            if let (true, Some(p)) = (needs_pool, &p) {
                if let Err(e) = p.ready().await {
                    return SessionEnd::Failed(Vec::new(), Model::Pool, RunError::Unavailable(format!("the worker pool could not start: {e}")));
                }
            }
            let startup = match status.get_untracked() {
                PoolStatus::Ready { startup_ms, .. } => Some(startup_ms),
                _ => None,
            };
            let cfg = SessionConfig {
                models: chosen.clone(),
                base: RunConfig {
                    workers,
                    limit,
                    seed,
                    switch_interval: switch.get_untracked().unwrap_or(5_000) * 1_000,
                    shared_memory: isolated,
                    cores: cores as u16,
                    ..RunConfig::new(Model::Loop)
                },
                allow_long,
                pool_startup_ms: startup,
            };
            let of = chosen.len();
            let progress = {
                let chosen = chosen.clone();
                move |index: usize, fraction: f64| match report {
                    None => phase.set(Phase::Running { model: chosen[index], index, of, fraction }),
                    Some((step, of)) => phase.set(Phase::Sweeping { step, of }),
                }
            };
            run_models(&w, &cfg, p.as_ref(), &token, progress).await
    };

    let start = move |allow_long: bool| {
        let (Ok(w), Ok((workers, limit, seed))) = (parsed.get_untracked(), knobs.get_untracked()) else { return };
        let chosen = models.get_untracked();
        let token = CancelToken::new();
        cancel.set_value(Some(token.clone()));
        notice.set(None);
        phase.set(Phase::Running { model: chosen[0], index: 0, of: chosen.len(), fraction: 0.0 });
        set_run_state("running");
        let label = w.to_string();
        spawn_local(async move {
            let end = session(w, chosen, workers, limit, seed, allow_long, token, None).await;
            match end {
                SessionEnd::Done(r) => {
                    history.update(|h| {
                        h.insert(0, (label, r.clone()));
                        h.truncate(5);
                    });
                    results.set(r);
                    phase.set(Phase::Done);
                    set_run_state("done");
                }
                SessionEnd::Cancelled(r) => {
                    results.set(r);
                    phase.set(Phase::Cancelled);
                    set_run_state("cancelled");
                }
                SessionEnd::Failed(r, model, RunError::NeedsConsent { estimate }) => {
                    if !r.is_empty() {
                        results.set(r);
                    }
                    phase.set(Phase::NeedsConsent(format!(
                        "{}: {}",
                        model.label(),
                        RunError::NeedsConsent { estimate }
                    )));
                    set_run_state("idle");
                }
                SessionEnd::Failed(r, model, e) => {
                    if !r.is_empty() {
                        results.set(r);
                    }
                    phase.set(Phase::Failed(format!("{}: {e}", model.label())));
                    set_run_state("failed");
                }
            }
        });
    };

    let load_preset = Callback::new(move |p: &'static Preset| {
        text.set(p.workload.to_string());
        models.set(p.models.to_vec());
        workers_text.set(p.workers.map_or(cores.to_string(), |w| w.min(max_workers as u16).to_string()));
        limit_text.set(p.limit.map(|l| l.to_string()).unwrap_or_default());
        look_for.set(Some((p.title, p.look_for)));
        notice.set(None);
        phase.set(Phase::Idle);
    });

    let sweep_param = RwSignal::new(SweepParam::Workers);
    let sweep_values = RwSignal::new("1,2,4".to_string());
    let sweep_points = RwSignal::new(Vec::<SweepPoint>::new());
    let parsed_values = Memo::new(move |_| parse_values(&sweep_values.get()));
    let sweep = move || {
        let (Ok(w), Ok((workers, limit, seed)), Ok(values)) = (parsed.get_untracked(), knobs.get_untracked(), parsed_values.get_untracked()) else { return };
        // Sequential freezes the page at every step: sweeps leave it out.
        let chosen: Vec<Model> = models.get_untracked().into_iter().filter(|m| *m != Model::Sequential).collect();
        if chosen.is_empty() {
            notice.set(Some("Choose at least one model besides Sequential to sweep.".into()));
            return;
        }
        let param = sweep_param.get_untracked();
        let token = CancelToken::new();
        cancel.set_value(Some(token.clone()));
        sweep_points.set(Vec::new());
        phase.set(Phase::Sweeping { step: 0, of: values.len() });
        set_run_state("running");
        spawn_local(async move {
            let of = values.len();
            for (step, value) in values.into_iter().enumerate() {
                let wl = param.apply(&w, value);
                let lanes = if param == SweepParam::Workers { value.clamp(1, max_workers) as u16 } else { workers };
                let end = session(wl, chosen.clone(), lanes, limit, seed, false, token.clone(), Some((step, of))).await;
                match end {
                    SessionEnd::Done(r) => sweep_points.update(|pts| pts.push(SweepPoint {
                        value,
                        walls: r.iter().map(|m| (m.model, m.metrics.wall_ms, m.predicted_wall_ms)).collect(),
                    })),
                    SessionEnd::Cancelled(_) => {
                        phase.set(Phase::Cancelled);
                        set_run_state("cancelled");
                        return;
                    }
                    SessionEnd::Failed(_, model, e) => {
                        phase.set(Phase::Failed(format!("{} at {value}: {e}", model.label())));
                        set_run_state("failed");
                        return;
                    }
                }
            }
            phase.set(Phase::Done);
            set_run_state("done");
        });
    };

    // autorun=1: run once, as soon as the pool has started (or failed).
    if autorun {
        let fired = StoredValue::new(false);
        Effect::new(move |_| {
            if can_run.get() && !fired.get_value() {
                fired.set_value(true);
                start(false);
            }
        });
    }

    let failures = Memo::new(move |_| {
        results.with(|r| r.iter().flat_map(|m| m.trace.failures.iter().map(move |f| format!("{} task {}: {}", m.model.label(), f.task, f.message))).collect::<Vec<_>>())
    });

    view! {
        <header class="top">
            <div>
                <h1>"No-GIL Playground"</h1>
                {(!embed).then(|| view! { <p class="tagline">"Concurrency you can measure: the event loop, processes and threads, run for real in your browser."</p> })}
                {embed.then(|| view! {
                    <a class="open-full" data-testid="open-full" target="_blank" rel="noopener"
                        href=move || crate::url::link(&crate::url::full_page(&scenario.get()))>"Open in playground ↗"</a>
                })}
            </div>
            <div class="top-side">
                <Heartbeat />
                <label class="theme">"Theme "
                    <select data-testid="theme" on:change:target=move |ev| theme.set(ev.target().value()) prop:value=move || theme.get()>
                        <option value="auto">"System"</option>
                        <option value="light">"Light"</option>
                        <option value="dark">"Dark"</option>
                    </select>
                </label>
            </div>
        </header>
        <main class="page">
            {(!link_errors.is_empty() || !link_notices.is_empty()).then(|| view! {
                <section class="card link-problems" role="alert" data-testid="link-errors">
                    {(!link_errors.is_empty()).then(|| view! { <p><strong>"This link has problems; everything else in it was loaded:"</strong></p> })}
                    <ul>
                        {link_errors.iter().map(|e| view! { <li><code>{e.field.clone()}</code>": "{e.message.clone()}</li> }).collect_view()}
                        {link_notices.iter().map(|n| view! { <li class="help">{n.clone()}</li> }).collect_view()}
                    </ul>
                </section>
            })}
            {show_gallery.then(|| view! { <Gallery load=load_preset /> })}
            {show_scenario.then(|| view! {
            <section class="card" aria-labelledby="setup-h">
                <h2 id="setup-h">"Scenario"</h2>
                {move || look_for.get().map(|(title, text)| view! {
                    <p class="look-for" data-testid="look-for"><strong>{title}": "</strong>{text}</p>
                })}
                {move || notice.get().map(|n| view! { <p class="help notice" role="status">{n}</p> })}
                <WorkloadField text=text parsed=parsed readonly=Signal::derive(move || readonly) />
                <ModelToggles selected=models shared_memory=Signal::derive(move || isolated) />
                <div class="knobs">
                    <NumberField id="workers" label="Workers" value=workers_text hint=format!("1 to {max_workers}; this machine has {cores} cores") />
                    <NumberField id="limit" label="Concurrency limit" value=limit_text hint="empty for none" />
                    <NumberField id="seed" label="Seed" value=seed_text hint="for jitter" />
                    <NumberField id="switch" label="GIL switch (ms)" value=switch_text hint="sys.getswitchinterval(), 5 ms by default" />
                </div>
                {move || knobs.get().err().or(switch.get().err()).map(|e| view! { <p class="help error" role="alert" data-testid="knob-error">{e}</p> })}
            </section>
            })}

            {show_runbar.then(|| view! {
            <section class="card runbar" aria-label="Run">
                <div class="row">
                    <button type="button" data-testid="run" disabled=move || !can_run.get() on:click=move |_| start(false)>"Run"</button>
                    <button type="button" class="secondary" data-testid="cancel" disabled=move || !running.get()
                        on:click=move |_| { if let Some(t) = cancel.get_value() { t.cancel(); } }>"Cancel"</button>
                    <progress data-testid="progress" max="1" aria-label="Run progress"
                        value=move || match phase.get() {
                            Phase::Running { index, of, fraction, .. } => ((index as f64 + fraction) / of as f64).to_string(),
                            Phase::Sweeping { step, of } => (step as f64 / of as f64).to_string(),
                            Phase::Done => "1".into(),
                            _ => "0".into(),
                        }></progress>
                    <span class="status" data-testid="status" role="status" aria-live="polite">
                        {move || match phase.get() {
                            Phase::Idle => "Ready.".to_string(),
                            Phase::Running { model, index, of, .. } => format!("Running {} ({} of {of})…", model.label(), index + 1),
                            Phase::Sweeping { step, of } => format!("Sweeping: value {} of {of}…", step + 1),
                            Phase::Done => "Done.".into(),
                            Phase::Cancelled => "Cancelled: the partial results are kept.".into(),
                            Phase::Failed(e) => format!("Failed: {e}"),
                            Phase::NeedsConsent(_) => "Waiting for your confirmation.".into(),
                        }}
                    </span>
                </div>
                <p class="help" data-testid="pool-status" data-workers=move || match status.get() { PoolStatus::Ready { workers, .. } => workers.to_string(), _ => String::new() }>
                    {move || match status.get() {
                        PoolStatus::Starting(n) => format!("Starting {n} workers…"),
                        PoolStatus::Ready { workers, startup_ms } => format!(
                            "{workers} workers ready in {startup_ms:.1} ms (measured). {}",
                            if isolated { "Cross-origin isolated: shared memory available." } else { "Not cross-origin isolated: shared-memory models unavailable." }
                        ),
                        PoolStatus::Failed(e) => format!("The pool could not start: {e}. Models without workers still run."),
                    }}
                </p>
                {(!embed).then(|| view! {
                    <div class="row share" aria-label="Share">
                        <span class="help">"Share:"</span>
                        <button type="button" class="secondary small" data-testid="copy-link"
                            on:click=move |_| { let t = crate::url::link(&scenario.get_untracked()); crate::ui::python::copy_text(&t); share_output.set(t); }>"Copy link"</button>
                        <button type="button" class="secondary small" data-testid="copy-iframe"
                            on:click=move |_| { let t = crate::url::iframe(&scenario.get_untracked()); crate::ui::python::copy_text(&t); share_output.set(t); }>"Copy iframe"</button>
                        <button type="button" class="secondary small" data-testid="copy-markdown"
                            on:click=move |_| { let t = crate::url::markdown(&scenario.get_untracked(), "No-GIL Playground"); crate::ui::python::copy_text(&t); share_output.set(t); }>"Copy Markdown"</button>
                        {move || (!share_output.get().is_empty()).then(|| view! {
                            <input class="mono share-output" readonly data-testid="share-output" aria-label="Copied text" prop:value=move || share_output.get() />
                        })}
                    </div>
                })}
                {(!isolated && !embed).then(|| view! {
                    <p class="help">"Threads with a GIL and free threads need shared memory. "
                        <button type="button" class="secondary small" data-testid="enable-isolation" on:click=move |_| crate::embed::enable_isolation()>
                            "Enable it (reloads the page)"
                        </button>
                    </p>
                })}
                {move || match phase.get() {
                    Phase::NeedsConsent(msg) => Some(view! {
                        <div class="consent" role="alertdialog" aria-label="Confirm a long run">
                            <p>{msg}</p>
                            <button type="button" data-testid="consent-run" on:click=move |_| start(true)>"Run anyway"</button>
                            <button type="button" class="secondary" on:click=move |_| {
                                models.update(|m| m.retain(|x| *x != Model::Sequential));
                                phase.set(Phase::Idle);
                            }>"Skip sequential"</button>
                        </div>
                    }.into_any()),
                    Phase::Failed(e) => Some(view! { <p class="error" role="alert" data-testid="run-error">{e}</p> }.into_any()),
                    _ => None,
                }}
            </section>
            })}

            {show_results.then(|| view! {
            <section class="card" aria-labelledby="results-h">
                <h2 id="results-h">"Results"</h2>
                {move || if results.with(|r| r.is_empty()) {
                    view! { <p class="help">"Press Run to measure the chosen models on this workload."</p> }.into_any()
                } else {
                    view! { <ResultsTable results=results.into() /> }.into_any()
                }}
                {move || (!results.with(|r| r.is_empty())).then(|| view! { <CompareChart results=results.into() /> })}
                {move || (!results.with(|r| r.is_empty())).then(|| view! {
                    <div class="row exports" aria-label="Export">
                        <span class="help">"Export:"</span>
                        <button type="button" class="secondary small" data-testid="export-json"
                            on:click=move |_| export_error.set(crate::export::results(&crate::url::link(&scenario.get_untracked()), &results.get_untracked()).err())>"Results JSON"</button>
                        <button type="button" class="secondary small" data-testid="export-csv"
                            on:click=move |_| export_error.set(crate::export::csv(&results.get_untracked()).err())>"Spans CSV"</button>
                        <button type="button" class="secondary small" data-testid="export-trace"
                            on:click=move |_| export_error.set(crate::export::trace(&results.get_untracked()).err())>"Trace (Perfetto)"</button>
                        <button type="button" class="secondary small" data-testid="export-png"
                            on:click=move |_| export_error.set(crate::export::png().err())>"Timeline PNG"</button>
                    </div>
                })}
                {move || export_error.get().map(|e| view! { <p class="error" role="alert">{format!("Export failed: {e}")}</p> })}
                {move || { let f = failures.get(); (!f.is_empty()).then(|| view! {
                    <div class="error" role="alert" data-testid="failures">
                        <p>{format!("{} task(s) failed:", f.len())}</p>
                        <ul>{f.into_iter().take(20).map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                    </div>
                })}}
            </section>
            })}
            {show_timeline.then(|| view! {
            <section class="card" aria-labelledby="timeline-h">
                <h2 id="timeline-h">"Timeline"</h2>
                {move || if results.with(|r| r.is_empty()) {
                    view! { <p class="help">"After a run, each model's lanes appear here: running, waiting on I/O, queued and GIL-blocked, each with its own colour and pattern."</p> }.into_any()
                } else {
                    view! { <Timeline results=results.into() /> }.into_any()
                }}
            </section>
            })}

            {show_sweep.then(|| view! {
            <section class="card" aria-labelledby="sweep-h">
                <h2 id="sweep-h">"Sweep"</h2>
                <div class="row">
                    <label for="sweep-param">"Vary"</label>
                    <select id="sweep-param" data-testid="sweep-param"
                        on:change:target=move |ev| { if let Ok(p) = ev.target().value().parse() { sweep_param.set(p); } }>
                        {SweepParam::ALL.into_iter().map(|p| view! {
                            <option value=p.name() selected=move || sweep_param.get() == p>{p.label()}</option>
                        }).collect_view()}
                    </select>
                    <label for="sweep-values">"over"</label>
                    <input id="sweep-values" data-testid="sweep-values" class="mono" prop:value=move || sweep_values.get()
                        on:input:target=move |ev| sweep_values.set(ev.target().value()) />
                    <button type="button" data-testid="sweep-run" disabled=move || !can_run.get() || parsed_values.get().is_err()
                        on:click=move |_| sweep()>"Sweep"</button>
                </div>
                {move || parsed_values.get().err().map(|e| view! { <p class="help error">{e}</p> })}
                <SweepChart points=sweep_points.into() param_label=Signal::derive(move || sweep_param.get().label()) />
            </section>
            })}

            {show_python.then(|| view! {
            <section class="card" aria-labelledby="python-h">
                <h2 id="python-h">"The same in Python"</h2>
                <PythonCode parsed=parsed
                    workers=Signal::derive(move || knobs.get().map(|k| k.0).unwrap_or(cores as u16))
                    limit=Signal::derive(move || knobs.get().ok().and_then(|k| k.1)) />
            </section>
            })}

            {move || (show_history && history.with(|h| h.len()) > 1).then(|| view! {
                <section class="card" aria-labelledby="history-h">
                    <h2 id="history-h">"Recent runs"</h2>
                    <ul class="history" data-testid="history">
                        {history.get().into_iter().map(|(label, r)| {
                            let walls = r.iter().map(|m| format!("{} {}", m.model.name(), crate::ui::format_metric("wall_ms", m.metrics.wall_ms))).collect::<Vec<_>>().join(" · ");
                            let rr = r.clone();
                            view! {
                                <li>
                                    <code>{label}</code>" "<span class="help">{walls}</span>" "
                                    <button type="button" class="secondary small" on:click=move |_| results.set(rr.clone())>"Show"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            })}
        </main>
    }
}

