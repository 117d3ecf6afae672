//! The real thing beside ours, part two: real CPython, compiled to wasm
//! (Pyodide, vendored into `dist/pyodide/` by the build: no CDN). `py` runs
//! the Python tab's sequential program, `pyasync` its asyncio program: the
//! very source the tab shows, with `--trace`, so the spans come from inside
//! Python (`time.perf_counter` around each phase) and are read back with
//! `engine::import`, like a trace someone brings from their own machine.
//!
//! Pyodide (about 5 MB compressed) loads lazily, in a module worker of its
//! own (`static/pyodide_worker.mjs`), only when a Python model runs; its
//! download reports progress, and its load time is kept apart from the wall
//! time. `threading` and `multiprocessing` do not run in Pyodide.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use engine::model::{Model, RunConfig};
use engine::time::Nanos;
use engine::trace::Trace;
use futures_channel::oneshot;
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use workload::python::Flavour;
use workload::Workload;

use super::{CancelToken, RunError};
use crate::clock::{epoch_ms_to_page_ns, ms_to_ns};

const WORKER_SCRIPT: &str = "./pyodide_worker.mjs";

/// Where loading CPython stands, for the page's progress bar.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadState {
    /// Not asked for yet.
    NotLoaded,
    /// Downloading: bytes so far of about `total`.
    Downloading {
        /// Bytes received.
        loaded: f64,
        /// Bytes expected.
        total: f64,
    },
    /// Loaded.
    Ready {
        /// CPython's version.
        version: String,
        /// How long loading took, ms (not counted in any wall time).
        load_ms: f64,
    },
    /// It could not load.
    Failed(String),
}

type Reply = Result<JsValue, String>;
type Listener = Rc<dyn Fn(LoadState)>;
/// Takes one live message's JSON and when it was sent (epoch ms).
type LiveSink = Rc<dyn Fn(&str, f64)>;

