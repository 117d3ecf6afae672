//! The "Costs" disclosure: every figure the predictions charge, its value on
//! this machine and where it came from (a default, a probe at start-up, or a
//! real run's own trace), and a button to measure again from scratch.

use engine::costs::{Cost, Origin};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::use_app;

fn value(c: Cost, v: f64) -> String {
    match c {
        Cost::CpuMain | Cost::CpuWorker | Cost::CpuJs | Cost::CpuJsWorker | Cost::CpuPy => {
            format!("{v:.3} ns")
        }
        Cost::CpuParallel => format!("×{v:.2}"),
        _ if v >= 1e6 => format!("{:.2} ms", v / 1e6),
        _ if v >= 1e3 => format!("{:.1} µs", v / 1e3),
        _ => format!("{v:.0} ns"),
    }
}

/// The costs disclosure.
#[component]
pub fn CostsPanel() -> impl IntoView {
    let app = use_app();
    let version = app.predict.costs_version;
    // The table is built when the disclosure is opened: nobody pays for it otherwise.
    let open = RwSignal::new(false);
    view! {
        <details class="costs" data-testid="costs" on:toggle:target=move |ev| open.set(ev.target().open())>
            <summary>"Costs behind the predictions"</summary>
            <p class="help">"Measured on this machine: by small probes when the page opened, then refined after every run from its own trace. Kept in this browser for your next visit."</p>
            {move || open.get().then(|| {
                version.track();
                let cal = crate::runtime::calibrate::snapshot();
                view! {
                    <table class="results compact" data-testid="costs-table">
                        <thead><tr><th scope="col">"Cost"</th><th scope="col">"Value"</th><th scope="col">"From"</th></tr></thead>
                        <tbody>
                            {Cost::ALL.into_iter().map(|c| {
                                let p = cal.provenance(c);
                                let from = match p.origin {
                                    // The pool starts before a run and stays warm: a
                                    // run pays nothing for it; its start is measured.
                                    Origin::Default if c == Cost::PoolStartup => match app.pool.startup_ms() {
                                        Some(ms) => format!("the pool is warm: it started before the run, in {ms:.1} ms (measured)"),
                                        None => "the pool is warm once started".to_string(),
                                    },
                                    Origin::Default => "default (not measured yet)".to_string(),
                                    Origin::Probe => format!("probe, {}", samples(p.samples)),
                                    Origin::Run => format!("runs, {}", samples(p.samples)),
                                };
                                view! {
                                    <tr data-cost=c.name() data-origin=p.origin.name()>
                                        <th scope="row">{c.label()}</th>
                                        <td data-value=format!("{:.3}", cal.costs.get(c))>{value(c, cal.costs.get(c))}</td>
                                        <td>{from}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }
            })}
            <button type="button" class="secondary small" data-testid="costs-reset" on:click=move |_| {
                crate::runtime::calibrate::reset();
                version.update(|v| *v += 1);
                let pool = app.pool.get();
                spawn_local(async move {
                    crate::runtime::calibrate::probe_all(pool).await;
                    version.update(|v| *v += 1);
                });
            }>"Measure again"</button>
        </details>
    }
}

/// "1 sample", "5 samples".
fn samples(n: u64) -> String {
    format!("{n} sample{}", if n == 1 { "" } else { "s" })
}
