//! The timeline: every model of the run on one time axis that starts at the
//! run's start, each a group of labelled lanes (main thread, each worker, and
//! who holds the GIL), drawn on a canvas. Before a run it shows the predicted
//! timeline of the scenario as edited; during a run it grows live; after, the
//! prediction stays as a faint strip under each lane.
//!
//! - [`rows`]: which spans go in which row (incremental, for live runs);
//! - [`draw`]: the canvas drawing, with level of detail;
//! - [`interact`]: zoom, pan, pinch and tap, as window arithmetic.
//!
//! Zoom with the wheel, pinch, the buttons or `+`/`-`; pan by dragging or
//! with the arrow keys; `0` resets; hover or tap for a span's details; a tap
//! (or click) places the inspector's playhead.

pub mod draw;
pub mod interact;
pub mod rows;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use engine::time::format_duration;
use engine::trace::{SpanState, Trace, NO_TASK};
use leptos::html::{Canvas, Div};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::run::Phase;
use crate::state::{use_app, AppState};
use crate::ui::dom::{AnimationFrame, ResizeWatch};
use draw::{Extras, Layout, Window, LABEL_W};
use interact::{Effect as Gest, Gesture};
use rows::{Group, Source};

/// How near (px) the pointer must be to a counter write's tick for the
/// tooltip to name it.
const WRITE_HIT_PX: f64 = 3.0;

/// How often a live run's new spans are drawn, ms.
pub const LIVE_EVERY_MS: i32 = 150;

/// A short description of what a group shows, for screen readers and the
/// caption: `name` ("Event loop (predicted)"), tasks, lanes, how long, and
/// how long its lanes ran code.
fn summary(name: &str, source: &Source, cut_short: bool) -> String {
    let busy: u64 = source.with_spans(|spans| {
        spans
            .iter()
            .filter(|s| s.state == SpanState::Running && s.lane != engine::trace::NO_LANE)
            .map(|s| s.duration())
            .sum()
    });
    let (tasks, lanes) = (source.tasks(), source.lanes());
    let lanes = format!("{lanes} lane{}", if lanes == 1 { "" } else { "s" });
    let wall = format_duration(source.wall());
    let over = match source {
        Source::Live(_) => format!("{wall} so far"),
        Source::Trace(t) if t.cancelled => match engine::metrics::done_before_cancel(t) {
            Some(d) => format!("cancelled after {wall} with {d} done"),
            None => format!("cancelled after {wall}"),
        },
        Source::Trace(t) if t.repeats.len() > 1 => format!(
            "over {wall}, the median of {} runs ({})",
            t.repeats.len(),
            crate::ui::results::runs_spread(t),
        ),
        Source::Trace(_) => format!("over {wall}"),
    };
    // "0 ns" reads as a measurement error; a run of waits is simply idle.
    let busy = match (busy, source) {
        (0, Source::Live(_)) => "no lane has finished running code yet".to_string(),
        // A race's reads and writes run, but in less than the clock's step.
        (0, Source::Trace(t)) if t.increments > 0 => {
            "its reads and writes took less time than the clock can tell (a tick marks each write on a task's row)".to_string()
        }
        (0, _) => "no lane ran code, all waited".to_string(),
        (b, _) => format!("lanes busy {} in all", format_duration(b)),
    };
    let cut = if cut_short {
        " The prediction was cut short there: the run takes longer."
    } else {
        ""
    };
    let s = if tasks == 1 { "" } else { "s" };
    format!("{name}: {tasks} task{s} on {lanes}, {over}; {busy}.{cut}")
}

fn group_title(
    name: &str,
    wall: u64,
    predicted: Option<u64>,
    is_prediction: bool,
    cut_short: bool,
) -> String {
    match (is_prediction, predicted) {
        // A prediction cut short at its time budget reached only this far:
        // the run takes longer, by how much is not known.
        (true, _) if cut_short => format!(
            "{name} · predicted: more than {} (cut short; Run measures it)",
            format_duration(wall)
        ),
        (true, _) => format!("{name} · predicted {}", format_duration(wall)),
        (false, Some(p)) => format!(
            "{name} · {} (predicted {})",
            format_duration(wall),
            format_duration(p)
        ),
        (false, None) => format!("{name} · {}", format_duration(wall)),
    }
}

