// No-GIL Playground: real CPython (Pyodide, vendored in ./pyodide/), in a
// module worker of its own, loaded only when a Python model is asked for.
//
// Messages from the page:
//   {type: "load"}                       load Pyodide (once)
//   {type: "run", id, source, flavour}   run the Python tab's program, the
//                                        very source it shows, with --trace
// Messages to the page:
//   {type: "progress", loaded, total}    bytes of Pyodide downloaded so far
//   {type: "ready", version, load_ms, cpu_ns, cpu_samples}   cpu_ns: one
//                                        iteration of the programs' kernel
//   {type: "done", id, trace, stdout, wall_s, start_ms, end_ms}   the trace is
//                                        the program's own Trace Event JSON
//   {type: "error", id, message}
//   {type: "spans", id, text, at_ms}    while a run goes on: the spans since the
//                                        last such message, as JSON {now, spans},
//                                        times in s since the program's start
import { loadPyodide } from "./pyodide/pyodide.mjs";

const base = new URL("./pyodide/", import.meta.url).href;
let pyodide = null;
let loading = null;

// Count the bytes Pyodide fetches, for the page's progress bar: wrap fetch so
// each response's body is read through a counting stream (the response keeps
// its headers, so streaming compilation still works).
const sizes = { "pyodide.asm.wasm": 9_598_218, "python_stdlib.zip": 2_545_637, "pyodide.asm.mjs": 1_250_344, "pyodide-lock.json": 119_077 };
const expected = Object.values(sizes).reduce((a, b) => a + b, 0);
let loaded = 0;
// Pyodide's loader may never settle when one of its files fails (for the wasm
// it logs "wasm instantiation failed!" and waits): a failed fetch ends the
// load here, with the file's name, so the page can say why instead of
// waiting forever.
let failLoad = () => {};
const loadFailed = new Promise((_, reject) => {
  failLoad = (why) => reject(new Error(`CPython (Pyodide) could not load: ${why}`));
});
loadFailed.catch(() => {});
const realFetch = self.fetch.bind(self);
self.fetch = async (input, init) => {
  const name = String(input && input.url ? input.url : input).split("/").pop();
  let response;
  try {
    response = await realFetch(input, init);
  } catch (e) {
    failLoad(`${name}: ${e && e.message ? e.message : e}`);
    throw e;
  }
  if (!response.ok) failLoad(`${name}: HTTP ${response.status}`);
  if (!response.body) return response;
  const counting = response.body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      postMessage({ type: "progress", loaded, total: expected });
      controller.enqueue(chunk);
    },
  }));
  return new Response(counting, { status: response.status, statusText: response.statusText, headers: response.headers });
};

async function load() {
  if (pyodide) return pyodide;
  if (!loading) {
    loading = (async () => {
      const t0 = performance.now();
      // Emscripten fetches the wasm itself, past the wrapper above, and a
      // failure there leaves the load pending forever: ask for its first
      // byte first, so a missing file is named at once.
      const wasm = await realFetch(new URL("pyodide.asm.wasm", base), { headers: { Range: "bytes=0-0" } }).catch((e) => {
        throw new Error(`CPython (Pyodide) could not load: pyodide.asm.wasm: ${e && e.message ? e.message : e}`);
      });
      if (wasm.body) wasm.body.cancel().catch(() => {});
      if (!wasm.ok) throw new Error(`CPython (Pyodide) could not load: pyodide.asm.wasm: HTTP ${wasm.status}`);
      const py = await Promise.race([loadPyodide({ indexURL: base, stdout: () => {}, stderr: () => {} }), loadFailed]);
      pyodide = py;
      const loadMs = performance.now() - t0;
      const [cpuNs, cpuSamples] = py.runPython(PROBE).toJs();
      postMessage({ type: "ready", version: py.runPython("import platform; platform.python_version()"), load_ms: loadMs, cpu_ns: cpuNs, cpu_samples: cpuSamples });
      return py;
    })();
  }
  return loading;
}

// CPython's speed, measured once it has loaded, so that the first Python
// run's prediction is this machine's rather than a typical figure: the
// programs' own kernel, `sum(i * i for i in range(n))`, one round to warm up
// and five timed (about 30 ms each here); the lower quartile, ns an iteration.
const PROBE = `
import time
def _round(n):
    t = time.perf_counter()
    sum(i * i for i in range(n))
    return time.perf_counter() - t
_round(100_000)
_times = sorted(_round(300_000) for _ in range(5))
(_times[1] * 1e9 / 300_000, len(_times))
`;

// The runner: the program is executed as a module that is not __main__ (so
// its own `asyncio.run` guard does not fire: Pyodide's event loop is the
// browser's), then its main() is called (and awaited for asyncio) and its own
// finish() prints the figures and writes the --trace file.
//
// While it runs, the program's SPANS list is one that also sends what it
// has gained to the page, at most every 100 ms (the page draws the run live,
// as it grows): the program is the one the Python tab shows, untouched; this
// list stands in for its empty SPANS before main() starts. Each message
// carries perf_counter's reading since the start, so the page can place the
// spans on its own clock.
const RUNNER = `
import sys, io, time, asyncio, contextlib, json
sys.argv = ["prog.py", "--trace", "/tmp/nogil-trace.json"]


class _LiveSpans(list):
    def __init__(self, start, send):
        super().__init__()
        self.start, self.send, self.sent, self.due = start, send, 0, start + 0.1

    def append(self, span):
        list.append(self, span)
        if span[5] >= self.due:
            self.flush()

    def flush(self):
        new = [(t, p, k, s, b - self.start, e - self.start) for t, p, k, s, b, e, _ in self[self.sent:]]
        self.sent = len(self)
        now = time.perf_counter()
        self.due = now + 0.1
        self.send(json.dumps({"now": now - self.start, "spans": new}))


_ns = {"__name__": "nogil_program"}
_out = io.StringIO()
with contextlib.redirect_stdout(_out):
    exec(compile(NOGIL_SOURCE, "prog.py", "exec"), _ns)
    _start = time.perf_counter()
    if isinstance(_ns.get("SPANS"), list) and not _ns["SPANS"]:
        _ns["SPANS"] = _LiveSpans(_start, NOGIL_LIVE)
    _results = _ns["main"]()
    if asyncio.iscoroutine(_results):
        _results = await _results
    _ns["finish"](_start, _results)
with open("/tmp/nogil-trace.json") as _f:
    _trace = _f.read()
(_trace, _out.getvalue())
`;

self.onmessage = async (event) => {
  const msg = event.data || {};
  try {
    if (msg.type === "load") {
      await load();
    } else if (msg.type === "run") {
      const py = await load();
      py.globals.set("NOGIL_SOURCE", msg.source);
      py.globals.set("NOGIL_LIVE", (text) => postMessage({ type: "spans", id: msg.id, text, at_ms: performance.timeOrigin + performance.now() }));
      const startMs = performance.timeOrigin + performance.now();
      const result = await py.runPythonAsync(RUNNER);
      const endMs = performance.timeOrigin + performance.now();
      const [trace, stdout] = result.toJs();
      result.destroy();
      postMessage({ type: "done", id: msg.id, trace, stdout, start_ms: startMs, end_ms: endMs });
    }
  } catch (e) {
    postMessage({ type: "error", id: msg.id, message: String(e && e.message ? e.message : e).slice(-2000) });
  }
};
postMessage({ type: "booted" });
