// Shared steps for the end-to-end tests, written as a person would act, and
// the trace arithmetic the tests assert with. Nothing here compares a wall
// time with a threshold: tests check shapes (overlaps, order, counts, exact
// checksums, states), which hold on a loaded 2-core machine too.
import { expect, test } from "@playwright/test";
import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";

export { ISOLATED, PLAIN, EXAMPLES, SUBPATH } from "../ports.mjs";

/** The models of our own; js, jsworker, py and pyasync are not tested yet. */
export const MODELS = ["seq", "loop", "pool", "hybrid", "gil", "free"];
/** Every model the editor lists. */
export const ALL_MODELS = [...MODELS, "js", "jsworker", "py", "pyasync"];

/** Where screenshots go (gitignored). */
export const SHOTS = new URL("../screenshots/", import.meta.url).pathname;
mkdirSync(SHOTS, { recursive: true });

/** Lane and task numbers that mean "none" in `last_traces_json`. */
export const NO_LANE = 65535;
export const NO_TASK = 4294967295;

/** Runs the calling test only in the named project (`isolated` or `plain`). */
export function onlyIn(project) {
  test.skip(test.info().project.name !== project, `checked in the ${project} project`);
}

/** Σ i² for i < n, computed independently with BigInt. */
export const sumSquares = (n) => {
  const b = BigInt(n);
  return b === 0n ? 0n : ((b - 1n) * b * (2n * b - 1n)) / 6n;
};

/** A page's uncaught errors and wasm panics, collected (and logged). */
export function watchErrors(page) {
  if (page.__errors) return page.__errors;
  const errors = [];
  page.__errors = errors;
  page.on("pageerror", (e) => {
    console.log(`pageerror: ${e.message}`);
    errors.push(e.message);
  });
  page.on("console", (m) => {
    // The mailbox's safety net logs every job it rescues: print them, so a
    // rare fault shows in the run's log (the job itself still completes).
    // So does the session when a start-up probe step outlasts its wait.
    if (m.type() === "warning" && /^(mailbox|calibrate):/.test(m.text())) console.log(m.text());
    if (m.type() === "error" && m.text().includes("panicked at")) {
      const first = m.text().split("\n").slice(0, 2).join(" ");
      console.log(`wasm panic: ${first}`);
      errors.push(first);
    }
  });
  return errors;
}

/** Opens the page and waits for the worker pool (pass `pool: false` for views without a run bar). */
export async function open(page, path = "./", { pool = true } = {}) {
  watchErrors(page);
  await page.goto(path);
  if (pool) await waitForPool(page);
}

/** Waits until the pool's status says how many workers are ready. */
export async function waitForPool(target) {
  await expect(target.getByTestId("pool-status")).toHaveAttribute("data-workers", /^\d+$/);
}

/** Types a workload and sets the models (and knobs) in the editor. */
export async function setUp(page, { w, models, workers, limit, seed }) {
  if (w !== undefined) {
    await page.getByTestId("workload").fill(w);
    await expect(page.getByTestId("workload-ok")).toBeVisible();
  }
  if (models !== undefined) {
    for (const m of ALL_MODELS) await page.getByTestId(`model-${m}`).setChecked(models.includes(m));
  }
  if (workers !== undefined) await page.getByTestId("workers").fill(String(workers));
  if (limit !== undefined) await page.getByTestId("limit").fill(String(limit));
  if (seed !== undefined) await page.getByTestId("seed").fill(String(seed));
}

/** The `<body data-run-state>` the page is in. */
export const runState = (target) => target.locator("body").getAttribute("data-run-state");

const ENDS = ["done", "cancelled", "failed"];

/**
 * Waits for the run to reach `state`; a run that ends otherwise fails at
 * once, saying why (the run's error, if it failed).
 */
export async function until(target, state, timeout = 60_000) {
  const body = target.locator("body");
  if (!ENDS.includes(state)) {
    await expect(body).toHaveAttribute("data-run-state", state, { timeout });
    return;
  }
  await expect
    .poll(async () => {
      const s = await runState(target);
      return s === state || ENDS.includes(s) ? s : "not yet";
    }, { timeout, message: `the run ends (${state} expected)` })
    .not.toBe("not yet");
  const s = await runState(target);
  if (s !== state) {
    const error = (await target.getByTestId("run-error").count()) ? await target.getByTestId("run-error").textContent() : "";
    const errors = target.__errors?.length ? ` (page errors: ${target.__errors.join(" | ")})` : "";
    expect(s, `the run ended ${s} instead of ${state}${error ? `: ${error}` : ""}${errors}`).toBe(state);
  }
}

/** Presses Run and waits for the run to end in `state`. */
export async function pressRun(target, state = "done", timeout = 60_000) {
  await target.getByTestId("run").click();
  await until(target, state, timeout);
}

/** Sets the scenario up, presses Run and waits for `until` (default done). */
export async function run(page, opts, { until: state = "done", timeout = 60_000 } = {}) {
  await setUp(page, opts);
  await pressRun(page, state, timeout);
}

/** Shows a tab of the main area (full page and tabbed embeds). */
export async function showTab(target, name) {
  const tab = target.getByTestId(`tab-${name}`);
  await tab.click();
  await expect(tab).toHaveAttribute("aria-selected", "true");
}

/**
 * The results table as `{model: {metric: value}}`: numbers, and the checksum
 * as a BigInt. Opens the Results tab when the table is not on screen.
 */
export async function results(target) {
  const table = target.getByTestId("results");
  if ((await table.count()) === 0) await showTab(target, "results");
  await expect(table).toBeVisible();
  const cells = await table.locator("td[data-model][data-metric]").evaluateAll((tds) =>
    tds.map((td) => [td.dataset.model, td.dataset.metric, td.getAttribute("data-value")]),
  );
  const out = {};
  for (const [model, metric, value] of cells) {
    out[model] ??= {};
    if (value === null) out[model][metric] = null;
    else out[model][metric] = metric === "checksum" ? BigInt(value) : Number(value);
  }
  return out;
}