/// One run the chart shows, before its rows are built: what the caption and
/// the table describe, so they always say what the chart draws.
struct Shown {
    /// For the caption and the table: "Event loop", "Event loop (predicted)".
    name: String,
    /// The group's title above its lanes.
    title: String,
    model: Option<engine::model::Model>,
    source: Source,
    is_prediction: bool,
    /// The prediction drawn faintly under a measured run.
    overlay: Option<Rc<Trace>>,
    /// A prediction cut short at its time budget.
    cut_short: bool,
}

/// The groups to draw now: the finished models of the run, the one running,
/// or, before any run, the predictions of the scenario as edited; then any
/// imported traces.
fn build_groups(app: &AppState, by_task: bool) -> Vec<Group> {
    shown(app)
        .into_iter()
        .map(|s| {
            Group::new(
                s.title,
                s.model,
                s.source,
                s.is_prediction,
                s.overlay,
                by_task,
            )
        })
        .collect()
}

/// What the chart shows now, in order (see [`build_groups`]).
fn shown(app: &AppState) -> Vec<Shown> {
    let mut out = shown_runs(app);
    for t in app.run.imported.get_untracked().iter() {
        out.push(Shown {
            name: t.display_name(),
            title: group_title(&t.display_name(), t.wall(), None, false, false),
            model: t.model,
            source: Source::Trace(t.clone()),
            is_prediction: false,
            overlay: None,
            cut_short: false,
        });
    }
    out
}

fn shown_runs(app: &AppState) -> Vec<Shown> {
    let running = matches!(app.run.phase.get_untracked(), Phase::Running { .. });
    let results = app.run.results.get_untracked();
    let measured = |r: &crate::session::ModelResult| {
        let title = if r.trace.cancelled {
            // Against the whole run's prediction, a part of it reads as a miss.
            format!(
                "{} · cancelled after {}",
                r.trace.display_name(),
                format_duration(r.trace.wall())
            )
        } else {
            group_title(
                &r.trace.display_name(),
                r.trace.wall(),
                r.predicted.as_ref().map(|p| p.wall()),
                false,
                false,
            )
        };
        Shown {
            name: r.trace.display_name(),
            title,
            model: Some(r.model),
            source: Source::Trace(r.trace.clone()),
            is_prediction: false,
            overlay: r.predicted.clone(),
            cut_short: false,
        }
    };
    if running {
        let mut out: Vec<Shown> = app
            .run
            .partial
            .get_untracked()
            .iter()
            .map(measured)
            .collect();
        if let Some(live) = crate::runtime::live() {
            out.push(Shown {
                name: format!("{} (running)", live.model.label()),
                title: format!("{} · running…", live.model.label()),
                model: Some(live.model),
                source: Source::Live(live),
                is_prediction: false,
                overlay: None,
                cut_short: false,
            });
        }
        return out;
    }
    let predictions = app.predict.predictions.get_untracked();
    if !results.is_empty() && (!app.run.stale.get_untracked() || predictions.is_empty()) {
        return results.iter().map(measured).collect();
    }
    predictions
        .iter()
        .map(|p| {
            let t = &p.trace;
            let mut title = group_title(&t.display_name(), t.wall(), None, true, p.cut_short);
            let mut name = format!("{} (predicted)", t.display_name());
            if p.provisional {
                // Typical costs, not this machine's: say so until the probes
                // have measured it (the prediction is then redone).
                title.push_str(" · provisional, measuring this machine…");
                name = format!("{} (predicted with typical costs)", t.display_name());
            }
            Shown {
                name,
                title,
                model: t.model,
                source: Source::Trace(t.clone()),
                is_prediction: true,
                overlay: None,
                cut_short: p.cut_short,
            }
        })
        .collect()
}

