// Page-level measurements for `cargo xtask bench` (P3, P4, P6, P8, P9, P10,
// the loop's overhead and the GIL without shared memory): drives the release
// site in headless Chromium, served on 127.0.0.1 by e2e/serve.mjs, isolated
// (COOP/COEP) on BENCH_PORT (8191) and plain on BENCH_PORT + 1.
//
// Every figure `k` is printed beside `k_n`, the number of samples behind it;
// a figure that could not be measured is left out (the harness then prints
// "not measured" and fails), never written as 0. Prints one JSON line,
// PAGE {...}, and writes every raw sample to bench/page-samples.json.
//
// Environment: DIST (the site, default dist/), CHROMIUM (the browser, default
// Debian's), BENCH_PORT, BENCH_RUNS (runs per figure, default 5), BENCH_ONLY
// (a comma list of sections to run: sizes, load, p3, p10, hop, overhead,
// efficiency, live, cancel, gil).
//
// Nothing here is a test: a section that fails is reported on stderr and its
// figures are left out.
import { chromium } from "@playwright/test";
import { execSync, spawn } from "node:child_process";
import { readdirSync, statSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync } from "node:zlib";

const DIST = process.env.DIST || "dist";
const PORT = Number(process.env.BENCH_PORT || 8191);
const RUNS = Number(process.env.BENCH_RUNS || 5);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",")) : null;
const ISOLATED = `http://127.0.0.1:${PORT}/`;
const PLAIN = `http://127.0.0.1:${PORT + 1}/`;
const exe = process.env.CHROMIUM || execSync("command -v chromium").toString().trim();

const out = {};
const raw = {};
const log = (...a) => console.error("[page]", ...a);

// ---------------------------------------------------------------- statistics

const finite = (v) => v.filter((x) => typeof x === "number" && Number.isFinite(x));
const median = (v) => {
  const s = finite(v).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const mean = (v) => {
  const s = finite(v);
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
};
const quantile = (v, q) => {
  const s = finite(v).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * q))] : NaN;
};
/** Records the median of `samples` as `key` (and `key_n`); nothing if none is finite. */
function put(key, samples, value = median(samples)) {
  const n = finite(samples).length;
  raw[key] = samples;
  if (n > 0 && Number.isFinite(value)) {
    out[key] = value;
    out[`${key}_n`] = n;
  }
}
/** A single measured value (a file's size, a count), one sample. */
const putOne = (key, v) => put(key, [v]);

// ---------------------------------------------------------- in-page recorder

// Installed before the page's own scripts (page.addInitScript), so it sees
// the page from navigation: long tasks (buffered), every animation-frame
// callback and the timeline's 150 ms live tick (timed), the workers the page
// starts and their first message, the worker module's compilation, clicks
// (capturing, with the event's own timestamp) and every change of
// <body data-run-state>, and when the Run button is first painted and first
// painted enabled.
function recorder() {
  const B = (window.__bench = { long: [], rafs: [], ticks: [], workers: [], compiles: [], clicks: [], states: [] });
  try {
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) B.long.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
    B.longtasks = true;
  } catch (e) {
    B.longtasks = false;
  }
  const raf = window.requestAnimationFrame.bind(window);
  const ownRaf = (f) => raf(f);
  B.ownRaf = ownRaf;
  // Each callback function gets an id, and a flag: whether it drew the
  // timeline (the canvas's data-drawn changed while it ran).
  const ids = new WeakMap();
  let next = 1;
  window.requestAnimationFrame = (cb) => {
    let id = ids.get(cb);
    if (!id) {
      id = next++;
      ids.set(cb, id);
    }
    return raf((t) => {
      const s = performance.now();
      // Whether this callback drew the timeline: its canvas counts draws.
      const canvas = document.querySelector('[data-testid="timeline"]');
      const before = canvas ? canvas.dataset.drawn : undefined;
      try {
        return cb(t);
      } finally {
        // The page updates data-drawn (and finishes the frame's work) in
        // microtasks after the callback: read it, and the time, after them.
        queueMicrotask(() => queueMicrotask(() => {
          const now = document.querySelector('[data-testid="timeline"]');
          B.rafs.push([id, s, performance.now() - s, !!now && (now !== canvas || now.dataset.drawn !== before)]);
        }));
      }
    });
  };
  const setInterval0 = window.setInterval.bind(window);
  window.setInterval = (cb, ms, ...args) => {
    if (typeof cb !== "function" || ms !== 150) return setInterval0(cb, ms, ...args);
    return setInterval0(
      (...a) => {
        const s = performance.now();
        try {
          return cb(...a);
        } finally {
          B.ticks.push([s, performance.now() - s]);
        }
      },
      ms,
      ...args,
    );
  };
  const Worker0 = window.Worker;
  window.Worker = class extends Worker0 {
    constructor(url, opts) {
      const spawned = performance.now();
      super(url, opts);
      const rec = { url: String(url), spawned, first: null };
      B.workers.push(rec);
      this.addEventListener("message", () => {
        if (rec.first === null) rec.first = performance.now();
      });
    }
  };
  const compile0 = WebAssembly.compileStreaming;
  WebAssembly.compileStreaming = function (source) {
    const rec = { at: performance.now(), done: null };
    B.compiles.push(rec);
    const p = compile0.call(WebAssembly, source);
    p.then(() => (rec.done = performance.now()), () => {});
    return p;
  };
  // "Painted": after the next frame's rendering, i.e. a message posted from
  // that frame's animation callback.
  const afterPaint = (key) =>
    ownRaf(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => (B[key] = performance.now());
      ch.port2.postMessage(0);
    });
  document.addEventListener(
    "click",
    (e) => {
      const el = e.target && e.target.closest ? e.target.closest("[data-testid]") : null;
      B.clicks.push({ id: el ? el.dataset.testid : null, at: performance.now(), ts: e.timeStamp });
    },
    true,
  );
  new MutationObserver((list) => {
    for (const m of list) {
      if (m.attributeName === "data-run-state" && m.target === document.body) B.states.push({ state: document.body.dataset.runState, at: performance.now() });
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-run-state"] });
  const runWatch = new MutationObserver(() => {
    const b = document.querySelector('[data-testid="run"]');
    if (!b) return;
    if (B.runInDom === undefined) {
      B.runInDom = performance.now();
      afterPaint("runPainted");
    }
    if (!b.disabled && B.runEnabled === undefined) {
      B.runEnabled = performance.now();
      afterPaint("runUsablePainted");
      runWatch.disconnect();
    }
  });
  runWatch.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["disabled"] });
}