struct PyWorker {
    worker: web_sys::Worker,
    pending: HashMap<u32, oneshot::Sender<Reply>>,
    /// Woken once CPython has loaded, or failed to.
    loading: Vec<oneshot::Sender<()>>,
    next: u32,
    state: LoadState,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

thread_local! {
    static WORKER: RefCell<Option<PyWorker>> = const { RefCell::new(None) };
    static LISTENER: RefCell<Option<Listener>> = const { RefCell::new(None) };
    /// Where a run's live spans go while it runs (see [`run`]).
    static LIVE_SINK: RefCell<Option<LiveSink>> = const { RefCell::new(None) };
    /// CPython's speed as measured when it loaded: (ns an iteration of the
    /// programs' kernel, samples), until [`take_cpu_probe`] takes it.
    static CPU_PROBE: Cell<Option<(f64, u64)>> = const { Cell::new(None) };
}

/// Calls `f` whenever the loading state changes (the page shows it).
pub fn on_load_state(f: impl Fn(LoadState) + 'static) {
    LISTENER.with(|l| *l.borrow_mut() = Some(Rc::new(f)));
}

fn tell(state: LoadState) {
    if let Some(f) = LISTENER.with(|l| l.borrow().clone()) {
        f(state);
    }
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn fail_all(message: &str) {
    // Dropping the loading waiters' senders wakes them.
    let pending = WORKER.with(|w| {
        w.borrow_mut().take().map(|w| {
            w.worker.terminate();
            w.pending
        })
    });
    for (_, tx) in pending.into_iter().flatten() {
        let _ = tx.send(Err(message.to_string()));
    }
}

fn on_message(ev: web_sys::MessageEvent) {
    let data = ev.data();
    let kind = get(&data, "type").as_string().unwrap_or_default();
    match kind.as_str() {
        "progress" => tell(LoadState::Downloading {
            loaded: get(&data, "loaded").as_f64().unwrap_or(0.0),
            total: get(&data, "total").as_f64().unwrap_or(1.0),
        }),
        "ready" => {
            let state = LoadState::Ready {
                version: get(&data, "version").as_string().unwrap_or_default(),
                load_ms: get(&data, "load_ms").as_f64().unwrap_or(0.0),
            };
            let (ns, samples) = (
                get(&data, "cpu_ns").as_f64().unwrap_or(0.0),
                get(&data, "cpu_samples").as_f64().unwrap_or(0.0),
            );
            if ns.is_finite() && ns > 0.0 && samples >= 1.0 {
                CPU_PROBE.with(|p| p.set(Some((ns, samples as u64))));
            }
            settle_load(state);
        }
        "spans" => {
            if let Some(sink) = LIVE_SINK.with(|l| l.borrow().clone()) {
                sink(
                    &get(&data, "text").as_string().unwrap_or_default(),
                    get(&data, "at_ms").as_f64().unwrap_or(0.0),
                );
            }
        }
        "done" | "error" => {
            let id = get(&data, "id").as_f64().unwrap_or(-1.0) as u32;
            let tx = WORKER.with(|w| w.borrow_mut().as_mut().and_then(|w| w.pending.remove(&id)));
            let message = get(&data, "message").as_string().unwrap_or_default();
            if let Some(tx) = tx {
                let _ = tx.send(if kind == "done" {
                    Ok(data)
                } else {
                    Err(message)
                });
            } else if kind == "error" {
                // An error that answers no run: loading failed inside the
                // worker (a file missing, a bad response). Whoever waits for
                // the load ([`loaded`]) goes on, and the run reports it.
                let state = LoadState::Failed(message);
                settle_load(state);
            }
        }
        _ => {}
    }
}

/// Records where CPython's load stands (loaded, or failed), wakes whatever
/// waits for the load ([`loaded`]), and tells the page.
fn settle_load(state: LoadState) {
    let waiting = WORKER.with(|w| {
        w.borrow_mut().as_mut().map(|w| {
            w.state = state.clone();
            std::mem::take(&mut w.loading)
        })
    });
    for tx in waiting.into_iter().flatten() {
        let _ = tx.send(());
    }
    tell(state);
}

fn spawn() -> Result<(), String> {
    if WORKER.with(|w| w.borrow().is_some()) {
        return Ok(());
    }
    let opts = web_sys::WorkerOptions::new();
    opts.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(WORKER_SCRIPT, &opts)
        .map_err(|e| format!("could not start CPython's worker: {e:?}"))?;
    let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(on_message);
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(|ev: web_sys::ErrorEvent| {
        ev.prevent_default();
        let why = format!(
            "CPython (Pyodide) failed to load: {}",
            if ev.message().is_empty() {
                "is dist/pyodide/ there?".into()
            } else {
                ev.message()
            }
        );
        tell(LoadState::Failed(why.clone()));
        fail_all(&why);
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let msg = Object::new();
    let _ = Reflect::set(&msg, &"type".into(), &"load".into());
    let _ = worker.post_message(&msg);
    tell(LoadState::Downloading {
        loaded: 0.0,
        total: 1.0,
    });
    WORKER.with(|w| {
        *w.borrow_mut() = Some(PyWorker {
            worker,
            pending: HashMap::new(),
            loading: Vec::new(),
            next: 1,
            state: LoadState::NotLoaded,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
    Ok(())
}

/// Starts loading CPython now (for example when a Python model is chosen).
pub fn preload() {
    if let Err(e) = spawn() {
        tell(LoadState::Failed(e));
    }
}

/// Loads CPython if it has not (see [`preload`]) and waits until it has
/// loaded or failed to, or Cancel (`cancel`): Cancel stops the loading, as it
/// stops a Python run. A failure is left for the run to report.
pub async fn loaded(cancel: &CancelToken) {
    if spawn().is_err() {
        return;
    }
    let (tx, rx) = oneshot::channel();
    let waiting = WORKER.with(|w| match w.borrow_mut().as_mut() {
        // Still loading (a load that ended, well or not, wakes nobody again).
        Some(w)
            if matches!(
                w.state,
                LoadState::NotLoaded | LoadState::Downloading { .. }
            ) =>
        {
            w.loading.push(tx);
            true
        }
        _ => false,
    });
    if waiting {
        cancel.on_cancel(|| fail_all("the run was cancelled"));
        let _ = rx.await;
        cancel.on_cancel(|| {});
    }
}

/// CPython's speed as its worker measured it when it loaded, once: ns an
/// iteration of the programs' kernel, and how many rounds.
pub fn take_cpu_probe() -> Option<(f64, u64)> {
    CPU_PROBE.with(|p| p.take())
}

/// How long loading took, if it has.
pub fn load_time() -> Option<Nanos> {
    WORKER.with(|w| match w.borrow().as_ref().map(|w| &w.state) {
        Some(LoadState::Ready { load_ms, .. }) => Some(ms_to_ns(*load_ms)),
        _ => None,
    })
}

fn version() -> Option<String> {
    WORKER.with(|w| match w.borrow().as_ref().map(|w| &w.state) {
        Some(LoadState::Ready { version, .. }) => Some(version.clone()),
        _ => None,
    })
}

/// Runs the Python tab's program for `cfg.model` (`py` or `pyasync`) on real CPython.
pub async fn run(
    workload: &Workload,
    cfg: &RunConfig,
    cancel: &CancelToken,
    progress: impl Fn(f64) + 'static,
) -> Result<Trace, RunError> {
    let flavour = if cfg.model == Model::PyAsync {
        Flavour::Asyncio
    } else {
        Flavour::Sequential
    };
    let source = workload::python::program(workload, flavour, cfg.workers, cfg.limit, cfg.seed);
    spawn().map_err(RunError::Unavailable)?;
    // It failed to load: say why, and let the next run try afresh.
    if let Some(why) = WORKER.with(|w| match w.borrow().as_ref().map(|w| &w.state) {
        Some(LoadState::Failed(why)) => Some(why.clone()),
        _ => None,
    }) {
        fail_all(&why);
        return Err(RunError::Unavailable(why));
    }
    let (tx, rx) = oneshot::channel();
    WORKER
        .with(|w| -> Result<(), String> {
            let mut w = w.borrow_mut();
            let w = w.as_mut().ok_or("CPython's worker is gone")?;
            let id = w.next;
            w.next += 1;
            w.pending.insert(id, tx);
            let msg = Object::new();
            let _ = Reflect::set(&msg, &"type".into(), &"run".into());
            let _ = Reflect::set(&msg, &"id".into(), &JsValue::from(id));
            let _ = Reflect::set(&msg, &"source".into(), &JsValue::from_str(&source));
            w.worker.post_message(&msg).map_err(|e| format!("{e:?}"))
        })
        .map_err(RunError::Unavailable)?;
    // Drawn live: the program's spans as its worker sends them on.
    let live = !cancel.unlisted;
    if live {
        let rec = Rc::new(engine::runner::Recorder::new());
        super::set_live(Some(super::LiveRun {
            model: cfg.model,
            start: ms_to_ns(crate::clock::now_ms()),
            lanes: 1,
            tasks: workload.task_count(),
            rec: rec.clone(),
        }));
        let asyncio = flavour == Flavour::Asyncio;
        let sink: LiveSink = Rc::new(move |text: &str, at_ms: f64| {
            for span in live_spans(text, epoch_ms_to_page_ns(at_ms), asyncio) {
                rec.push(span);
            }
        });
        LIVE_SINK.with(|l| *l.borrow_mut() = Some(sink));
    }
    struct EndLive(bool);
    impl Drop for EndLive {
        fn drop(&mut self) {
            if self.0 {
                LIVE_SINK.with(|l| *l.borrow_mut() = None);
                super::set_live(None);
            }
        }
    }
    let _end_live = EndLive(live);
    // CPython cannot be interrupted mid-program: Cancel ends its worker (the
    // next Python run loads it again).
    cancel.on_cancel(|| fail_all("the run was cancelled"));
    progress(0.0);
    let reply = rx
        .await
        .unwrap_or_else(|_| Err("CPython's worker went away".into()));
    cancel.on_cancel(|| {});
    let data = match reply {
        Ok(d) => d,
        Err(e) if cancel.is_cancelled() => {
            let _ = e;
            return Ok(Trace {
                model: Some(cfg.model),
                cancelled: true,
                tasks: workload.task_count(),
                lanes: 1,
                ..Trace::default()
            });
        }
        Err(e) => {
            return Err(RunError::Unavailable(format!(
                "the Python program failed: {e}"
            )))
        }
    };
    progress(1.0);
    let text = get(&data, "trace").as_string().unwrap_or_default();
    let imported = engine::import::import_trace_events(&text).map_err(|e| {
        RunError::Unavailable(format!("the Python program's trace could not be read: {e}"))
    })?;
    let mut trace = imported.trace;
    // The program's own clock starts at 0: put it on the page's clock, where it started.
    let offset = epoch_ms_to_page_ns(get(&data, "start_ms").as_f64().unwrap_or(0.0));
    for s in &mut trace.spans {
        s.start += offset;
        s.end += offset;
    }
    let wall = wall_of(&text).unwrap_or(trace.end.saturating_sub(trace.start));
    trace.start = offset;
    trace.end = offset + wall;
    trace.model = Some(cfg.model);
    trace.label = None;
    trace.source = engine::trace::Source::Measured;
    trace.tasks = workload.task_count();
    trace.load = load_time();
    trace.implementation = Some(format!(
        "CPython {} in the browser (Pyodide), {}; loading it took {} and is not in the wall time",
        version().unwrap_or_default(),
        flavour.name(),
        load_time().map_or("—".into(), engine::time::format_duration)
    ));
    Ok(trace)
}

/// The spans of one live message from the Python worker: JSON
/// `{"now": s, "spans": [[task, phase, kind, state, start_s, end_s], …]}`,
/// times in seconds since the program's start, `now` read when it was sent,
/// which was `sent_at` on the page's clock. Lanes as the importer gives them
/// for the finished run: one thread, and an asyncio wait on none. Anything
/// malformed is skipped: the finished run's trace is the record.
fn live_spans(text: &str, sent_at: Nanos, asyncio: bool) -> Vec<engine::trace::Span> {
    use engine::trace::{PhaseKind, Span, SpanState, MAIN_LANE, NO_LANE};
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let secs = |x: &serde_json::Value| x.as_f64().filter(|s| s.is_finite() && *s >= 0.0);
    let Some(now) = v.get("now").and_then(secs) else {
        return Vec::new();
    };
    let origin = sent_at.saturating_sub((now * 1e9) as Nanos);
    let at = |s: f64| origin + (s * 1e9) as Nanos;
    let kinds = [
        PhaseKind::Io,
        PhaseKind::Cpu,
        PhaseKind::Block,
        PhaseKind::Incr,
    ];
    v.get("spans")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let s = s.as_array()?;
            let kind_name = s.get(2)?.as_str()?;
            let state_name = s.get(3)?.as_str()?;
            let state = SpanState::ALL
                .into_iter()
                .find(|x| x.name() == state_name)?;
            let (start, end) = (secs(s.get(4)?)?, secs(s.get(5)?)?);
            Some(Span {
                task: u32::try_from(s.first()?.as_u64()?).ok()?,
                lane: if asyncio && state == SpanState::Waiting {
                    NO_LANE
                } else {
                    MAIN_LANE
                },
                phase: u8::try_from(s.get(1)?.as_u64()?).ok()?,
                kind: kinds
                    .into_iter()
                    .find(|k| k.name() == kind_name)
                    .unwrap_or(PhaseKind::None),
                state,
                start: at(start),
                end: at(end.max(start)),
            })
        })
        .collect()
}

/// The program's own wall time (`otherData.wall_s`), ns.
fn wall_of(text: &str) -> Option<Nanos> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let s = v.get("otherData")?.get("wall_s")?.as_f64()?;
    Some((s * 1e9).round() as Nanos)
}
