//! The engine of the No-GIL Playground: everything about running a workload
//! that does not need a browser.
//!
//! - [`executor`]: our cooperative executor (the asyncio event loop), sans-IO.
//! - [`time`]: nanoseconds, the [`time::Clock`] trait and the virtual clock.
//! - [`trace`]: spans (task, lane, phase, state, start, end) and run records.
//! - [`metrics`]: the figures a run shows, computed from a trace.
//! - [`model`]: the execution models and a run's configuration.
//! - [`runner`]: one task's phases, written once against the [`runner::Env`]
//!   trait, so the browser's real loop and the simulator run the same code.
//! - [`sim`]: every model on the virtual clock: the "predicted" column.
//!
//! Invariant: this crate never depends on `web-sys`, `wasm-bindgen` or `leptos`.

pub mod costs;
pub mod cpu;
pub mod driver;
pub mod executor;
pub mod export;
pub mod import;
pub mod inspect;
pub mod lanes;
pub mod metrics;
pub mod model;
pub mod presets;
pub mod refine;
pub mod repeat;
pub mod runner;
pub mod sim;
pub mod sweep;
pub mod time;
pub mod trace;
pub mod warmup;