// ------------------------------------------------------------------ helpers

const MODELS = ["seq", "loop", "pool", "hybrid", "gil", "free", "js", "jsworker", "py", "pyasync"];
const link = (base, { w, models, workers, limit }) => {
  const q = new URLSearchParams({ v: "1", w, models: models.join(",") });
  if (workers) q.set("workers", String(workers));
  if (limit) q.set("limit", String(limit));
  return `${base}?${q}`;
};

let browser;
/** A fresh context (no cache, no storage) with the recorder, and a page at `url`, Run usable. */
async function open(url) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await ctx.addInitScript(recorder);
  const page = await ctx.newPage();
  page.on("pageerror", (e) => log("pageerror:", e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && m.text().includes("panicked")) {
      panics++;
      page.__panicked = m.text().split("\n")[0];
      log("panic:", m.text().split("\n")[0]);
    }
  });
  await page.goto(url);
  await usable(page);
  return page;
}
const close = (page) => page.context().close();

async function setUp(page, { w, models, workers, limit }) {
  if (w !== undefined) {
    await page.getByTestId("workload").fill(w);
    await page.getByTestId("workload-ok").waitFor();
  }
  if (models) for (const m of MODELS) await page.getByTestId(`model-${m}`).setChecked(models.includes(m));
  if (workers !== undefined) await page.getByTestId("workers").fill(String(workers));
  if (limit !== undefined) await page.getByTestId("limit").fill(String(limit));
}

const bench = (page, f, arg) => page.evaluate(f, arg);
/** Waits until Run can be pressed; says where the page stands if it never can. */
async function usable(page, timeout = 60_000) {
  try {
    await page.locator('[data-testid="run"]:enabled').waitFor({ timeout });
  } catch (e) {
    const where = await bench(page, () => ({
      state: document.body.dataset.runState,
      status: [...document.querySelectorAll('[data-testid="status"], [data-testid="pool-status"], [data-testid="run-error"], [data-testid="run-notice"]')].map((e) => e.textContent).join(" | "),
      replaced: window.wasmBindings.workers_replaced(),
    }));
    throw new Error(`Run never became usable: ${JSON.stringify(where)}`);
  }
}
const statesLength = (page) => bench(page, () => window.__bench.states.length);
/** Waits for a state after index `from` among `wanted`; returns it. */
async function waitState(page, from, wanted, timeout) {
  const h = await page.waitForFunction(
    ([from, wanted]) => window.__bench.states.slice(from).find((s) => wanted.includes(s.state)),
    [from, wanted],
    { timeout, polling: 100 },
  );
  return h.jsonValue();
}
/** Presses Run and waits for the run to end; returns { click, end } on the page's clock. */
async function run(page, timeout = 120_000) {
  await usable(page);
  const from = await statesLength(page);
  const clicks = await bench(page, () => window.__bench.clicks.length);
  await page.getByTestId("run").click();
  const end = await waitState(page, from, ["done", "cancelled", "failed", "idle"], timeout);
  // A page that panicked draws and runs differently from then on: its
  // figures are not the page's.
  if (page.__panicked) throw new Error(`the page panicked: ${page.__panicked}`);
  if (end.state !== "done") {
    const why = await page.locator('[data-testid="run-error"], [data-testid="status"]').first().textContent().catch(() => "");
    throw new Error(`the run ended ${end.state}: ${why}`);
  }
  const click = await bench(page, (n) => window.__bench.clicks.slice(n).find((c) => c.id === "run"), clicks);
  return { click: click ? click.at : NaN, end: end.at };
}
/** Small facts of the last run's traces, computed in the page (a million-task trace is big). */
const traceFacts = (page) =>
  bench(page, () => {
    const ts = JSON.parse(window.wasmBindings.last_traces_json());
    return ts.map((t) => ({ model: t.model, wall_ms: (t.end - t.start) / 1e6, cancelled: t.cancelled, driver: t.driver, spans: t.spans.length }));
  });
