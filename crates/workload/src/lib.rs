//! The workload language of the No-GIL Playground, and its CPU kernel.
//!
//! A workload is a list of task groups; each group has a count and a recipe of
//! phases run in order: `io` (wait), `cpu` (Σ i², exactly), `block` (a blocking
//! wait) and `incr` (read a shared counter, maybe await, write it back).
//!
//! # Examples
//!
//! ```
//! let w: workload::Workload = "100*[io(200ms),cpu(1M)] + 1*block(0.5s)".parse().unwrap();
//! assert_eq!(w.task_count(), 101);
//! assert_eq!(w.to_string(), "100*[io(200ms),cpu(1M)]+1*block(500ms)");
//!
//! let err = workload::parse("2*cpuu(1M)").unwrap_err();
//! assert_eq!(err.span, 2..6);
//! assert!(err.message.contains("unknown phase \"cpuu\""));
//! ```
//!
//! Pure Rust: no browser types, no dependencies.

mod ast;
pub mod kernel;
mod parse;
mod print;
pub mod python;
pub mod rng;
pub mod units;

pub use ast::*;
pub use kernel::{closed_form, sum_squares, sum_squares_range};
pub use parse::{parse, ParseError};
pub use rng::{jitter, task_rng, SplitMix64};
