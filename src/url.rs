//! The page's side of the link: read it once at start, keep it in step with
//! the editor (replacing the history entry, so editing does not flood the back
//! button), and build the share snippets. The format itself is `urlstate`'s.

use urlstate::{decode, encode, Decoded, Scenario};

/// The link the page was opened with.
pub fn read() -> Decoded {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    decode(&search)
}

/// The page's address without its query (where links point).
pub fn base() -> String {
    let Some(loc) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_default()
    )
}

/// A full link to `s`.
pub fn link(s: &Scenario) -> String {
    format!("{}?{}", base(), encode(s))
}

/// Replaces the current history entry's query with `s`'s.
pub fn replace(s: &Scenario) {
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("?{}", encode(s))),
        );
    }
}

/// The same scenario, opened as the full playground (no embed options).
pub fn full_page(s: &Scenario) -> Scenario {
    Scenario {
        embed: false,
        view: None,
        autorun: false,
        readonly: false,
        ..s.clone()
    }
}

/// An iframe snippet that embeds `s`.
pub fn iframe(s: &Scenario) -> String {
    let e = Scenario {
        embed: true,
        ..s.clone()
    };
    format!(
        "<iframe src=\"{}\" width=\"100%\" height=\"480\" style=\"border:0\" loading=\"lazy\" title=\"No-GIL Playground\"></iframe>",
        link(&e).replace('&', "&amp;")
    )
}

/// A Markdown link to `s`.
pub fn markdown(s: &Scenario, title: &str) -> String {
    format!(
        "[{title}]({})",
        link(&full_page(s)).replace(')', "%29").replace('(', "%28")
    )
}