/** Reads the results table's cell (the Results tab is shown, then the Timeline again). */
async function metric(page, model, name) {
  await page.getByTestId("tab-results").click();
  const cell = page.locator(`td[data-model="${model}"][data-metric="${name}"]`);
  await cell.waitFor({ timeout: 10_000 });
  const v = Number(await cell.getAttribute("data-value"));
  await page.getByTestId("tab-timeline").click();
  return v;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Runs one section; a section that fails (a page that panicked, a run that
 * never ended) is run once more from fresh pages, then given up on (its
 * figures are then not measured). */
async function section(name, f) {
  if (ONLY && !ONLY.has(name)) return;
  const t = Date.now();
  for (let attempt = 1; attempt <= 2; attempt++) {
    log(`${name}${attempt > 1 ? " (again)" : ""}…`);
    try {
      await f();
      break;
    } catch (e) {
      log(`${name} failed: ${e.stack || e}`);
      failures.push(`${name}: ${String(e.message || e).split("\n")[0]}`);
      for (const c of browser ? browser.contexts() : []) await c.close().catch(() => {});
    }
  }
  log(`${name} took ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
const failures = [];
let panics = 0;

// Peers, each a function evaluated in the page.

/** `n` bare workers answering one echo, and one compileStreaming of the worker's wasm, in parallel. */
const bareStart = () =>
  new Promise((resolve, reject) => {
    const n = navigator.hardwareConcurrency;
    const src = URL.createObjectURL(new Blob(["onmessage = (e) => postMessage(e.data)"], { type: "text/javascript" }));
    const t = performance.now();
    Promise.all([
      WebAssembly.compileStreaming(fetch("./worker_bg.wasm")),
      ...Array.from({ length: n }, () => new Promise((r) => {
        const w = new Worker(src);
        w.onmessage = () => r(w);
        w.postMessage(1);
      })),
    ]).then(([, ...workers]) => {
      const took = performance.now() - t;
      workers.forEach((w) => w.terminate());
      resolve(took);
    }, reject);
  });

/** A bare postMessage echo to a worker: `batches` times `k` round trips in a
 * row (after a warm-up), ms per round trip in each batch. Timed per batch,
 * not per round trip: a page without cross-origin isolation has a 100 µs clock. */
const bareEcho = async ([batches, k]) => {
  const src = URL.createObjectURL(new Blob(["onmessage = (e) => postMessage(e.data)"], { type: "text/javascript" }));
  const w = new Worker(src);
  const once = (i) => new Promise((r) => { w.onmessage = r; w.postMessage(i); });
  for (let i = 0; i < 10; i++) await once(i);
  const means = [];
  for (let b = 0; b < batches; b++) {
    const t = performance.now();
    for (let i = 0; i < k; i++) await once(i);
    means.push((performance.now() - t) / k);
  }
  w.terminate();
  return means;
};

// ------------------------------------------------------------------ sections

async function sizes() {
  // P6: sizes as a host serves them: the app's wasm and JS (its snippets too)
  // brotli-compressed (quality 11, as for precompressed static files), the
  // worker's wasm as it is.
  const files = [];
  const walk = (dir) => {
    for (const f of readdirSync(join(DIST, dir))) {
      const rel = dir ? `${dir}/${f}` : f;
      if (statSync(join(DIST, rel)).isDirectory()) {
        if (f !== "pyodide") walk(rel);
      } else files.push(rel);
    }
  };
  walk("");
  const br = (f) => brotliCompressSync(readFileSync(join(DIST, f))).length;
  const app = files.filter((f) => /^app-.*\.(wasm|js)$/.test(f) || /^snippets\/.*\.js$/.test(f));
  if (!app.some((f) => f.endsWith(".wasm"))) throw new Error(`no app wasm in ${DIST}`);
  putOne("app_brotli_bytes", app.reduce((n, f) => n + br(f), 0));
  putOne("app_wasm_bytes", app.filter((f) => f.endsWith(".wasm")).reduce((n, f) => n + statSync(join(DIST, f)).size, 0));
  if (existsSync(join(DIST, "worker_bg.wasm"))) {
    putOne("worker_wasm_bytes", statSync(join(DIST, "worker_bg.wasm")).size);
    putOne("worker_wasm_brotli_bytes", br("worker_bg.wasm"));
  }
}

async function loads() {
  // Fresh pages (a new context each: nothing cached): P6 first render, P8 Run
  // usable and long tasks from navigation through a run and some scrubbing,
  // P4 pool start and dispatch, each beside its peer in the same page.
  const r = { render: [], usable: [], poolStart: [], poolStatus: [], bare: [], restart: [], longCount: [], longest: [], dispatch: [], echo: [] };
  const n = RUNS;
  for (let i = 0; i < n; i++) {
    const page = await open(link(ISOLATED, { w: "20000*[io(5ms),cpu(20k)]", models: ["loop"] }));
    const b = await bench(page, () => {
      const B = window.__bench;
      return { runPainted: B.runPainted, runUsablePainted: B.runUsablePainted, workers: B.workers, compiles: B.compiles, cores: navigator.hardwareConcurrency, longtasks: B.longtasks };
    });
    if (!b.longtasks) throw new Error("this browser has no Long Tasks API");
    r.render.push(b.runPainted);
    r.usable.push(b.runUsablePainted);
    // The pool as the page starts it: from the first of (the module's
    // compilation, the first worker) to the last worker's first message ("ready").
    const boots = b.workers.filter((w) => w.url.includes("worker_boot")).slice(0, b.cores);
    const begin = Math.min(...boots.map((w) => w.spawned), ...b.compiles.map((c) => c.at));
    const ready = boots.every((w) => w.first !== null) && boots.length === b.cores ? Math.max(...boots.map((w) => w.first)) : NaN;
    r.poolStart.push(ready - begin);
    const status = await page.getByTestId("pool-status").first().textContent();
    r.poolStatus.push(Number((/ready in ([\d.]+) ms/.exec(status) || [])[1]));

    // P8: the run, then scrubbing: clicks on the timeline (the inspector's
    // playhead), steps with the keyboard, a drag and a wheel zoom.
    const ran = await run(page);
    const canvas = page.getByTestId("timeline");
    const box = await canvas.boundingBox();
    for (const f of [0.2, 0.4, 0.6, 0.8]) {
      await page.mouse.click(box.x + 90 + (box.width - 90) * f, box.y + 30);
      await sleep(100);
    }
    const insp = page.getByTestId("inspector");
    if (await insp.count()) {
      for (let k = 0; k < 5; k++) {
        await insp.press("ArrowRight");
        await sleep(50);
      }
      await insp.press("Shift+ArrowRight");
    }
    await page.mouse.move(box.x + box.width * 0.7, box.y + 30);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, box.y + 30, { steps: 8 });
    await page.mouse.up();
    for (let k = 0; k < 4; k++) {
      await page.mouse.wheel(0, k % 2 ? 200 : -200);
      await sleep(80);
    }
    await sleep(500);
    const long = await bench(page, () => window.__bench.long);
    raw[`load_run_${i}`] = { render: b.runPainted, usable: b.runUsablePainted, run: [ran.click, ran.end], long_tasks: long, workers: b.workers, compiles: b.compiles };
    r.longCount.push(long.length);
    r.longest.push(long.reduce((m, e) => Math.max(m, e[1]), 0));

    // P4 peers, in this page now that it is idle; and our pool started the
    // same way on the same idle page (a second pool beside the page's).
    r.bare.push(await bench(page, bareStart));
    r.restart.push(await bench(page, (n) => window.wasmBindings.bench_pool_start(n), b.cores));
    r.echo.push(median(await bench(page, bareEcho, [5, 20])));
    // P4 dispatch: trivial jobs one at a time (limit 1) on the warm pool,
    // from the task's dispatch to its completion as the task sees it (post,
    // the worker, the reply, the loop's wake-up), minus the job's own work.
    await setUp(page, { w: "50*cpu(1)", models: ["pool"], limit: 1 });
    await run(page);
    const rt = await bench(page, () => {
      const [t] = JSON.parse(window.wasmBindings.last_traces_json());
      const dispatch = new Map(), done = new Map(), work = new Map();
      for (const [at, task, , kind] of t.events) {
        if (kind === "dispatch") dispatch.set(task, at);
        if (kind === "done") done.set(task, at);
      }
      for (const [task, lane, state, s, e] of t.spans) if (lane !== 0 && lane !== 65535 && state === "running") work.set(task, (work.get(task) || 0) + (e - s));
      return [...dispatch].filter(([k]) => done.has(k)).map(([k, at]) => (done.get(k) - at - (work.get(k) || 0)) / 1e6);
    });
    r.dispatch.push(median(rt));
    raw[`dispatch_run_${i}`] = rt;
    await close(page);
  }
  put("first_render_ms", r.render);
  put("run_usable_ms", r.usable);
  put("pool_start_ms", r.poolStart);
  put("pool_status_ms", r.poolStatus);
  put("bare_start_ms", r.bare);
  put("pool_restart_ms", r.restart);
  put("load_long_tasks", r.longCount);
  put("load_longest_task_ms", r.longest);
  raw.load_longest_task_worst_ms = Math.max(...r.longest);
  put("dispatch_ms", r.dispatch);
  put("bare_echo_ms", r.echo);
}

/** rAF gaps for `ms` on an idle page, by our own callback loop (not recorded). */
const idleGaps = (ms) =>
  new Promise((r) => {
    const raf = window.__bench.ownRaf;
    const g = [];
    let last = null;
    const end = performance.now() + ms;
    const tick = (t) => {
      if (last !== null) g.push(t - last);
      last = t;
      if (t < end) raf(tick);
      else r(g);
    };
    raf(tick);
  });
/** rAF gaps while the next run runs (from its "running" to its end). */
const runGaps = (from) =>
  new Promise((r) => {
    const B = window.__bench;
    const g = [];
    let last = null;
    const tick = (t) => {
      const states = B.states.slice(from);
      const started = states.some((s) => s.state === "running");
      const ended = started && document.body.dataset.runState !== "running";
      if (started && last !== null) g.push(t - last);
      if (started) last = t;
      if (ended) r(g);
      else B.ownRaf(tick);
    };
    B.ownRaf(tick);
  });

async function p3() {
  // P3: the loop runs 1,000,000 tasks; long tasks from Run to 2 s after the
  // end (the page finalises and shows the results after it), frame gaps
  // while it runs against the same page idle.
  const page = await open(link(ISOLATED, { w: "1*io(1ms)", models: ["loop"] }));
  await sleep(1500); // start-up probes and the first predictions are over
  // Frame gaps are the animation frames' own timestamps (vsync-aligned):
  // 16.67 ms, or a multiple when frames were dropped. Samples: the frames.
  const idle = await bench(page, idleGaps, 3000);
  put("idle_frame_p95_ms", idle, quantile(idle, 0.95));
  await setUp(page, { w: "1000000*io(10ms)" });
  const longest = [], count = [], p95 = [], gapsAll = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    await sleep(500);
    const from = await statesLength(page);
    const gaps = bench(page, runGaps, from);
    const { click, end } = await run(page);
    const g = await gaps;
    await sleep(2000);
    const long = await bench(page, ([a, b]) => window.__bench.long.filter((e) => e[0] + e[1] >= a && e[0] <= b), [click, end + 2000]);
    raw[`loop_1m_long_tasks_run_${i}`] = { run_ms: end - click, tasks_from_click: long.map(([s, d]) => [s - click, d]) };
    longest.push(long.reduce((m, e) => Math.max(m, e[1]), 0));
    count.push(long.length);
    p95.push(quantile(g, 0.95));
    gapsAll.push(g);
  }
  put("loop_1m_longest_task_ms", longest);
  raw.loop_1m_longest_task_worst_ms = Math.max(...longest);
  put("loop_1m_long_tasks", count);
  put("loop_1m_frame_p95_ms", p95);
  out.loop_1m_frame_p95_ms_n = p95.length ? gapsAll.reduce((n, g) => n + g.length, 0) : 0;
  raw.loop_1m_frame_gaps = gapsAll;
  await close(page);
}

async function p10() {
  // P10: the loop's scale, wall time as the page reports it.
  const page = await open(link(ISOLATED, { w: "100000*io(100ms)", models: ["loop"] }));
  const w100k = [], w1m = [];
  for (let i = 0; i < RUNS; i++) {
    await run(page);
    w100k.push(await metric(page, "loop", "wall_ms"));
  }
  await setUp(page, { w: "1000000*io(1s)" });
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    await run(page);
    w1m.push(await metric(page, "loop", "wall_ms"));
  }
  put("loop_100k_100ms_wall_ms", w100k);
  put("loop_1m_1s_wall_ms", w1m);
  await close(page);
}

async function hop() {
  // P3: one slice hop (the end of a slice to the start of the next) of a
  // CPU-only loop run, mean over the run (the driver's own hop_ns / hops),
  // against a bare MessageChannel self-post timed the same way in the same
  // page: after 8 ms (one slice) of busy work, from the post to its handler.
  const page = await open(link(ISOLATED, { w: "4*cpu(400M)", models: ["loop"] }));
  await sleep(1000);
  const ours = [], bare = [], idle = [];
  let hops = 0, posts = 0;
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    await run(page);
    const [t] = await traceFacts(page);
    if (t.driver && t.driver.hops > 0) {
      ours.push(t.driver.hop_ns / t.driver.hops / 1e3);
      hops += t.driver.hops;
    }
    const gaps = await bench(page, (count) => new Promise((resolve) => {
      const ch = new MessageChannel();
      const gaps = [];
      let sent = 0;
      const busy = () => {
        const end = performance.now() + 8;
        while (performance.now() < end);
        sent = performance.now();
        ch.port2.postMessage(null);
      };
      ch.port1.onmessage = () => {
        gaps.push(performance.now() - sent);
        if (gaps.length >= count) {
          ch.port1.onmessage = null;
          resolve(gaps);
        } else busy();
      };
      busy();
    }), Math.max(50, t.driver ? t.driver.hops : 100));
    bare.push(mean(gaps) * 1e3);
    posts += gaps.length;
    // For the record: the same self-post on an idle page, back to back.
    const pp = await bench(page, () => new Promise((resolve) => {
      const ch = new MessageChannel();
      const gaps = [];
      let sent = performance.now();
      ch.port1.onmessage = () => {
        gaps.push(performance.now() - sent);
        if (gaps.length >= 1000) return resolve(gaps);
        sent = performance.now();
        ch.port2.postMessage(null);
      };
      ch.port2.postMessage(null);
    }));
    idle.push(mean(pp) * 1e3);
  }
  // Samples: the hops (posts) averaged, over the runs.
  out.slice_hop_us = median(ours);
  out.slice_hop_us_n = ours.length ? hops : 0;
  out.message_channel_busy_us = median(bare);
  out.message_channel_busy_us_n = bare.length ? posts : 0;
  put("message_channel_idle_us", idle);
  raw.slice_hop_us = ours;
  raw.message_channel_busy_us = bare;
  if (!ours.length) delete out.slice_hop_us, delete out.slice_hop_us_n;
  await close(page);
}

async function overhead() {
  // The loop's overhead on CPU-only work: 8*cpu(20M) as the loop over
  // sequential, runs alternating (seq, loop, loop, seq, …) in one page.
  const page = await open(link(ISOLATED, { w: "8*cpu(20M)", models: ["seq"] }));
  await sleep(1000);
  const seq = [], loop = [];
  for (let i = 0; i < RUNS; i++) {
    for (const m of i % 2 ? ["loop", "seq"] : ["seq", "loop"]) {
      await setUp(page, { models: [m] });
      await run(page);
      const [t] = await traceFacts(page);
      (m === "seq" ? seq : loop).push(t.wall_ms);
    }
  }
  put("overhead_seq_ms", seq);
  put("overhead_loop_ms", loop);
  put("loop_over_seq", seq.map((s, i) => loop[i] / s));
  await close(page);
}

async function efficiency() {
  // P4: parallel efficiency at hardwareConcurrency workers, n jobs of
  // cpu(100M) (about 50 ms each): sequential wall / (pool wall × n), from
  // the traces. Beside it, hand-written bare workers in the same page: n
  // plain JS workers each computing a JS loop of the pool job's duration,
  // against one of them computing all n jobs in turn.
  const page0 = await open(ISOLATED);
  const n = await bench(page0, () => navigator.hardwareConcurrency);
  await close(page0);
  const page = await open(link(ISOLATED, { w: `${n}*cpu(100M)`, models: ["seq", "pool"], workers: n }));
  await sleep(1000);
  const ours = [], bare = [], job = [];
  for (let i = 0; i < RUNS; i++) {
    await run(page);
    const facts = await bench(page, () => {
      const ts = JSON.parse(window.wasmBindings.last_traces_json());
      const seq = ts.find((t) => t.model === "seq"), pool = ts.find((t) => t.model === "pool");
      const jobs = pool.spans.filter((s) => s[1] !== 0 && s[1] !== 65535 && s[2] === "running").map((s) => (s[4] - s[3]) / 1e6);
      return { seq: (seq.end - seq.start) / 1e6, pool: (pool.end - pool.start) / 1e6, jobs, lanes: pool.lanes - 1 };
    });
    ours.push((100 * facts.seq) / (facts.pool * facts.lanes));
    job.push(median(facts.jobs));
    bare.push(await bench(page, async ([n, jobMs]) => {
      const src = `onmessage = (e) => {
        const [k, iters] = e.data;
        const t = performance.now();
        let s = 0;
        for (let j = 0; j < k; j++) for (let i = 0; i < iters; i++) s = (s + i * i) % 1000003;
        postMessage([s, performance.now() - t]);
      }`;
      const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
      const workers = Array.from({ length: n }, () => new Worker(url));
      const ask = (w, k, iters) => new Promise((r) => { w.onmessage = (e) => r(e.data); w.postMessage([k, iters]); });
      // Warm every worker up, and size the job to the pool's (same duration).
      await Promise.all(workers.map((w) => ask(w, 1, 2e6)));
      const [, ms] = await ask(workers[0], 1, 1e7);
      const iters = Math.round((1e7 * jobMs) / ms);
      let t = performance.now();
      await ask(workers[0], n, iters);
      const one = performance.now() - t;
      t = performance.now();
      await Promise.all(workers.map((w) => ask(w, 1, iters)));
      const all = performance.now() - t;
      workers.forEach((w) => w.terminate());
      return (100 * one) / (all * n);
    }, [n, median(facts.jobs)]));
  }
  put("pool_efficiency_pct", ours);
  put("bare_efficiency_pct", bare);
  put("efficiency_job_ms", job);
  putOne("efficiency_workers", n);
  await close(page);
}

async function live() {
  // P9: the live timeline while spans stream in. Tasks wake spread over
  // 0–4 s (jitter), so spans arrive all along; each redraw is the 150 ms
  // tick (the row index brought up to date) plus the animation frame that
  // draws (timed around the page's own callbacks). The spans present at a
  // redraw are those that had ended by then. Beside it, the redraw of the
  // finished run in the same page (zoom in and out with the buttons).
  const page = await open(link(ISOLATED, { w: "40000*[io(2s,jitter=100),cpu(20k)]", models: ["loop"] }));
  await sleep(1000);
  const at100k = [], gaps = [], finished = [];
  let spansMax = 0;
  for (let i = 0; i < Math.min(RUNS, 2); i++) {
    const from = await bench(page, () => [window.__bench.rafs.length, window.__bench.ticks.length]);
    const { click, end } = await run(page);
    const r = await bench(page, ([[r0, t0], click, end]) => {
      const B = window.__bench;
      const [t] = JSON.parse(window.wasmBindings.last_traces_json());
      const ends = t.spans.map((s) => s[4] / 1e6).sort((a, b) => a - b);
      const present = (ms) => { let lo = 0, hi = ends.length; while (lo < hi) { const m = (lo + hi) >> 1; if (ends[m] <= ms) lo = m + 1; else hi = m; } return lo; };
      const rafs = B.rafs.slice(r0);
      const draws = rafs.filter(([, s, , drew]) => drew && s >= click && s <= end);
      const ticks = B.ticks.slice(t0).filter(([s]) => s >= click && s <= end);
      const redraws = draws.map(([, s, d]) => {
        const tick = ticks.filter(([ts]) => ts <= s).pop();
        return { at: s, draw: d, tick: tick ? tick[1] : 0, spans: present(s) };
      });
      return { redraws, spans: t.spans.length, drawn: Number(document.querySelector('[data-testid="timeline"]').dataset.drawn) };
    }, [from, click, end]);
    spansMax = Math.max(spansMax, r.spans);
    for (const d of r.redraws) if (d.spans >= 100_000) at100k.push(d.draw + d.tick);
    const times = r.redraws.map((d) => d.at);
    gaps.push(Math.max(...times.slice(1).map((t, k) => t - times[k])));
    raw[`live_run_${i}`] = r.redraws;
    // The finished run, redrawn: zoom in, zoom out.
    for (let k = 0; k < 10; k++) {
      const r0 = await bench(page, () => window.__bench.rafs.length);
      await page.getByTestId(k % 2 ? "tl-zoom-out" : "tl-zoom-in").click();
      await sleep(150);
      const d = await bench(page, (r0) => {
        return window.__bench.rafs.slice(r0).filter(([, , , drew]) => drew).map(([, , d]) => d);
      }, r0);
      if (d.length) finished.push(d[0]);
    }
  }
  put("live_redraw_100k_ms", at100k);
  put("live_redraw_gap_max_ms", gaps);
  put("finished_redraw_ms", finished);
  putOne("live_spans", spansMax);
  await close(page);
}

async function cancel() {
  // P8: cancel latency, from the click (the event's own timestamp, which
  // counts any wait for the main thread) to <body data-run-state=cancelled>
  // (a MutationObserver), during a loop, a pool and a GIL run.
  const kinds = [
    ["loop", { w: "400*cpu(50M)", models: ["loop"] }],
    ["pool", { w: "4*block(10s)", models: ["pool"], workers: 2 }],
    ["gil", { w: "4*cpu(2G)", models: ["gil"], workers: 2 }],
  ];
  let stuck = 0;
  for (const [name, sc] of kinds) {
    let page = await open(link(ISOLATED, sc));
    await sleep(1000);
    const lat = [], handler = [];
    for (let i = 0; i < RUNS; i++) {
      try {
        await usable(page, 20_000);
      } catch (e) {
        // Seen now and then: a progress report between the click and the
        // run's actual stop puts the page back to "running" for good (Run
        // stays disabled). Counted, and measured on from a fresh page.
        log(`cancel (${name}): ${e.message}; opening a fresh page`);
        stuck++;
        await close(page);
        page = await open(link(ISOLATED, sc));
        await sleep(1000);
      }
      await sleep(500);
      const from = await statesLength(page);
      const clicks = await bench(page, () => window.__bench.clicks.length);
      await page.getByTestId("run").click();
      await waitState(page, from, ["running"], 30_000);
      await sleep(700);
      if ((await bench(page, () => document.body.dataset.runState)) !== "running") throw new Error(`${name}: the run ended before Cancel`);
      const from2 = await statesLength(page);
      await page.getByTestId("cancel").click();
      const st = await waitState(page, from2, ["cancelled", "done", "failed"], 30_000);
      if (page.__panicked) throw new Error(`the page panicked: ${page.__panicked}`);
      const click = await bench(page, (n) => window.__bench.clicks.slice(n).find((c) => c.id === "cancel"), clicks);
      if (st.state === "cancelled" && click) {
        lat.push(st.at - click.ts);
        handler.push(st.at - click.at);
      }
      await sleep(1000); // the run's clean-up (busy workers are replaced)
    }
    put(`cancel_${name}_ms`, lat);
    put(`cancel_${name}_handler_ms`, handler);
    await close(page);
  }
  raw.cancel_left_running = stuck;
  out.cancel_left_running = stuck;
}

async function gil() {
  // The GIL without shared memory (a page served without COOP/COEP):
  // 4*cpu(20M) on 2 workers, gil and free against sequential. The GIL's
  // hand-off by messages, per tenure (one quantum: the page grants the GIL,
  // posts the quantum, the worker computes and answers, the page takes the
  // GIL back and hands it on): the page's own time from acquire to release
  // minus the worker's own time computing, so no two clocks are compared;
  // beside it a bare postMessage echo in the same page (a grant and an
  // answer, as one echo). For the record: the median gap between one
  // worker's running span and the next one's on another worker (two
  // clocks), and (gil − seq) / gil_handovers.
  const page = await open(link(PLAIN, { w: "4*cpu(20M)", models: ["seq", "gil", "free"], workers: 2 }));
  if (await bench(page, () => crossOriginIsolated)) throw new Error("the plain page is cross-origin isolated");
  await sleep(1000);
  const gilSeq = [], freeSeq = [], idle = [], gaps = [], perHandover = [], echo = [], walls = { seq: [], gil: [], free: [] };
  for (let i = 0; i < RUNS; i++) {
    await run(page);
    const f = await bench(page, () => {
      const ts = JSON.parse(window.wasmBindings.last_traces_json());
      const wall = (m) => { const t = ts.find((t) => t.model === m); return (t.end - t.start) / 1e6; };
      const g = ts.find((t) => t.model === "gil");
      const run = g.spans.filter((s) => s[1] !== 0 && s[1] !== 65535 && s[2] === "running").sort((a, b) => a[3] - b[3]);
      // Tenures: a task's GIL acquisitions (its first "acquire" is its
      // worker, the pool's slot) paired in order with its releases, and its
      // running spans in order (one quantum each).
      const tenures = [];
      const byTask = new Map();
      const of = (task) => byTask.get(task) || (byTask.set(task, { acq: [], rel: [], run: [] }), byTask.get(task));
      for (const [at, task, , kind] of g.events) {
        if (kind === "acquire") of(task).acq.push(at);
        if (kind === "release") of(task).rel.push(at);
      }
      for (const s of run) of(s[0]).run.push((s[4] - s[3]) / 1e6);
      let unmatched = 0;
      for (const t of byTask.values()) {
        const acq = t.acq.slice(1);
        if (acq.length !== t.rel.length || acq.length !== t.run.length) {
          unmatched++;
          continue;
        }
        acq.forEach((a, k) => tenures.push((t.rel[k] - a) / 1e6 - t.run[k]));
      }
      const gaps = [];
      for (let k = 1; k < run.length; k++) if (run[k][1] !== run[k - 1][1]) gaps.push((run[k][3] - run[k - 1][4]) / 1e6);
      return { seq: wall("seq"), gil: wall("gil"), free: wall("free"), tenures, unmatched, gaps, impl: g.implementation };
    });
    if (!/message/i.test(f.impl || "")) throw new Error(`the GIL ran as: ${f.impl}`);
    gilSeq.push(f.gil / f.seq);
    freeSeq.push(f.free / f.seq);
    for (const m of ["seq", "gil", "free"]) walls[m].push(f[m]);
    idle.push(...f.tenures);
    if (f.unmatched) log(`gil: ${f.unmatched} task(s) whose tenures and quanta did not pair up`);
    gaps.push(median(f.gaps));
    const h = await metric(page, "gil", "gil_handovers");
    perHandover.push(h > 0 ? (f.gil - f.seq) / h : NaN);
    echo.push(median(await bench(page, bareEcho, [5, 20])));
  }
  put("gil_seq_wall_ms", walls.seq);
  put("gil_wall_ms", walls.gil);
  put("free_wall_ms", walls.free);
  put("gil_over_seq", gilSeq);
  put("free_over_seq", freeSeq);
  put("gil_handoff_ms", idle);
  put("gil_handoff_gap_ms", gaps);
  put("gil_extra_per_handover_ms", perHandover);
  put("plain_bare_echo_ms", echo);
  await close(page);
}

// --------------------------------------------------------------------- main

const servers = [
  spawn("node", ["e2e/serve.mjs", "--port", String(PORT), "--isolated", "--root", DIST], { stdio: "ignore" }),
  spawn("node", ["e2e/serve.mjs", "--port", String(PORT + 1), "--root", DIST], { stdio: "ignore" }),
];
try {
  for (const base of [ISOLATED, PLAIN]) {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(base)).ok) break;
      } catch {}
      if (i > 50) throw new Error(`${base} did not answer`);
      await sleep(100);
    }
  }
  await section("sizes", sizes);
  browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
  await section("load", loads);
  await section("p3", p3);
  await section("hop", hop);
  await section("p10", p10);
  await section("overhead", overhead);
  await section("efficiency", efficiency);
  await section("live", live);
  await section("cancel", cancel);
  await section("gil", gil);
  await browser.close();
} finally {
  for (const s of servers) s.kill();
}
// For the record: sections that failed once (and were run again), and the
// page's own panics seen meanwhile.
raw.section_failures = failures;
raw.page_panics = panics;
out.page_panics = panics;
writeFileSync("bench/page-samples.json", JSON.stringify(raw, null, 1) + "\n");
console.log(`PAGE ${JSON.stringify(out)}`);
