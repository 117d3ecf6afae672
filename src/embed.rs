//! Living inside someone else's page: report our height so the iframe can fit
//! it, and, on hosts that cannot send COOP/COEP headers, a service worker that
//! adds them (cross-origin isolation for the shared-memory models).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The message type an embedding page listens for: `{type, height}`.
pub const HEIGHT_MESSAGE: &str = "nogil-playground:height";

fn post_height() {
    let Some(w) = web_sys::window() else { return };
    let Some(body) = w.document().and_then(|d| d.document_element()) else {
        return;
    };
    let height = body.scroll_height();
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &"type".into(), &HEIGHT_MESSAGE.into());
    let _ = js_sys::Reflect::set(&msg, &"height".into(), &height.into());
    if let Ok(Some(parent)) = w.parent() {
        // The height is not a secret: any embedding origin may read it.
        let _ = parent.post_message(&msg, "*");
    }
}

/// Posts the page's height to the parent now and whenever it changes.
pub fn report_height() {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let cb = Closure::<dyn FnMut()>::new(post_height);
    if let Ok(observer) = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref()) {
        observer.observe(&root);
        // Both live as long as the page.
        std::mem::forget(observer);
    }
    cb.forget();
    post_height();
}

/// Registers `sw.js` (which adds COOP/COEP to every response of this site)
/// and reloads once it controls the page.
pub fn enable_isolation() {
    let Some(w) = web_sys::window() else { return };
    let container = w.navigator().service_worker();
    let promise = container.register("./sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(promise).await {
            Ok(_) => {
                let ready = container.ready();
                if let Ok(p) = ready {
                    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
                }
                let _ = w.location().reload();
            }
            Err(e) => crate::fatal::show_notice(&format!(
                "Could not enable shared memory: {}. Serve the page with COOP/COEP headers instead (see the README).",
                e.as_string().unwrap_or_else(|| "the service worker was refused".into())
            )),
        }
    });
}
