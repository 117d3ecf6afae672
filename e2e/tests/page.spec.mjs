// The workbench as a teacher uses it: presets, a run, the results table,
// the comparison, the timeline's tooltip, a sweep, the code tabs, history
// and the theme.
import { test, expect } from "@playwright/test";
import { open, setUp, run, pressRun, until, results, showTab, drawn, expectRedrawn, CHART, onlyIn, traces } from "./helpers.mjs";

test.beforeEach(() => onlyIn("isolated"));

/** The metrics every run reports, per the contract (snake_case, unit in the name). */
const ALWAYS = ["wall_ms", "predicted_wall_ms", "prediction_error_pct", "speedup", "busy_ms", "longest_block_ms", "tasks", "failed_tasks", "checksum"];

test("every preset loads from the menu and from the gallery, with what to look for", async ({ page }) => {
  await open(page);
  await showTab(page, "gallery");
  const gallery = await page.locator("[data-testid^=preset-]").evaluateAll((bs) =>
    bs.map((b) => ({ name: b.dataset.testid.slice("preset-".length), workload: b.querySelector("code").textContent })),
  );
  const names = gallery.map((p) => p.name);
  for (const name of ["gather", "sumsq20", "blocking-call", "c10k", "race-await", "gil-cpu", "gil-io", "convoy", "few-connections", "yield-granularity", "ten-x-myth"]) {
    expect(names).toContain(name);
  }
  const menu = await page.getByTestId("preset").locator("option").evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  expect(menu).toEqual(names);
  for (const { name, workload } of gallery) {
    await page.getByTestId("preset").selectOption(name);
    await expect(page.getByTestId("workload"), `${name} from the menu`).toHaveValue(workload);
    await expect(page.getByTestId("workload-ok")).toBeVisible();
    // Two sentences of what to look for.
    await expect(page.getByTestId("look-for")).toContainText(/\. .+\.$/);
  }
  await page.getByTestId("preset-gather").click();
  await expect(page.getByTestId("tab-timeline")).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("workload")).toHaveValue("1*io(1s)+1*io(2s)");
  await expect(page.getByTestId("look-for")).toContainText("2 s, not 3 s");
  await expect(page.getByTestId("model-seq")).toBeChecked();
  await expect(page.getByTestId("model-loop")).toBeChecked();
  await expect(page.getByTestId("model-pool")).not.toBeChecked();
  // Edited, the workload is no longer the preset's: its sentences go, the menu says so.
  await page.getByTestId("workload").fill("1*io(1s)+1*io(3s)");
  await expect(page.getByTestId("preset")).toHaveValue("");
  await expect(page.getByTestId("look-for")).toHaveCount(0);
  await page.getByTestId("workload").fill("1*io(1s)+1*io(2s)");
  await expect(page.getByTestId("look-for")).toContainText("2 s, not 3 s");
});

test("a race's writes to the counter are ticks on the chart: hovering one names the task and what it wrote", async ({ page }) => {
  await open(page);
  await page.getByTestId("preset").selectOption("race-await");
  // In the legend before the run: the workload as edited has increments.
  await expect(page.getByTestId("legend-write")).toBeVisible();
  await pressRun(page);
  const [t] = await traces(page);
  expect(t.model).toBe("loop");
  // Task 0 reads first (the counter is 0), awaits behind every other read,
  // then writes 1: whatever the clock, that is its write.
  const write = t.events.find(([, task, , kind]) => task === 0 && kind === "incr");
  expect(write, "task 0 wrote the counter").toBeTruthy();
  await expect(page.getByTestId("timeline-summary")).toContainText("Event loop");
  const box = await page.getByTestId("timeline").boundingBox();
  const x = box.x + CHART.labels + ((write[0] - t.start) / (t.end - t.start)) * (box.width - CHART.labels);
  // Rows: main, then task 0.
  const taskZero = CHART.axis + CHART.title + CHART.row + CHART.row / 2;
  await page.mouse.move(x, box.y + taskZero);
  await expect(page.getByTestId("tooltip")).toContainText("task 0 wrote 1 to the counter");
  await page.mouse.move(box.x + 10, box.y + box.height + 40);
  await expect(page.getByTestId("tooltip")).toHaveCount(0);
  // A workload without increments has no such entry.
  await page.getByTestId("workload").fill("2*io(10ms)");
  await expect(page.getByTestId("workload-ok")).toBeVisible();
  await pressRun(page);
  await expect(page.getByTestId("legend-write")).toHaveCount(0);
});

