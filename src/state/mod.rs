//! The page's state, apart from how it is drawn: what the user set up
//! ([`scenario`]), what ran ([`run`]), the worker pool ([`pool`]), what the
//! chart shows ([`view`]) and the predictions drawn before a run
//! ([`predict`]). Each is a bundle of signals, shared through Leptos' context
//! as one [`AppState`]; components take what they need with [`use_app`].

pub mod pool;
pub mod predict;
pub mod run;
pub mod scenario;
pub mod view;

use leptos::prelude::*;

pub use pool::PoolState;
pub use predict::PredictState;
pub use run::RunState;
pub use scenario::ScenarioState;
pub use view::ViewState;

/// What the page knows of where it runs; fixed for the page's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageEnv {
    /// `navigator.hardwareConcurrency`.
    pub cores: usize,
    /// Whether the page is cross-origin isolated (shared memory available).
    pub isolated: bool,
    /// Embedded in another page (`embed=1`).
    pub embed: bool,
    /// The embed's view, if it asked for one.
    pub view: Option<urlstate::View>,
    /// The reader may not edit (`readonly=1`).
    pub readonly: bool,
    /// Run once as soon as the page is ready (`autorun=1`).
    pub autorun: bool,
}

impl PageEnv {
    /// The most workers a run may ask for: twice the cores (to show what
    /// oversubscribing them costs), at least 4.
    pub fn max_workers(&self) -> u16 {
        (2 * self.cores)
            .max(4)
            .min(usize::from(urlstate::MAX_WORKERS)) as u16
    }
}

/// The whole page's state (signal handles: cheap to copy).
#[derive(Clone, Copy)]
pub struct AppState {
    /// Where the page runs.
    pub env: PageEnv,
    /// The scenario being edited.
    pub scenario: ScenarioState,
    /// Runs and their results.
    pub run: RunState,
    /// The worker pool.
    pub pool: PoolState,
    /// What the chart shows.
    pub view: ViewState,
    /// Predictions of the scenario as edited.
    pub predict: PredictState,
}

/// The page's state, from context.
pub fn use_app() -> AppState {
    expect_context::<AppState>()
}

/// Whether the page is cross-origin isolated (SharedArrayBuffer available).
pub fn cross_origin_isolated() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .map(|v| v.is_truthy())
        .unwrap_or(false)
}

/// Sets `<body data-run-state>`, the public signal scripts wait on.
pub fn set_run_state(state: &str) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-run-state", state);
    }
}
