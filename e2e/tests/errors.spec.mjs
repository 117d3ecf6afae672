// No uncaught error and no wasm panic while a person uses the page: a panic
// leaves the wasm instance broken (every later call fails), so the page
// only looks alive.
import { test, expect } from "@playwright/test";
import { open, pressRun, showTab, watchErrors, onlyIn } from "./helpers.mjs";

test("moving between the tabs raises no uncaught error", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?w=2*io(20ms)&models=loop");
  await pressRun(page);
  for (const tab of ["compare", "results", "sweep", "code", "gallery", "timeline", "results", "timeline"]) await showTab(page, tab);
  await page.setViewportSize({ width: 1000, height: 800 });
  await page.waitForTimeout(300);
  expect(watchErrors(page)).toEqual([]);
});

test("runs of every model of our own, drawn live one after another, raise no wasm panic", async ({ page }) => {
  await open(page, "./?w=4*[io(30ms),cpu(4M)]&models=seq,loop,pool,hybrid,gil,free&workers=2");
  for (let i = 0; i < 4; i++) {
    await pressRun(page);
    expect(watchErrors(page), `after run ${i + 1}`).toEqual([]);
  }
});

test("CPython that cannot load fails the run with a message; nothing waits forever", async ({ page }) => {
  test.setTimeout(120_000);
  // CPython's wasm is missing: Pyodide's own loader fails inside its worker.
  await page.context().route("**/pyodide/pyodide.asm.wasm", (r) => r.fulfill({ status: 404, body: "" }));
  await open(page, "./?w=2*cpu(1k)&models=py,loop");
  await page.getByTestId("run").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "failed", { timeout: 90_000 });
  await expect(page.getByTestId("run-error")).toContainText("CPython");
  // The page still works: the loop runs.
  await page.getByTestId("model-py").uncheck();
  await page.getByTestId("run").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 60_000 });
});
