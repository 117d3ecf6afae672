//! Drawing the timeline on a canvas. Level of detail keeps it fluid at
//! 100,000 spans and more: spans narrower than a pixel are merged into one
//! column per pixel (the state that covers most of it wins), so draw calls
//! are bounded by the canvas width, not the span count. Each state has its
//! own colour *and* pattern.

use std::cell::RefCell;

use engine::trace::{Span, SpanState};
use wasm_bindgen::JsCast;
use web_sys::{CanvasPattern, CanvasRenderingContext2d, HtmlCanvasElement};

use super::rows::{Group, Index, RowKind, Write};

/// Height of one row, px.
pub const ROW_H: f64 = 22.0;
/// Height of a group's title, px.
pub const GROUP_H: f64 = 20.0;
/// Width of the row labels, px.
/// Wider than any axis label at 11 px ("1000.0 ms" is about 55 px): a tick
/// this far from the right edge needs no measuring.
const TICK_LABEL_MAX_W: f64 = 80.0;

pub const LABEL_W: f64 = 92.0;
/// Height of the time axis, px.
pub const AXIS_H: f64 = 22.0;
/// The canvas is never shorter than this, px (the chart area stays a chart).
pub const MIN_H: f64 = 240.0;
/// The least height in an embed: enough for one model's lanes.
pub const MIN_H_EMBED: f64 = 110.0;

/// Where each group and row sits, in CSS px.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Canvas width.
    pub width: f64,
    /// Canvas height.
    pub height: f64,
    /// Per group: its title's top, and each row's top.
    pub groups: Vec<(f64, Vec<f64>)>,
}

impl Layout {
    /// Lays `groups` out in a canvas `width` wide and at least `min_h` high
    /// ([`MIN_H`] on the page, so the chart does not jump as predictions
    /// come and go; less in an embed, whose host may give it 400 px).
    pub fn new(groups: &[Group], width: f64, min_h: f64) -> Self {
        let mut y = AXIS_H;
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            let top = y;
            y += GROUP_H;
            let rows = (0..g.rows.len()).map(|i| y + i as f64 * ROW_H).collect();
            y += g.rows.len() as f64 * ROW_H + 4.0;
            out.push((top, rows));
        }
        Self {
            width,
            height: (y + 2.0).max(min_h),
            groups: out,
        }
    }

    /// The plot's width (right of the labels).
    pub fn plot_w(&self) -> f64 {
        (self.width - LABEL_W).max(1.0)
    }

    /// The (group, row) at `y`, if any.
    pub fn row_at(&self, y: f64) -> Option<(usize, usize)> {
        for (g, (_, rows)) in self.groups.iter().enumerate() {
            for (r, &top) in rows.iter().enumerate() {
                if y >= top && y < top + ROW_H {
                    return Some((g, r));
                }
            }
        }
        None
    }
}

/// The visible window, ns from each run's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Left edge.
    pub from: f64,
    /// Right edge.
    pub to: f64,
}

/// Colours from the stylesheet (so themes apply), and a pattern per state.
struct Palette {
    key: String,
    text: String,
    muted: String,
    grid: String,
    accent: String,
    states: Vec<String>,
    patterns: Vec<Option<CanvasPattern>>,
}

thread_local! {
    static PALETTE: RefCell<Option<Palette>> = const { RefCell::new(None) };
}

