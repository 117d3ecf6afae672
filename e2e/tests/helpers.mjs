// Shared steps for the end-to-end tests, written as a person would act.
import { expect } from "@playwright/test";

export const MODELS = ["seq", "loop", "pool", "hybrid", "gil", "free"];

/** Σ i² for i < n, computed independently with BigInt. */
export const sumSquares = (n) => {
  const b = BigInt(n);
  return b === 0n ? 0n : ((b - 1n) * b * (2n * b - 1n)) / 6n;
};

/** Opens the page and waits for the pool to be ready. */
export async function open(page, path = "./") {
  page.on("pageerror", (e) => console.log(`pageerror: ${e.message}`));
  await page.goto(path);
  await expect(page.getByTestId("pool-status")).toHaveAttribute("data-workers", /\d+/);
}

/** Types a workload, picks models (and knobs), and presses Run. */
export async function setUp(page, { w, models, workers, limit }) {
  await page.getByTestId("workload").fill(w);
  for (const m of MODELS) {
    const box = page.getByTestId(`model-${m}`);
    if (await box.isDisabled()) continue;
    await box.setChecked(models.includes(m));
  }
  if (workers !== undefined) await page.getByTestId("workers").fill(String(workers));
  if (limit !== undefined) await page.getByTestId("limit").fill(String(limit));
}

export async function run(page, opts, { until = "done", timeout = 60_000 } = {}) {
  await setUp(page, opts);
  await page.getByTestId("run").click();
  await expect(page.locator("body")).toHaveAttribute("data-run-state", until, { timeout });
}

/** A metric cell's plain value. */
export async function metric(page, model, name) {
  const cell = page.locator(`td[data-model="${model}"][data-metric="${name}"]`);
  const v = await cell.getAttribute("data-value");
  return v === null ? null : Number(v);
}

/** The last run's traces (see `last_traces_json`). */
export async function traces(page) {
  return JSON.parse(await page.evaluate(() => window.wasmBindings.last_traces_json()));
}