/// The whole timeline (every group, the whole run) drawn on a canvas of its
/// own, as a PNG `data:` URL: for the export buttons, which may sit where the
/// chart is not shown. The canvas is put in the page for the draw (so it gets
/// the theme's colours), then removed.
pub fn png_data_url(app: &AppState, width: f64) -> Result<String, String> {
    let groups = build_groups(app, app.view.by_task.get_untracked());
    if groups.is_empty() {
        return Err("run something first: there is no timeline to save".into());
    }
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let body = doc.body().ok_or("no document body")?;
    let canvas: web_sys::HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    let _ = canvas.set_attribute(
        "style",
        &format!("position:absolute;left:-100000px;top:0;width:{width}px"),
    );
    let _ = canvas.set_attribute("aria-hidden", "true");
    body.append_child(&canvas).map_err(|e| format!("{e:?}"))?;
    let layout = Layout::new(&groups, width, draw::MIN_H);
    let w = Window {
        from: 0.0,
        to: full_extent(&groups),
    };
    draw::draw(&canvas, &groups, &layout, w, &Extras { playhead: None });
    let url = canvas
        .to_data_url_with_type("image/png")
        .map_err(|e| format!("{e:?}"));
    canvas.remove();
    url
}

/// The chart's state between frames.
#[derive(Default)]
struct Chart {
    groups: Vec<Group>,
    layout: Layout,
}

/// Whether `model` sends jobs out to workers whose phases come back with
/// the reply (drawn as outlines until then). Threads in shared memory
/// stream their spans as they go instead, and the GIL by messages sends
/// quanta of a few ms whose spans come back at once: nothing of theirs is
/// drawn so.
fn sends_jobs_out(model: engine::model::Model, isolated: bool) -> bool {
    use engine::model::Model;
    match model {
        Model::Gil => false,
        Model::Free => !isolated,
        m => m.uses_pool(),
    }
}

/// The whole extent of what is drawn, ns.
fn full_extent(groups: &[Group]) -> f64 {
    groups
        .iter()
        .map(|g| g.main.wall())
        .max()
        .unwrap_or(1)
        .max(1) as f64
}

