//! The inspector: stop time anywhere in a recorded run (measured, predicted
//! or imported) and see the scheduler's state at that instant, rebuilt from
//! the run's own events (`engine::inspect`): the task on each lane, the ready
//! queue in order, pending timers, tasks waiting on I/O, tasks blocked on the
//! GIL, the semaphore or the pool queue (and who holds the GIL), finished
//! tasks and the shared counter.
//!
//! Keys, when the inspector has focus: ← and → step to the previous and next
//! scheduler event, Shift+← and Shift+→ by ten, Home and End to the ends,
//! Space plays and pauses. Every key has a button too.
//!
//! The element carries `data-at-ms` (the playhead, ms from the run's start)
//! and each task row `data-task-state` (`running`, `ready`, `waiting`,
//! `blocked`, `done`, `pending`): a public contract. Lane rows carry
//! `data-lane-state` instead (the state of the task on the lane, or `idle`),
//! so a script's `[data-task-state]` finds task rows only.

use std::rc::Rc;

use engine::inspect::{Replay, ReplayBuilder, State, TaskState};
use engine::model::Model;
use engine::time::{format_duration, Nanos};
use engine::trace::{Resource, Trace};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::runtime::yield_to_browser;
use crate::state::use_app;
use crate::ui::dom::AnimationFrame;

/// Events replayed per slice while a replay is being built.
const BUILD_SLICE: usize = 40_000;
/// Most task rows listed per category (the counts are always whole).
const LIST_MAX: usize = 40;

/// Play speeds, in run time per wall time.
const SPEEDS: [f64; 6] = [0.1, 0.25, 0.5, 1.0, 2.0, 10.0];

/// The replay of the trace the inspector shows, kept while it stays the same.
#[derive(Default)]
struct Cache {
    trace: Option<Rc<Trace>>,
    replay: Option<Rc<Replay>>,
    state: Option<State>,
}

fn same(a: &Option<Rc<Trace>>, b: &Rc<Trace>) -> bool {
    a.as_ref().is_some_and(|a| Rc::ptr_eq(a, b))
}

/// One task in a list, with its state as a data attribute.
fn task_item(task: u32, state: TaskState, detail: String) -> impl IntoView {
    view! {
        <li data-task-state=state.name() data-task=task.to_string()>
            <span class="task-id">{format!("task {task}")}</span>
            {(!detail.is_empty()).then(|| view! { <span class="help">{format!(" {detail}")}</span> })}
        </li>
    }
}

fn task_list(
    title: &'static str,
    count: u64,
    items: Vec<(u32, TaskState, String)>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <div class="insp-list" data-testid=testid>
            <h3>{format!("{title} ({count})")}</h3>
            {if items.is_empty() {
                view! { <p class="help">"none"</p> }.into_any()
            } else {
                let more = count.saturating_sub(items.len() as u64);
                view! {
                    <ol>
                        {items.into_iter().map(|(t, s, d)| task_item(t, s, d)).collect_view()}
                    </ol>
                    {(more > 0).then(|| view! { <p class="help">{format!("… and {more} more")}</p> })}
                }.into_any()
            }}
        </div>
    }
}

