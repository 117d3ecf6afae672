// The first vertical slice: the page loads, the worker pool starts and
// answers, a Σi² job runs with its exact result on screen, and a workload
// with an error says where.
import { test, expect } from "@playwright/test";
import { open, run, pressRun, results, sumSquares, onlyIn } from "./helpers.mjs";

test("the pool starts one worker per core and says whether the page is cross-origin isolated", async ({ page }, info) => {
  await open(page);
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "idle");
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const status = page.getByTestId("pool-status");
  await expect(status).toHaveAttribute("data-workers", String(cores));
  await expect(status).toContainText(`${cores} workers ready`);
  const isolated = info.project.name === "isolated";
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(isolated);
  await expect(status).toContainText(isolated ? "Cross-origin isolated" : "Not cross-origin isolated");
  // Every model is listed and none is disabled: without isolation the GIL goes by messages.
  for (const m of ["seq", "loop", "pool", "hybrid", "gil", "free", "js", "jsworker", "py", "pyasync"]) {
    await expect(page.getByTestId(`model-${m}`)).toBeEnabled();
  }
  await expect(page.getByTestId("enable-isolation")).toHaveCount(isolated ? 0 : 1);
});

test("a link that asks for another number of workers than cores starts that many with the page, and its first run keeps them", async ({ page }) => {
  // Started at one per core, the pool was restarted at the first Run: the
  // run paid the start-up, and the start-up probes lost the pool they measured.
  // (Read on the blank page the test starts on: no need to load the app twice.)
  const workers = (await page.evaluate(() => navigator.hardwareConcurrency)) + 1;
  await open(page, `./?v=1&w=${workers}*cpu(2M)&models=gil,free&workers=${workers}`);
  const status = page.getByTestId("pool-status");
  await expect(status).toHaveAttribute("data-workers", String(workers));
  const before = await status.textContent();
  await pressRun(page);
  const r = await results(page);
  for (const m of ["gil", "free"]) expect(r[m].checksum, m).toBe(BigInt(workers) * sumSquares(2_000_000));
  // The same pool: its measured start-up is the one the page showed before.
  await expect(status).toHaveText(before);
});

test("Σi² runs exactly on every model of our own, small and large", async ({ page }) => {
  await open(page);
  for (const [text, n] of [["1000", 1000], ["10M", 10_000_000]]) {
    await run(page, { w: `1*cpu(${text})`, models: ["seq", "loop", "pool", "hybrid", "gil", "free"], workers: 2 });
    const r = await results(page);
    for (const m of ["seq", "loop", "pool", "hybrid", "gil", "free"]) {
      expect(r[m].checksum, `${m}: Σi² for i < ${text}`).toBe(sumSquares(n));
      expect(r[m].failed_tasks, `${m}: failed tasks`).toBe(0);
    }
    // Ten million squares are real work, on the lanes that did it.
    if (n === 10_000_000) for (const m of ["seq", "loop", "pool"]) expect(r[m].busy_ms, `${m}: busy`).toBeGreaterThan(0);
  }
});

test("an invalid workload shows the error and where; Run waits; the last results stay", async ({ page }) => {
  onlyIn("isolated");
  await open(page);
  await run(page, { w: "2*io(50ms)", models: ["loop"] });
  const wall = (await results(page)).loop.wall_ms;
  await page.getByTestId("workload").fill("2*cpuu(1M)");
  const err = page.getByTestId("workload-error");
  await expect(err).toContainText('unknown phase "cpuu"');
  await expect(err).toContainText("character 3");
  await expect(err.locator("pre.caret")).toContainText("^");
  await expect(page.getByTestId("workload")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByTestId("run")).toBeDisabled();
  expect((await results(page)).loop.wall_ms, "the last run's results stay").toBe(wall);
  await page.getByTestId("workload").fill("2*cpu(1.5k)");
  await expect(page.getByTestId("workload-ok")).toContainText("2 tasks");
  await expect(page.getByTestId("run")).toBeEnabled();
  // A bad knob is named too.
  await page.getByTestId("workers").fill("0");
  await expect(page.getByTestId("knob-error")).toContainText("Workers");
  await expect(page.getByTestId("run")).toBeDisabled();
});
