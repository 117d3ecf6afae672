//! A panic is a bug, but when one happens the user must see it: the hook
//! writes a message into the page (and the console) instead of leaving the
//! page blank or frozen without a word.

use wasm_bindgen::JsCast;

/// Installs the panic hook (idempotent).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_fatal(&format!(
            "The playground hit a bug and stopped: {info}. Reload the page to start again; \
             the scenario in the link is kept."
        ));
    }));
}

/// Shows `message` in the page's alert box and marks the run as failed.
pub fn show_fatal(message: &str) {
    show_notice(message);
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-run-state", "failed");
    }
}

/// Shows a non-fatal message in the alert box (the page keeps working).
pub fn show_notice(message: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(el) = doc.get_element_by_id("fatal") {
        el.set_text_content(Some(message));
        if let Some(el) = el.dyn_ref::<web_sys::HtmlElement>() {
            el.set_hidden(false);
        }
    }
}
