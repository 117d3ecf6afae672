// Real runs of every model that needs no shared memory, checked for shape
// (not exact timing): margins hold on a loaded 2-core machine.
import { test, expect } from "@playwright/test";
import { open, run, setUp, metric, traces, sumSquares } from "./helpers.mjs";

test("gather: the loop takes about the longest wait, sequential the sum", async ({ page }) => {
  await open(page);
  await run(page, { w: "1*io(1s)+1*io(2s)", models: ["seq", "loop"] });
  const loop = await metric(page, "loop", "wall_ms");
  const seq = await metric(page, "seq", "wall_ms");
  expect(loop).toBeGreaterThanOrEqual(2000);
  expect(loop).toBeLessThan(2500);
  expect(seq).toBeGreaterThanOrEqual(3000);
  expect(Math.abs(loop - 2000)).toBeLessThan(Math.abs(loop - 3000));
  // Measured beside predicted.
  expect(await metric(page, "loop", "predicted_wall_ms")).toBeCloseTo(2000, 0);
  expect(await metric(page, "seq", "predicted_wall_ms")).toBeCloseTo(3000, 0);
  expect(await metric(page, "loop", "speedup")).toBeGreaterThan(1.2);
});

test("20*cpu(2M) on a 2-worker pool keeps both workers busy at once", async ({ page }) => {
  await open(page);
  await run(page, { w: "20*cpu(2M)", models: ["pool"], workers: 2 });
  const [t] = await traces(page);
  expect(t.lanes).toBe(3);
  const running = (lane) => t.spans.filter((s) => s[1] === lane && s[2] === "running").map((s) => [s[3], s[4]]);
  const a = running(1), b = running(2);
  expect(a.length).toBeGreaterThan(0);
  expect(b.length).toBeGreaterThan(0);
  const overlap = a.some(([s1, e1]) => b.some(([s2, e2]) => s1 < e2 && s2 < e1));
  expect(overlap).toBe(true);
  const cell = page.locator('td[data-model="pool"][data-metric="checksum"]');
  await expect(cell).toHaveAttribute("data-value", (20n * sumSquares(2_000_000)).toString());
});

test("every model's trace: no overlap within a lane, spans inside the run, loop tasks whole", async ({ page }) => {
  await open(page);
  await run(page, { w: "6*[io(30ms),cpu(500k,yield=100k),block(2ms)]+3*incr(await)", models: ["seq", "loop", "pool", "hybrid"], workers: 2 });
  const all = await traces(page);
  expect(all.map((t) => t.model)).toEqual(["seq", "loop", "pool", "hybrid"]);
  for (const t of all) {
    for (let lane = 0; lane < t.lanes; lane++) {
      const spans = t.spans.filter((s) => s[1] === lane).map((s) => [s[3], s[4]]).sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i][0], `${t.model} lane ${lane}`).toBeGreaterThanOrEqual(spans[i - 1][1]);
    }
    for (const s of t.spans) {
      expect(s[3], `${t.model} span starts inside the run`).toBeGreaterThanOrEqual(t.start);
      expect(s[4], `${t.model} span ends inside the run`).toBeLessThanOrEqual(t.end);
    }
  }
  // Under the loop a task is always running, waiting or queued: its spans tile its life.
  const loop = all[1];
  for (let task = 0; task < 9; task++) {
    const spans = loop.spans.filter((s) => s[0] === task).map((s) => [s[3], s[4]]).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0], `task ${task}`).toBe(spans[i - 1][1]);
  }
});

test("cancel stops a loop run quickly and keeps the partial trace", async ({ page }) => {
  await open(page);
  await setUp(page, { w: "50*io(10s)", models: ["loop"] });
  await page.getByTestId("run").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "running");
  await page.waitForTimeout(300);
  const t0 = Date.now();
  await page.getByTestId("cancel").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "cancelled", { timeout: 2000 });
  expect(Date.now() - t0).toBeLessThan(1000);
  const [t] = await traces(page);
  expect(t.cancelled).toBe(true);
  expect(t.spans.length).toBeGreaterThan(0);
  await expect(page.locator('th[data-model="loop"]')).toContainText("cancelled");
});

test("cancel stops a pool run by terminating busy workers; the next run works", async ({ page }) => {
  await open(page);
  await setUp(page, { w: "4*block(10s)", models: ["pool"], workers: 2 });
  await page.getByTestId("run").click();
  await page.waitForTimeout(500);
  const t0 = Date.now();
  await page.getByTestId("cancel").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "cancelled", { timeout: 2000 });
  expect(Date.now() - t0).toBeLessThan(1000);
  await run(page, { w: "2*cpu(1000)", models: ["pool"], workers: 2 });
  await expect(page.locator('td[data-model="pool"][data-metric="checksum"]')).toHaveAttribute("data-value", (2n * sumSquares(1000)).toString());
});

test("a worker killed mid-job: its task fails with a reason, it is replaced, later runs work", async ({ page }) => {
  await open(page);
  await setUp(page, { w: "2*block(1500ms)", models: ["pool"], workers: 2 });
  await page.getByTestId("run").click();
  await page.waitForTimeout(400);
  await page.evaluate(() => window.wasmBindings.kill_worker(0));
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 10_000 });
  await expect(page.getByTestId("failures")).toContainText("killed");
  expect(await metric(page, "pool", "failed_tasks")).toBe(1);
  expect(await page.evaluate(() => window.wasmBindings.workers_replaced())).toBeGreaterThanOrEqual(1);
  // A worker that panics is replaced too.
  await page.evaluate(() => window.wasmBindings.crash_worker(1));
  await expect.poll(() => page.evaluate(() => window.wasmBindings.workers_replaced())).toBeGreaterThanOrEqual(2);
  await run(page, { w: "4*cpu(1000)", models: ["pool"], workers: 2 });
  expect(await metric(page, "pool", "failed_tasks")).toBe(0);
});

test("100,000 loop tasks keep the page drawing: no long frame gaps", async ({ page }) => {
  test.setTimeout(120_000);
  await open(page);
  await setUp(page, { w: "100000*[io(10ms),cpu(10k)]", models: ["loop"] });
  await page.evaluate(() => {
    window.__gaps = [];
    let last = performance.now();
    const tick = (t) => { window.__gaps.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  await page.getByTestId("run").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 100_000 });
  const gaps = await page.evaluate(() => { window.__stop = true; return window.__gaps; });
  const worst = Math.max(...gaps);
  console.log(`frames: ${gaps.length}, worst gap ${worst.toFixed(1)} ms`);
  expect(gaps.length).toBeGreaterThan(10);
  // The target is 50 ms; on a loaded 2-core machine the compositor itself
  // misses frames, so the test allows twice that. The loop's own slices
  // (longest_block_ms) must stay well under 50 ms; benchmarks hold the figures.
  expect(worst).toBeLessThan(100);
  expect(await metric(page, "loop", "tasks")).toBe(100000);
  expect(await metric(page, "loop", "longest_block_ms")).toBeLessThan(50);
});

test("a long sequential run asks first; the answer is honoured", async ({ page }) => {
  await open(page);
  await run(page, { w: "3*io(5s)", models: ["seq", "loop"] }, { until: "idle" });
  await expect(page.getByRole("alertdialog")).toContainText("freeze the page");
  await page.getByRole("button", { name: "Skip sequential" }).click();
  await expect(page.getByTestId("model-seq")).not.toBeChecked();
});
