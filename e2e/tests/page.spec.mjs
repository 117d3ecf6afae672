// The playground page as a teacher would use it: presets, run, the table,
// the timeline, the comparison, a sweep, the heartbeat and the Python tab.
import { test, expect } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { open, run, setUp, metric, traces } from "./helpers.mjs";

const SHOTS = new URL("../screenshots/", import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

test("the gather preset: loop near 2 s, sequential near 3 s, in the table and the timeline", async ({ page }) => {
  await open(page);
  await page.getByTestId("preset-gather").click();
  await expect(page.getByTestId("workload")).toHaveValue("1*io(1s)+1*io(2s)");
  await expect(page.getByTestId("look-for")).toContainText("2 s, not 3 s");
  await page.getByTestId("run").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 30_000 });
  const loop = await metric(page, "loop", "wall_ms");
  const seq = await metric(page, "seq", "wall_ms");
  expect(loop).toBeGreaterThanOrEqual(2000);
  expect(loop).toBeLessThan(2500);
  expect(seq).toBeGreaterThanOrEqual(3000);
  expect(seq).toBeLessThan(3500);
  await expect(page.getByTestId("compare").locator('rect[data-model="loop"]')).toHaveCount(1);
  await expect(page.getByTestId("timeline")).toBeVisible();
  await page.getByTestId("tl-loop").click();
  await expect(page.getByTestId("timeline-summary")).toContainText("Event loop: 2 tasks");
  // Per task, hover over the second task's long wait: the tooltip names it.
  await page.getByTestId("tl-by-task").check();
  const box = await page.getByTestId("timeline").boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + 24 + 22 * 1.5);
  await expect(page.getByTestId("tooltip")).toContainText("task 1");
  await expect(page.getByTestId("tooltip")).toContainText("waiting");
});

test("Σi² ×20 on the pool keeps every worker lane busy", async ({ page }) => {
  test.setTimeout(90_000);
  await open(page);
  await page.getByTestId("preset-sumsq20").click();
  await setUp(page, { w: "20*cpu(10M)", models: ["pool"] });
  await page.getByTestId("run").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 60_000 });
  const [t] = await traces(page);
  const workers = t.lanes - 1;
  expect(workers).toBe(await page.evaluate(() => navigator.hardwareConcurrency));
  for (let lane = 1; lane <= workers; lane++) {
    expect(t.spans.some((s) => s[1] === lane && s[2] === "running"), `worker ${lane} ran`).toBe(true);
  }
});

test("a sweep over workers plots one point per value and model", async ({ page }) => {
  test.setTimeout(90_000);
  await open(page);
  await setUp(page, { w: "8*cpu(2M)", models: ["loop", "pool"] });
  await page.getByTestId("sweep-param").selectOption("workers");
  await page.getByTestId("sweep-values").fill("1,2,3");
  await page.getByTestId("sweep-run").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 60_000 });
  const chart = page.getByTestId("sweep-chart");
  await expect(chart.locator('circle[data-model="pool"]')).toHaveCount(3);
  await expect(chart.locator('circle[data-model="loop"]')).toHaveCount(3);
  const xs = await chart.locator('circle[data-model="pool"]').evaluateAll((cs) => cs.map((c) => c.getAttribute("data-x")));
  expect(xs).toEqual(["1", "2", "3"]);
  await page.getByTestId("sweep-values").fill("1,x");
  await expect(page.getByTestId("sweep-run")).toBeDisabled();
});

test("the heartbeat stalls while the main thread blocks", async ({ page }) => {
  await open(page);
  await run(page, { w: "1*block(700ms)", models: ["seq"] });
  await expect.poll(async () => Number(await page.getByTestId("heartbeat").getAttribute("data-value")), { timeout: 5000 }).toBeGreaterThan(500);
  // And recovers once the page is free again.
  await expect.poll(async () => Number(await page.getByTestId("heartbeat").getAttribute("data-value")), { timeout: 5000 }).toBeLessThan(100);
});

test("the Python tab shows each flavour of the current workload", async ({ page }) => {
  await open(page);
  await page.getByTestId("workload").fill("2*io(100ms)+1*cpu(1M)");
  await page.getByTestId("py-asyncio").click();
  await expect(page.getByTestId("python-code")).toContainText("asyncio.gather");
  await expect(page.getByTestId("python-code")).toContainText("await asyncio.sleep(0.1)");
  await page.getByTestId("py-threading").click();
  await expect(page.getByTestId("python-code")).toContainText("ThreadPoolExecutor");
  await page.getByTestId("py-multiprocessing").click();
  await expect(page.getByTestId("python-code")).toContainText("multiprocessing.Pool");
});

test("history keeps recent runs to compare", async ({ page }) => {
  await open(page);
  await run(page, { w: "4*io(50ms)", models: ["loop"] });
  await run(page, { w: "4*io(50ms)", models: ["loop"], limit: 1 });
  await expect(page.getByTestId("history").locator("li")).toHaveCount(2);
  expect(await metric(page, "loop", "wall_ms")).toBeGreaterThanOrEqual(200);
  await page.getByTestId("history").locator("li").nth(1).getByRole("button", { name: "Show" }).click();
  expect(await metric(page, "loop", "wall_ms")).toBeLessThan(200);
});

test("screenshots of the main views: light and dark, 1280×800 and 600×400", async ({ page }, info) => {
  test.setTimeout(120_000);
  for (const theme of ["light", "dark"]) {
    for (const [w, h] of [[1280, 800], [600, 400]]) {
      await page.setViewportSize({ width: w, height: h });
      await open(page);
      await page.getByTestId("theme").selectOption(theme);
      await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
      await run(page, { w: "6*[io(60ms),cpu(3M)]+1*block(40ms)", models: ["seq", "loop", "pool", "hybrid"] });
      const name = `${info.project.name}-${theme}-${w}x${h}`;
      await page.screenshot({ path: `${SHOTS}${name}-top.png` });
      await page.locator("#results-h").scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}${name}-results.png` });
      await page.getByTestId("tl-loop").click();
      await page.getByTestId("timeline").scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SHOTS}${name}-timeline.png` });
    }
  }
});
