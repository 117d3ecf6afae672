//! The real thing beside ours, part one: the workload as plain JavaScript.
//! `js` runs it on the page's own event loop (async functions, `setTimeout`,
//! `Promise.all`), `jsworker` in plain JavaScript Web Workers, N of them.
//!
//! The source is `workload::js::program`, the very text the Code tab shows.
//! It is loaded as a classic script from a Blob URL (so a page with a
//! Content-Security-Policy must allow `script-src blob:`, and `worker-src
//! blob:` for `jsworker`); before it starts, the page sets
//! `globalThis.nogilReport` (where the program sends its spans) and
//! `globalThis.nogilSignal` (an `AbortSignal`: Cancel). The program measures
//! its own spans with `performance.now()`, on the page's clock.

use std::cell::RefCell;
use std::rc::Rc;

use engine::model::{Model, RunConfig};
use engine::runner::steps;
use engine::time::Nanos;
use engine::trace::{PhaseKind, Span, SpanState, Trace, NO_LANE, NO_TASK};
use futures_channel::oneshot;
use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use workload::js::JsFlavour;
use workload::Workload;

use super::{yield_to_browser, CancelToken, RunError};
use crate::clock::ms_to_ns;

/// Spans converted per slice (the page keeps drawing while a big run's
/// report is read).
const CONVERT_SLICE: u32 = 20_000;

fn global_set(name: &str, v: &JsValue) {
    let _ = Reflect::set(&js_sys::global(), &name.into(), v);
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Runs `workload` as JavaScript under `cfg.model` (`js` or `jsworker`).
pub async fn run(
    workload: &Workload,
    cfg: &RunConfig,
    cancel: &CancelToken,
    progress: impl Fn(f64) + 'static,
) -> Result<Trace, RunError> {
    let flavour = if cfg.model == Model::JsWorker {
        JsFlavour::Workers
    } else {
        JsFlavour::EventLoop
    };
    let source = workload::js::program(workload, flavour, cfg.workers, cfg.limit, cfg.seed);
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| RunError::Unavailable("no document".into()))?;

    let (tx, rx) = oneshot::channel::<JsValue>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let report = Closure::<dyn FnMut(JsValue)>::new(move |r: JsValue| {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(r);
        }
    });
    let abort = web_sys::AbortController::new()
        .map_err(|e| RunError::Unavailable(format!("no AbortController: {e:?}")))?;
    global_set("nogilReport", report.as_ref());
    global_set("nogilSignal", &abort.signal());
    let a = abort.clone();
    cancel.on_cancel(move || a.abort());

    let url =
        crate::blob::object_url(&[&source], "text/javascript").map_err(RunError::Unavailable)?;
    let script: web_sys::HtmlScriptElement = doc
        .create_element("script")
        .map_err(|e| RunError::Unavailable(format!("{e:?}")))?
        .unchecked_into();
    // A script the page's CSP refuses never runs: say so instead of waiting forever.
    let (etx, erx) = oneshot::channel::<()>();
    let etx = Rc::new(RefCell::new(Some(etx)));
    let on_error = Closure::<dyn FnMut()>::new(move || {
        if let Some(t) = etx.borrow_mut().take() {
            let _ = t.send(());
        }
    });
    script.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    script.set_src(&url);
    progress(0.0);
    global_set("nogilSpans", &JsValue::UNDEFINED);
    // Drawn live: the program's timeline array (`globalThis.nogilSpans`),
    // read into a recorder of its own while it grows. The run's trace is
    // then built from the report, as a finished run's always is.
    let reading = Rc::new(std::cell::Cell::new(!cancel.unlisted));
    if reading.get() {
        let lanes = if flavour == JsFlavour::Workers {
            cfg.workers + 1
        } else {
            1
        };
        let rec = Rc::new(engine::runner::Recorder::new());
        super::set_live(Some(super::LiveRun {
            model: cfg.model,
            start: ms_to_ns(crate::clock::now_ms()),
            lanes,
            tasks: workload.task_count(),
            rec: rec.clone(),
        }));
        let (reading, kinds) = (reading.clone(), kinds_of(workload, cfg.seed));
        // Read at animation frames (at most every LIVE_READ_MS): a timer
        // would wait behind every timer the program has already set due.
        wasm_bindgen_futures::spawn_local(async move {
            let (mut seen, mut last) = (0, f64::NEG_INFINITY);
            while reading.get() {
                let now = crate::clock::now_ms();
                if now - last >= f64::from(super::LIVE_READ_MS) {
                    last = now;
                    if let Ok(spans) = get(&js_sys::global(), "nogilSpans").dyn_into::<Array>() {
                        let n = spans.length();
                        for k in seen..n {
                            if let Some(span) = span_of(&spans.get(k), &kinds, lanes) {
                                rec.push(span);
                            }
                        }
                        seen = n;
                    }
                }
                super::frames::next_frame().await;
            }
        });
    }
    if let Some(head) = doc.head() {
        let _ = head.append_child(&script);
    }
    let outcome = futures_util_select(rx, erx).await;
    if reading.replace(false) {
        super::set_live(None);
    }
    global_set("nogilSpans", &JsValue::UNDEFINED);
    script.remove();
    let _ = web_sys::Url::revoke_object_url(&url);
    global_set("nogilReport", &JsValue::UNDEFINED);
    global_set("nogilSignal", &JsValue::UNDEFINED);
    cancel.on_cancel(|| {});
    drop(report);
    drop(on_error);
    let r = outcome.ok_or_else(|| {
        RunError::Unavailable("the JavaScript program could not be loaded (a Content-Security-Policy without script-src blob: refuses it)".into())
    })?;
    if let Some(e) = get(&r, "error").as_string() {
        return Err(RunError::Unavailable(format!(
            "the JavaScript program failed: {e}"
        )));
    }
    progress(1.0);
    to_trace(workload, cfg, &r).await
}