/** The last run's traces (see `last_traces_json`). */
export async function traces(target) {
  return JSON.parse(await target.evaluate(() => window.wasmBindings.last_traces_json()));
}

/** The run in progress (`{model, spans, under_way}`), or null between runs. */
export async function liveRun(target) {
  return JSON.parse(await target.evaluate(() => window.wasmBindings.live_run_json()));
}

/**
 * Waits until a run is truly under way: it has recorded a span or has jobs
 * on its workers (`under_way` at least `jobs`). Pressing Run first waits for
 * the start-up probes, so "running" alone does not mean work has begun.
 */
export async function untilWorking(target, { jobs = 0 } = {}) {
  await expect
    .poll(async () => {
      const l = await liveRun(target);
      if (!l) return "no run yet";
      return (jobs > 0 ? l.under_way >= jobs : l.spans + l.under_way > 0) ? "working" : `${l.spans} spans, ${l.under_way} jobs under way`;
    }, { message: "the run has begun its work" })
    .toBe("working");
}

/**
 * Whether lanes `a` and `b` (their spans) were busy at the same instant, or
 * `null` when nothing can be said: the two lanes' busy periods, first start
 * to last end, never met (on a loaded machine one worker can get its first
 * job after the other has done them all).
 */
export function ranAtOnce(a, b) {
  if (!a.length || !b.length) return null;
  const from = (l) => Math.min(...l.map((s) => s.start));
  const to = (l) => Math.max(...l.map((s) => s.end));
  if (Math.max(from(a), from(b)) >= Math.min(to(a), to(b))) return null;
  return anyOverlap(a, b);
}

/** Spans of a trace as objects, times in ns on the page's clock. */
export const spans = (t) => t.spans.map(([task, lane, state, start, end]) => ({ task, lane, state, start, end }));

/** Whether any interval of `a` overlaps any of `b` by more than `tolerance` ns. */
export function anyOverlap(a, b, tolerance = 0) {
  return a.some((x) => b.some((y) => Math.min(x.end, y.end) - Math.max(x.start, y.start) > tolerance));
}

/** Pairs of intervals of `list` (sorted by start) that overlap by more than `tolerance` ns. */
export function overlapsWithin(list, tolerance = 0) {
  const sorted = [...list].sort((a, b) => a.start - b.start);
  const bad = [];
  let reach = null; // the interval reaching furthest so far
  for (const s of sorted) {
    if (reach && reach.end - s.start > tolerance) bad.push([reach, s]);
    if (!reach || s.end > reach.end) reach = s;
  }
  return bad;
}

/** The timeline canvas's redraw counter. */
export async function drawn(target) {
  return Number(await target.getByTestId("timeline").getAttribute("data-drawn"));
}

/** Waits until the timeline has been redrawn since `before`. */
export async function expectRedrawn(target, before, message) {
  await expect.poll(() => drawn(target), { message }).toBeGreaterThan(before);
}

/** Opens the Share menu and presses one of its copy buttons; returns the copied text. */
export async function share(page, button) {
  const menu = page.locator("details.share-menu");
  if (!(await menu.evaluate((d) => d.open))) await page.getByTestId("share").click();
  await page.getByTestId(button).click();
  const out = page.getByTestId("share-output");
  await expect(out).not.toHaveValue("");
  return out.inputValue();
}

/** Downloads what an export button saves; returns its text. */
export async function download(page, testid) {
  const { readFileSync } = await import("node:fs");
  const [file] = await Promise.all([page.waitForEvent("download", { timeout: 10_000 }), page.getByTestId(testid).click()]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), "utf8") };
}

/** No part of the page sticks out sideways. */
export async function expectNoSidewaysOverflow(page) {
  const [scroll, client] = await page.evaluate(() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]);
  expect(scroll, "the page scrolls sideways").toBeLessThanOrEqual(client);
}

/** The element's box lies inside the viewport (without scrolling). */
export async function expectInViewport(page, locator, what) {
  const box = await locator.boundingBox();
  const vp = page.viewportSize();
  expect(box, `${what} is rendered`).not.toBeNull();
  expect(box.x, `${what}: left edge`).toBeGreaterThanOrEqual(0);
  expect(box.y, `${what}: top edge`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${what}: right edge`).toBeLessThanOrEqual(vp.width + 0.5);
  expect(box.y + box.height, `${what}: bottom edge`).toBeLessThanOrEqual(vp.height + 0.5);
  return box;
}

/** The timeline canvas's layout (see src/ui/timeline/draw.rs). */
export const CHART = { axis: 22, title: 20, row: 22, gap: 4, labels: 92 };

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");

/** axe-core's violations of impact serious or critical, as readable lines. */
export async function seriousA11yViolations(target) {
  await target.addScriptTag({ path: AXE });
  const result = await target.evaluate(() => window.axe.run(document));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.impact} ${v.id}: ${n.target.join(" ")} — ${v.help} (${n.failureSummary.replace(/\s+/g, " ")})`));
}

/**
 * Records every long task (≥ 50 ms, the Long Tasks API) from navigation on:
 * call before `page.goto`. Read them with `longTasks(page, since)`.
 */
export async function recordLongTasks(page) {
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: Math.round(e.startTime), duration: Math.round(e.duration) });
    }).observe({ type: "longtask", buffered: true });
  });
}

/** Long tasks that started at or after `since` (ms on the page's clock). */
export async function longTasks(page, since = 0) {
  return page.evaluate((s) => window.__longTasks.filter((t) => t.start >= s), since);
}
