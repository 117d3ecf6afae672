// Screenshots of the main views, light and dark, into e2e/screenshots/
// (gitignored): the workbench at 1280×800 after the gather preset, the
// embeds at 600×400, a phone at 390×844. The light workbench from the
// isolated project is also docs/workbench.png, the README's picture.
import { test, expect } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { open, pressRun, until, SHOTS, CHART } from "./helpers.mjs";

const DOCS = new URL("../../docs/", import.meta.url).pathname;
const THEMES = ["light", "dark"];

for (const theme of THEMES) {
  test(`the workbench after the gather preset, 1280×800, ${theme}`, async ({ page }, info) => {
    await open(page, "./?preset=gather");
    await page.getByTestId("theme").selectOption(theme);
    await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
    await pressRun(page);
    // The playhead at 1.5 s: one task done, one still waiting.
    const box = await page.getByTestId("timeline").boundingBox();
    await page.mouse.click(box.x + CHART.labels + (box.width - CHART.labels) * 0.5, box.y + CHART.axis + CHART.title + CHART.row / 2);
    await expect(page.getByTestId("inspector-at")).toBeVisible();
    await page.mouse.move(0, 0);
    const path = `${SHOTS}${info.project.name}-workbench-${theme}-1280x800.png`;
    await page.screenshot({ path });
    if (theme === "light" && info.project.name === "isolated") {
      mkdirSync(DOCS, { recursive: true });
      await page.screenshot({ path: `${DOCS}workbench.png` });
    }
  });

  test(`embeds at 600×400 (timeline, compare), ${theme}`, async ({ page }, info) => {
    await page.setViewportSize({ width: 600, height: 400 });
    await open(page, `./?preset=gather&models=loop&embed=1&view=timeline&autorun=1&theme=${theme}`);
    await until(page, "done");
    await page.screenshot({ path: `${SHOTS}${info.project.name}-embed-timeline-${theme}-600x400.png` });
    await open(page, `./?preset=sumsq20&w=8*cpu(2M)&embed=1&view=compare&autorun=1&theme=${theme}`);
    await until(page, "done");
    await page.screenshot({ path: `${SHOTS}${info.project.name}-embed-compare-${theme}-600x400.png` });
  });

  test(`a phone, 390×844, ${theme}`, async ({ browser }, info) => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, baseURL: info.project.use.baseURL });
    const page = await context.newPage();
    await open(page, `./?preset=gather&models=loop&theme=${theme}`);
    await pressRun(page);
    await page.screenshot({ path: `${SHOTS}${info.project.name}-phone-${theme}-390x844.png` });
    await page.getByTestId("timeline").scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}${info.project.name}-phone-timeline-${theme}-390x844.png` });
    await context.close();
  });
}