/// Waits for the report or the script's load error, whichever comes first.
async fn futures_util_select(
    report: oneshot::Receiver<JsValue>,
    error: oneshot::Receiver<()>,
) -> Option<JsValue> {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    struct Either(oneshot::Receiver<JsValue>, oneshot::Receiver<()>);
    impl Future for Either {
        type Output = Option<JsValue>;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            if let Poll::Ready(r) = Pin::new(&mut self.0).poll(cx) {
                return Poll::Ready(r.ok());
            }
            if let Poll::Ready(Ok(())) = Pin::new(&mut self.1).poll(cx) {
                return Poll::Ready(None);
            }
            Poll::Pending
        }
    }
    Either(report, error).await
}

/// The kind of each task's phases (the report names tasks and phase indices).
fn kinds_of(workload: &Workload, seed: u64) -> Vec<(u64, Vec<PhaseKind>)> {
    // One entry per group: (first task index, kinds), looked up by task.
    let mut first = 0u64;
    workload
        .groups
        .iter()
        .map(|g| {
            let kinds = steps(&g.phases, &g.opts, seed, first)
                .iter()
                .map(|s| s.action.kind())
                .collect();
            let e = (first, kinds);
            first += u64::from(g.count);
            e
        })
        .collect()
}

/// One `[task, phase, state, startMs, endMs, lane]` entry of the program's
/// timeline as a span on the page's clock (none if malformed or empty).
fn span_of(v: &JsValue, kinds: &[(u64, Vec<PhaseKind>)], lanes: u16) -> Option<Span> {
    let s: Array = v.clone().dyn_into().ok()?;
    let task = s.get(0).as_f64().filter(|t| *t >= 0.0)? as u64;
    let phase = s.get(1).as_f64().unwrap_or(0.0) as usize;
    let state = match s.get(2).as_string().as_deref() {
        Some("waiting") => SpanState::Waiting,
        Some("transfer") => SpanState::Transfer,
        _ => SpanState::Running,
    };
    let (start, stop) = (
        ms_to_ns(s.get(3).as_f64().unwrap_or(0.0)),
        ms_to_ns(s.get(4).as_f64().unwrap_or(0.0)),
    );
    let lane = s
        .get(5)
        .as_f64()
        .map_or(NO_LANE, |l| (l as u16).min(lanes.max(1) - 1));
    let g = kinds.partition_point(|(f, _)| *f <= task).saturating_sub(1);
    let kind = kinds
        .get(g)
        .and_then(|(_, ks)| ks.get(phase))
        .copied()
        .unwrap_or(PhaseKind::None);
    (stop > start).then_some(Span {
        task: task as u32,
        lane,
        phase: phase as u8,
        kind,
        state,
        start,
        end: stop,
    })
}

/// The program's report as a trace on the page's clock.
async fn to_trace(workload: &Workload, cfg: &RunConfig, r: &JsValue) -> Result<Trace, RunError> {
    let num = |k: &str| get(r, k).as_f64().unwrap_or(0.0);
    let lanes = num("lanes").max(1.0) as u16;
    let mut trace = Trace {
        model: Some(cfg.model),
        lanes,
        tasks: workload.task_count(),
        start: ms_to_ns(num("startMs")),
        end: ms_to_ns(num("endMs")),
        cancelled: get(r, "cancelled").is_truthy(),
        counter: num("counter") as u64,
        increments: num("increments") as u64,
        checksum: get(r, "checksum")
            .as_string()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        implementation: Some(
            if cfg.model == Model::JsWorker {
                "plain JavaScript in Web Workers"
            } else {
                "plain JavaScript on the page's event loop"
            }
            .to_string(),
        ),
        ..Trace::default()
    };
    let kinds = kinds_of(workload, cfg.seed);
    let spans: Array = get(r, "spans").dyn_into().unwrap_or_default();
    let n = spans.length();
    trace.spans.reserve(n as usize);
    let mut i = 0;
    while i < n {
        let end = n.min(i + CONVERT_SLICE);
        for k in i..end {
            if let Some(span) = span_of(&spans.get(k), &kinds, lanes) {
                trace.spans.push(span);
            }
        }
        i = end;
        if i < n {
            yield_to_browser().await;
        }
    }
    // The program starts its workers inside the run: each lane's time before
    // its first job is its worker starting, drawn as the prediction draws it.
    if cfg.model == Model::JsWorker {
        let mut first = vec![Nanos::MAX; usize::from(lanes)];
        for s in &trace.spans {
            if let Some(f) = first.get_mut(usize::from(s.lane)) {
                *f = (*f).min(s.start);
            }
        }
        for (lane, &at) in first.iter().enumerate().skip(1) {
            if at != Nanos::MAX && at > trace.start {
                trace.spans.push(Span {
                    task: NO_TASK,
                    lane: lane as u16,
                    phase: 0,
                    kind: PhaseKind::None,
                    state: SpanState::Startup,
                    start: trace.start,
                    end: at,
                });
            }
        }
    }
    Ok(trace)
}