fn css_var(style: &web_sys::CssStyleDeclaration, name: &str, fallback: &str) -> String {
    let v = style.get_property_value(name).unwrap_or_default();
    let v = v.trim();
    if v.is_empty() {
        fallback.to_string()
    } else {
        v.to_string()
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
        SpanState::Queued => p.fill_rect(3.0, 3.0, 2.0, 2.0),
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
    ctx.create_pattern_with_html_canvas_element(&c, "repeat")
        .ok()?
}

fn with_palette<R>(
    canvas: &HtmlCanvasElement,
    ctx: &CanvasRenderingContext2d,
    f: impl FnOnce(&Palette) -> R,
) -> R {
    let style = web_sys::window().and_then(|w| w.get_computed_style(canvas).ok().flatten());
    let get = |n: &str, fb: &str| style.as_ref().map_or(fb.to_string(), |s| css_var(s, n, fb));
    // The theme is the key: rebuild colours and patterns only when it changes.
    let key = format!(
        "{}{}",
        get("--text", "#222"),
        get("--state-running", "#888")
    );
    PALETTE.with(|p| {
        let mut p = p.borrow_mut();
        if p.as_ref().map(|p| p.key != key).unwrap_or(true) {
            *p = Some(Palette {
                key,
                text: get("--text", "#222"),
                muted: get("--muted", "#666"),
                grid: get("--border", "#ddd"),
                accent: get("--accent", "#2557d6"),
                states: SpanState::ALL
                    .iter()
                    .map(|s| get(&format!("--state-{}", s.name()), "#888"))
                    .collect(),
                patterns: SpanState::ALL.iter().map(|s| pattern(ctx, *s)).collect(),
            });
        }
        f(p.as_ref().expect("just set"))
    })
}

/// A round tick step (1, 2 or 5 × 10^k ns) giving about `target` ticks.
pub fn tick_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(1.0);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

/// A tick label in the unit the step calls for: `0`, `250 ms`, `1.5 s`, `40 µs`.
pub fn tick_label(ns: f64, step: f64) -> String {
    if ns.abs() < 0.5 {
        return "0".into();
    }
    if step >= 1e9 || (step >= 1e8 && ns >= 1e9) {
        let digits = if step >= 1e9 { 0 } else { 1 };
        format!("{:.*} s", digits, ns / 1e9)
    } else if step >= 1e6 {
        format!("{:.0} ms", ns / 1e6)
    } else if step >= 1e5 {
        format!("{:.1} ms", ns / 1e6)
    } else if step >= 1e3 {
        format!("{:.0} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// A row's rectangles, batched: adjacent ones of one state become one, and
/// each state's colour and pattern are set once per row instead of once per
/// span. Setting a fill style parses a CSS colour; with thousands of spans
/// that was most of a live redraw, and a live redraw on the loop's thread is
/// time the run loses.
struct RowPainter {
    y: f64,
    h: f64,
    /// The rectangle being extended: (x0, x1, state).
    pending: Option<(f64, f64, usize)>,
    /// Finished rectangles per state, as (x0, x1).
    rects: [Vec<(f64, f64)>; 6],
}

impl RowPainter {
    fn new(y: f64, h: f64) -> Self {
        Self {
            y,
            h,
            pending: None,
            rects: Default::default(),
        }
    }

    /// Adds `x0..x1` in `state`; spans arrive in time order.
    fn add(&mut self, x0: f64, x1: f64, state: usize) {
        if let Some((_, b, s)) = &mut self.pending {
            // Touching (within a hair, for float edges) and of one state.
            if *s == state && x0 <= *b + 0.05 {
                *b = b.max(x1);
                return;
            }
        }
        self.settle();
        self.pending = Some((x0, x1, state));
    }

    fn settle(&mut self) {
        if let Some((a, b, s)) = self.pending.take() {
            self.rects[s].push((a, b));
        }
    }

    /// Fills every state's rectangles: its colour, then its pattern over
    /// those wide and tall enough to show it.
    fn finish(mut self, ctx: &CanvasRenderingContext2d, pal: &Palette) {
        self.settle();
        let (y, h) = (self.y, self.h);
        for (state, rects) in self.rects.iter().enumerate() {
            if rects.is_empty() {
                continue;
            }
            // One `fill_rect` per rectangle, not one path of them all: a
            // rectangle has the rasterizer's fast path, a many-rectangle path
            // does not (it made the frame's commit 30 ms).
            ctx.set_fill_style_str(&pal.states[state]);
            for &(a, b) in rects {
                ctx.fill_rect(a, y, b - a, h);
            }
            if let (true, Some(p)) = (h >= 8.0, &pal.patterns[state]) {
                let mut wide = rects.iter().filter(|(a, b)| b - a >= 4.0).peekable();
                if wide.peek().is_some() {
                    ctx.set_fill_style_canvas_pattern(p);
                    for &(a, b) in wide {
                        ctx.fill_rect(a, y, b - a, h);
                    }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_row(
    ctx: &CanvasRenderingContext2d,
    pal: &Palette,
    spans: &[Span],
    idx: &[u32],
    origin: f64,
    w: Window,
    x_of: &dyn Fn(f64) -> f64,
    right: f64,
    y: f64,
    h: f64,
) {
    // First span that may be visible: a row's spans do not overlap, so their
    // ends are sorted like their starts.
    let first = idx.partition_point(|&i| (spans[i as usize].end as f64 - origin) < w.from);
    let mut paint = RowPainter::new(y, h);
    let mut column: Option<(i64, [f64; 6])> = None;
    let flush = |col: Option<(i64, [f64; 6])>, paint: &mut RowPainter| {
        if let Some((c, cover)) = col {
            let best = (0..6)
                .max_by(|a, b| cover[*a].total_cmp(&cover[*b]))
                .unwrap_or(0);
            paint.add(c as f64, c as f64 + 1.0, best);
        }
    };
    for &i in &idx[first..] {
        let s = &spans[i as usize];
        let (s0, s1) = (s.start as f64 - origin, s.end as f64 - origin);
        if s0 > w.to {
            break;
        }
        let (x0, x1) = (x_of(s0).max(LABEL_W), x_of(s1).min(right));
        let state = s.state as usize;
        if x1 - x0 >= 1.0 {
            flush(column.take(), &mut paint);
            paint.add(x0, x1, state);
        } else if x1 > x0 || x0 < right {
            let c = x0.floor() as i64;
            match &mut column {
                Some((cc, cover)) if *cc == c => cover[state] += (x1 - x0).max(0.01),
                _ => {
                    flush(column.take(), &mut paint);
                    let mut cover = [0.0; 6];
                    cover[state] = (x1 - x0).max(0.01);
                    column = Some((c, cover));
                }
            }
        }
    }
    flush(column.take(), &mut paint);
    paint.finish(ctx, pal);
}

/// What to draw besides the spans.
pub struct Extras {
    /// The inspector's playhead, ns from the run's start.
    pub playhead: Option<f64>,
}

/// Draws every group for `w` on `canvas` (sized to `layout`).
pub fn draw(
    canvas: &HtmlCanvasElement,
    groups: &[Group],
    layout: &Layout,
    w: Window,
    extras: &Extras,
) {
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (css_w, css_h) = (layout.width, layout.height);
    let (pw, ph) = ((css_w * dpr).round() as u32, (css_h * dpr).round() as u32);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
        let _ = web_sys::HtmlElement::style(canvas).set_property("height", &format!("{css_h}px"));
    }
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    with_palette(canvas, &ctx, |pal| {
        ctx.clear_rect(0.0, 0.0, css_w, css_h);
        let plot_w = layout.plot_w();
        let span_ns = (w.to - w.from).max(1.0);
        let x_of = |ns: f64| LABEL_W + (ns - w.from) / span_ns * plot_w;

        // Axis and grid.
        let step = tick_step(span_ns, plot_w / 100.0);
        ctx.set_font("11px system-ui, sans-serif");
        ctx.set_fill_style_str(&pal.muted);
        ctx.set_stroke_style_str(&pal.grid);
        ctx.set_line_width(1.0);
        let mut tick = (w.from / step).ceil() * step;
        while tick <= w.to {
            let x = x_of(tick).round() + 0.5;
            ctx.begin_path();
            ctx.move_to(x, AXIS_H - 6.0);
            ctx.line_to(x, css_h);
            ctx.stroke();
            let label = tick_label(tick, step);
            // A label that would run past the canvas's right edge is left
            // out (its grid line stays): a clipped "40" reads as "4". Only
            // the last ticks can: the others are not measured (every frame
            // draws the axis).
            let fits = x + 3.0 + TICK_LABEL_MAX_W <= css_w
                || ctx
                    .measure_text(&label)
                    .map_or(true, |m| x + 3.0 + m.width() <= css_w);
            if fits {
                let _ = ctx.fill_text(&label, x + 3.0, AXIS_H - 9.0);
            }
            tick += step;
        }

        for (g, (top, rows)) in groups.iter().zip(&layout.groups) {
            ctx.set_fill_style_str(&pal.text);
            ctx.set_font("600 12px system-ui, sans-serif");
            let _ = ctx.fill_text(&g.title, 6.0, top + 14.0);
            // Task rows stop at a handful: say so, or the chart reads as if
            // the run had only those tasks.
            let (shown, tasks) = g.task_rows();
            if shown > 0 && (shown as u64) < tasks {
                let title_w = ctx.measure_text(&g.title).map_or(0.0, |m| m.width());
                ctx.set_font("11px system-ui, sans-serif");
                ctx.set_fill_style_str(&pal.muted);
                let _ = ctx.fill_text(
                    &format!("· rows for tasks 0–{} of {tasks}", shown - 1),
                    6.0 + title_w + 8.0,
                    top + 14.0,
                );
            }
            ctx.set_font("11px system-ui, sans-serif");
            let origin = g.main.start() as f64;
            let main_alpha = if g.main_is_prediction { 0.55 } else { 1.0 };
            // A live run's waits and jobs under way, drawn up to now: their
            // spans are recorded when they end. A wait is known to be one; a
            // job out in a worker is not known to be running (it may be
            // starting, waiting or queued there): its phases come with its
            // reply, so until then it is drawn as an outline only.
            let open: Vec<(u32, u16, u64, Option<SpanState>)> = g
                .open
                .open
                .iter()
                .map(|&(task, lane, start)| (task, lane, start, Some(SpanState::Waiting)))
                .chain(
                    g.main
                        .under_way()
                        .iter()
                        .map(|s| (s.task, s.lane, s.start, None)),
                )
                .collect();
            g.main.with_spans(|spans| {
                // An index ahead of its spans (a live run's recorder just
                // emptied at its end): draw no spans until the rebuild.
                let fits = g.index.fits(spans.len());
                for (r, ((kind, label), &y)) in g.rows.iter().zip(rows).enumerate() {
                    ctx.set_fill_style_str(&pal.muted);
                    let _ =
                        ctx.fill_text(&fit(&ctx, label, LABEL_W - 14.0), 10.0, y + ROW_H * 0.68);
                    ctx.set_global_alpha(main_alpha);
                    // Under a measured run, the prediction is a thin strip at the row's foot.
                    let foot = if g.overlay.is_some() { 5.0 } else { 0.0 };
                    draw_row(
                        &ctx,
                        pal,
                        spans,
                        if fits { g.index.row(*kind) } else { &[] },
                        origin,
                        w,
                        &x_of,
                        css_w,
                        y + 3.0,
                        ROW_H - 6.0 - foot,
                    );
                    ctx.set_global_alpha(1.0);
                    if let Some(marks) = g.writes.rows.get(r).filter(|m| !m.is_empty()) {
                        draw_writes(&ctx, pal, marks, origin, w, plot_w, &x_of, css_w, y);
                    }
                    if !open.is_empty() {
                        let now =
                            engine::time::Clock::now(&crate::clock::RealClock) as f64 - origin;
                        for &(task, lane, start, state) in &open {
                            let on_row = match *kind {
                                RowKind::Task(t) => t == task,
                                RowKind::Lane(l) => l == lane,
                                RowKind::Gil => false,
                            };
                            if on_row {
                                let x0 = x_of(start as f64 - origin).max(LABEL_W);
                                let x1 = x_of(now).min(css_w);
                                if x1 > x0 {
                                    match state {
                                        Some(state) => {
                                            let w = state as usize;
                                            ctx.set_fill_style_str(&pal.states[w]);
                                            ctx.fill_rect(x0, y + 3.0, x1 - x0, ROW_H - 6.0);
                                            if let Some(p) = &pal.patterns[w] {
                                                ctx.set_fill_style_canvas_pattern(p);
                                                ctx.fill_rect(x0, y + 3.0, x1 - x0, ROW_H - 6.0);
                                            }
                                        }
                                        None => out_in_worker(
                                            &ctx,
                                            pal,
                                            x0,
                                            y + 3.0,
                                            x1 - x0,
                                            ROW_H - 6.0,
                                        ),
                                    }
                                }
                            }
                        }
                    }
                    if let Some((t, idx)) = &g.overlay {
                        ctx.set_global_alpha(0.45);
                        draw_overlay_row(
                            &ctx,
                            pal,
                            t,
                            idx,
                            *kind,
                            w,
                            &x_of,
                            css_w,
                            y + ROW_H - 7.0,
                        );
                        ctx.set_global_alpha(1.0);
                    }
                }
            });
        }

        if let Some(p) = extras.playhead {
            if p >= w.from && p <= w.to {
                let x = x_of(p).round() + 0.5;
                ctx.set_stroke_style_str(&pal.accent);
                ctx.set_line_width(2.0);
                ctx.begin_path();
                ctx.move_to(x, 2.0);
                ctx.line_to(x, css_h);
                ctx.stroke();
                ctx.set_fill_style_str(&pal.accent);
                ctx.begin_path();
                ctx.move_to(x - 6.0, 2.0);
                ctx.line_to(x + 6.0, 2.0);
                ctx.line_to(x, 10.0);
                ctx.close_path();
                ctx.fill();
            }
        }
    });
}

/// A row's writes to the shared counter, as ticks: one per pixel column at
/// most (a race of a million writes jumps from column to column by binary
/// search, not write by write).
#[allow(clippy::too_many_arguments)]
fn draw_writes(
    ctx: &CanvasRenderingContext2d,
    pal: &Palette,
    marks: &[Write],
    origin: f64,
    w: Window,
    plot_w: f64,
    x_of: &dyn Fn(f64) -> f64,
    right: f64,
    y: f64,
) {
    let ns_per_px = (w.to - w.from).max(1.0) / plot_w.max(1.0);
    let t_of = |m: &Write| m.at as f64 - origin;
    let mut i = marks.partition_point(|m| t_of(m) < w.from);
    ctx.set_fill_style_str(&pal.text);
    while let Some(m) = marks.get(i) {
        let x = x_of(t_of(m)).floor();
        if x > right {
            break;
        }
        ctx.fill_rect(x - 0.5, y + 1.0, WRITE_W, ROW_H - 2.0);
        // The next write at least a tick's width to the right.
        let next = w.from + (x + WRITE_W + 1.0 - LABEL_W) * ns_per_px;
        i += 1 + marks[i + 1..].partition_point(|m| t_of(m) < next);
    }
}

/// A counter write's tick, px wide.
const WRITE_W: f64 = 2.0;

/// `text` cut with "…" to fit `max_w` px in the context's font: an imported
/// file's thread names can be long, and the label column is narrow. Our own
/// labels ("worker 12", "task 5") are short and never measured.
fn fit<'a>(ctx: &CanvasRenderingContext2d, text: &'a str, max_w: f64) -> std::borrow::Cow<'a, str> {
    let width = |t: &str| ctx.measure_text(t).map_or(0.0, |m| m.width());
    if text.chars().count() <= 10 || width(text) <= max_w {
        return text.into();
    }
    let chars: Vec<char> = text.chars().collect();
    // The longest prefix that fits with the ellipsis (binary search).
    let (mut lo, mut hi) = (0usize, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let t: String = chars[..mid].iter().chain(['…'].iter()).collect();
        if width(&t) <= max_w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    chars[..lo]
        .iter()
        .chain(['…'].iter())
        .collect::<String>()
        .into()
}

/// A job out in a worker whose reply has not come: a dashed outline in the
/// running colour over a faint fill (what it does there is not known yet).
fn out_in_worker(ctx: &CanvasRenderingContext2d, pal: &Palette, x: f64, y: f64, w: f64, h: f64) {
    let run = &pal.states[SpanState::Running as usize];
    ctx.set_global_alpha(0.25);
    ctx.set_fill_style_str(run);
    ctx.fill_rect(x, y, w, h);
    ctx.set_global_alpha(1.0);
    ctx.set_stroke_style_str(run);
    ctx.set_line_width(1.5);
    let dash = js_sys::Array::of2(&4.0.into(), &3.0.into());
    let _ = ctx.set_line_dash(&dash);
    ctx.stroke_rect(x + 0.75, y + 0.75, (w - 1.5).max(0.0), h - 1.5);
    let _ = ctx.set_line_dash(&js_sys::Array::new());
}

#[allow(clippy::too_many_arguments)]
fn draw_overlay_row(
    ctx: &CanvasRenderingContext2d,
    pal: &Palette,
    t: &engine::trace::Trace,
    idx: &Index,
    kind: RowKind,
    w: Window,
    x_of: &dyn Fn(f64) -> f64,
    right: f64,
    y: f64,
) {
    draw_row(
        ctx,
        pal,
        &t.spans,
        idx.row(kind),
        t.start as f64,
        w,
        x_of,
        right,
        y,
        4.0,
    );
}

/// The writes to the counter within `tol` ns of `ns` on row `row` of group
/// `group` (ns from the run's start): the nearest, and how many there are.
pub fn writes_at(
    groups: &[Group],
    group: usize,
    row: usize,
    ns: f64,
    tol: f64,
) -> Option<(Write, usize)> {
    let g = groups.get(group)?;
    let marks = g.writes.rows.get(row)?;
    let origin = g.main.start() as f64;
    let t_of = |m: &Write| m.at as f64 - origin;
    let from = marks.partition_point(|m| t_of(m) < ns - tol);
    let to = marks.partition_point(|m| t_of(m) <= ns + tol);
    let near = marks[from..to]
        .iter()
        .min_by(|a, b| (t_of(a) - ns).abs().total_cmp(&(t_of(b) - ns).abs()))?;
    Some((*near, to - from))
}

/// The span under (`group`, `row`) at `ns` from the run's start, if any.
pub fn span_at(groups: &[Group], group: usize, row: usize, ns: f64) -> Option<Span> {
    let g = groups.get(group)?;
    let (kind, _) = g.rows.get(row)?;
    let idx = g.index.row(*kind);
    let origin = g.main.start() as f64;
    g.main.with_spans(|spans| {
        if !g.index.fits(spans.len()) {
            return None;
        }
        let k = idx.partition_point(|&i| (spans[i as usize].end as f64 - origin) < ns);
        let s = spans[*idx.get(k)? as usize];
        ((s.start as f64 - origin) <= ns).then_some(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_read_in_people_units() {
        assert_eq!(tick_label(0.0, 5e8), "0");
        assert_eq!(tick_label(5e8, 5e8), "500 ms");
        assert_eq!(tick_label(1.5e9, 5e8), "1.5 s");
        assert_eq!(tick_label(2e9, 1e9), "2 s");
        assert_eq!(tick_label(40e3, 1e4), "40 µs");
    }
}
