// No-GIL Playground: start the worker pool before the app's wasm has arrived.
//
// Loaded by index.html as a classic script ahead of the app. The app's wasm
// (about 1 MB) takes a while to download and compile; meanwhile the page's
// thread is idle. Starting the workers now (thread start, their boot script,
// the one compilation of their wasm) overlaps all of that with the app's own
// load, instead of queueing behind its first tasks. The app adopts these
// workers (src/pool/early.rs): it takes each one with the messages and errors
// that arrived before it was there to listen, and posts no module to them.
// Anything that fails here is left to the app, which starts workers itself.
(function () {
  "use strict";
  try {
    if (typeof Worker !== "function" || typeof WebAssembly !== "object") return;
    var n = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 16));
    var url = new URL("worker_bg.wasm", document.baseURI).href;
    var fallback = function () {
      return fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ": HTTP " + r.status);
        return r.arrayBuffer();
      }).then(function (b) { return WebAssembly.compile(b); });
    };
    // Streaming compilation refuses a wasm served with another MIME type.
    var compiled = WebAssembly.compileStreaming ? WebAssembly.compileStreaming(fetch(url)).catch(fallback) : fallback();
    var workers = [];
    for (var i = 0; i < n; i++) {
      var worker = new Worker("./worker_boot.js");
      var slot = { worker: worker, spawned: performance.now(), events: [] };
      var keep = (function (s) { return function (e) { s.events.push(e); }; })(slot);
      worker.addEventListener("message", keep);
      worker.addEventListener("error", keep);
      slot.detach = (function (w, f) {
        return function () { w.removeEventListener("message", f); w.removeEventListener("error", f); };
      })(worker, keep);
      (function (w) {
        compiled.then(
          function (module) { w.postMessage({ nogilModule: module }); },
          function (e) { w.postMessage({ nogilModuleError: String(e) }); }
        );
      })(worker);
      workers.push(slot);
    }
    window.__nogilEarlyPool = { compiled: compiled, workers: workers };
  } catch (e) {
    // No early pool: the app starts its own.
  }
})();
