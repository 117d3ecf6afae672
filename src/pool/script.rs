//! The worker's script, fetched once for every worker.
//!
//! A worker started from `./worker_boot.js` fetches that file and then, with
//! `importScripts`, the wasm-bindgen glue (`./worker.js`, 28 kB): two requests
//! per worker before it can instantiate its module, 6–8 ms of its start here
//! (traced: 21 ms from `new Worker` to "ready" against 14 ms without them).
//! Once the first pool has started, the page fetches both files once and
//! joins them into one `blob:` script, which every later worker (a second
//! pool, a replacement) starts from with no request at all. The boot script
//! skips its `importScripts` when the glue is already defined.
//!
//! The first pool's workers cannot wait for that fetch: `static/pool_boot.js`
//! starts them from the URL while the app itself loads. A worker that fails
//! to start from the blob is replaced by one started from the URL.

use std::cell::RefCell;

use wasm_bindgen_futures::JsFuture;

use super::module::fetch_ok;

/// The worker's boot script (see `static/worker_boot.js`).
pub const BOOT: &str = "./worker_boot.js";
/// The wasm-bindgen glue the boot script imports (Trunk writes it there).
const GLUE: &str = "./worker.js";

/// Where the joined script stands.
enum Joined {
    /// Not asked for yet.
    NotYet,
    /// Being fetched, or the fetch failed: workers start from [`BOOT`].
    Unavailable,
    /// Its `blob:` URL.
    Ready(String),
}

thread_local! {
    static JOINED: RefCell<Joined> = const { RefCell::new(Joined::NotYet) };
}

/// The URL to start a worker from: the joined script if it is ready, else
/// the boot script.
pub fn url() -> String {
    JOINED.with(|j| match &*j.borrow() {
        Joined::Ready(url) => url.clone(),
        _ => BOOT.to_string(),
    })
}

/// Fetches the glue and the boot script and joins them (once: later calls do
/// nothing). If that fails, workers keep starting from [`BOOT`].
pub fn prefetch() {
    let first = JOINED.with(|j| {
        let mut j = j.borrow_mut();
        let first = matches!(*j, Joined::NotYet);
        if first {
            *j = Joined::Unavailable;
        }
        first
    });
    if !first {
        return;
    }
    wasm_bindgen_futures::spawn_local(async {
        if let Ok(url) = join().await {
            JOINED.with(|j| *j.borrow_mut() = Joined::Ready(url));
        }
    });
}

async fn text(url: &str) -> Result<String, String> {
    let body = fetch_ok(url).await?.text().map_err(|e| format!("{e:?}"))?;
    JsFuture::from(body)
        .await
        .map_err(|e| format!("{e:?}"))?
        .as_string()
        .ok_or_else(|| format!("{url}: not text"))
}

async fn join() -> Result<String, String> {
    let glue = text(GLUE).await?;
    let boot = text(BOOT).await?;
    crate::blob::object_url(&[&glue, "\n", &boot], "text/javascript")
}
