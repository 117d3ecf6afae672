// The first vertical slice: the page loads, the worker pool starts and
// answers, and a Σi² job runs on a worker with its exact result on screen.
import { test, expect } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { open, run, metric, sumSquares } from "./helpers.mjs";

const SHOTS = new URL("../screenshots/", import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

test("the pool starts one worker per core and answers", async ({ page }, info) => {
  await open(page);
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
  await open(page);
  for (const [text, n] of [["1000", 1000], ["10M", 10_000_000]]) {
    await run(page, { w: `1*cpu(${text})`, models: ["pool"] });
    const cell = page.locator('td[data-model="pool"][data-metric="checksum"]');
    await expect(cell).toHaveAttribute("data-value", sumSquares(n).toString());
    const busy = await metric(page, "pool", "busy_ms");
    if (n === 10_000_000) expect(busy).toBeGreaterThan(0.5); // ten million squares are not free
  }
});

test("an invalid workload shows an error under the field; the last results stay", async ({ page }) => {
  await open(page);
  await run(page, { w: "2*io(50ms)", models: ["loop"] });
  await page.getByTestId("workload").fill("2*cpuu(1M)");
  const err = page.getByTestId("workload-error");
  await expect(err).toContainText('unknown phase "cpuu"');
  await expect(err).toContainText("character 3");
  await expect(page.getByTestId("run")).toBeDisabled();
  expect(await metric(page, "loop", "wall_ms")).toBeGreaterThanOrEqual(50);
  await page.getByTestId("workload").fill("2*cpu(1.5k)");
  await expect(page.getByTestId("run")).toBeEnabled();
});

test("screenshots: light and dark, 1280×800 and 600×400", async ({ page }, info) => {
  for (const scheme of ["light", "dark"]) {
    for (const [w, h] of [[1280, 800], [600, 400]]) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize({ width: w, height: h });
      await open(page);
      await run(page, { w: "4*[io(100ms),cpu(2M)]", models: ["seq", "loop", "pool", "hybrid"] });
      await page.screenshot({ path: `${SHOTS}${info.project.name}-home-${scheme}-${w}x${h}.png`, fullPage: w > 1000 });
    }
  }
});
