//! The sweep chart: wall time per model against the swept parameter, with a
//! log x axis when the values span a factor of ten or more.

use engine::model::Model;
use engine::sweep::{parse_values, SweepParam};
use leptos::prelude::*;

use super::format_metric;
use crate::clock::now_ms;
use crate::runtime::{calibrate, sleep_ms, yield_to_browser};
use crate::state::run::{can_run, sweep_lanes, sweep_models};
use crate::state::use_app;

/// How long the sweep's values must stay unchanged before its runs are predicted, ms.
const ESTIMATE_DEBOUNCE_MS: i32 = 250;
/// How long predicting a sweep's runs may take, in the page's time (in slices), ms.
const ESTIMATE_BUDGET_MS: f64 = 1500.0;
/// Above this predicted total, the estimate says how to stop the sweep.
const LONG_SWEEP_NS: u64 = 30 * engine::time::SECOND;

/// What a sweep about to start would take, predicted.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Estimate {
    /// Being predicted (`runs` real runs).
    Working { runs: usize },
    /// Predicted: the runs' walls in all; `cut_short` if predicting them
    /// took too long (the total is then a lower bound).
    Done {
        runs: usize,
        total_ns: u64,
        cut_short: bool,
        /// The longest run: its model, value and predicted wall (at least).
        longest: (Model, u64, u64),
        /// Whether a model runs on the pool (whose start-up is not predicted).
        pool: bool,
    },
}

/// `ns` for a person: minutes and hours past two minutes ("about 66 min").
fn duration(ns: u64) -> String {
    let s = ns as f64 / 1e9;
    if s >= 7200.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 120.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        engine::time::format_duration(ns)
    }
}

impl Estimate {
    fn text(self, values: usize, models: usize) -> String {
        let runs = |n: usize| format!("{n} real run{}", if n == 1 { "" } else { "s" });
        let shape = format!(
            "{} value{} × {} model{}",
            values,
            if values == 1 { "" } else { "s" },
            models,
            if models == 1 { "" } else { "s" }
        );
        match self {
            Estimate::Working { runs: n } => format!("{} ({shape}): predicting how long…", runs(n)),
            Estimate::Done {
                runs: n,
                total_ns,
                cut_short,
                longest: (m, v, ns),
                pool,
            } => {
                let total = duration(total_ns);
                let startup = if pool {
                    ", plus the pool's start-up"
                } else {
                    ""
                };
                let long = if cut_short {
                    format!(
                        " Predicting stopped at {} at {v}: more than {} for that run alone. Cancel stops the sweep at any point.",
                        m.label(),
                        duration(ns)
                    )
                } else if total_ns > LONG_SWEEP_NS {
                    format!(
                        " The longest: {} at {v}, {}. Cancel stops the sweep at any point.",
                        m.label(),
                        duration(ns)
                    )
                } else {
                    String::new()
                };
                if cut_short {
                    format!("{} ({shape}): predicted more than {total} in all (too long to predict in full){startup}.{long}", runs(n))
                } else {
                    format!(
                        "{} ({shape}): predicted about {total} in all{startup}.{long}",
                        runs(n)
                    )
                }
            }
        }
    }
}

/// One swept value and each model's measured wall time (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    /// The parameter's value.
    pub value: u64,
    /// (model, measured wall ms, predicted wall ms).
    pub walls: Vec<(Model, f64, Option<f64>)>,
}

