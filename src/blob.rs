//! Object URLs for text made in the page: a download, a script to run.

use wasm_bindgen::JsValue;

/// A `blob:` URL for `parts` joined, typed `mime`. The caller revokes it
/// (`web_sys::Url::revoke_object_url`) once nothing will load it again.
pub fn object_url(parts: &[&str], mime: &str) -> Result<String, String> {
    let array = js_sys::Array::new();
    for p in parts {
        array.push(&JsValue::from_str(p));
    }
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&array, &opts)
        .map_err(|e| format!("{e:?}"))?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))
}