/// The timeline, with its controls, legend and text alternative.
#[component]
pub fn Timeline() -> impl IntoView {
    let app = use_app();
    let view = app.view;
    let canvas = NodeRef::<Canvas>::new();
    let wrap = NodeRef::<Div>::new();
    let chart: Rc<RefCell<Chart>> = Rc::new(RefCell::new(Chart::default()));
    let drawn = RwSignal::new(0u64);
    let min_h = if app.env.embed {
        draw::MIN_H_EMBED
    } else {
        draw::MIN_H
    };
    // Bumped when what is drawn changes (not when the window moves).
    let content = RwSignal::new(0u64);
    // Whether the groups drawn have writes to the counter (set where they are built).
    let writes_drawn = RwSignal::new(false);
    let note_writes = move |groups: &[Group]| {
        let any = groups.iter().any(|g| g.writes.any());
        if writes_drawn.get_untracked() != any {
            writes_drawn.set(any);
        }
    };
    let tip = RwSignal::new(None::<(f64, f64, String)>);
    let gesture = Rc::new(RefCell::new(Gesture::default()));
    let full = RwSignal::new(1.0f64);
    // The canvas's CSS width, kept by a ResizeObserver: reading it from the
    // element while drawing would force a layout in every frame.
    let width = Rc::new(Cell::new(0.0f64));

    // Draws on the next animation frame (many changes in one frame draw
    // once). The frame, the live tick and the resize watch are kept in
    // stored values, so unmounting the chart ends them at once.
    let frame = StoredValue::new_local(AnimationFrame::new({
        let chart = chart.clone();
        let width = width.clone();
        move |_| {
            let Some(el) = canvas.try_get_untracked().flatten() else {
                return false;
            };
            // Until the ResizeObserver has told the width, wait for it (it
            // asks for a draw): reading it here would force a layout.
            if width.get() <= 0.0 {
                return false;
            }
            let mut c = chart.borrow_mut();
            let layout = Layout::new(&c.groups, width.get().max(200.0), min_h);
            let f = full_extent(&c.groups);
            full.set(f);
            let w = view
                .window
                .get_untracked()
                .map_or(Window { from: 0.0, to: f }, |(a, b)| Window {
                    from: a,
                    to: b,
                });
            let extras = Extras {
                playhead: view.playhead.get_untracked().map(|p| p as f64),
            };
            draw::draw(&el, &c.groups, &layout, w, &extras);
            c.layout = layout;
            drawn.update(|d| *d += 1);
            false
        }
    }));
    let request_draw = move || {
        frame.try_with_value(AnimationFrame::request);
    };

    // Rebuild the groups when the runs, predictions or the row mode change
    // (not at every progress report of a run: its kind, not its fraction).
    let running = Memo::new(move |_| matches!(app.run.phase.get(), Phase::Running { .. }));
    // Ticks for the counter's writes: in the legend when a run drew some, or
    // when the workload as edited has increments (so it does not shift when
    // a race's run starts).
    let writes_legend = Memo::new(move |_| {
        writes_drawn.get()
            || app.scenario.parsed.with(|w| {
                w.as_ref().is_ok_and(|w| {
                    w.groups.iter().any(|g| {
                        g.phases
                            .iter()
                            .any(|p| matches!(p, workload::Phase::Incr { .. }))
                    })
                })
            })
    });
    // A model running on the pool sends jobs out: the legend says how those are drawn.
    let jobs_out = Memo::new(
        move |_| matches!(app.run.phase.get(), Phase::Running { model, .. } if sends_jobs_out(model, app.env.isolated)),
    );
    {
        let chart = chart.clone();
        Effect::new(move |_| {
            let by_task = view.by_task.get();
            app.run.results.track();
            app.run.imported.track();
            app.run.stale.track();
            app.run.partial.track();
            app.predict.predictions.track();
            running.track();
            let groups = build_groups(&app, by_task);
            note_writes(&groups);
            chart.borrow_mut().groups = groups;
            content.update(|c| *c += 1);
            request_draw();
        });
    }
    // Redraw when the window or the playhead move.
    {
        Effect::new(move |_| {
            view.window.track();
            view.playhead.track();
            request_draw();
        });
    }
    // While a run goes on, draw its new spans every LIVE_EVERY_MS, at an
    // animation frame: a timer would wait behind every timer already due (a
    // JavaScript event-loop run queues hundreds), a frame is the browser's
    // to give between tasks, and there is nothing to draw without one.
    {
        let chart = chart.clone();
        // The last tick (frame time, ms): a run's first comes LIVE_EVERY_MS
        // after it starts, as its later ones do (a run shorter than that
        // is drawn once, when it ends, and pays for no redraw meanwhile).
        let last = Rc::new(Cell::new(0.0));
        let since = last.clone();
        let tick = StoredValue::new_local(AnimationFrame::new(move |t| {
            if !running.get_untracked() {
                return false;
            }
            if t - last.get() < f64::from(LIVE_EVERY_MS) {
                return true;
            }
            last.set(t);
            let mut c = chart.borrow_mut();
            let live_model = crate::runtime::live().map(|l| (l.model, l.start));
            let shown = c.groups.last().and_then(|g| match &g.main {
                Source::Live(l) => Some((l.model, l.start)),
                _ => None,
            });
            if live_model.is_some() && live_model == shown {
                if let Some(g) = c.groups.last_mut() {
                    g.refresh();
                }
            } else {
                c.groups = build_groups(&app, view.by_task.get_untracked());
            }
            note_writes(&c.groups);
            drop(c);
            content.update(|c| *c += 1);
            request_draw();
            true
        }));
        Effect::new(move |_| {
            if running.get() {
                since.set(crate::clock::now_ms());
                tick.try_with_value(AnimationFrame::request);
            }
        });
    }
    // Follow the container's width.
    {
        let width = width.clone();
        let watch = StoredValue::new_local(None::<ResizeWatch>);
        Effect::new(move |_| {
            if let Some(el) = wrap.get() {
                let width = width.clone();
                let w = ResizeWatch::new(&el, move |px| {
                    width.set(px);
                    request_draw();
                });
                watch.try_update_value(|slot| *slot = w);
            }
        });
    }

    let window_now = move || {
        view.window.get_untracked().map_or(
            Window {
                from: 0.0,
                to: full.get_untracked(),
            },
            |(a, b)| Window { from: a, to: b },
        )
    };
    let set_window = move |w: Window| view.window.set(Some((w.from, w.to)));
    let zoom_by = move |factor: f64| {
        set_window(interact::zoom(
            window_now(),
            factor,
            0.5,
            full.get_untracked(),
        ))
    };
    let pan_by = move |by: f64| set_window(interact::pan(window_now(), by, full.get_untracked()));
    let reset = move || view.window.set(None);
    let plot_x = move |client_x: f64| -> Option<(f64, f64)> {
        let c = canvas.get_untracked()?;
        let rect = c.get_bounding_client_rect();
        Some((client_x - rect.left() - LABEL_W, rect.width() - LABEL_W))
    };
    let ns_at = move |px: f64, plot_w: f64| {
        let w = window_now();
        w.from + px / plot_w.max(1.0) * (w.to - w.from)
    };
    let tooltip_at = {
        let chart = chart.clone();
        move |client_x: f64, client_y: f64| -> Option<(f64, f64, String)> {
            let c = canvas.get_untracked()?;
            let rect = c.get_bounding_client_rect();
            let (x, y) = (client_x - rect.left(), client_y - rect.top());
            let ch = chart.borrow();
            let (g, r) = ch.layout.row_at(y)?;
            if x < LABEL_W {
                // A row's label, in full: an imported file's thread names
                // are cut to fit the label column.
                let label = &ch.groups.get(g)?.rows.get(r)?.1;
                return (label.chars().count() > 10).then(|| (x, y, label.clone()));
            }
            let ns = ns_at(x - LABEL_W, rect.width() - LABEL_W);
            let origin = ch.groups.get(g)?.main.start();
            // A write to the counter (a tick) before the span under it.
            let tol =
                ns_at(WRITE_HIT_PX, rect.width() - LABEL_W) - ns_at(0.0, rect.width() - LABEL_W);
            if let Some((wr, n)) = draw::writes_at(&ch.groups, g, r, ns, tol) {
                let more = match n {
                    0 | 1 => String::new(),
                    n => format!(" · {} more writes within a few pixels (zoom in)", n - 1),
                };
                let text = format!(
                    "task {} wrote {} to the counter · at {}{more}",
                    wr.task,
                    wr.value,
                    format_duration(wr.at.saturating_sub(origin)),
                );
                return Some((x, y, text));
            }
            let s = draw::span_at(&ch.groups, g, r, ns)?;
            let task = if s.task == NO_TASK {
                "-".to_string()
            } else {
                s.task.to_string()
            };
            let text = format!(
                "task {task} · {} (phase {}) · {} · start {} · {}",
                s.kind.name(),
                s.phase + 1,
                s.state.name(),
                format_duration(s.start.saturating_sub(origin)),
                format_duration(s.end - s.start)
            );
            Some((x, y, text))
        }
    };
    let tip_hover = tooltip_at.clone();
    let tip_tap = tooltip_at;
    let (g_down, g_move, g_up) = (gesture.clone(), gesture.clone(), gesture);

    // The caption and the table follow what is drawn, not each frame: a
    // pan or zoom frame changes neither, and both read every span.
    // One memo for the canvas's label and the caption under it: each read
    // of it would otherwise sum every span again.
    let caption = Memo::new(move |_| {
        content.track();
        shown(&app)
            .iter()
            .map(|s| summary(&s.name, &s.source, s.cut_short))
            .collect::<Vec<_>>()
            .join(" ")
    });
    let table_open = RwSignal::new(false);

    view! {
        <div class="timeline">
            <div class="row tl-controls">
                <span class="tl-what help" data-testid="timeline-what">
                    {move || match app.run.phase.get() {
                        Phase::Running { model, .. } => format!("Live: {} is running; spans appear as they happen.", model.label()),
                        _ if !app.run.results.with(|r| r.is_empty()) && !app.run.stale.get() => "Measured in this browser; the faint strip under each lane is the prediction.".to_string(),
                        _ if app.predict.predictions.with(|p| p.iter().any(|p| p.provisional)) => "Predicted with typical costs while the page measures this machine; press Run to measure.".to_string(),
                        _ => "Predicted by the engine on a virtual clock, before you run: press Run to measure.".to_string(),
                    }}
                </span>
                <label class="toggle">
                    <input type="checkbox" data-testid="tl-by-task" prop:checked=move || view.by_task.get()
                        on:change:target=move |ev| view.by_task.set(ev.target().checked()) />
                    <span>"Per task"</span>
                </label>
                <button type="button" class="secondary small" data-testid="tl-zoom-in" on:click=move |_| zoom_by(0.5) aria-label="Zoom in">"+"</button>
                <button type="button" class="secondary small" data-testid="tl-zoom-out" on:click=move |_| zoom_by(2.0) aria-label="Zoom out">"−"</button>
                <button type="button" class="secondary small" data-testid="tl-reset" on:click=move |_| reset()>"Whole run"</button>
            </div>
            <div class="tl-canvas-wrap" node_ref=wrap>
                <canvas node_ref=canvas data-testid="timeline" tabindex="0" role="img"
                    data-drawn=move || drawn.get().to_string()
                    aria-label=move || caption.get()
                    on:wheel=move |ev| {
                        ev.prevent_default();
                        if let Some((x, w)) = plot_x(f64::from(ev.client_x())) {
                            let f = if ev.delta_y() < 0.0 { 0.8 } else { 1.25 };
                            set_window(interact::zoom(window_now(), f, x / w.max(1.0), full.get_untracked()));
                        }
                    }
                    on:pointerdown=move |ev| {
                        if let Some((x, w)) = plot_x(f64::from(ev.client_x())) {
                            if let Some(c) = canvas.get_untracked() {
                                let _ = c.set_pointer_capture(ev.pointer_id());
                            }
                            g_down.borrow_mut().down(ev.pointer_id(), x, window_now(), w);
                        }
                    }
                    on:pointermove=move |ev| {
                        let Some((x, w)) = plot_x(f64::from(ev.client_x())) else { return };
                        let active = g_move.borrow().active();
                        if active {
                            if let Gest::View(v) = g_move.borrow_mut().moved(ev.pointer_id(), x, w, full.get_untracked()) {
                                tip.set(None);
                                set_window(v);
                            }
                        } else if ev.pointer_type() == "mouse" {
                            tip.set(tip_hover(f64::from(ev.client_x()), f64::from(ev.client_y())));
                        }
                    }
                    on:pointerup=move |ev| {
                        if let Gest::Tap(x) = g_up.borrow_mut().up(ev.pointer_id()) {
                            if x >= 0.0 {
                                if let Some((_, w)) = plot_x(f64::from(ev.client_x())) {
                                    view.playhead.set(Some(ns_at(x, w).max(0.0) as u64));
                                }
                            }
                            if ev.pointer_type() != "mouse" {
                                tip.set(tip_tap(f64::from(ev.client_x()), f64::from(ev.client_y())));
                            }
                        }
                    }
                    on:pointercancel=move |ev| { let _ = ev; }
                    on:pointerleave=move |ev| { if ev.pointer_type() == "mouse" { tip.set(None); } }
                    on:dblclick=move |_| reset()
                    on:keydown=move |ev| match ev.key().as_str() {
                        "+" | "=" => zoom_by(0.5),
                        "-" | "_" => zoom_by(2.0),
                        "ArrowLeft" => { ev.prevent_default(); pan_by(-0.2) }
                        "ArrowRight" => { ev.prevent_default(); pan_by(0.2) }
                        "0" => reset(),
                        _ => {}
                    }>
                </canvas>
                {move || tip.get().map(|(x, y, text)| view! {
                    <div class="tooltip" data-testid="tooltip" role="tooltip" style=format!("left:{}px;top:{}px", (x + 12.0).min(600.0), y + 12.0)>{text}</div>
                })}
            </div>
            <ul class="legend" aria-label="Legend">
                {SpanState::ALL.into_iter().map(|s| view! {
                    <li><span class=format!("swatch swatch-{}", s.name())></span>{legend_label(s)}</li>
                }).collect_view()}
                <li><span class="swatch swatch-predicted"></span>"predicted (faint strip)"</li>
                {move || writes_legend.get().then(|| view! {
                    <li data-testid="legend-write"><span class="swatch swatch-write"></span>"write to the counter (hover or tap: who wrote what)"</li>
                })}
                // Only while a run has jobs out: the page learns a job's
                // phases from its reply.
                // Its place is kept whenever a chosen model runs on the pool,
                // so the layout does not shift when a run starts.
                {move || app.scenario.models.with(|m| m.iter().any(|&m| sends_jobs_out(m, app.env.isolated))).then(|| view! {
                    <li data-testid="legend-out" style:visibility=move || if jobs_out.get() { "visible" } else { "hidden" }>
                        <span class="swatch swatch-out"></span>"out in a worker (its phases come with the reply)"
                    </li>
                })}
            </ul>
            <p class="help" data-testid="timeline-summary">{move || caption.get()}</p>
            <details class="tl-table" on:toggle:target=move |ev| table_open.set(ev.target().open())>
                <summary>"The chart as a table"</summary>
                // Built only while open: it reads every span of every run.
                {move || table_open.get().then(|| { content.track(); lane_table(&app) })}
            </details>
        </div>
    }
}