/// Lines of wall time per model.
#[component]
pub fn SweepChart(
    points: Signal<Vec<SweepPoint>>,
    param_label: Signal<&'static str>,
) -> impl IntoView {
    let (w, h, left, bottom) = (640.0, 260.0, 64.0, 36.0);
    view! {
        {move || {
            let pts = points.get();
            if pts.is_empty() {
                return view! { <p class="help">"No sweep yet: pick a parameter and its values, then press Sweep."</p> }.into_any();
            }
            let xs: Vec<f64> = pts.iter().map(|p| p.value.max(1) as f64).collect();
            let (xmin, xmax) = (xs.iter().cloned().fold(f64::INFINITY, f64::min), xs.iter().cloned().fold(0.0, f64::max));
            let log_x = xmax / xmin >= 10.0;
            let fx = move |v: f64| if log_x { v.ln() } else { v };
            let (a, b) = (fx(xmin), fx(xmax));
            // Measured and predicted share the axis: a prediction far off must still show.
            let ymax = pts
                .iter()
                .flat_map(|p| p.walls.iter().flat_map(|w| std::iter::once(w.1).chain(w.2)))
                .fold(0.0, f64::max)
                .max(1e-6)
                * 1.1;
            let px = move |v: f64| left + if b > a { (fx(v) - a) / (b - a) } else { 0.5 } * (w - left - 16.0);
            let py = move |ms: f64| (h - bottom) - ms / ymax * (h - bottom - 12.0);
            let models: Vec<Model> = pts[0].walls.iter().map(|w| w.0).collect();
            let summary = models.iter().map(|m| {
                let series = pts.iter().filter_map(|p| p.walls.iter().find(|w| w.0 == *m).map(|w| match w.2 {
                    Some(pr) => format!("{}→{} (predicted {})", p.value, format_metric("wall_ms", w.1), format_metric("wall_ms", pr)),
                    None => format!("{}→{}", p.value, format_metric("wall_ms", w.1)),
                })).collect::<Vec<_>>().join(", ");
                format!("{}: {series}", m.label())
            }).collect::<Vec<_>>().join("; ");
            view! {
                <figure class="sweep">
                    <svg viewBox=format!("0 0 {w} {h}") width="100%" role="img" aria-label=format!("Wall time against {}: {summary}", param_label.get()) data-testid="sweep-chart">
                        <line x1=left x2=w - 8.0 y1=h - bottom y2=h - bottom class="axis" />
                        <line x1=left x2=left y1=8.0 y2=h - bottom class="axis" />
                        // Three values on the wall-time axis (the top, the middle, 0), and its name.
                        {[1.0, 0.5].map(|f| view! {
                            <line x1=left - 4.0 x2=left y1=py(ymax / 1.1 * f) y2=py(ymax / 1.1 * f) class="axis" />
                            <text x=left - 6.0 y=py(ymax / 1.1 * f) + 4.0 class="axis-label" text-anchor="end">{format_metric("wall_ms", ymax / 1.1 * f)}</text>
                        }).collect_view()}
                        <text x=left - 6.0 y=h - bottom + 4.0 class="axis-label" text-anchor="end">"0"</text>
                        <text x=0.0 y=0.0 class="axis-label" text-anchor="middle"
                            // Between the top and middle values, clear of both.
                            transform=format!("translate(12 {}) rotate(-90)", (py(ymax / 1.1) + py(ymax / 2.2)) / 2.0)>"Wall time"</text>
                        {pts.iter().map(|p| view! {
                            <text x=px(p.value.max(1) as f64) y=h - bottom + 16.0 class="axis-label" text-anchor="middle">{p.value.to_string()}</text>
                        }).collect_view()}
                        <text x=(left + w) / 2.0 y=h - 4.0 class="axis-label" text-anchor="middle">
                            {move || format!("{}{}", param_label.get(), if log_x { " (log scale)" } else { "" })}
                        </text>
                        {models.iter().map(|&m| {
                            let line: Vec<String> = pts.iter().filter_map(|p| p.walls.iter().find(|w| w.0 == m).map(|w| format!("{:.1},{:.1}", px(p.value.max(1) as f64), py(w.1)))).collect();
                            // The prediction of each point, dashed, with hollow markers.
                            let predicted: Vec<(u64, f64)> = pts.iter().filter_map(|p| p.walls.iter().find(|w| w.0 == m).and_then(|w| w.2).map(|pr| (p.value, pr))).collect();
                            let dashed: Vec<String> = predicted.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x.max(1) as f64), py(y))).collect();
                            view! {
                                <g class=format!("series series-{}", m.name())>
                                    <polyline class="predicted" points=dashed.join(" ") fill="none" />
                                    {predicted.iter().map(|&(x, y)| view! {
                                        <circle class="predicted" cx=px(x.max(1) as f64) cy=py(y) r="3" data-model=m.name() data-x=x.to_string() data-predicted=format!("{y:.3}")>
                                            <title>{format!("{}: predicted {} at {x}", m.label(), format_metric("wall_ms", y))}</title>
                                        </circle>
                                    }).collect_view()}
                                    <polyline points=line.join(" ") fill="none" />
                                    {pts.iter().filter_map(|p| p.walls.iter().find(|w| w.0 == m).map(|w| (p.value, w.1))).map(|(x, y)| view! {
                                        <circle cx=px(x.max(1) as f64) cy=py(y) r="4" data-model=m.name() data-x=x.to_string() data-value=format!("{y:.3}")>
                                            <title>{format!("{}: {} at {x}", m.label(), format_metric("wall_ms", y))}</title>
                                        </circle>
                                    }).collect_view()}
                                </g>
                            }
                        }).collect_view()}
                    </svg>
                    <figcaption class="legend-inline">
                        {models.iter().map(|m| view! { <span class=format!("key series-{}", m.name())>{m.label()}</span> }).collect_view()}
                        <span class="key key-predicted">"dashed, hollow: predicted"</span>
                    </figcaption>
                </figure>
            }.into_any()
        }}
    }
}