test("the gather preset: the results table, the compare bars, and a tooltip per task", async ({ page }) => {
  await open(page);
  await page.getByTestId("preset").selectOption("gather");
  await pressRun(page);
  // Per task, hover over the sequential run's second task, in its long wait.
  const before = await drawn(page);
  await page.getByTestId("tl-by-task").check();
  // The tooltip reads the layout the chart last drew: hover once it has drawn by task.
  await expectRedrawn(page, before, "the chart redraws by task");
  const box = await page.getByTestId("timeline").boundingBox();
  const taskOne = CHART.axis + CHART.title + CHART.row + CHART.row / 2;
  await page.mouse.move(box.x + CHART.labels + (box.width - CHART.labels) * 0.6, box.y + taskOne);
  await expect(page.getByTestId("tooltip")).toContainText("task 1");
  await expect(page.getByTestId("tooltip")).toContainText("waiting");
  await page.mouse.move(box.x + 10, box.y + box.height + 40);
  await expect(page.getByTestId("tooltip")).toHaveCount(0);
  await expect(page.getByTestId("timeline-summary")).toContainText("Event loop");
  await page.locator("details.tl-table > summary").click();
  await expect(page.getByTestId("timeline-table").locator("tbody tr")).toHaveCount(2);

  await showTab(page, "compare");
  for (const m of ["seq", "loop"]) await expect(page.getByTestId("compare").locator(`rect[data-model="${m}"]`)).toHaveCount(1);
  const bars = await page.getByTestId("compare").locator("rect[data-model]").evaluateAll((rs) => rs.map((r) => [r.dataset.model, Number(r.dataset.value)]));
  const r = await results(page);
  for (const [m, v] of bars) expect(v, `${m}'s bar is its wall time`).toBeCloseTo(r[m].wall_ms, 2);
  expect(Object.keys(r)).toEqual(["seq", "loop"]);
  for (const m of ["seq", "loop"]) for (const name of ALWAYS) expect(r[m][name], `${m} ${name}`).not.toBeNull();
  expect(r.loop.lag_p99_ms, "the loop's lag is measured").not.toBeNull();
  const names = await page.locator("td[data-metric]").evaluateAll((tds) => tds.map((t) => t.dataset.metric));
  for (const n of names) expect(n).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/);
  expect(r.seq.checksum).toBe(0n);
});

test("a sweep over workers plots one point per value and model, measured and predicted", async ({ page }) => {
  test.setTimeout(90_000);
  await open(page);
  await setUp(page, { w: "8*cpu(2M)", models: ["loop", "pool", "js"] });
  await showTab(page, "sweep");
  await page.getByTestId("sweep-param").selectOption("workers");
  await page.getByTestId("sweep-values").fill("1,2,3");
  // Before it starts: how many runs, and how long they are predicted to take.
  await expect(page.getByTestId("sweep-estimate")).toContainText(/^9 real runs \(3 values × 3 models\): predicted (about|more than) \S+/);
  await page.getByTestId("sweep-run").click();
  await until(page, "done");
  const chart = page.getByTestId("sweep-chart");
  for (const m of ["loop", "pool", "js"]) {
    await expect(chart.locator(`circle[data-model="${m}"][data-value]`), `${m}: measured`).toHaveCount(3);
    await expect(chart.locator(`circle[data-model="${m}"][data-predicted]`), `${m}: predicted`).toHaveCount(3);
  }
  const xs = await chart.locator('circle[data-model="pool"][data-value]').evaluateAll((cs) => cs.map((c) => c.getAttribute("data-x")));
  expect(xs).toEqual(["1", "2", "3"]);
  for (const v of await chart.locator("circle[data-value]").evaluateAll((cs) => cs.map((c) => Number(c.dataset.value)))) expect(v).toBeGreaterThan(0);
  for (const v of await chart.locator("circle[data-predicted]").evaluateAll((cs) => cs.map((c) => Number(c.dataset.predicted)))) expect(v).toBeGreaterThan(0);
  // Every line is drawn in a colour of its own (a model without one drew none).
  const strokes = await chart.locator("polyline").evaluateAll((ls) => ls.map((l) => getComputedStyle(l).stroke));
  expect(strokes).toHaveLength(6);
  for (const s of strokes) expect(s).not.toBe("none");
  expect(new Set(strokes).size, "one colour per model").toBe(3);
  await page.getByTestId("sweep-values").fill("1,x");
  await expect(page.getByTestId("sweep-run")).toBeDisabled();
  // Values no run could take are refused with the reason, not run or clamped.
  await page.getByTestId("sweep-values").fill("1,999999");
  await expect(page.getByTestId("sweep-run")).toBeDisabled();
  await expect(page.locator(".sweep-panel .error")).toContainText("999999 workers");
  await page.getByTestId("sweep-param").selectOption("tasks");
  await page.getByTestId("sweep-values").fill("1,3M");
  await expect(page.getByTestId("sweep-run")).toBeDisabled();
  await expect(page.locator(".sweep-panel .error")).toContainText("tasks per group");
});

