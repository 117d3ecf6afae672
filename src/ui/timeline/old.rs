//! The timeline: one row per lane (main thread, each worker) or per task,
//! drawn on a canvas with level of detail, so 100,000 spans stay fluid: spans
//! narrower than a pixel are merged into one column per pixel (the state that
//! covers most of it wins), so draw calls are bounded by the canvas width.
//!
//! Zoom with the wheel or `+`/`-`, pan by dragging or with the arrow keys,
//! double-click or `0` to reset; hover for a span's task, phase, start and duration.

use std::cell::RefCell;
use std::rc::Rc;

use engine::time::{format_duration, Nanos};
use engine::trace::{Span, SpanState, Trace, NO_LANE};
use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasPattern, CanvasRenderingContext2d, HtmlCanvasElement};

use crate::session::ModelResult;

/// Most task rows drawn in the per-task view.
pub const MAX_TASK_ROWS: usize = 200;
const ROW_H: f64 = 22.0;
const LABEL_W: f64 = 84.0;
const AXIS_H: f64 = 24.0;

/// Rows of one trace, each a list of span indices sorted by start.
struct Rows {
    labels: Vec<String>,
    spans: Vec<Vec<u32>>,
}

fn build_rows(t: &Trace, by_task: bool) -> Rows {
    if by_task {
        let n = (t.tasks as usize).min(MAX_TASK_ROWS);
        let mut spans = vec![Vec::new(); n];
        for (i, s) in t.spans.iter().enumerate() {
            if (s.task as usize) < n {
                spans[s.task as usize].push(i as u32);
            }
        }
        for row in &mut spans {
            row.sort_by_key(|&i| t.spans[i as usize].start);
        }
        Rows { labels: (0..n).map(|i| format!("task {i}")).collect(), spans }
    } else {
        let n = usize::from(t.lanes.max(1));
        let mut spans = vec![Vec::new(); n];
        for (i, s) in t.spans.iter().enumerate() {
            if s.lane != NO_LANE && usize::from(s.lane) < n {
                spans[usize::from(s.lane)].push(i as u32);
            }
        }
        for row in &mut spans {
            row.sort_by_key(|&i| t.spans[i as usize].start);
        }
        let labels = (0..n).map(|l| if l == 0 { "main".to_string() } else { format!("worker {l}") }).collect();
        Rows { labels, spans }
    }
}

/// Colours from the stylesheet, so themes apply to the canvas too.
struct Palette {
    text: String,
    muted: String,
    grid: String,
    states: Vec<String>,
}

fn css_var(style: &web_sys::CssStyleDeclaration, name: &str, fallback: &str) -> String {
    let v = style.get_property_value(name).unwrap_or_default();
    let v = v.trim();
    if v.is_empty() { fallback.to_string() } else { v.to_string() }
}

fn palette(el: &HtmlCanvasElement) -> Palette {
    let style = web_sys::window().and_then(|w| w.get_computed_style(el).ok().flatten());
    let get = |n: &str, f: &str| style.as_ref().map_or(f.to_string(), |s| css_var(s, n, f));
    Palette {
        text: get("--text", "#222"),
        muted: get("--muted", "#666"),
        grid: get("--border", "#ddd"),
        states: SpanState::ALL.iter().map(|s| get(&format!("--state-{}", s.name()), "#888")).collect(),
    }
}

/// A small repeating pattern per state, so states differ by more than colour.
fn pattern(ctx: &CanvasRenderingContext2d, state: SpanState) -> Option<CanvasPattern> {
    let doc = web_sys::window()?.document()?;
    let c: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
    c.set_width(8);
    c.set_height(8);
    let p: CanvasRenderingContext2d = c.get_context("2d").ok()??.dyn_into().ok()?;
    p.set_stroke_style_str("rgba(255,255,255,0.55)");
    p.set_fill_style_str("rgba(255,255,255,0.55)");
    p.set_line_width(1.5);
    p.begin_path();
    match state {
        SpanState::Running => return None,
        SpanState::Waiting => {
            p.move_to(0.0, 8.0);
            p.line_to(8.0, 0.0);
        }
        SpanState::Queued => {
            p.fill_rect(3.0, 3.0, 2.0, 2.0);
        }
        SpanState::GilBlocked => {
            p.move_to(0.0, 8.0);
            p.line_to(8.0, 0.0);
            p.move_to(0.0, 0.0);
            p.line_to(8.0, 8.0);
        }
        SpanState::Startup => {
            p.move_to(4.0, 0.0);
            p.line_to(4.0, 8.0);
        }
        SpanState::Transfer => {
            p.move_to(0.0, 4.0);
            p.line_to(8.0, 4.0);
        }
    }
    p.stroke();
    ctx.create_pattern_with_html_canvas_element(&c, "repeat").ok()?
}

