//! The browser layer of the No-GIL Playground: binds the pure engine to
//! `performance.now()`, workers and the DOM, and draws the page with Leptos.
//!
//! - [`app`]: the Leptos components.
//! - [`pool`]: the page's side of the worker pool (spawn, handshake, jobs, faults).
//! - [`worker`]: the worker's side (runs jobs, reports timings).
//! - [`clock`]: the real clock and time-origin conversion.
//! - [`fatal`]: a panic shows a visible error instead of a blank page.

pub mod app;
pub mod clock;
pub mod embed;
pub mod fatal;
pub mod pool;
pub mod runtime;
pub mod session;
pub mod url;
pub mod export;
pub mod ui;
pub mod worker;
