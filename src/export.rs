//! Downloads: results JSON, spans CSV, Trace Event JSON, timeline PNG.

use engine::export::{results_json, spans_csv, trace_events, Exported};
use serde_json::json;
use wasm_bindgen::JsCast;

use crate::session::ModelResult;

/// Saves `content` as a file called `name`.
pub fn download(name: &str, mime: &str, content: &str) -> Result<(), String> {
    let url = crate::blob::object_url(&[content], mime)?;
    let r = download_url(name, &url);
    let _ = web_sys::Url::revoke_object_url(&url);
    r
}

/// Saves the resource at `url` (a blob or data URL) as `name`.
pub fn download_url(name: &str, url: &str) -> Result<(), String> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    a.set_href(url);
    a.set_download(name);
    a.click();
    Ok(())
}

fn exported(results: &[ModelResult]) -> Vec<Exported<'_>> {
    results
        .iter()
        .map(|r| Exported {
            trace: &r.trace,
            metrics: &r.metrics,
            predicted_wall_ms: r.predicted_wall_ms,
        })
        .collect()
}

/// What the page knows of the machine.
fn machine() -> serde_json::Value {
    let w = web_sys::window();
    let nav = w.as_ref().map(|w| w.navigator());
    json!({
        "hardware_concurrency": nav.as_ref().map(|n| n.hardware_concurrency()),
        "user_agent": nav.as_ref().and_then(|n| n.user_agent().ok()),
        "cross_origin_isolated": js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into()).map(|v| v.is_truthy()).unwrap_or(false),
    })
}

/// Results (scenario, metrics, machine) as a JSON download.
pub fn results(link: &str, r: &[ModelResult]) -> Result<(), String> {
    download(
        "nogil-results.json",
        "application/json",
        &results_json(link, machine(), &exported(r)),
    )
}

/// Spans as a CSV download.
pub fn csv(r: &[ModelResult]) -> Result<(), String> {
    download("nogil-spans.csv", "text/csv", &spans_csv(&exported(r)))
}

/// The trace in Chrome's Trace Event format.
pub fn trace(r: &[ModelResult]) -> Result<(), String> {
    download(
        "nogil-trace.json",
        "application/json",
        &trace_events(&exported(r)),
    )
}

/// The timeline canvas as a PNG.
pub fn png(app: &crate::state::AppState) -> Result<(), String> {
    // The chart on screen as it is (zoom included), or, from a tab that does
    // not show it, the whole timeline drawn for the file.
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let url = match doc
        .query_selector("canvas[data-testid=timeline]")
        .ok()
        .flatten()
    {
        Some(c) => c
            .unchecked_into::<web_sys::HtmlCanvasElement>()
            .to_data_url_with_type("image/png")
            .map_err(|e| format!("{e:?}"))?,
        None => crate::ui::timeline::png_data_url(app, 1200.0)?,
    };
    download_url("nogil-timeline.png", &url)
}
