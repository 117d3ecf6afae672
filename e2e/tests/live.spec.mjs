// The chart is alive: before a run it draws the prediction of the scenario
// as edited (and redraws at every edit), during a run it grows, after it
// shows the measurement.
import { test, expect } from "@playwright/test";
import { open, setUp, pressRun, until, drawn, expectRedrawn, onlyIn } from "./helpers.mjs";

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
        window.__live.push({ drawn: Number(canvas.dataset.drawn), what: document.querySelector("[data-testid=timeline-what]").textContent });
      }
    }).observe(canvas, { attributes: true, attributeFilter: ["data-drawn"] });
  });
  await page.getByTestId("run").click();
  await until(page, "done");
  const live = await page.evaluate(() => window.__live);
  const values = new Set(live.map((l) => l.drawn));
  expect(values.size, `redraws while running: ${JSON.stringify(live)}`).toBeGreaterThanOrEqual(2);
  expect(live.some((l) => l.what.startsWith("Live")), "the caption said Live during the run").toBe(true);
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
