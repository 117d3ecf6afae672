// Cancel (issue 15): whatever runs, Cancel ends it. Checked by states, never
// by milliseconds: the page says cancelled, the partial trace is kept and
// marked, and the next run works.
import { test, expect } from "@playwright/test";
import { open, setUp, run, until, untilWorking, results, traces, spans, sumSquares, drawn, expectRedrawn, showTab, overlapsWithin } from "./helpers.mjs";

/** Presses Run, waits until the chart has grown a little, presses Cancel. */
async function runThenCancel(page) {
  await page.getByTestId("run").click();
  await until(page, "running");
  await untilWorking(page);
  const before = await drawn(page);
  await expectRedrawn(page, before, "the chart grows while the run goes on");
  await expect(page.getByTestId("cancel")).toBeEnabled();
  await page.getByTestId("cancel").click();
  await until(page, "cancelled");
  // The page says cancelled at once; the run stops and hands its partial trace over just after.
  await expect.poll(async () => (await traces(page)).at(-1)?.cancelled, { message: "the last trace is marked cancelled" }).toBe(true);
}

/** After a cancel, the run bar is ready for the next run. */
async function expectReadyAgain(page) {
  await expect(page.getByTestId("status")).toContainText("Cancelled");
  await expect(page.getByTestId("run")).toBeEnabled();
  await expect(page.getByTestId("cancel")).toBeDisabled();
}

test("Cancel ends a CPU-bound loop run; the trace is kept, marked cancelled", async ({ page }) => {
  await open(page);
  await setUp(page, { w: "400*cpu(50M)", models: ["loop"] });
  await runThenCancel(page);
  const [t] = await traces(page);
  expect(t.model).toBe("loop");
  expect(t.cancelled).toBe(true);
  expect(t.spans.length, "the partial trace has spans").toBeGreaterThan(0);
  await page.getByTestId("tab-results").click();
  await expect(page.locator('th[data-model="loop"]')).toContainText("cancelled");
  await expectReadyAgain(page);
  // The page is free again: a short run completes.
  await run(page, { w: "2*cpu(1000)", models: ["loop"] });
  expect((await results(page)).loop.checksum).toBe(2n * sumSquares(1000));
});

test("Cancel ends a pool run of blocking jobs; the next pool run works and its checksum is exact", async ({ page }) => {
  await open(page);
  await setUp(page, { w: "4*block(10s)", models: ["pool"], workers: 2 });
  await runThenCancel(page);
  const [t] = await traces(page);
  expect(t.model).toBe("pool");
  expect(t.cancelled).toBe(true);
  // Both workers were mid-job: their jobs are kept, cut where the run was cancelled.
  const cut = spans(t).filter((s) => s.state === "running" && s.lane >= 1);
  expect(cut.map((s) => s.lane).sort(), "each worker's job under way is in the partial trace").toEqual([1, 2]);
  expect(cut.every((s) => s.end > s.start)).toBe(true);
  await expectReadyAgain(page);
  await run(page, { w: "2*cpu(1000)", models: ["pool"], workers: 2 });
  const r = await results(page);
  expect(r.pool.checksum).toBe(2n * sumSquares(1000));
  expect(r.pool.failed_tasks).toBe(0);
});

test("Cancel ends a GIL run mid-way; what the threads did until then is kept, one holder at a time", async ({ page }, info) => {
  await open(page);
  await setUp(page, { w: "4*cpu(2G)", models: ["gil"], workers: 2 });
  // The chart grows while the threads run: in shared memory their spans come
  // from rings the page reads as they go, by messages with each quantum.
  await runThenCancel(page);
  const [t] = await traces(page);
  expect(t.model).toBe("gil");
  expect(t.implementation).toMatch(info.project.name === "isolated" ? /shared memory/ : /messages/);
  expect(t.cancelled).toBe(true);
  // No worker replied: the running stretches are the ones streamed before the cancel.
  const running = spans(t).filter((s) => s.state === "running" && s.lane >= 1);
  expect(running.length, "the partial trace has the threads' running spans").toBeGreaterThan(0);
  for (const s of running) expect(s.end, "a span ends by the cancel").toBeLessThanOrEqual(t.end);
  // One holder at a time (two workers' clocks, converted: 0.2 ms of slack, as in threads.spec.mjs).
  expect(overlapsWithin(running, 200_000)).toEqual([]);
  await expectReadyAgain(page);
  await run(page, { w: "2*cpu(1000)", models: ["gil"], workers: 2 });
  expect((await results(page)).gil.checksum).toBe(2n * sumSquares(1000));
});

// A fresh page each: a second cancel on one page would find the first
// run's trace, cancelled too, before its own arrives.
// The loop's tasks compute first (long enough, about a millisecond, for a
// page without isolation, whose clock steps by 0.1 ms, to record it): the
// run has spans before its sleeps begin.
for (const [model, w, where] of [["loop", "2*[cpu(3M),io(5s)]", "still open on the loop"], ["pool", "2*[io(5s),cpu(1M)]", "out in the workers"]]) {
  test(`Cancel mid-sleep keeps the sleeps as waits: ${model}, ${where}`, async ({ page }) => {
    await open(page);
    await setUp(page, { w, models: [model], workers: 2 });
    await runThenCancel(page);
    const t = (await traces(page)).at(-1);
    expect(t.model).toBe(model);
    const s = spans(t);
    const waits = s.filter((x) => x.state === "waiting" && x.end > x.start);
    expect([...new Set(waits.map((x) => x.task))].sort(), "both tasks' sleeps are in the partial trace").toEqual([0, 1]);
    // Nobody computed while they slept: no running span reaches the cancel.
    const cut = Math.max(...waits.map((x) => x.end));
    expect(s.filter((x) => x.state === "running" && x.end >= cut), JSON.stringify(s)).toEqual([]);
    await expect(page.getByTestId("timeline-summary")).toContainText("with 0 done");
    await showTab(page, "results");
    await expect(page.locator(`td[data-model="${model}"][data-metric="tasks"]`)).toContainText("0 done before the cancel");
  });
}

test("Cancel during the second model of a run keeps the first, whole", async ({ page }) => {
  await open(page);
  await setUp(page, { w: "4*io(2s)", models: ["loop", "pool"], workers: 2 });
  await page.getByTestId("run").click();
  await expect(page.getByTestId("status")).toContainText("2 of 2", { timeout: 30_000 });
  await page.getByTestId("cancel").click();
  await until(page, "cancelled");
  await expect.poll(async () => (await traces(page)).map((t) => `${t.model}${t.cancelled ? " cancelled" : ""}`)).toEqual(["loop", "pool cancelled"]);
  const [loop, pool] = await traces(page);
  expect(loop.model).toBe("loop");
  expect(loop.cancelled).toBe(false);
  expect(pool.model).toBe("pool");
  expect(pool.cancelled).toBe(true);
  const r = await results(page);
  expect(r.loop.tasks).toBe(4);
  expect(r.loop.wall_ms, "the finished model keeps its measurement").toBeGreaterThanOrEqual(2000);
  await expectReadyAgain(page);
});
