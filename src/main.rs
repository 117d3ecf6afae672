//! The page's entry point: install the panic hook, mount the app. The
//! functions scripts and tests reach as `window.wasmBindings.*` are exported
//! here, by the app binary only: exported from the library they would be
//! kept, with everything they use, in the worker's binary too.

use wasm_bindgen::prelude::wasm_bindgen;

/// The last run's traces as JSON (see `session::last_traces_json`).
#[wasm_bindgen]
pub fn last_traces_json() -> String {
    nogil_playground::session::last_traces_json()
}

/// The run in progress (see `runtime::live_json`): `null` between runs.
#[wasm_bindgen]
pub fn live_run_json() -> String {
    nogil_playground::runtime::live_json()
}

/// Whether the start-up probes have measured this machine (or given up).
#[wasm_bindgen]
pub fn costs_measured() -> bool {
    nogil_playground::runtime::calibrate::is_ready()
}

/// The fault drill: worker `lane` panics; its job fails and it is replaced.
#[wasm_bindgen]
pub fn crash_worker(lane: usize) {
    nogil_playground::pool::crash_worker(lane)
}

/// The fault drill: worker `lane` is terminated now, mid-job or not.
#[wasm_bindgen]
pub fn kill_worker(lane: usize) {
    nogil_playground::pool::kill_worker(lane)
}

/// Workers replaced after dying since the page's pool started.
#[wasm_bindgen]
pub fn workers_replaced() -> u32 {
    nogil_playground::pool::workers_replaced()
}

/// Jobs sent through a worker's mailbox (shared memory, isolated pages only)
/// rather than as messages, since the page loaded.
#[wasm_bindgen]
pub fn mailbox_jobs() -> f64 {
    nogil_playground::pool::mailbox_jobs() as f64
}

/// Mailbox jobs the pool's safety net rescued since the page loaded (zero on
/// a healthy page; each is also logged as a "mailbox: …" warning).
#[wasm_bindgen]
pub fn mailbox_rescues() -> f64 {
    nogil_playground::pool::mailbox_rescues() as f64
}

/// The benchmark's pool start on an idle page: a second pool of `n` workers
/// (beside the page's own), from spawning to every worker's "ready" as the
/// page receives it, in ms; the pool is then shut down. The module is the
/// page's one compilation, as for every pool after the first.
#[wasm_bindgen]
pub fn bench_pool_start(n: usize) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let t0 = nogil_playground::clock::now_ms();
        let pool = nogil_playground::pool::Pool::new(n)
            .map_err(|e| wasm_bindgen::JsValue::from_str(&e))?;
        let ready = pool.ready().await;
        let took = nogil_playground::clock::now_ms() - t0;
        pool.shutdown();
        ready.map_err(|e| wasm_bindgen::JsValue::from_str(&e))?;
        Ok(wasm_bindgen::JsValue::from_f64(took))
    })
}

fn main() {
    nogil_playground::fatal::install_panic_hook();
    // Start compiling the workers' wasm before anything else needs the thread.
    nogil_playground::pool::module::preload();
    // Instantiating the app's wasm runs `main` in the same task: mounting in
    // it as well would make one long task of the two.
    wasm_bindgen_futures::spawn_local(async {
        nogil_playground::runtime::yield_to_browser().await;
        leptos::mount::mount_to_body(nogil_playground::app::App);
    });
}