/// The inspector panel under the timeline.
#[component]
pub fn Inspector() -> impl IntoView {
    let app = use_app();
    let view_state = app.view;
    // Behind a local StoredValue: the view's closures must be Send, the replay is not.
    let cache = StoredValue::new_local(Cache::default());
    let building = RwSignal::new(None::<f64>);
    let version = RwSignal::new(0u64);
    let playing = RwSignal::new(false);
    let speed = RwSignal::new(1.0f64);

    // The runs it can show: the last run's models (or the predictions'), then imported traces.
    let choices = Memo::new(move |_| {
        let results = app
            .run
            .results
            .with(|r| r.iter().map(|r| r.model).collect::<Vec<_>>());
        let models = if results.is_empty()
            || (app.run.stale.get() && app.predict.predictions.with(|p| !p.is_empty()))
        {
            app.predict
                .predictions
                .with(|p| p.iter().filter_map(|p| p.trace.model).collect::<Vec<_>>())
        } else {
            results
        };
        let mut out: Vec<(String, String)> = models
            .into_iter()
            .map(|m| (format!("m:{}", m.name()), m.label().to_string()))
            .collect();
        app.run.imported.with(|v| {
            out.extend(
                v.iter()
                    .enumerate()
                    .map(|(i, t)| (format!("i:{i}"), t.display_name())),
            )
        });
        out
    });
    let key = Memo::new(move |_| {
        let want = view_state.inspect.get().or(app
            .scenario
            .inspect
            .get()
            .map(|m| format!("m:{}", m.name())));
        let cs = choices.get();
        want.filter(|k| cs.iter().any(|c| &c.0 == k))
            .or(cs.first().map(|c| c.0.clone()))
    });
    let model = Memo::new(move |_| {
        key.get()
            .and_then(|k| k.strip_prefix("m:").and_then(|m| m.parse::<Model>().ok()))
    });
    // The trace shown: the chosen model's measured run (or its prediction), or an imported one.
    let current = move || -> Option<Rc<Trace>> {
        let k = key.get()?;
        if let Some(i) = k.strip_prefix("i:").and_then(|i| i.parse::<usize>().ok()) {
            return app.run.imported.with(|v| v.get(i).cloned());
        }
        let m = model.get()?;
        let predicted = view_state.inspect_predicted.get();
        let stale = app.run.stale.get() && app.predict.predictions.with(|p| !p.is_empty());
        let from_results = if stale {
            None
        } else {
            app.run.results.with(|rs| {
                rs.iter().find(|r| r.model == m).map(|r| {
                    if predicted {
                        r.predicted.clone().unwrap_or(r.trace.clone())
                    } else {
                        r.trace.clone()
                    }
                })
            })
        };
        from_results.or_else(|| {
            app.predict.predictions.with(|p| {
                p.iter()
                    .find(|p| p.trace.model == Some(m))
                    .map(|p| p.trace.clone())
            })
        })
    };

    // Build the replay of the current trace, in slices.
    {
        Effect::new(move |_| {
            let Some(trace) = current() else { return };
            if cache.with_value(|c| same(&c.trace, &trace)) {
                return;
            }
            cache.set_value(Cache {
                trace: Some(trace.clone()),
                replay: None,
                state: None,
            });
            building.set(Some(0.0));
            spawn_local(async move {
                let mut b = ReplayBuilder::new(trace.clone());
                while !b.step(BUILD_SLICE) {
                    building.set(Some(b.progress()));
                    yield_to_browser().await;
                    // The inspector may have been unmounted meanwhile (a new
                    // run, another view): its cache is gone, and so is the
                    // reason to build. `with_value` would panic there.
                    if cache.try_with_value(|c| same(&c.trace, &trace)) != Some(true) {
                        return;
                    }
                }
                let replay = Rc::new(b.finish());
                let current = cache.try_update_value(|c| {
                    if !same(&c.trace, &trace) {
                        return false;
                    }
                    c.state = Some(replay.initial_state());
                    c.replay = Some(replay);
                    true
                });
                if current != Some(true) {
                    return;
                }
                building.set(None);
                version.update(|v| *v += 1);
            });
        });
    }

    let replay = move || cache.try_with_value(|c| c.replay.clone()).flatten();
    // The state at the playhead (seeking forward from the last state when it can).
    let state_now = move || -> Option<(State, Rc<Replay>)> {
        version.track();
        let at = view_state.playhead.get()?;
        cache
            .try_update_value(|c| {
                let r = c.replay.clone()?;
                let t = r.start().saturating_add(at);
                let st = c.state.get_or_insert_with(|| r.initial_state());
                r.seek_time(st, t);
                Some((st.clone(), r))
            })
            .flatten()
    };

    let set_at =
        move |abs: Nanos, r: &Replay| view_state.playhead.set(Some(abs.saturating_sub(r.start())));
    let step = {
        move |dir: i64| {
            let Some(r) = replay() else { return };
            let at = r.start() + view_state.playhead.get_untracked().unwrap_or(0);
            let next = match dir {
                1 => r.next_instant(at),
                -1 => r.prev_instant(at),
                n => Some(r.skip_events(at, n)),
            };
            if let Some(t) = next {
                set_at(t, &r);
            }
        }
    };
    let to_end = {
        move |end: bool| {
            if let Some(r) = replay() {
                set_at(if end { r.end() } else { r.start() }, &r);
            }
        }
    };

    // Play: the playhead moves at `speed` × real time, a frame at a time.
    // The frame is a stored value: closing the inspector mid-play ends it.
    {
        let last = std::cell::Cell::new(None::<f64>);
        let frame = StoredValue::new_local(AnimationFrame::new(move |t: f64| {
            if !playing.try_get_untracked().unwrap_or(false) {
                last.set(None);
                return false;
            }
            let Some(r) = replay() else { return false };
            if let Some(prev) = last.replace(Some(t)) {
                let dt = ((t - prev) * 1e6 * speed.try_get_untracked().unwrap_or(1.0)) as u64;
                let at = view_state
                    .playhead
                    .get_untracked()
                    .unwrap_or(0)
                    .saturating_add(dt.max(1));
                let end = r.end().saturating_sub(r.start());
                view_state.playhead.set(Some(at.min(end)));
                if at >= end {
                    playing.set(false);
                    last.set(None);
                    return false;
                }
            }
            true
        }));
        Effect::new(move |_| {
            if playing.get() {
                if view_state.playhead.get_untracked().is_none() {
                    view_state.playhead.set(Some(0));
                }
                frame.try_with_value(AnimationFrame::request);
            }
        });
    }

    let state_for_view = state_now;
    let (step_k, end_k) = (step, to_end);
    view! {
        <section class="inspector" aria-labelledby="insp-h" data-testid="inspector" tabindex="0"
            data-at-ms=move || view_state.playhead.get().map(|p| format!("{:.3}", p as f64 / 1e6)).unwrap_or_default()
            data-model=move || model.get().map(|m| m.name().to_string()).unwrap_or_default()
            data-run=move || key.get().unwrap_or_default()
            on:keydown=move |ev| {
                let shift = ev.shift_key();
                match ev.key().as_str() {
                    "ArrowRight" => { ev.prevent_default(); step_k(if shift { 10 } else { 1 }) }
                    "ArrowLeft" => { ev.prevent_default(); step_k(if shift { -10 } else { -1 }) }
                    "Home" => { ev.prevent_default(); end_k(false) }
                    "End" => { ev.prevent_default(); end_k(true) }
                    " " => { ev.prevent_default(); playing.update(|p| *p = !*p) }
                    _ => {}
                }
            }>
            <div class="row insp-head">
                <h2 id="insp-h">"Inspector"</h2>
                <label class="insp-model">"Run "
                    <select data-testid="inspect-model" on:change:target=move |ev| {
                        let v = ev.target().value();
                        // A model of the run goes into the link too (`inspect=`),
                        // so a link copied now opens on it.
                        if let Some(m) = v.strip_prefix("m:").and_then(|m| m.parse::<Model>().ok()) {
                            app.scenario.inspect.set(Some(m));
                        }
                        view_state.inspect.set(Some(v));
                    }>
                        {move || choices.get().into_iter().map(|(k, label)| {
                            let kk = k.clone();
                            view! { <option value=k selected=move || key.get().as_deref() == Some(kk.as_str())>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="toggle">
                    // An imported trace has no prediction beside it.
                    <input type="checkbox" data-testid="inspect-predicted" prop:checked=move || view_state.inspect_predicted.get()
                        prop:disabled=move || model.get().is_none()
                        on:change:target=move |ev| view_state.inspect_predicted.set(ev.target().checked()) />
                    <span>"Predicted run"</span>
                </label>
                <div class="row insp-controls" role="group" aria-label="Playhead">
                    <button type="button" class="secondary small" data-testid="insp-home" on:click=move |_| to_end(false) aria-label="Go to the start">"Start"</button>
                    <button type="button" class="secondary small" data-testid="insp-back10" on:click=move |_| step(-10) aria-label="−10 events" title="Back ten events">"−10"</button>
                    <button type="button" class="secondary small" data-testid="insp-back" on:click=move |_| step(-1) aria-label="Previous event">"‹"</button>
                    <button type="button" class="small" data-testid="insp-play" on:click=move |_| playing.update(|p| *p = !*p)>
                        {move || if playing.get() { "Pause" } else { "Play" }}
                    </button>
                    <button type="button" class="secondary small" data-testid="insp-next" on:click=move |_| step(1) aria-label="Next event">"›"</button>
                    <button type="button" class="secondary small" data-testid="insp-next10" on:click=move |_| step(10) aria-label="+10 events" title="Forward ten events">"+10"</button>
                    <button type="button" class="secondary small" data-testid="insp-end" on:click=move |_| to_end(true) aria-label="Go to the end">"End"</button>
                    <label>"Speed "
                        <select data-testid="insp-speed" on:change:target=move |ev| speed.set(ev.target().value().parse().unwrap_or(1.0))>
                            {SPEEDS.into_iter().map(|s| view! { <option value=s.to_string() selected=s == 1.0>{format!("{s}×")}</option> }).collect_view()}
                        </select>
                    </label>
                </div>
            </div>
            {move || {
                if let Some(p) = building.get() {
                    return view! { <p class="help">{format!("Rebuilding the run's states from its events… {:.0} %", p * 100.0)}</p> }.into_any();
                }
                let Some((st, r)) = state_for_view() else {
                    return view! { <p class="help" data-testid="inspector-hint">"Click or tap the timeline to put the playhead there, then step with ← and → (focus here first) or the buttons."</p> }.into_any();
                };
                render_state(&st, &r).into_any()
            }}
        </section>
    }
}

fn render_state(st: &State, r: &Replay) -> impl IntoView {
    let origin = r.start();
    let at = st.time().saturating_sub(origin);
    let rel = |t: Nanos| format_duration(t.saturating_sub(origin));
    let lanes: Vec<_> = st.lanes().collect();
    let ready: Vec<_> = st
        .ready(LIST_MAX)
        .into_iter()
        .map(|t| (t, TaskState::Ready, String::new()))
        .collect();
    let timers: Vec<_> = st
        .timers(LIST_MAX)
        .into_iter()
        .map(|(t, due)| (t, TaskState::Waiting, format!("due at {}", rel(due))))
        .collect();
    let holder = st.gil_holder();
    let blocked: Vec<_> = [Resource::Gil, Resource::Semaphore, Resource::Lane]
        .into_iter()
        .flat_map(|res| {
            st.blocked(res, LIST_MAX)
                .into_iter()
                .map(move |t| (t, TaskState::Blocked, format!("on the {}", res.name())))
        })
        .take(LIST_MAX)
        .collect();
    let done: Vec<_> = st
        .done(LIST_MAX)
        .into_iter()
        .map(|t| (t, TaskState::Done, String::new()))
        .collect();
    let blocked_count = st.count(TaskState::Blocked);
    let notes = r.coverage().notes();
    view! {
        <div class="insp-body">
            <p class="insp-at" data-testid="inspector-at">
                <strong>{format!("At {}", format_duration(at))}</strong>
                {format!(" · event {} of {} · {} running, {} ready, {} waiting, {} blocked, {} done, {} not started",
                    st.index(), r.len(), st.count(TaskState::Running), st.count(TaskState::Ready), st.count(TaskState::Waiting),
                    blocked_count, st.done_count(), st.pending_count())}
            </p>
            {(!notes.is_empty()).then(|| view! { <p class="help">{notes.join(" ")}</p> })}
            <table class="results compact insp-lanes" data-testid="inspector-lanes">
                <caption>"Lanes"</caption>
                <thead><tr><th scope="col">"Lane"</th><th scope="col">"Task"</th><th scope="col">"State"</th></tr></thead>
                <tbody>
                    {lanes.into_iter().map(|l| {
                        // As the chart names it (an imported file's thread names included).
                        let name = r.trace().name_of_lane(l.lane);
                        let holds = holder.is_some_and(|(t, _)| Some(t) == l.task);
                        view! {
                            <tr data-lane=l.lane.to_string() data-lane-state=l.state.map(|s| s.name()).unwrap_or("idle")>
                                <th scope="row">{name}</th>
                                <td>{l.task.map(|t| format!("task {t}")).unwrap_or_else(|| "idle".into())}</td>
                                <td>{l.state.map(|s| s.name().to_string()).unwrap_or_default()}{holds.then_some(" · holds the GIL")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <p class="insp-gil" data-testid="inspector-gil">
                {match holder {
                    Some((t, lane)) => format!("GIL: held by task {t} on {}; {} hand-offs so far.", r.trace().name_of_lane(lane), st.gil_handoffs()),
                    None if st.gil_handoffs() > 0 => format!("GIL: free; {} hand-offs so far.", st.gil_handoffs()),
                    None => String::new(),
                }}
            </p>
            <div class="insp-grid">
                {task_list("Ready queue, in order", st.count(TaskState::Ready), ready, "inspector-ready")}
                {task_list("Timers pending (waiting on I/O)", st.count(TaskState::Waiting), timers, "inspector-waiting")}
                {task_list("Blocked", blocked_count, blocked, "inspector-blocked")}
                {task_list("Done", st.done_count(), done, "inspector-done")}
            </div>
            <p class="insp-counter" data-testid="inspector-counter">
                {(st.increments() > 0).then(|| format!("Shared counter: {} after {} increments: {} lost so far.", st.counter(), st.increments(), st.lost_updates()))}
            </p>
        </div>
    }
}
