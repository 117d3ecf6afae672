// Accessibility with axe-core: after a run, in light and dark, no violation
// of impact serious or critical on the workbench, the Results tab, the
// inspector (with a playhead) and the embeds. Nothing is excluded: what axe
// finds is what a reader of the page meets.
import { test, expect } from "@playwright/test";
import { open, pressRun, until, showTab, seriousA11yViolations, onlyIn } from "./helpers.mjs";

test.beforeEach(() => onlyIn("isolated"));

const THEMES = ["light", "dark"];
const SCENARIO = "w=2*[io(50ms),cpu(1M)]+1*block(20ms)&models=seq,loop,pool,hybrid&workers=2";

for (const theme of THEMES) {
  test(`the workbench after a run, ${theme}`, async ({ page }) => {
    await open(page, `./?${SCENARIO}&theme=${theme}`);
    await expect(page.locator("html")).toHaveAttribute("data-theme", theme);
    await pressRun(page);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  test(`the Results tab, ${theme}`, async ({ page }) => {
    await open(page, `./?${SCENARIO}&theme=${theme}`);
    await pressRun(page);
    await showTab(page, "results");
    await expect(page.getByTestId("results")).toBeVisible();
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  test(`the inspector with a playhead, ${theme}`, async ({ page }) => {
    await open(page, `./?preset=convoy&autorun=1&at=30ms&theme=${theme}`);
    await until(page, "done");
    await expect(page.getByTestId("inspector-lanes")).toBeVisible();
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  test(`embeds (timeline with inspector, compare), ${theme}`, async ({ page }) => {
    await page.setViewportSize({ width: 600, height: 400 });
    await open(page, `./?preset=gather&models=loop&embed=1&view=timeline&autorun=1&at=500ms&theme=${theme}`);
    await until(page, "done");
    await expect(page.getByTestId("inspector-lanes")).toBeVisible();
    const timeline = await seriousA11yViolations(page);
    await open(page, `./?w=4*cpu(1M)&models=loop,pool&embed=1&view=compare&autorun=1&theme=${theme}`);
    await until(page, "done");
    const compare = await seriousA11yViolations(page);
    expect({ timeline, compare }).toEqual({ timeline: [], compare: [] });
  });
}
