//! The worker's wasm, compiled once for every worker.
//!
//! Each worker compiling its own copy would multiply the start-up cost by the
//! number of workers (and wait for each fetch). Instead the page starts one
//! `WebAssembly.compileStreaming` as soon as it loads (in the boot script
//! `static/pool_boot.js`, before the app's wasm has arrived), and posts the compiled
//! `WebAssembly.Module` to each worker as its first message; the worker's boot
//! script (`static/worker_boot.js`) instantiates it. A module is cheap to
//! post: the compiled code is shared, not copied.

use std::cell::RefCell;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};
use web_sys::Worker;

/// The worker's wasm, beside the page (Trunk writes it there).
const WORKER_WASM: &str = "./worker_bg.wasm";

thread_local! {
    static COMPILED: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// `WebAssembly.compileStreaming(fetch(url))`, falling back to fetching the
/// bytes and compiling them when the host serves the file with another MIME
/// type than `application/wasm` (streaming compilation refuses those).
fn compile() -> Promise {
    future_to_promise(async move {
        let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
        let streaming = JsFuture::from(js_sys::WebAssembly::compile_streaming(
            &window.fetch_with_str(WORKER_WASM),
        ))
        .await;
        if let Ok(module) = streaming {
            return Ok(module);
        }
        let resp = fetch_ok(WORKER_WASM)
            .await
            .map_err(|e| JsValue::from_str(&e))?;
        let bytes = JsFuture::from(resp.array_buffer()?).await?;
        JsFuture::from(js_sys::WebAssembly::compile(&bytes)).await
    })
}

/// `fetch(url)`, its response if the status is a success, else why not.
pub(super) async fn fetch_ok(url: &str) -> Result<web_sys::Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("{url}: {e:?}"))?
        .dyn_into()
        .map_err(|e| format!("{url}: {e:?}"))?;
    if !resp.ok() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    Ok(resp)
}

/// Starts compiling the worker's module (once; later calls do nothing),
/// unless the page's boot script (`static/pool_boot.js`) already did.
pub fn preload() {
    COMPILED.with(|c| {
        if c.borrow().is_none() {
            *c.borrow_mut() = Some(super::early::compiled().unwrap_or_else(compile));
        }
    });
}

/// Posts the compiled module to `worker` as soon as it is ready. If the
/// compilation failed, the worker is told so and fails to start (the pool
/// then reports it).
pub fn send_to(worker: &Worker) {
    preload();
    let Some(compiled) = COMPILED.with(|c| c.borrow().clone()) else {
        return;
    };
    let worker = worker.clone();
    spawn_local(async move {
        let msg = Object::new();
        match JsFuture::from(compiled).await {
            Ok(module) => Reflect::set(&msg, &"nogilModule".into(), &module),
            Err(e) => Reflect::set(
                &msg,
                &"nogilModuleError".into(),
                &JsValue::from_str(&format!("{e:?}")),
            ),
        }
        .ok();
        let _ = worker.post_message(&msg);
    });
}
