//! The Leptos components of the page.
//!
//! For now: the pool's status and a Σi² job on a worker, the first vertical
//! slice through the whole pipeline (page → worker → exact result on screen).

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::JobStep;

use crate::pool::{hardware_concurrency, Pool};

/// Sets `<body data-run-state>`, the public signal scripts wait on.
pub fn set_run_state(state: &str) {
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.set_attribute("data-run-state", state);
    }
}

#[derive(Clone, Debug, PartialEq)]
enum PoolStatus {
    Starting(usize),
    Ready { workers: usize, startup_ms: f64, isolated: bool },
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
struct KernelRun {
    n: u64,
    sum: u128,
    lane: usize,
    compute_ms: f64,
    round_trip_ms: f64,
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let workers = hardware_concurrency();
    let status = RwSignal::new(PoolStatus::Starting(workers));
    let pool = StoredValue::new_local(None::<Pool>);
    match Pool::new(workers) {
        Ok(p) => {
            pool.set_value(Some(p.clone()));
            spawn_local(async move {
                let started = crate::clock::now_ms();
                match p.ready().await {
                    Ok(s) => {
                        let spawned = s.iter().map(|s| s.spawned).min().unwrap_or(0);
                        let ready = s.iter().map(|s| s.ready).max().unwrap_or(0);
                        let _ = started;
                        status.set(PoolStatus::Ready {
                            workers: s.len(),
                            startup_ms: (ready.saturating_sub(spawned)) as f64 / 1e6,
                            isolated: s.iter().all(|s| s.can_block),
                        });
                    }
                    Err(e) => status.set(PoolStatus::Failed(e)),
                }
            });
        }
        Err(e) => status.set(PoolStatus::Failed(e)),
    }

    let n_text = RwSignal::new("10M".to_string());
    let parsed_n = Memo::new(move |_| parse_count(&n_text.get()));
    let result = RwSignal::new(None::<Result<KernelRun, String>>);
    let running = RwSignal::new(false);

    let run = move || {
        let Ok(n) = parsed_n.get_untracked() else { return };
        let Some(p) = pool.get_value() else { return };
        let Some(lane) = (0..p.size()).find(|&l| p.is_idle(l)) else {
            result.set(Some(Err("every worker is busy; try again in a moment".into())));
            return;
        };
        running.set(true);
        set_run_state("running");
        spawn_local(async move {
            let reply = p.run(lane, vec![JobStep::Cpu { n }], 0).await;
            running.set(false);
            match reply {
                Ok(r) => {
                    let (s, e) = r.steps.first().copied().unwrap_or((r.received, r.received));
                    result.set(Some(Ok(KernelRun {
                        n,
                        sum: r.checksum,
                        lane: r.lane,
                        compute_ms: e.saturating_sub(s) as f64 / 1e6,
                        round_trip_ms: r.answered.saturating_sub(r.sent) as f64 / 1e6,
                    })));
                    set_run_state("done");
                }
                Err(e) => {
                    result.set(Some(Err(e.to_string())));
                    set_run_state("failed");
                }
            }
        });
    };

    view! {
        <header class="top">
            <h1>"No-GIL Playground"</h1>
            <p class="tagline">"Concurrency you can measure: the event loop, processes and threads, run for real in your browser."</p>
        </header>
        <main class="page">
            <section class="card" aria-labelledby="pool-h">
                <h2 id="pool-h">"Worker pool"</h2>
                <p data-testid="pool-status" data-workers=move || match status.get() { PoolStatus::Ready { workers, .. } => workers.to_string(), _ => String::new() }>
                    {move || match status.get() {
                        PoolStatus::Starting(n) => format!("Starting {n} workers…"),
                        PoolStatus::Ready { workers, startup_ms, isolated } => format!(
                            "{workers} workers ready in {startup_ms:.1} ms (measured). {}",
                            if isolated { "Cross-origin isolated: shared memory available." } else { "Not cross-origin isolated: shared-memory models unavailable." }
                        ),
                        PoolStatus::Failed(e) => format!("The pool could not start: {e}"),
                    }}
                </p>
            </section>
            <section class="card" aria-labelledby="kernel-h">
                <h2 id="kernel-h">"Σi² on a worker"</h2>
                <form class="row" on:submit=move |ev| { ev.prevent_default(); run(); }>
                    <label for="n">"n"</label>
                    <input id="n" name="n" data-testid="n" autocomplete="off" spellcheck="false"
                        aria-describedby="n-help"
                        prop:value=move || n_text.get()
                        on:input:target=move |ev| n_text.set(ev.target().value()) />
                    <button type="submit" data-testid="run"
                        disabled=move || running.get() || parsed_n.get().is_err() || !matches!(status.get(), PoolStatus::Ready { .. })>
                        {move || if running.get() { "Running…" } else { "Run on a worker" }}
                    </button>
                </form>
                <p id="n-help" class=move || if parsed_n.get().is_err() { "help error" } else { "help" } role="status">
                    {move || match parsed_n.get() {
                        Ok(n) => format!("Computes Σ i² for i < {n}, exactly (u128), on an idle worker."),
                        Err(e) => e,
                    }}
                </p>
                {move || result.get().map(|r| match r {
                    Ok(k) => view! {
                        <dl class="result" data-testid="result">
                            <dt>"Σ i² for i < " {k.n}</dt>
                            <dd data-testid="sum" data-value=k.sum.to_string()>{k.sum.to_string()}</dd>
                            <dt>"computed on"</dt><dd data-testid="lane">{format!("worker {}", k.lane + 1)}</dd>
                            <dt>"compute time"</dt><dd data-testid="compute-ms" data-value=format!("{:.3}", k.compute_ms)>{format!("{:.2} ms", k.compute_ms)}</dd>
                            <dt>"round trip"</dt><dd data-testid="round-trip-ms" data-value=format!("{:.3}", k.round_trip_ms)>{format!("{:.2} ms", k.round_trip_ms)}</dd>
                        </dl>
                    }.into_any(),
                    Err(e) => view! { <p class="error" data-testid="error" role="alert">{e}</p> }.into_any(),
                })}
            </section>
        </main>
    }
}

/// Parses a count such as `10M`, `1.5k` or `1000` with the workload
/// language's rules; the error says what is wrong.
fn parse_count(text: &str) -> Result<u64, String> {
    let w = format!("cpu({})", text.trim());
    match workload::parse(&w) {
        Ok(wl) => match wl.groups.first().and_then(|g| g.phases.first()) {
            Some(workload::Phase::Cpu { n, .. }) => Ok(*n),
            _ => Err("enter a count such as 10M".into()),
        },
        Err(e) => Err(format!("n: {}", e.message)),
    }
}
