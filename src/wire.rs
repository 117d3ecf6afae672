//! The shape of a message between the page and a worker, for both sides of
//! `postMessage` (`crate::pool` and `crate::worker`).
//!
//! A message is its postcard bytes ([`protocol::encode`]), alone as a
//! `Uint8Array` when that is all there is (nearly every message: a job, its
//! answer, a GIL quantum), or an array `[bytes, payload, memory]` when a
//! payload `ArrayBuffer` (transferred) or the thread models' shared memory
//! rides along. The lone typed array is the cheap case on purpose: wrapping
//! it in an array and listing it for transfer made every job's round trip
//! pay a second object's serialization and a transfer list on each side.

use js_sys::{Array, ArrayBuffer, Int32Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// A message to post: the value, and what to transfer with it (if anything).
pub struct Outgoing {
    /// What `postMessage` sends.
    pub data: JsValue,
    /// The transfer list, when a payload rides along.
    pub transfer: Option<Array>,
}

/// Builds the message for `bytes`, with an optional payload (transferred)
/// and shared memory (shared, not transferred).
pub fn outgoing(bytes: &[u8], payload: Option<ArrayBuffer>, mem: Option<&Int32Array>) -> Outgoing {
    let bytes = Uint8Array::from(bytes);
    if payload.is_none() && mem.is_none() {
        return Outgoing {
            data: bytes.into(),
            transfer: None,
        };
    }
    let data = Array::of2(
        &bytes,
        &payload.as_ref().map_or(JsValue::UNDEFINED, JsValue::from),
    );
    if let Some(mem) = mem {
        data.push(mem);
    }
    Outgoing {
        data: data.into(),
        transfer: payload.map(|buf| Array::of1(&buf)),
    }
}

/// A message received, taken apart.
pub struct Incoming {
    /// The postcard bytes.
    pub bytes: Vec<u8>,
    /// The payload's size in bytes (0 without one).
    pub payload_bytes: u32,
    /// The shared memory, for a thread job.
    pub mem: Option<Int32Array>,
}

/// Takes a received message apart; `None` if it is neither shape.
pub fn incoming(data: JsValue) -> Option<Incoming> {
    if let Some(bytes) = data.dyn_ref::<Uint8Array>() {
        return Some(Incoming {
            bytes: bytes.to_vec(),
            payload_bytes: 0,
            mem: None,
        });
    }
    let parts: Array = data.dyn_into().ok()?;
    let bytes = parts.get(0).dyn_into::<Uint8Array>().ok()?.to_vec();
    Some(Incoming {
        bytes,
        payload_bytes: parts
            .get(1)
            .dyn_into::<ArrayBuffer>()
            .map_or(0, |b| b.byte_length()),
        mem: parts.get(2).dyn_into::<Int32Array>().ok(),
    })
}