/// A round tick step (1, 2 or 5 × 10^k ns) giving about `target` ticks.
fn tick_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag)
}

struct View {
    from: f64,
    to: f64,
}

fn draw(canvas: &HtmlCanvasElement, t: &Trace, rows: &Rows, view: &View) {
    let Some(ctx) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok()) else { return };
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let css_w = f64::from(canvas.client_width().max(200));
    let css_h = AXIS_H + ROW_H * rows.labels.len() as f64;
    canvas.set_width((css_w * dpr) as u32);
    canvas.set_height((css_h * dpr) as u32);
    let _ = web_sys::HtmlElement::style(canvas).set_property("height", &format!("{css_h}px"));
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    let pal = palette(canvas);
    ctx.clear_rect(0.0, 0.0, css_w, css_h);
    let plot_w = css_w - LABEL_W;
    let span_ns = (view.to - view.from).max(1.0);
    let x_of = |ns: f64| LABEL_W + (ns - view.from) / span_ns * plot_w;

    // Axis and grid.
    let step = tick_step(span_ns, plot_w / 110.0);
    ctx.set_font("11px system-ui, sans-serif");
    ctx.set_fill_style_str(&pal.muted);
    ctx.set_stroke_style_str(&pal.grid);
    ctx.set_line_width(1.0);
    let mut tick = (view.from / step).ceil() * step;
    while tick <= view.to {
        let x = x_of(tick).round() + 0.5;
        ctx.begin_path();
        ctx.move_to(x, AXIS_H - 6.0);
        ctx.line_to(x, css_h);
        ctx.stroke();
        let _ = ctx.fill_text(&format_duration(tick.max(0.0) as Nanos), x + 3.0, AXIS_H - 10.0);
        tick += step;
    }

    let patterns: Vec<Option<CanvasPattern>> = SpanState::ALL.iter().map(|s| pattern(&ctx, *s)).collect();
    let start = t.start as f64;
    for (r, (label, idx)) in rows.labels.iter().zip(&rows.spans).enumerate() {
        let y = AXIS_H + r as f64 * ROW_H;
        ctx.set_fill_style_str(&pal.text);
        let _ = ctx.fill_text(label, 6.0, y + ROW_H * 0.68);
        // First span that may be visible: rows are sorted by start and their
        // spans do not overlap, so ends are sorted too.
        let first = idx.partition_point(|&i| (t.spans[i as usize].end as f64 - start) < view.from);
        let mut column: Option<(i64, [f64; 6])> = None;
        let flush = |col: Option<(i64, [f64; 6])>| {
            if let Some((c, cover)) = col {
                let best = (0..6).max_by(|a, b| cover[*a].total_cmp(&cover[*b])).unwrap_or(0);
                ctx.set_fill_style_str(&pal.states[best]);
                ctx.fill_rect(c as f64, y + 3.0, 1.0, ROW_H - 6.0);
            }
        };
        for &i in &idx[first..] {
            let s: &Span = &t.spans[i as usize];
            let (s0, s1) = (s.start as f64 - start, s.end as f64 - start);
            if s0 > view.to {
                break;
            }
            let (x0, x1) = (x_of(s0).max(LABEL_W), x_of(s1).min(css_w));
            let state = s.state as usize;
            if x1 - x0 >= 1.0 {
                flush(column.take());
                ctx.set_fill_style_str(&pal.states[state]);
                ctx.fill_rect(x0, y + 3.0, x1 - x0, ROW_H - 6.0);
                if let (true, Some(p)) = (x1 - x0 >= 4.0, &patterns[state]) {
                    ctx.set_fill_style_canvas_pattern(p);
                    ctx.fill_rect(x0, y + 3.0, x1 - x0, ROW_H - 6.0);
                }
            } else {
                let c = x0.floor() as i64;
                match &mut column {
                    Some((cc, cover)) if *cc == c => cover[state] += x1 - x0,
                    _ => {
                        flush(column.take());
                        let mut cover = [0.0; 6];
                        cover[state] = x1 - x0;
                        column = Some((c, cover));
                    }
                }
            }
        }
        flush(column.take());
    }
}

/// The span under (`row`, time `ns` from the trace start), if any.
fn span_at(t: &Trace, rows: &Rows, row: usize, ns: f64) -> Option<Span> {
    let idx = rows.spans.get(row)?;
    let start = t.start as f64;
    let k = idx.partition_point(|&i| (t.spans[i as usize].end as f64 - start) < ns);
    let s = t.spans[*idx.get(k)? as usize];
    ((s.start as f64 - start) <= ns).then_some(s)
}

