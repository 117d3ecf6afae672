// No-GIL Playground: a worker's first script (a classic script, started with
// `new Worker("./worker_boot.js")`, or from a `blob:` URL: see below).
//
// The page compiles the worker's wasm once and posts the compiled
// WebAssembly.Module to every worker as its first message (compiling in each
// worker would multiply start-up by the worker count). This loads the
// wasm-bindgen glue now, in parallel with that compilation, then waits for the
// module and instantiates it. The Rust side (`src/worker/`) then installs its
// own message handler and posts "ready": the page sends no job before that.
//
// Later workers start from one `blob:` script, the glue followed by this file
// (src/pool/script.rs): the glue is then defined already, and nothing is fetched.
if (typeof wasm_bindgen === "undefined") importScripts("./worker.js");
self.onmessage = (event) => {
  const data = event.data || {};
  if (data.nogilModuleError !== undefined) {
    // Let the page's `onerror` see it: the pool reports it and respawns (or gives up).
    throw new Error(`the worker's wasm could not be compiled: ${data.nogilModuleError}`);
  }
  if (!(data.nogilModule instanceof WebAssembly.Module)) return;
  self.onmessage = null;
  wasm_bindgen({ module_or_path: data.nogilModule }).catch((e) => {
    setTimeout(() => {
      throw e;
    });
  });
};
