// The chart is alive: before a run it draws the prediction of the scenario
// as edited (and redraws at every edit), during a run it grows, after it
// shows the measurement.
import { test, expect } from "@playwright/test";
import { open, setUp, pressRun, until, drawn, expectRedrawn, onlyIn, showTab, liveRun } from "./helpers.mjs";

test.beforeEach(() => onlyIn("isolated"));

test("before a run the timeline shows the prediction, redrawn at every edit", async ({ page }) => {
  await open(page);
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "idle");
  await expect(page.getByTestId("timeline-what")).toContainText("Predicted");
  await expect.poll(() => drawn(page), { message: "the prediction is drawn" }).toBeGreaterThan(0);

  let before = await drawn(page);
  await page.getByTestId("workload").fill("3*io(200ms)+1*cpu(1M)");
  await expectRedrawn(page, before, "typing a workload redraws");
  // What is drawn is the edited scenario (not a redraw of the old one).
  const chart = page.getByTestId("timeline");
  await expect(chart).toHaveAttribute("aria-label", /: 4 tasks on/);
  await expect(page.getByTestId("timeline-what")).toContainText("Predicted");

  before = await drawn(page);
  await page.getByText("Sizes: ×2 and ÷2").click();
  await page.getByTestId("step-count-0-up").click();
  await expect(page.getByTestId("workload")).toHaveValue("6*io(200ms)+1*cpu(1M)");
  await expectRedrawn(page, before, "the ×2 stepper redraws");
  await expect(chart).toHaveAttribute("aria-label", /: 7 tasks on/);

  // The pool is on by default: turning it off must redraw (checking it
  // again would be a no-op, and a redraw for new costs could mask that).
  before = await drawn(page);
  await expect(page.getByTestId("model-pool")).toBeChecked();
  await page.getByTestId("model-pool").uncheck();
  await expectRedrawn(page, before, "choosing the models redraws");
  await expect(chart).not.toHaveAttribute("aria-label", /Worker pool/);

  before = await drawn(page);
  const workers = await page.getByTestId("workers").inputValue();
  await page.getByTestId("workers-slider").focus();
  await page.keyboard.press(workers === "1" ? "ArrowRight" : "ArrowLeft");
  await expect(page.getByTestId("workers")).not.toHaveValue(workers);
  await expectRedrawn(page, before, "moving the workers slider redraws");
  expect(await page.getByTestId("timeline").getAttribute("aria-label")).toContain("predicted");
});

test("during a run the chart grows and says Live", async ({ page }) => {
  await open(page);
  // 1.5 s: several redraws at one per 250 ms even on a loaded machine.
  await setUp(page, { w: "3*io(1500ms)", models: ["loop"] });
  // Record, in the page, every redraw and what the caption said while the run went on.
  await page.evaluate(() => {
    window.__live = [];
    const canvas = document.querySelector("[data-testid=timeline]");
    new MutationObserver(() => {
      if (document.body.dataset.runState === "running") {
        window.__live.push({
          drawn: Number(canvas.dataset.drawn),
          what: document.querySelector("[data-testid=timeline-what]").textContent,
          summary: document.querySelector("[data-testid=timeline-summary]").textContent,
        });
      }
    }).observe(canvas, { attributes: true, attributeFilter: ["data-drawn"] });
  });
  await page.getByTestId("run").click();
  await until(page, "done");
  const live = await page.evaluate(() => window.__live);
  const values = new Set(live.map((l) => l.drawn));
  expect(values.size, `redraws while running: ${JSON.stringify(live)}`).toBeGreaterThanOrEqual(2);
  expect(live.some((l) => l.what.startsWith("Live")), "the caption said Live during the run").toBe(true);
  // The summary under the chart describes the run under way, not the prediction.
  expect(live.some((l) => /Event loop \(running\): 3 tasks on 1 lane, .* so far/.test(l.summary)), `summaries: ${JSON.stringify(live.map((l) => l.summary))}`).toBe(true);
  expect(live.every((l) => !l.summary.includes("(predicted")), "no predicted summary during the run").toBe(true);
  await expect(page.getByTestId("timeline-summary")).toContainText(/Event loop: 3 tasks on 1 lane, over/);
});

test("a GIL run in shared memory grows live: the threads' spans come while they run, with no job drawn as out", async ({ page }) => {
  await open(page);
  await setUp(page, { w: "4*cpu(2G)", models: ["gil"], workers: 2 });
  await page.getByTestId("run").click();
  await until(page, "running");
  // The threads stream their spans through shared memory: the live run has
  // some long before its end (each thread's reply comes at the end).
  await expect.poll(async () => (await liveRun(page))?.spans ?? 0, { message: "spans recorded while the threads run" }).toBeGreaterThan(0);
  await expect(page.getByTestId("timeline-summary")).toContainText(/Threads \+ GIL \(running\): .* lanes busy/);
  await expect(page.getByTestId("legend-out")).toHaveCount(0);
  await page.getByTestId("cancel").click();
  await until(page, "cancelled");
});