test("the Code tab shows each Python and JavaScript program of the workload as edited", async ({ page }) => {
  await open(page);
  await page.getByTestId("workload").fill("2*io(100ms)+1*cpu(1M)");
  await showTab(page, "code");
  const code = page.getByTestId("python-code");
  const expected = {
    "py-sequential": ["time.sleep(0.1)", "def main"],
    "py-asyncio": ["asyncio.gather", "await asyncio.sleep(0.1)"],
    "py-threading": ["ThreadPoolExecutor", "time.sleep(0.1)"],
    "py-multiprocessing": ["multiprocessing.Pool", "time.sleep(0.1)"],
    "js-js": ["Promise.all", "setTimeout"],
    "js-jsworker": ["new Worker(", "Promise.all"],
  };
  for (const [tab, texts] of Object.entries(expected)) {
    await page.getByTestId(tab).click();
    await expect(page.getByTestId(tab)).toHaveAttribute("aria-selected", "true");
    for (const t of texts) await expect(code, `${tab} has ${t}`).toContainText(t);
    // Threads and processes do not run in the browser's CPython: the page says so.
    await expect(page.getByTestId("pyodide-note")).toHaveCount(tab === "py-threading" || tab === "py-multiprocessing" ? 1 : 0);
  }
  await page.getByTestId("py-asyncio").click();
  await page.getByTestId("workload").fill("3*io(250ms)");
  await expect(code).toContainText("asyncio.sleep(0.25)");
  await page.getByTestId("code-copy").click();
  await expect(page.getByTestId("code-copy")).toBeEnabled();
});

test("history keeps the recent runs; Show brings one back", async ({ page }) => {
  await open(page);
  await run(page, { w: "4*io(50ms)", models: ["loop"] });
  const first = (await results(page)).loop.wall_ms;
  await run(page, { w: "4*io(50ms)", models: ["loop"], limit: 1 });
  const second = (await results(page)).loop.wall_ms;
  // With a limit of one the four waits follow each other: at least 200 ms.
  expect(second).toBeGreaterThanOrEqual(200);
  const items = page.getByTestId("history").locator("li");
  await expect(items).toHaveCount(2);
  await items.nth(1).getByRole("button", { name: "Show" }).click();
  expect((await results(page)).loop.wall_ms, "the older run is shown").toBe(first);
  await items.nth(0).getByRole("button", { name: "Show" }).click();
  expect((await results(page)).loop.wall_ms, "the newer run is shown").toBe(second);
});

test("the theme follows the menu and the link", async ({ page }) => {
  await open(page);
  for (const theme of ["dark", "light"]) {
    await page.getByTestId("theme").selectOption(theme);
    await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
    await expect.poll(() => page.url()).toContain(`theme=${theme}`);
  }
  await page.getByTestId("theme").selectOption("auto");
  await expect(page.locator("html")).not.toHaveAttribute("data-theme", /./);
  await expect.poll(() => page.url()).not.toContain("theme=");
});
