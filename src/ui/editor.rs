//! The scenario editor: the workload field (with caret errors), steppers for
//! every count and size in it, the model toggles and the run knobs (with
//! sliders), each bound to the scenario state.

use engine::model::Model;
use leptos::prelude::*;
use workload::{Phase, Workload};

use crate::state::scenario::{context_note, unavailable};
use crate::state::use_app;

/// The workload text field; the error (with a caret under the offending
/// characters) appears under it while the last valid run stays on screen.
#[component]
pub fn WorkloadField() -> impl IntoView {
    let app = use_app();
    let sc = app.scenario;
    let readonly = app.env.readonly;
    view! {
        <div class="field">
            <label for="workload">"Workload"</label>
            <input id="workload" data-testid="workload" class="mono wide" autocomplete="off" spellcheck="false"
                aria-describedby="workload-help"
                aria-invalid=move || sc.parsed.with(|p| p.is_err()).to_string()
                readonly=readonly
                prop:value=move || sc.text.get()
                on:input:target=move |ev| sc.text.set(ev.target().value()) />
            <div id="workload-help" role="status" aria-live="polite">
                {move || match sc.parsed.get() {
                    Ok(w) => view! {
                        <p class="help" data-testid="workload-ok">{format!("{} tasks · {}", w.task_count(), w)}</p>
                    }.into_any(),
                    Err(e) => view! {
                        <div class="help error" data-testid="workload-error">
                            <pre class="caret" aria-hidden="true">{e.caret(&sc.text.get_untracked())}</pre>
                            <p>{format!("Error at character {}: {}", e.span.start + 1, e.message)}</p>
                        </div>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

/// What a stepper changes in a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Knob {
    /// A group's task count.
    Count(usize),
    /// A phase's size: iterations or duration.
    Size(usize, usize),
}

/// `w` with `knob` multiplied (`up`) or divided by two, within the language's limits.
fn stepped(w: &Workload, knob: Knob, up: bool) -> Option<Workload> {
    let mut w = w.clone();
    let scale = |v: u64, max: u64| -> u64 {
        if up {
            v.saturating_mul(2).min(max)
        } else {
            (v / 2).max(1)
        }
    };
    match knob {
        Knob::Count(g) => {
            let others = w.task_count() - u64::from(w.groups.get(g)?.count);
            let grp = w.groups.get_mut(g)?;
            let room = workload::MAX_TASKS
                .saturating_sub(others)
                .min(u64::from(u32::MAX))
                .max(1);
            grp.count = scale(u64::from(grp.count), room) as u32;
        }
        Knob::Size(g, p) => match w.groups.get_mut(g)?.phases.get_mut(p)? {
            Phase::Cpu { n, .. } => *n = scale(*n, workload::MAX_CPU_N),
            Phase::Io { dur, .. } | Phase::Block { dur, .. } => {
                *dur = scale(*dur, workload::MAX_DURATION)
            }
            Phase::Incr { .. } => return None,
        },
    }
    Some(w)
}

/// Steppers for every count and size of the workload: ×2 and ÷2, so a person
/// can move a number and watch the predicted timeline move with it.
#[component]
pub fn WorkloadSteppers() -> impl IntoView {
    let app = use_app();
    let sc = app.scenario;
    let readonly = app.env.readonly;
    let step = move |knob: Knob, up: bool| {
        if let Some(w) = sc
            .parsed
            .get_untracked()
            .ok()
            .and_then(|w| stepped(&w, knob, up))
        {
            sc.text.set(w.to_string());
        }
    };
    let row = move |label: String, knob: Knob, testid: String| {
        view! {
            <li class="stepper">
                <span class="mono">{label}</span>
                <button type="button" class="secondary small" disabled=readonly data-testid=format!("{testid}-down")
                    aria-label="Halve" on:click=move |_| step(knob, false)>"÷2"</button>
                <button type="button" class="secondary small" disabled=readonly data-testid=format!("{testid}-up")
                    aria-label="Double" on:click=move |_| step(knob, true)>"×2"</button>
            </li>
        }
    };
    view! {
        {move || sc.parsed.get().ok().map(|w| {
            let items = stepper_items(&w).into_iter().map(|(label, knob, id)| row(label, knob, id)).collect_view();
            view! { <ul class="steppers" aria-label="Workload sizes">{items}</ul> }
        })}
    }
}

/// The steppers a workload gets: each group's count and each phase's size
/// (the first few of each), as (label, knob, test id).
fn stepper_items(w: &Workload) -> Vec<(String, Knob, String)> {
    let mut items = Vec::new();
    for (g, grp) in w.groups.iter().enumerate().take(6) {
        items.push((
            format!("{} tasks", grp.count),
            Knob::Count(g),
            format!("step-count-{g}"),
        ));
        for (p, ph) in grp.phases.iter().enumerate().take(4) {
            let label = match *ph {
                Phase::Cpu { n, .. } => format!("cpu({})", workload::units::format_count(n)),
                Phase::Io { dur, .. } => format!("io({})", workload::units::format_duration(dur)),
                Phase::Block { dur, .. } => {
                    format!("block({})", workload::units::format_duration(dur))
                }
                Phase::Incr { .. } => continue,
            };
            items.push((label, Knob::Size(g, p), format!("step-size-{g}-{p}")));
        }
    }
    items
}

/// Toggles for the models to run. A model this page cannot run right now is
/// marked with the reason and kept (the link keeps it too).
#[component]
pub fn ModelToggles() -> impl IntoView {
    let app = use_app();
    let sc = app.scenario;
    let isolated = app.env.isolated;
    view! {
        <fieldset class="models">
            <legend>"Models"</legend>
            {Model::ALL.into_iter().map(|m| {
                let reason = move || unavailable(m, app.pool.failure().as_deref());
                view! {
                    <label class="toggle chip" class:ours=m.is_ours() title=move || reason().unwrap_or_else(|| m.label().to_string())>
                        <input type="checkbox" data-testid=format!("model-{}", m.name())
                            disabled=app.env.readonly
                            prop:checked=move || sc.models.with(|s| s.contains(&m))
                            on:change:target=move |ev| {
                                let on = ev.target().checked();
                                sc.models.update(|s| {
                                    s.retain(|x| *x != m);
                                    if on {
                                        s.push(m);
                                        s.sort();
                                    }
                                });
                            } />
                        <span>{m.label()}</span>
                        {move || reason().map(|_| view! { <span class="tag" aria-label="unavailable here">" (unavailable)"</span> })}
                    </label>
                }
            }).collect_view()}
            {move || {
                let w = sc.parsed.get().ok();
                let notes: Vec<&'static str> = sc.models.get().into_iter().filter_map(|m| context_note(m, isolated, w.as_ref())).collect();
                (!notes.is_empty()).then(|| view! { <p class="help" data-testid="model-notes">{notes.join(" ")}</p> })
            }}
        </fieldset>
    }
}

/// The run knobs: workers (a slider), the concurrency limit, the seed and the
/// GIL switch interval (a slider), each also typeable.
#[component]
pub fn Knobs() -> impl IntoView {
    let app = use_app();
    let sc = app.scenario;
    let max_workers = app.env.max_workers();
    let cores = app.env.cores;
    let readonly = app.env.readonly;
    view! {
        <div class="knobs">
            <div class="knob">
                <label for="workers">"Workers"</label>
                <div class="row tight">
                    <input type="range" min="1" max=max_workers.to_string() step="1" aria-label="Workers (slider)" data-testid="workers-slider"
                        disabled=readonly prop:value=move || sc.workers.get() on:input:target=move |ev| { sc.workers_asked.set(None); sc.workers.set(ev.target().value()) } />
                    <input id="workers" data-testid="workers" class="mono num" inputmode="numeric" autocomplete="off" readonly=readonly
                        title=format!("1 to {max_workers}; this machine has {cores} cores")
                        prop:value=move || sc.workers.get() on:input:target=move |ev| { sc.workers_asked.set(None); sc.workers.set(ev.target().value()) } />
                </div>
            </div>
            <div class="knob">
                <label for="switch">"GIL switch (ms)"</label>
                <div class="row tight">
                    <input type="range" min="1" max="50" step="1" aria-label="GIL switch interval (slider)" data-testid="switch-slider"
                        disabled=readonly prop:value=move || sc.switch_ms.get() on:input:target=move |ev| sc.switch_ms.set(ev.target().value()) />
                    <input id="switch" data-testid="switch" class="mono num" inputmode="decimal" autocomplete="off" readonly=readonly
                        title="sys.getswitchinterval(), 5 ms by default"
                        prop:value=move || sc.switch_ms.get() on:input:target=move |ev| sc.switch_ms.set(ev.target().value()) />
                </div>
            </div>
            <div class="knob">
                <label for="limit">"Limit"</label>
                <input id="limit" data-testid="limit" class="mono num" inputmode="numeric" autocomplete="off" readonly=readonly
                    title="At most this many tasks at once (a semaphore); empty for none" placeholder="none"
                    prop:value=move || sc.limit.get() on:input:target=move |ev| sc.limit.set(ev.target().value()) />
            </div>
            <div class="knob">
                <label for="seed">"Seed"</label>
                <input id="seed" data-testid="seed" class="mono num" inputmode="numeric" autocomplete="off" readonly=readonly
                    title="The seed of jitter"
                    prop:value=move || sc.seed.get() on:input:target=move |ev| sc.seed.set(ev.target().value()) />
            </div>
        </div>
        {move || sc.knobs.get().err().map(|e| view! { <p class="help error" role="alert" data-testid="knob-error">{e}</p> })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steppers_double_and_halve_within_limits() {
        let w: Workload = "20*cpu(10M)+1*io(1s)".parse().unwrap();
        assert_eq!(
            stepped(&w, Knob::Count(0), true).unwrap().to_string(),
            "40*cpu(10M)+1*io(1s)"
        );
        assert_eq!(
            stepped(&w, Knob::Size(0, 0), false).unwrap().to_string(),
            "20*cpu(5M)+1*io(1s)"
        );
        assert_eq!(
            stepped(&w, Knob::Size(1, 0), true).unwrap().to_string(),
            "20*cpu(10M)+1*io(2s)"
        );
        let one: Workload = "1*io(1ms)".parse().unwrap();
        assert_eq!(
            stepped(&one, Knob::Count(0), false).unwrap().groups[0].count,
            1
        );
        assert!(stepped(&w, Knob::Count(9), true).is_none());
    }
}