/// The sweep tab: pick a parameter and values, run, watch the points arrive.
#[component]
pub fn SweepPanel() -> impl IntoView {
    let app = use_app();
    let param = RwSignal::new(SweepParam::Workers);
    let values = RwSignal::new("1,2,4".to_string());
    let max_workers = app.env.max_workers();
    // The values, checked against the parameter: no run the editor itself
    // would refuse (workers beyond this machine's, more tasks than a workload holds).
    let parsed = Memo::new(move |_| {
        let v = parse_values(&values.get())?;
        if let Ok(w) = app.scenario.parsed.get() {
            param.get().check(&w, &v, max_workers)?;
        }
        Ok::<_, String>(v)
    });
    // Before the sweep: how many runs, and how long they are predicted to
    // take (the engine on its virtual clock, in slices; a newer edit
    // abandons an older estimate).
    let estimate = RwSignal::new(None::<Estimate>);
    let shape = RwSignal::new((0usize, 0usize));
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let values = parsed.get();
        let param = param.get();
        let w = app.scenario.parsed.get();
        app.scenario.models.track();
        let knobs = app.scenario.knobs.get();
        app.predict.costs_version.track();
        generation.update_value(|g| *g += 1);
        let me = generation.get_value();
        estimate.set(None);
        let (Ok(values), Ok(w), Ok(knobs)) = (values, w, knobs) else {
            return;
        };
        let (models, _) = sweep_models(&app);
        if models.is_empty() || values.is_empty() {
            return;
        }
        let runs = values.len() * models.len();
        shape.set((values.len(), models.len()));
        estimate.set(Some(Estimate::Working { runs }));
        leptos::task::spawn_local(async move {
            sleep_ms(ESTIMATE_DEBOUNCE_MS).await;
            let current = move || generation.try_get_value() == Some(me);
            if !current() {
                return;
            }
            let costs = calibrate::costs();
            let started = now_ms();
            let (mut total, mut cut_short) = (0u64, false);
            let mut longest = (models[0], values[0], 0u64);
            'all: for &value in &values {
                let wl = param.apply(&w, value);
                let lanes = sweep_lanes(param, value, knobs.workers, max_workers);
                for &m in &models {
                    let Some(cfg) = app.scenario.run_config(m) else {
                        return;
                    };
                    let cfg = engine::model::RunConfig {
                        workers: lanes,
                        ..cfg
                    };
                    let mut sim = engine::sim::Simulation::new(&wl, &cfg, &costs);
                    // Only the wall is wanted: keep the record of one task.
                    sim.set_detail_limit(1);
                    while !sim.step(engine::sim::STEP_POLLS) {
                        yield_to_browser().await;
                        if !current() {
                            return;
                        }
                        if now_ms() - started > ESTIMATE_BUDGET_MS {
                            cut_short = true;
                            total += sim.now();
                            longest = (m, value, sim.now());
                            break 'all;
                        }
                    }
                    let wall = sim.finish().wall();
                    total += wall;
                    if wall > longest.2 {
                        longest = (m, value, wall);
                    }
                }
            }
            if current() {
                estimate.set(Some(Estimate::Done {
                    runs,
                    total_ns: total,
                    cut_short,
                    longest,
                    pool: models.iter().any(|m| m.uses_pool()),
                }));
            }
        });
    });
    view! {
        <div class="sweep-panel">
            <div class="row">
                <label for="sweep-param">"Vary"</label>
                <select id="sweep-param" data-testid="sweep-param"
                    on:change:target=move |ev| { if let Ok(p) = ev.target().value().parse() { param.set(p); } }>
                    {SweepParam::ALL.into_iter().map(|p| view! {
                        <option value=p.name() selected=move || param.get() == p>{p.label()}</option>
                    }).collect_view()}
                </select>
                <label for="sweep-values">"over"</label>
                <input id="sweep-values" data-testid="sweep-values" class="mono" prop:value=move || values.get()
                    on:input:target=move |ev| values.set(ev.target().value()) />
                <button type="button" data-testid="sweep-run" disabled=move || !can_run(&app) || parsed.with(|p| p.is_err())
                    on:click=move |_| { if let Ok(v) = parsed.get_untracked() { crate::state::run::sweep(app, param.get_untracked(), v); } }>"Sweep"</button>
            </div>
            <p class="help">"Every value is a real run of the chosen models (sequential and CPython are left out: they would freeze the page at every step)."</p>
            {move || parsed.get().err().map(|e| view! { <p class="help error">{e}</p> })}
            {move || estimate.get().filter(|_| parsed.with(|p| p.is_ok())).map(|e| {
                let (values, models) = shape.get();
                let long = matches!(e, Estimate::Done { total_ns, cut_short, .. } if cut_short || total_ns > LONG_SWEEP_NS);
                view! { <p class=if long { "help warn" } else { "help" } data-testid="sweep-estimate" aria-live="polite">{e.text(values, models)}</p> }
            })}
            <SweepChart points=app.run.sweep_points.into() param_label=Signal::derive(move || param.get().label()) />
        </div>
    }
}
