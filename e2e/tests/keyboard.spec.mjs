// The page without a mouse: Tab reaches every control, each shows where the
// focus is, and the timeline answers its keys.
import { test, expect } from "@playwright/test";
import { open, pressRun, drawn, expectRedrawn, onlyIn } from "./helpers.mjs";

test.beforeEach(() => onlyIn("isolated"));

/** Marks every visible, enabled control of the page; returns how many. */
async function markControls(page) {
  return page.evaluate(() => {
    const all = [...document.querySelectorAll('button, input, select, textarea, summary, a[href], [tabindex="0"]')];
    window.__controls = all.filter((e) => !e.disabled && e.checkVisibility({ visibilityProperty: true }));
    window.__reached = new Set();
    return window.__controls.length;
  });
}

/** What has the focus: its index among the marked controls, a name, and whether the focus shows. */
async function focused(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    const i = window.__controls.indexOf(e);
    if (i >= 0) window.__reached.add(i);
    const s = getComputedStyle(e);
    const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
    const name = e.dataset.testid || e.id || `${e.tagName.toLowerCase()}${e.type ? `[${e.type}]` : ""} "${(e.textContent || "").trim().slice(0, 30)}"`;
    return { index: i, name, ring, body: e === document.body };
  });
}

test("Tab from the workload field reaches Run, the chart, the inspector and every other control, each with a visible focus", async ({ page }) => {
  await open(page, "./?w=2*io(50ms)&models=loop,pool&workers=2");
  await pressRun(page);
  // Open every disclosure (share, sizes, costs, the chart as a table): their controls count too.
  const closed = page.locator("details:not([open]) > summary");
  while ((await closed.count()) > 0) await closed.first().click();
  const controls = await markControls(page);
  await page.getByTestId("workload").focus();
  const order = [];
  const noRing = [];
  const seen = new Set();
  for (let i = 0; i < controls + 20; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (f.body) break; // past the last control
    if (f.index >= 0) {
      if (seen.has(f.index)) break; // round again
      seen.add(f.index);
    }
    order.push(f.name);
    if (!f.ring) noRing.push(f.name);
  }
  // Shift+Tab from the workload reaches what lies before it (the header, the preset menu).
  await page.getByTestId("workload").focus();
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Shift+Tab");
    const f = await focused(page);
    if (f.body) break;
    if (!f.ring) noRing.push(f.name);
  }
  console.log(`tab order: ${order.join(" → ")}`);
  const at = (id) => order.indexOf(id);
  expect(at("run"), "Tab from the workload reaches Run").toBeGreaterThan(-1);
  expect(at("timeline"), "the canvas takes the focus").toBeGreaterThan(at("run"));
  expect(at("inspector"), "the inspector takes the focus").toBeGreaterThan(at("timeline"));
  expect(noRing, "controls whose focus does not show").toEqual([]);
  const missed = await page.evaluate(() =>
    window.__controls
      .filter((_, i) => !window.__reached.has(i) && window.__controls[i] !== document.querySelector("[data-testid=workload]"))
      .map((e) => e.dataset.testid || e.id || e.outerHTML.slice(0, 80)),
  );
  expect(missed, "controls Tab never reached").toEqual([]);
});

test("the timeline's keys zoom, pan and reset the chart", async ({ page }) => {
  await open(page, "./?preset=gather&models=loop&autorun=1");
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "done");
  const canvas = page.getByTestId("timeline");
  await canvas.focus();
  await expect(canvas).toBeFocused();
  for (const key of ["+", "ArrowRight", "ArrowLeft", "-", "+", "0"]) {
    const before = await drawn(page);
    await page.keyboard.press(key);
    await expectRedrawn(page, before, `the ${key} key redraws the chart`);
  }
  // The buttons do the same.
  for (const id of ["tl-zoom-in", "tl-zoom-out", "tl-reset"]) {
    const before = await drawn(page);
    await page.getByTestId(id).click();
    await expectRedrawn(page, before, `${id} redraws the chart`);
  }
});
