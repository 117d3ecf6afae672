// The inspector (issue "step inside the loop"): stop time anywhere in a
// recorded run and see every task's state; step between scheduler events
// with the keys or the buttons. `data-at-ms` and `data-task-state` are a
// public contract.
import { test, expect } from "@playwright/test";
import { open, until, CHART, onlyIn } from "./helpers.mjs";

const atMs = async (page) => Number(await page.getByTestId("inspector").getAttribute("data-at-ms"));
const tasks = (page, state) => page.getByTestId("inspector").locator(`li[data-task-state="${state}"]`);

test("gather on the loop at 500 ms: both tasks wait; → steps to the end of the 1 s sleep, ← steps back", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?preset=gather&models=loop&autorun=1&at=500ms");
  await until(page, "done");
  const inspector = page.getByTestId("inspector");
  await expect(inspector).toHaveAttribute("data-at-ms", "500.000");
  await expect(inspector).toHaveAttribute("data-model", "loop");
  await expect(tasks(page, "waiting")).toHaveCount(2);
  await expect(tasks(page, "running")).toHaveCount(0);
  await expect(inspector.locator('[data-task-state="running"]')).toHaveCount(0);
  await expect(page.getByTestId("inspector-at")).toContainText("2 waiting");

  await inspector.focus();
  await page.keyboard.press("ArrowRight");
  await expect.poll(() => atMs(page), { message: "→ moves the playhead forward" }).toBeGreaterThan(500);
  const next = await atMs(page);
  // The next scheduler event is task 0's wake-up at the end of its 1 s sleep.
  expect(next).toBeGreaterThanOrEqual(999);
  await expect(tasks(page, "waiting")).toHaveCount(1);
  await expect(page.locator('li[data-task-state="waiting"][data-task="1"]')).toHaveCount(1);

  await page.keyboard.press("ArrowLeft");
  await expect.poll(() => atMs(page), { message: "← moves the playhead back" }).toBeLessThan(next);
  expect(await atMs(page)).toBeLessThanOrEqual(500);

  // Home and End reach the ends of the run.
  await page.keyboard.press("End");
  await expect(tasks(page, "done")).toHaveCount(2);
  await page.keyboard.press("Home");
  await expect(inspector).toHaveAttribute("data-at-ms", "0.000");
});

test("gather on the loop at 1500 ms: one task done, one still waiting", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?preset=gather&models=loop&autorun=1&at=1500ms");
  await until(page, "done");
  await expect(page.getByTestId("inspector")).toHaveAttribute("data-at-ms", "1500.000");
  await expect(tasks(page, "done")).toHaveCount(1);
  await expect(page.locator('li[data-task-state="done"][data-task="0"]')).toHaveCount(1);
  await expect(tasks(page, "waiting")).toHaveCount(1);
  await expect(page.locator('li[data-task-state="waiting"][data-task="1"]')).toHaveCount(1);
  // The link keeps the playhead.
  expect(decodeURIComponent(page.url())).toContain("at=1500ms");
});

// In both projects: the GIL in shared memory and the GIL by messages write their own events.
test("the convoy, stepped with the buttons: the I/O thread blocks on the GIL its holder keeps, then hand-offs count up", async ({ page }) => {
  await open(page, "./?preset=convoy&autorun=1");
  await until(page, "done");
  await page.getByTestId("insp-home").click();
  await expect(page.getByTestId("inspector")).toHaveAttribute("data-at-ms", "0.000");
  let sawBlocked = null;
  let handoffs = 0;
  // Where the playhead is: its instant and the event number in the summary
  // (two workers' events can share a microsecond, so the instant alone may not move).
  const where = async () => `${await page.getByTestId("inspector").getAttribute("data-at-ms")} ${(await page.getByTestId("inspector").textContent()).match(/event \d+ of \d+/)?.[0]}`;
  for (let step = 0; step < 400 && !(sawBlocked && handoffs > 0); step++) {
    const before = await where();
    await page.getByTestId("insp-next").click();
    const moved = await expect
      .poll(where, { timeout: 3000 })
      .not.toBe(before)
      .then(() => true, () => false);
    if (!moved) break; // the end of the run
    const gil = (await page.getByTestId("inspector-gil").textContent()) ?? "";
    if (!sawBlocked && (await tasks(page, "blocked").count()) > 0 && /held by task \d+/.test(gil)) {
      const blocked = await tasks(page, "blocked").first().getAttribute("data-task");
      const holder = gil.match(/held by task (\d+)/)[1];
      expect(holder, "the blocked task is not the holder").not.toBe(blocked);
      await expect(page.locator(`[data-testid=inspector-lanes] tr[data-lane-state="running"]`).first()).toBeVisible();
      sawBlocked = { step, blocked, holder, gil };
    }
    if (sawBlocked) handoffs = Number(gil.match(/(\d+) hand-offs/)?.[1] ?? 0);
  }
  expect(sawBlocked, "a step where a task is blocked while another holds the GIL").not.toBeNull();
  expect(handoffs, `hand-offs counted by a later step (the GIL line last said "${await page.getByTestId("inspector-gil").textContent()}")`).toBeGreaterThan(0);
  // −10 and +10 step by ten events.
  const at = Number(await page.getByTestId("inspector").getAttribute("data-at-ms"));
  await page.getByTestId("insp-back10").click();
  await expect.poll(async () => Number(await page.getByTestId("inspector").getAttribute("data-at-ms"))).toBeLessThan(at);
  await page.getByTestId("insp-next10").click();
  await expect.poll(async () => Number(await page.getByTestId("inspector").getAttribute("data-at-ms"))).toBeGreaterThanOrEqual(at);
});