/// Draws `t` on `canvas` for the window `from..to` (ns from the trace's
/// start), by lane or by task: what the component does on every pan and zoom
/// frame, exposed for the benchmark (P7).
pub fn draw_trace(canvas: &HtmlCanvasElement, t: &Trace, by_task: bool, from: f64, to: f64) {
    let rows = build_rows(t, by_task);
    draw(canvas, t, &rows, &View { from, to });
}

/// Like [`draw_trace`] but with the rows built once, as the component keeps
/// them between frames; returns a closure that draws one frame.
pub fn frame_drawer(canvas: HtmlCanvasElement, t: Rc<Trace>, by_task: bool) -> impl Fn(f64, f64) {
    let rows = build_rows(&t, by_task);
    move |from, to| draw(&canvas, &t, &rows, &View { from, to })
}

/// A short description of a trace, for screen readers and the caption.
pub fn summary(r: &ModelResult) -> String {
    let t = &r.trace;
    let lanes = t.lanes;
    format!(
        "{}: {} tasks on {} lane{} over {}; CPU busy {:.0} % of the lanes' time; longest main-thread block {:.1} ms.",
        r.model.label(),
        t.tasks,
        lanes,
        if lanes == 1 { "" } else { "s" },
        format_duration(t.wall()),
        r.metrics.utilisation_pct,
        r.metrics.longest_block_ms
    )
}