fn legend_label(s: SpanState) -> &'static str {
    match s {
        SpanState::Running => "running",
        SpanState::Waiting => "waiting on I/O",
        SpanState::Queued => "ready, queued",
        SpanState::GilBlocked => "waiting for the GIL",
        SpanState::Startup => "start-up",
        SpanState::Transfer => "transfer",
    }
}

/// The text alternative: per run shown and lane, how long it spent in each
/// state. A state it never reached reads "–", not "0 ns" (a lane that only
/// dispatched, as the page's in a pool run, reads "–" throughout).
fn lane_table(app: &AppState) -> impl IntoView {
    let rows: Vec<(String, String, Vec<String>)> = shown(app)
        .iter()
        .flat_map(|s| {
            let lanes = usize::from(s.source.lanes());
            let mut per = vec![[0u64; SpanState::ALL.len()]; lanes];
            s.source.with_spans(|spans| {
                for x in spans {
                    if let Some(l) = per.get_mut(usize::from(x.lane)) {
                        l[x.state as usize] += x.duration();
                    }
                }
            });
            // An imported file's empty lane 0 is no row of the chart either.
            let imported = matches!(&s.source, Source::Trace(t) if t.source == engine::trace::Source::Imported);
            per.into_iter().enumerate().filter(move |(lane, per)| !(imported && *lane == 0 && per.iter().all(|&d| d == 0))).map(|(lane, per)| {
                (
                    s.name.clone(),
                    s.source.lane_name(lane as u16),
                    per.iter()
                        .map(|&d| {
                            if d == 0 {
                                "–".to_string()
                            } else {
                                format_duration(d)
                            }
                        })
                        .collect(),
                )
            })
        })
        .collect();
    view! {
        <table class="results compact" data-testid="timeline-table">
            <thead><tr><th scope="col">"Model"</th><th scope="col">"Lane"</th>
                {SpanState::ALL.into_iter().map(|s| view! { <th scope="col">{legend_label(s)}</th> }).collect_view()}
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|(m, l, cells)| view! {
                    <tr><th scope="row">{m}</th><td>{l}</td>{cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Draws `t` on `canvas` for the window `from..to` (ns from the trace's
/// start), by lane or by task: what the component does on every pan and zoom
/// frame, with the rows built once, exposed for the benchmark (P7, P9).
pub fn frame_drawer(
    canvas: web_sys::HtmlCanvasElement,
    t: Rc<Trace>,
    by_task: bool,
) -> impl Fn(f64, f64) {
    let groups = vec![Group::new(
        "run".into(),
        t.model,
        Source::Trace(t),
        false,
        None,
        by_task,
    )];
    move |from, to| {
        let layout = Layout::new(
            &groups,
            f64::from(canvas.client_width().max(200)),
            draw::MIN_H,
        );
        draw::draw(
            &canvas,
            &groups,
            &layout,
            Window { from, to },
            &Extras { playhead: None },
        );
    }
}
