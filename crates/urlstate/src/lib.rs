//! All link state in one place: the scenario ⇄ a readable, versioned query
//! string (`v=1`). Decoding never fails as a whole: every field that reads is
//! kept, every field that does not is reported by name, unknown parameters are
//! ignored with a notice, and old links keep working.
//!
//! # Examples
//!
//! ```
//! use urlstate::{decode, encode};
//!
//! let d = decode("v=1&w=1*io(1s)+1*io(2s)&models=seq,loop&workers=banana");
//! assert_eq!(d.scenario.workload, "1*io(1s)+1*io(2s)");
//! assert_eq!(d.errors[0].field, "workers");
//! let link = encode(&d.scenario);
//! assert_eq!(decode(&link).scenario, d.scenario);
//! ```

mod codec;
mod percent;

pub use codec::{
    decode, encode, Decoded, FieldError, Scenario, Theme, View, CURRENT_VERSION, MAX_WORKERS,
};
pub use percent::{percent_decode, percent_encode};
