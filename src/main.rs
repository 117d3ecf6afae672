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

fn main() {
    nogil_playground::fatal::install_panic_hook();
    // Start compiling the workers' wasm before anything else needs the thread.
    nogil_playground::pool::module::preload();
    leptos::mount::mount_to_body(nogil_playground::app::App);
}
