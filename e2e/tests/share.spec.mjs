// Links, embeds and exports: a tutorial author writes a link by hand, a
// reader opens it a year later, an iframe shows it inside someone else's page.
import { test, expect } from "@playwright/test";
import { readFileSync } from "node:fs";
import { open, run, setUp, traces } from "./helpers.mjs";

test("copy the link after editing, open it in a fresh page, get the same scenario", async ({ page, browser }, info) => {
  await open(page);
  await setUp(page, { w: "3*[io(20ms),cpu(1M)]+1*block(5ms)", models: ["loop", "hybrid"], workers: 1, limit: 2 });
  await page.getByTestId("seed").fill("7");
  await page.getByTestId("copy-link").click();
  const link = await page.getByTestId("share-output").inputValue();
  expect(link).toContain("v=1");
  expect(link).toContain("w=3*[io(20ms),cpu(1M)]+1*block(5ms)");
  // The address bar follows the editor too.
  expect(decodeURIComponent(page.url())).toContain("models=loop,hybrid");
  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await open(other, link);
  await expect(other.getByTestId("workload")).toHaveValue("3*[io(20ms),cpu(1M)]+1*block(5ms)");
  await expect(other.getByTestId("model-loop")).toBeChecked();
  await expect(other.getByTestId("model-hybrid")).toBeChecked();
  await expect(other.getByTestId("model-seq")).not.toBeChecked();
  await expect(other.getByTestId("workers")).toHaveValue("1");
  await expect(other.getByTestId("limit")).toHaveValue("2");
  await expect(other.getByTestId("seed")).toHaveValue("7");
  await expect(other.getByTestId("link-errors")).toHaveCount(0);
  await page.getByTestId("copy-iframe").click();
  expect(await page.getByTestId("share-output").inputValue()).toMatch(/^<iframe src=".*embed=1/);
  await page.getByTestId("copy-markdown").click();
  expect(await page.getByTestId("share-output").inputValue()).toMatch(/^\[No-GIL Playground\]\(http/);
  await fresh.close();
});

test("a link with garbage in every field shows errors, not a blank page", async ({ page }) => {
  await open(page, "./?v=9&w=2*cpuu(1)&models=seq,zzz&workers=0&limit=x&switch=q&seed=y&embed=maybe&view=3d&theme=pink&autorun=7&readonly=%25&preset=nope&junk=1");
  const errors = page.getByTestId("link-errors");
  for (const field of ["v", "w", "models", "workers", "limit", "switch", "seed", "embed", "view", "theme", "autorun", "readonly", "preset"]) {
    await expect(errors.locator("code", { hasText: new RegExp(`^${field}$`) })).toHaveCount(1);
  }
  await expect(errors).toContainText("junk");
  // The rest still loaded: the typed workload is kept (with its error), and the page works.
  await expect(page.getByTestId("workload")).toHaveValue("2*cpuu(1)");
  await expect(page.getByTestId("workload-error")).toContainText('unknown phase "cpuu"');
  await expect(page.getByTestId("model-seq")).toBeChecked();
  await run(page, { w: "2*io(10ms)", models: ["loop"] });
});

test("the example tutorial page embeds two playgrounds from another origin; Run works inside one", async ({ page }) => {
  await page.goto("http://127.0.0.1:8183/tutorial.html?base=http://127.0.0.1:8182/");
  const frame = page.frameLocator("#gather");
  await expect(frame.locator("body")).toHaveClass(/embed/);
  await expect(frame.getByTestId("workload")).toHaveCount(0); // view=compare: run bar and results only
  await frame.getByTestId("run").click();
  await expect(frame.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 30_000 });
  const loop = Number(await frame.locator('td[data-model="loop"][data-metric="wall_ms"]').getAttribute("data-value"));
  expect(loop).toBeGreaterThanOrEqual(2000);
  expect(loop).toBeLessThan(2600);
  // The iframe sized itself from the height the playground posted.
  await expect.poll(async () => page.locator("#gather").evaluate((f) => f.style.height)).not.toBe("");
  await expect(page.frameLocator("#sumsq").getByTestId("open-full")).toHaveAttribute("href", /w=8\*cpu\(5M\)/);
  const href = await page.frameLocator("#sumsq").getByTestId("open-full").getAttribute("href");
  expect(href).not.toContain("embed=1");
});

test("embed=1&autorun=1&readonly=1 runs by itself in a compact, read-only page", async ({ page }) => {
  await open(page, "./?preset=gather&embed=1&autorun=1&readonly=1&theme=dark");
  await expect(page.locator("body")).toHaveClass(/embed/);
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect(page.getByTestId("workload")).toHaveAttribute("readonly", "");
  await expect(page.getByTestId("preset-gather")).toHaveCount(0);
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 30_000 });
  await expect(page.getByTestId("timeline")).toBeVisible();
});

test("exports: the trace parses as JSON with one event per span; JSON and CSV agree", async ({ page }) => {
  await open(page);
  await run(page, { w: "4*[io(20ms),cpu(500k)]", models: ["loop", "pool"], workers: 2 });
  const spans = (await traces(page)).reduce((n, t) => n + t.spans.length, 0);
  const save = async (id) => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId(id).click()]);
    return readFileSync(await download.path(), "utf8");
  };
  const trace = JSON.parse(await save("export-trace"));
  expect(trace.traceEvents.filter((e) => e.ph === "X").length).toBe(spans);
  const csv = (await save("export-csv")).trim().split("\n");
  expect(csv[0]).toBe("model,task,lane,phase,kind,state,start_us,end_us,duration_us");
  expect(csv.length - 1).toBe(spans);
  const results = JSON.parse(await save("export-json"));
  expect(results.models.map((m) => m.model)).toEqual(["loop", "pool"]);
  const cell = Number(await page.locator('td[data-model="loop"][data-metric="wall_ms"]').getAttribute("data-value"));
  expect(results.models[0].wall_ms).toBeCloseTo(cell, 2);
  expect(results.scenario).toContain("w=4*[io(20ms),cpu(500k)]");
  const [png] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-png").click()]);
  expect(png.suggestedFilename()).toBe("nogil-timeline.png");
});

test("dist/ works under a sub-path of a static host", async ({ page }) => {
  await open(page, "http://127.0.0.1:8184/playground/?w=2*cpu(1000)&models=pool");
  await page.getByTestId("run").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", "done");
  await expect(page.locator('td[data-model="pool"][data-metric="checksum"]')).toHaveAttribute("data-value", "665667000");
});

test("screenshots: an embed at 600×400 and a broken link", async ({ page }, info) => {
  const SHOTS = new URL("../screenshots/", import.meta.url).pathname;
  for (const theme of ["light", "dark"]) {
    await page.setViewportSize({ width: 600, height: 400 });
    await open(page, `./?preset=sumsq20&models=loop,pool&embed=1&autorun=1&view=compare&theme=${theme}`);
    await expect(page.locator("body")).toHaveAttribute("data-run-state", "done", { timeout: 60_000 });
    await page.screenshot({ path: `${SHOTS}${info.project.name}-embed-${theme}-600x400.png` });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await open(page, "./?w=2*cpuu(1)&workers=zero&colour=red");
  await page.screenshot({ path: `${SHOTS}${info.project.name}-broken-link-1280x800.png` });
});
