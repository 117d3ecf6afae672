// The workbench's layout (issue "the timing chart is the page"): the editor
// beside a large timeline in one 1280×800 view, nothing sticking out sideways
// on a narrow window or a phone, and compact embeds.
import { test, expect } from "@playwright/test";
import { open, pressRun, expectInViewport, expectNoSidewaysOverflow, CHART } from "./helpers.mjs";

test("at 1280×800, after running the gather preset, the workload and a large timeline share the view", async ({ page }) => {
  await open(page);
  await page.getByTestId("preset").selectOption("gather");
  await expect(page.getByTestId("workload")).toHaveValue("1*io(1s)+1*io(2s)");
  await pressRun(page);
  expect(await page.evaluate(() => window.scrollY), "no scrolling happened").toBe(0);
  await expectInViewport(page, page.getByTestId("workload"), "the workload field");
  const chart = await expectInViewport(page, page.getByTestId("timeline"), "the timeline canvas");
  expect(chart.width, "the canvas's width").toBeGreaterThanOrEqual(700);
  expect(chart.height, "the canvas's height").toBeGreaterThanOrEqual(240);
  await expectNoSidewaysOverflow(page);
});

test("at 600 px wide nothing overflows sideways, in any tab", async ({ page }) => {
  await page.setViewportSize({ width: 600, height: 800 });
  await open(page, "./?preset=sumsq20&w=4*cpu(1M)");
  await expectNoSidewaysOverflow(page);
  await pressRun(page);
  for (const tab of ["timeline", "compare", "results", "sweep", "code", "gallery"]) {
    await page.getByTestId(`tab-${tab}`).click();
    await expect(page.getByTestId(`tab-${tab}`)).toHaveAttribute("aria-selected", "true");
    await expectNoSidewaysOverflow(page);
  }
});

test.describe("on a phone (390×844, touch)", () => {
  test.use({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });

  test("nothing overflows sideways, Run and Cancel stay visible, a tap inspects the chart", async ({ page }) => {
    await open(page, "./?preset=gather&models=loop");
    await expectNoSidewaysOverflow(page);
    await expectInViewport(page, page.getByTestId("run"), "Run");
    await expectInViewport(page, page.getByTestId("cancel"), "Cancel");
    await pressRun(page);
    await expectNoSidewaysOverflow(page);
    await expectInViewport(page, page.getByTestId("run"), "Run after a run");
    // A tap on task 1's long wait shows its details and puts the playhead there.
    const canvas = page.getByTestId("timeline");
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    const taskOneRow = CHART.axis + CHART.title + CHART.row /* main */ + CHART.row /* task 0 */ + CHART.row / 2;
    const x = CHART.labels + (box.width - CHART.labels) * 0.7;
    await page.touchscreen.tap(box.x + x, box.y + taskOneRow);
    await expect(page.getByTestId("tooltip")).toContainText("task 1");
    await expect(page.getByTestId("inspector")).toHaveAttribute("data-at-ms", /^\d+(\.\d+)?$/);
  });

  test("the Share menu opens inside the screen, and its buttons work", async ({ page }) => {
    await open(page, "./?preset=gather&models=loop");
    await page.getByTestId("share").click();
    await expectInViewport(page, page.getByTestId("copy-link"), "Copy link");
    await expectInViewport(page, page.getByTestId("copy-markdown"), "Copy Markdown");
    await page.getByTestId("copy-link").click();
    await expect(page.getByTestId("share-output")).toHaveValue(/preset|w=/);
    await expectInViewport(page, page.getByTestId("share-output"), "the copied text");
  });

  test("the results table shows one model's values beside the metric names", async ({ page }) => {
    await open(page, "./?preset=gather&models=loop");
    await pressRun(page);
    await page.getByTestId("tab-results").click();
    const cell = page.locator('td[data-model="loop"][data-metric="wall_ms"]');
    // Scrolled to vertically only: sideways it must be in view as laid out.
    await cell.evaluate((e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 200));
    await expectInViewport(page, cell, "the loop's wall time");
    await expectNoSidewaysOverflow(page);
  });
});

/** `inner`'s box lies inside `outer`'s, sideways (half a pixel of rounding). */
async function expectInsideSideways(inner, outer, what) {
  const [i, o] = [await inner.boundingBox(), await outer.boundingBox()];
  expect(i.x, `${what}: left edge`).toBeGreaterThanOrEqual(o.x - 0.5);
  expect(i.x + i.width, `${what}: right edge`).toBeLessThanOrEqual(o.x + o.width + 0.5);
}

test.describe("a long workload, at 1280×800 and on a phone", () => {
  for (const [w, h] of [[1280, 800], [390, 844]]) {
    test(`${w}×${h}: the field and its summary stay inside the editor column`, async ({ page }) => {
      await page.setViewportSize({ width: w, height: h });
      await open(page, "./?preset=convoy");
      await page.getByTestId("workload").fill("2*[io(100ms),cpu(100k)]+1*block(50ms)+10*incr(await=1ms)+3*[io(20ms),cpu(3M)]");
      await expect(page.getByTestId("workload-ok")).toContainText("tasks");
      const column = page.locator(".field").filter({ has: page.getByTestId("workload") });
      await expectInsideSideways(page.getByTestId("workload"), column, "the workload field");
      await expectInsideSideways(page.getByTestId("workload-ok"), column, "its summary");
      await expectNoSidewaysOverflow(page);
    });
  }
});

test.describe("embeds at 600×400", () => {
  test.use({ viewport: { width: 600, height: 400 } });

  test("view=timeline shows the whole canvas under at most one bar", async ({ page }) => {
    await open(page, "./?preset=gather&embed=1&view=timeline");
    await expect(page.locator("header")).toHaveCount(0);
    await expect(page.getByTestId("workload")).toHaveCount(0);
    await expect(page.getByTestId("inspector"), "no inspector without at=").toHaveCount(0);
    const canvas = await expectInViewport(page, page.getByTestId("timeline"), "the timeline canvas");
    // Count the bars (boxes as wide as the page) that sit above the canvas.
    const bars = await page.evaluate((top) => {
      const main = document.querySelector("main");
      return [...document.body.children].filter((e) => e !== main && !e.contains(main) && e.getBoundingClientRect().height > 0 && e.getBoundingClientRect().bottom <= top).length;
    }, canvas.y);
    expect(bars, "bars above the chart").toBeLessThanOrEqual(1);
    await expectNoSidewaysOverflow(page);
  });

  test("view=compare does not overflow sideways after a run", async ({ page }) => {
    await open(page, "./?preset=sumsq20&w=8*cpu(1M)&embed=1&view=compare&autorun=1");
    await expect(page.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 60_000 });
    await expect(page.getByTestId("compare")).toBeVisible();
    await expectNoSidewaysOverflow(page);
  });
});