// The real programs beside ours: JavaScript publishes its own timeline array
// (read while it grows; its report comes at the end); CPython loads first
// (seconds), then its worker sends the program's spans on as they grow, long
// before the trace file at the end.
for (const [model, w, who] of [
  ["js", "200*[io(30ms),cpu(20M)]", "JavaScript"],
  ["jsworker", "200*[cpu(20M),io(30ms)]", "JavaScript"],
  ["py", "60*[cpu(500k),io(20ms)]", "CPython"],
  ["pyasync", "60*[io(20ms),cpu(500k)]", "CPython"],
]) {
  test(`the ${who} program's timeline grows live: ${model}`, async ({ page }) => {
    test.setTimeout(240_000);
    await open(page);
    await setUp(page, { w, models: [model], workers: 2 });
    await page.getByTestId("run").click();
    await until(page, "running");
    await expect
      .poll(async () => {
        const l = await liveRun(page);
        return l && l.model === model ? l.spans : 0;
      }, { message: `${model}: spans recorded while the program runs`, timeout: 120_000 })
      .toBeGreaterThan(0);
    await expect(page.getByTestId("timeline-summary")).toContainText("(running)");
    await page.getByTestId("cancel").click();
    await until(page, "cancelled");
  });
}

test("a pool run's jobs out in workers are marked as such while it runs; the table says – for what a lane never did", async ({ page }) => {
  await open(page);
  await setUp(page, { w: "2*block(1500ms)", models: ["pool"], workers: 2 });
  await expect(page.getByTestId("legend-out")).toBeHidden();
  await page.getByTestId("run").click();
  // While the jobs are out, the legend explains the outlined bars.
  await expect(page.getByTestId("legend-out")).toBeVisible();
  await expect(page.getByTestId("timeline-summary")).toContainText("(running)");
  await until(page, "done");
  await expect(page.getByTestId("legend-out")).toBeHidden();
  // The table is built when opened; the page's lane only dispatched, so it
  // never ran, waited or queued: "–", never "0 ns".
  await expect(page.getByTestId("timeline-table")).toHaveCount(0);
  await page.locator("details.tl-table > summary").click();
  const table = page.getByTestId("timeline-table");
  await expect(table.locator("tbody tr")).toHaveCount(3);
  const rows = await table.locator("tbody tr").evaluateAll((rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
  expect(rows.map((r) => r[1])).toEqual(["main", "worker 1", "worker 2"]);
  expect(rows.flat().some((c) => c === "0 ns"), JSON.stringify(rows)).toBe(false);
  // Each worker ran its job's block (the page measured ≥ 1 s of it).
  for (const r of rows.slice(1)) expect(r[2], JSON.stringify(rows)).toMatch(/^1\.\d+ s$/);
});

test("after a run the chart shows the measurement, also when the scenario was edited before", async ({ page }) => {
  await open(page, "./?w=2*io(100ms)&models=loop");
  await pressRun(page);
  await expect(page.getByTestId("timeline-what")).toContainText("Measured");
  // Edit, so the chart goes back to the prediction; run again: the measurement is shown.
  await page.getByTestId("workload").fill("3*io(100ms)");
  await expect(page.getByTestId("timeline-what")).toContainText("Predicted");
  await pressRun(page);
  await expect(page.getByTestId("timeline-what")).toContainText("Measured");
  expect(await page.getByTestId("timeline").getAttribute("aria-label")).not.toContain("(predicted)");
  // And a second run without an edit too.
  await pressRun(page);
  await expect(page.getByTestId("timeline-what")).toContainText("Measured");
});

test("during a run, Compare and Results show this run's models as they end, never the last run's", async ({ page }) => {
  await open(page);
  // The loop takes 0.5 s; the pool, one worker sleeping four times, 2 s:
  // time enough to see the loop's bar alone.
  await setUp(page, { w: "4*io(500ms)", models: ["loop", "pool"], workers: 1 });
  await pressRun(page);
  await showTab(page, "compare");
  const bars = page.getByTestId("compare").locator("rect[data-model]");
  await expect(bars).toHaveCount(2);
  await page.getByTestId("run").click();
  // The loop runs first: nothing of this run is measured yet.
  await expect(page.getByTestId("results-running")).toBeVisible();
  // Then the loop's bar alone, while the pool runs.
  await expect(page.getByTestId("compare").locator('rect[data-model="loop"]')).toHaveCount(1);
  expect(await page.locator("body").getAttribute("data-run-state")).toBe("running");
  await expect(page.getByTestId("compare").locator('rect[data-model="pool"]')).toHaveCount(0);
  await until(page, "done");
  await expect(bars).toHaveCount(2);
});