/// The timeline of one of the last run's models.
#[component]
pub fn Timeline(results: Signal<Vec<ModelResult>, LocalStorage>) -> impl IntoView {
    let selected = RwSignal::new(0usize);
    let by_task = RwSignal::new(false);
    let window = RwSignal::new((0.0f64, 1.0f64));
    let canvas = NodeRef::<Canvas>::new();
    let rows: StoredValue<Option<Rc<Rows>>, LocalStorage> = StoredValue::new_local(None);
    let tip = RwSignal::new(None::<(f64, f64, String)>);
    let drag = Rc::new(RefCell::new(None::<(f64, (f64, f64))>));

    let current = move || results.with(|r| r.get(selected.get().min(r.len().saturating_sub(1))).cloned());
    // A new run or another model or view: rebuild the rows and reset the zoom.
    Effect::new(move |_| {
        let by = by_task.get();
        if let Some(r) = current() {
            rows.set_value(Some(Rc::new(build_rows(&r.trace, by))));
            window.set((0.0, r.trace.wall().max(1) as f64));
        }
    });
    Effect::new(move |_| {
        let (from, to) = window.get();
        let _ = by_task.get();
        if let (Some(c), Some(r), Some(rw)) = (canvas.get(), current(), rows.get_value()) {
            draw(&c, &r.trace, &rw, &View { from, to });
        }
    });
    // Redraw on resize (the canvas follows its container's width).
    let on_resize = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || window.update(|_| {}));
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("resize", on_resize.as_ref().unchecked_ref());
    }
    on_resize.forget();

    let plot_fraction = move |client_x: f64| -> Option<f64> {
        let c = canvas.get()?;
        let rect = c.get_bounding_client_rect();
        let w = rect.width() - LABEL_W;
        Some(((client_x - rect.left() - LABEL_W) / w).clamp(0.0, 1.0))
    };
    let zoom = move |factor: f64, at: f64| {
        let full = current().map_or(1.0, |r| r.trace.wall().max(1) as f64);
        window.update(|(from, to)| {
            let span = *to - *from;
            let pivot = *from + span * at;
            let new_span = (span * factor).clamp(1_000.0, full);
            *from = (pivot - new_span * at).clamp(0.0, full - new_span);
            *to = *from + new_span;
        });
    };
    let pan = move |by_fraction: f64| {
        let full = current().map_or(1.0, |r| r.trace.wall().max(1) as f64);
        window.update(|(from, to)| {
            let span = *to - *from;
            *from = (*from + span * by_fraction).clamp(0.0, full - span);
            *to = *from + span;
        });
    };
    let reset = move || {
        if let Some(r) = current() {
            window.set((0.0, r.trace.wall().max(1) as f64));
        }
    };
    let drag_down = drag.clone();
    let drag_move = drag.clone();
    let drag_up = drag;

    view! {
        <div class="timeline">
            <div class="row tl-controls">
                <div role="tablist" aria-label="Model" class="tabs">
                    {move || results.get().iter().enumerate().map(|(i, r)| view! {
                        <button type="button" role="tab" class="tab" data-testid=format!("tl-{}", r.model.name())
                            aria-selected=move || (selected.get() == i).to_string()
                            on:click=move |_| selected.set(i)>{r.model.label()}</button>
                    }).collect_view()}
                </div>
                <label class="toggle">
                    <input type="checkbox" data-testid="tl-by-task" prop:checked=move || by_task.get()
                        on:change:target=move |ev| by_task.set(ev.target().checked()) />
                    <span>"Per task"</span>
                </label>
                <button type="button" class="secondary small" on:click=move |_| zoom(0.5, 0.5) aria-label="Zoom in">"+"</button>
                <button type="button" class="secondary small" on:click=move |_| zoom(2.0, 0.5) aria-label="Zoom out">"−"</button>
                <button type="button" class="secondary small" on:click=move |_| reset()>"Reset"</button>
            </div>
            <div class="tl-canvas-wrap">
                <canvas node_ref=canvas data-testid="timeline" tabindex="0" role="img"
                    aria-label=move || current().map(|r| summary(&r)).unwrap_or_default()
                    on:wheel=move |ev| {
                        ev.prevent_default();
                        if let Some(at) = plot_fraction(f64::from(ev.client_x())) {
                            zoom(if ev.delta_y() < 0.0 { 0.8 } else { 1.25 }, at);
                        }
                    }
                    on:pointerdown=move |ev| {
                        *drag_down.borrow_mut() = Some((f64::from(ev.client_x()), window.get_untracked()));
                    }
                    on:pointerup=move |_| { drag_up.borrow_mut().take(); }
                    on:pointerleave=move |_| tip.set(None)
                    on:dblclick=move |_| reset()
                    on:keydown=move |ev| match ev.key().as_str() {
                        "+" | "=" => zoom(0.5, 0.5),
                        "-" => zoom(2.0, 0.5),
                        "ArrowLeft" => pan(-0.2),
                        "ArrowRight" => pan(0.2),
                        "0" => reset(),
                        _ => {}
                    }
                    on:pointermove=move |ev| {
                        let Some(c) = canvas.get() else { return };
                        let rect = c.get_bounding_client_rect();
                        let (x, y) = (f64::from(ev.client_x()) - rect.left(), f64::from(ev.client_y()) - rect.top());
                        if let Some((x0, (f0, t0))) = *drag_move.borrow() {
                            let full = current().map_or(1.0, |r| r.trace.wall().max(1) as f64);
                            let dt = (f64::from(ev.client_x()) - x0) / (rect.width() - LABEL_W) * (t0 - f0);
                            let from = (f0 - dt).clamp(0.0, full - (t0 - f0));
                            window.set((from, from + (t0 - f0)));
                            return;
                        }
                        let (Some(r), Some(rw)) = (current(), rows.get_value()) else { return };
                        let (from, to) = window.get_untracked();
                        let row = ((y - AXIS_H) / ROW_H).floor();
                        if row < 0.0 || x < LABEL_W {
                            tip.set(None);
                            return;
                        }
                        let ns = from + (x - LABEL_W) / (rect.width() - LABEL_W) * (to - from);
                        tip.set(span_at(&r.trace, &rw, row as usize, ns).map(|s| {
                            let task = if s.task == engine::trace::NO_TASK { "-".to_string() } else { s.task.to_string() };
                            (x, y, format!(
                                "task {task} · {} (phase {}) · {} · start {} · {}",
                                s.kind.name(), s.phase + 1, s.state.name(),
                                format_duration(s.start.saturating_sub(r.trace.start)), format_duration(s.end - s.start)
                            ))
                        }));
                    }>
                </canvas>
                {move || tip.get().map(|(x, y, text)| view! {
                    <div class="tooltip" data-testid="tooltip" role="tooltip" style=format!("left:{}px;top:{}px", x + 12.0, y + 12.0)>{text}</div>
                })}
            </div>
            <ul class="legend" aria-label="Legend">
                {SpanState::ALL.into_iter().map(|s| view! {
                    <li><span class=format!("swatch swatch-{}", s.name())></span>{s.name()}</li>
                }).collect_view()}
            </ul>
            <p class="help" data-testid="timeline-summary">
                {move || current().map(|r| {
                    let more = if by_task.get() && r.trace.tasks as usize > MAX_TASK_ROWS { format!(" Showing the first {MAX_TASK_ROWS} of {} tasks.", r.trace.tasks) } else { String::new() };
                    format!("{}{more}", summary(&r))
                })}
            </p>
        </div>
    }
}
