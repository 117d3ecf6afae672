// The first vertical slice, driven as a person would: the page loads, the
// worker pool starts, a Σi² job runs on a worker and its exact result appears.
import { test, expect } from "@playwright/test";
import { mkdirSync } from "node:fs";

const SHOTS = new URL("../screenshots/", import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

// Σ i² for i < n, computed here independently with BigInt.
const sumSquares = (n) => {
  const b = BigInt(n);
  return ((b - 1n) * b * (2n * b - 1n)) / 6n;
};

test.beforeEach(async ({ page }) => {
  page.on("pageerror", (e) => console.log(`pageerror: ${e.message}`));
});

test("the pool starts one worker per core and answers", async ({ page }, info) => {
  await page.goto("./");
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "idle");
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const status = page.getByTestId("pool-status");
  await expect(status).toHaveAttribute("data-workers", String(cores));
  await expect(status).toContainText(`${cores} workers ready`);
  const isolated = info.project.name === "isolated";
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(isolated);
  await expect(status).toContainText(isolated ? "Cross-origin isolated" : "Not cross-origin isolated");
});

test("a Σi² job runs on a worker and shows the exact sum and its duration", async ({ page }) => {
  await page.goto("./");
  await expect(page.getByTestId("run")).toBeEnabled();
  for (const n of [1000, 10_000_000]) {
    await page.getByTestId("n").fill(n === 1000 ? "1000" : "10M");
    await page.getByTestId("run").click();
    await expect(page.locator("body")).toHaveAttribute("data-run-state", "done");
    const sum = page.getByTestId("sum");
    await expect(sum).toHaveAttribute("data-value", sumSquares(n).toString());
    await expect(page.getByTestId("lane")).toContainText("worker");
    const ms = Number(await page.getByTestId("compute-ms").getAttribute("data-value"));
    expect(ms).toBeGreaterThanOrEqual(0);
    if (n === 10_000_000) expect(ms).toBeGreaterThan(0.5); // ten million multiplications are not free
  }
});

test("an invalid n shows an error under the field and disables Run", async ({ page }) => {
  await page.goto("./");
  await page.getByTestId("n").fill("12x");
  await expect(page.locator("#n-help")).toContainText('unknown suffix "x"');
  await expect(page.getByTestId("run")).toBeDisabled();
  await page.getByTestId("n").fill("1.5k");
  await expect(page.getByTestId("run")).toBeEnabled();
});

test("screenshots: light and dark, 1280×800 and 600×400", async ({ page }, info) => {
  for (const scheme of ["light", "dark"]) {
    for (const [w, h] of [[1280, 800], [600, 400]]) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: w, height: h });
      await page.goto("./");
      await page.getByTestId("n").fill("1M");
      await expect(page.getByTestId("run")).toBeEnabled();
      await page.getByTestId("run").click();
      await expect(page.getByTestId("sum")).toBeVisible();
      await page.screenshot({ path: `${SHOTS}${info.project.name}-home-${scheme}-${w}x${h}.png` });
    }
  }
});
