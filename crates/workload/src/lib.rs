//! The workload language of the No-GIL Playground, and its CPU kernel.
//!
//! A workload is a list of task groups; each group has a count and a recipe of
//! phases run in order: `io` (a cooperative wait), `cpu` (Σ i², exactly),
//! `block` (a blocking wait) and `incr` (read a shared counter, maybe await,
//! write it back). Authors type workloads into URLs, so the text form is
//! compact: `20*cpu(10M)`, `100*[io(200ms),cpu(1M)]+1*block(500ms)`.
//!
//! - [`parse`] (or [`str::parse`]) reads the text, with errors that point at
//!   the offending characters ([`ParseError::caret`]);
//! - `Display` prints the canonical text, which parses back to the same value;
//! - [`Workload::tasks`] expands the groups into tasks, lazily;
//! - [`kernel`] computes Σ i² for real, [`closed_form`] predicts it;
//! - [`rng`] draws per-task jitter from a seed.
//!
//! # Examples
//!
//! ```
//! let w: workload::Workload = "100*[io(200ms),cpu(1M)] + 1*block(0.5s)".parse().unwrap();
//! assert_eq!(w.task_count(), 101);
//! assert_eq!(w.total_cpu_iterations(), 100_000_000);
//! let text = w.to_string();
//! assert_eq!(text, "100*[io(200ms),cpu(1M)]+1*block(500ms)");
//! assert_eq!(workload::parse(&text), Ok(w));
//!
//! let input = "2*cpuu(1M)";
//! let err = workload::parse(input).unwrap_err();
//! assert_eq!(err.span, 2..6);
//! assert_eq!(err.to_string(), "unknown phase \"cpuu\": expected io, cpu, block or incr");
//! assert_eq!(err.caret(input), "2*cpuu(1M)\n  ^^^^");
//! ```
//!
//! Pure Rust: no browser types, no dependencies.

#![warn(missing_docs)]

mod ast;
pub mod js;
pub mod kernel;
mod parse;
mod print;
pub mod python;
pub mod rng;
pub mod units;

pub use ast::*;
pub use kernel::{closed_form, sum_squares, sum_squares_range, CLOSED_FORM_MAX_N};
pub use parse::{parse, ParseError};
pub use rng::{jitter, task_rng, SplitMix64};