test("a click on the chart puts the playhead there; Play moves it to the end", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?preset=gather&models=loop&autorun=1");
  await until(page, "done");
  await expect(page.getByTestId("inspector")).toHaveAttribute("data-at-ms", "");
  await expect(page.getByTestId("inspector-hint")).toBeVisible();
  const box = await page.getByTestId("timeline").boundingBox();
  const plot = box.width - CHART.labels;
  // Halfway along the plot of a 2 s run: about 1 s in.
  await page.mouse.click(box.x + CHART.labels + plot / 2, box.y + CHART.axis + CHART.title + CHART.row / 2);
  await expect(page.getByTestId("inspector")).toHaveAttribute("data-at-ms", /^\d+\.\d+$/);
  const at = await atMs(page);
  expect(at).toBeGreaterThan(0);
  await expect(page.getByTestId("inspector-at")).toBeVisible();
  // A click further right is later.
  await page.mouse.click(box.x + CHART.labels + plot * 0.9, box.y + CHART.axis + CHART.title + CHART.row / 2);
  await expect.poll(() => atMs(page)).toBeGreaterThan(at);
  // Play at 10× reaches the end and stops.
  await page.getByTestId("insp-speed").selectOption("10");
  await page.getByTestId("insp-play").click();
  await expect(tasks(page, "done")).toHaveCount(2, { timeout: 10_000 });
  await expect(page.getByTestId("insp-play")).toHaveText("Play", { timeout: 10_000 });
});

test("the inspector shows any model of the run, measured or predicted", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?preset=gather&autorun=1&at=500ms");
  await until(page, "done");
  const inspector = page.getByTestId("inspector");
  await expect(inspector).toHaveAttribute("data-model", "seq");
  // Sequential at 500 ms: task 0 sleeps on the main thread, task 1 has not started.
  await expect(page.locator('[data-testid=inspector-lanes] tr[data-lane="0"]')).toHaveAttribute("data-lane-state", "waiting");
  await expect(page.getByTestId("inspector-at")).toContainText("1 not started");
  await page.getByTestId("inspect-model").selectOption({ label: "Event loop" });
  await expect(inspector).toHaveAttribute("data-model", "loop");
  await expect(tasks(page, "waiting")).toHaveCount(2);
  // The prediction of the same run, at the same instant: the same states.
  await page.getByTestId("inspect-predicted").check();
  await expect(inspector).toHaveAttribute("data-at-ms", "500.000");
  await expect(tasks(page, "waiting")).toHaveCount(2);
  await expect(tasks(page, "running")).toHaveCount(0);
});

test("threads under the GIL: tasks waiting for a thread or for the limit are blocked, not ready", async ({ page }) => {
  // Two threads, limit 2: at 25 ms the first two tasks sleep in their 30 ms
  // I/O, and the other seven wait for a thread (shared memory, isolated) or
  // for the limit (by messages, plain). A slow start only blocks more of them.
  await open(page, "./?v=1&w=3*[io(30ms),cpu(5M)]+1*block(20ms)+5*incr(await=1ms)&models=loop,gil&workers=2&limit=2&autorun=1&at=25ms&inspect=gil");
  await until(page, "done");
  const inspector = page.getByTestId("inspector");
  await expect(inspector).toHaveAttribute("data-model", "gil");
  await expect(inspector).toHaveAttribute("data-at-ms", "25.000");
  await expect(inspector.locator("li[data-task-state]")).toHaveCount(9);
  await expect(tasks(page, "ready")).toHaveCount(0);
  expect(await tasks(page, "blocked").count()).toBeGreaterThanOrEqual(7);
  // Lane rows say their own state, outside the task rows' contract.
  await expect(page.locator("[data-testid=inspector-lanes] tr[data-task-state]")).toHaveCount(0);
  await expect(page.locator("[data-testid=inspector-lanes] tr[data-lane-state]").first()).toBeVisible();
  // Choosing another model updates the link, so a copied link opens on it.
  await page.getByTestId("inspect-model").selectOption("m:loop");
  await expect(inspector).toHaveAttribute("data-model", "loop");
  await expect(page).toHaveURL(/[?&]inspect=loop(&|$)/);
});
