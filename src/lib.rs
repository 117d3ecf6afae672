//! The browser layer of the No-GIL Playground: binds the pure engine to
//! `performance.now()`, workers and the DOM, and draws the page with Leptos.
//!
//! - [`app`]: composes the page; [`state`]: its state, apart from drawing;
//!   [`ui`]: one component per section.
//! - [`runtime`]: real runs of every model; [`session`]: one press of Run.
//! - [`pool`]: the page's handle to the worker pool; [`worker`]: the code
//!   inside a worker (the two sides of `postMessage`); [`wire`]: the shape
//!   of their messages; [`mailbox`]: a job's fast path in shared memory.
//! - [`clock`]: the real clock and time-origin conversion.
//! - [`url`], [`embed`], [`export`]: links, living in an iframe, downloads;
//!   [`blob`]: object URLs for text the page makes.
//! - [`fatal`]: a panic shows a visible error instead of a blank page.

pub mod app;
pub mod blob;
pub mod clock;
pub mod embed;
pub mod export;
pub mod fatal;
pub mod mailbox;
pub mod pool;
pub mod runtime;
pub mod session;
pub mod state;
pub mod ui;
pub mod url;
pub mod wire;
pub mod worker;
