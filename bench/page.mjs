// Page-level measurements for `cargo xtask bench` (P3, P4, P6): drives the
// release dist/ in headless Chromium, served isolated on 127.0.0.1:8191.
// Prints one JSON line: PAGE {...}.
import { chromium } from "@playwright/test";
import { execSync, spawn } from "node:child_process";
import { readdirSync, statSync, readFileSync } from "node:fs";
import { brotliCompressSync } from "node:zlib";

const exe = process.env.CHROMIUM || execSync("command -v chromium").toString().trim();
const server = spawn("node", ["e2e/serve.mjs", "--port", "8191", "--isolated"], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 500));
const out = {};
try {
  // P6: sizes, brotli-compressed as a host would serve them.
  const files = readdirSync("dist");
  const size = (pred) => files.filter(pred).reduce((n, f) => n + brotliCompressSync(readFileSync(`dist/${f}`)).length, 0);
  out.app_brotli_bytes = size((f) => /^app-.*\.(wasm|js)$/.test(f));
  out.worker_wasm_bytes = files.filter((f) => f === "worker_bg.wasm").reduce((n, f) => n + statSync(`dist/${f}`).size, 0);
  out.worker_wasm_brotli_bytes = size((f) => f === "worker_bg.wasm");

  const browser = await chromium.launch({ executablePath: exe, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
  const median = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const renders = [], starts = [], bare = [], echoes = [], bareEchoes = [];
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage();
    await page.goto("http://127.0.0.1:8191/");
    await page.getByTestId("run").waitFor();
    renders.push(await page.evaluate(() => performance.now()));
    await page.getByTestId("pool-status").filter({ hasText: "ready in" }).waitFor();
    const text = await page.getByTestId("pool-status").textContent();
    starts.push(Number(/ready in ([\d.]+) ms/.exec(text)[1]));
    // The peer: a bare Worker echo plus one compileStreaming of the same wasm.
    bare.push(await page.evaluate(async () => {
      const n = navigator.hardwareConcurrency;
      const t = performance.now();
      const src = URL.createObjectURL(new Blob(["onmessage = (e) => postMessage(e.data)"], { type: "text/javascript" }));
      const [, ...workers] = await Promise.all([
        WebAssembly.compileStreaming(fetch("./worker_bg.wasm")),
        ...Array.from({ length: n }, () => new Promise((r) => { const w = new Worker(src); w.onmessage = () => r(w); w.postMessage(1); })),
      ]);
      const took = performance.now() - t;
      workers.forEach((w) => w.terminate());
      return took;
    }));
    bareEchoes.push(await page.evaluate(async () => {
      const src = URL.createObjectURL(new Blob(["onmessage = (e) => postMessage(e.data)"], { type: "text/javascript" }));
      const w = new Worker(src);
      await new Promise((r) => { w.onmessage = r; w.postMessage(0); });
      const times = [];
      for (let k = 0; k < 50; k++) {
        const t = performance.now();
        await new Promise((r) => { w.onmessage = r; w.postMessage(k); });
        times.push(performance.now() - t);
      }
      w.terminate();
      return times.sort((a, b) => a - b)[25];
    }));
    // Ours: a trivial job's round trip, from the trace (sent → answered).
    await page.getByTestId("workload").fill("50*cpu(1)");
    for (const m of ["seq", "loop", "hybrid"]) await page.getByTestId(`model-${m}`).setChecked(false);
    await page.getByTestId("model-pool").setChecked(true);
    await page.getByTestId("workers").fill("1");
    await page.getByTestId("run").click();
    await page.locator("body[data-run-state=done]").waitFor();
    const traces = JSON.parse(await page.evaluate(() => window.wasmBindings.last_traces_json()));
    const byTask = new Map();
    for (const s of traces[0].spans) if (s[2] === "transfer") byTask.set(s[0], (byTask.get(s[0]) || 0) + (s[4] - s[3]) / 1e6);
    echoes.push(median([...byTask.values()]));
    await page.close();
  }
  out.first_render_ms = median(renders);
  out.pool_start_ms = median(starts);
  out.bare_start_ms = median(bare);
  out.dispatch_ms = median(echoes);
  out.bare_echo_ms = median(bareEchoes);

  // P4 efficiency: N jobs of about 50 ms on N workers against sequential.
  const page = await browser.newPage();
  await page.goto("http://127.0.0.1:8191/");
  const n = await page.evaluate(() => navigator.hardwareConcurrency);
  await page.getByTestId("pool-status").filter({ hasText: "ready in" }).waitFor();
  const effs = [];
  for (let i = 0; i < 3; i++) {
    await page.getByTestId("workload").fill(`${n}*cpu(100M)`);
    for (const m of ["loop", "hybrid"]) await page.getByTestId(`model-${m}`).setChecked(false);
    for (const m of ["seq", "pool"]) await page.getByTestId(`model-${m}`).setChecked(true);
    await page.getByTestId("workers").fill(String(n));
    await page.getByTestId("run").click();
    await page.locator("body[data-run-state=done]").waitFor({ timeout: 60_000 });
    effs.push(Number(await page.locator('td[data-model="pool"][data-metric="efficiency_pct"]').getAttribute("data-value")));
  }
  out.pool_efficiency_pct = median(effs);
  // P3: frame gaps idle, then while the loop runs 1,000,000 tasks.
  const gaps = async (ms) => page.evaluate((ms) => new Promise((r) => {
    const g = []; let last = performance.now(); const end = last + ms;
    const tick = (t) => { g.push(t - last); last = t; if (t < end) requestAnimationFrame(tick); else r(g); };
    requestAnimationFrame(tick);
  }), ms);
  const p95 = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length * 0.95)];
  out.idle_frame_p95_ms = p95(await gaps(2000));
  await page.getByTestId("workload").fill("1000000*io(10ms)");
  for (const m of ["seq", "pool"]) await page.getByTestId(`model-${m}`).setChecked(false);
  await page.getByTestId("model-loop").setChecked(true);
  await page.evaluate(() => {
    window.__long = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long = Math.max(window.__long, e.duration); }).observe({ type: "longtask" });
  });
  const running = page.evaluate(() => new Promise((r) => {
    const g = []; let last = performance.now();
    const tick = (t) => { g.push(t - last); last = t; if (document.body.dataset.runState === "running" || g.length < 5) requestAnimationFrame(tick); else r(g); };
    requestAnimationFrame(tick);
  }));
  await page.getByTestId("run").click();
  const busy = await running;
  await page.locator("body[data-run-state=done]").waitFor({ timeout: 120_000 });
  out.loop_1m_frame_p95_ms = p95(busy);
  out.loop_1m_longest_task_ms = await page.evaluate(() => window.__long);
  out.loop_1m_wall_ms = Number(await page.locator('td[data-model="loop"][data-metric="wall_ms"]').getAttribute("data-value"));
  await browser.close();
} finally {
  server.kill();
}
console.log(`PAGE ${JSON.stringify(out)}`);
