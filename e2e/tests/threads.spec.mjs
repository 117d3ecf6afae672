// Threads with a GIL and free threads, for real: in shared memory where the
// page is cross-origin isolated, by messages where it is not (a plain host, a
// cross-origin iframe). Checked by the trace's shape: under the GIL no two
// threads run at once; free threads do; I/O waits overlap under both.
import { test, expect } from "@playwright/test";
import { open, run, pressRun, results, traces, spans, anyOverlap, ranAtOnce, overlapsWithin, sumSquares, waitForPool, onlyIn, NO_LANE, EXAMPLES, PLAIN } from "./helpers.mjs";

/**
 * Slack for comparing two workers' clocks, each converted to the page's.
 * Where the page is not cross-origin isolated every clock steps by 0.1 ms
 * (with jitter), so one worker's end and another's start can disagree by two
 * steps: a fresh clone saw a grant's quantum "begin" 0.1001 ms before the
 * give-back it waited for. A GIL that let two threads run at once would
 * overlap by most of a 5 ms quantum.
 */
const TOLERANCE_NS = 200_000;

/** Checks one run of `4*cpu(20M)` under gil and free on 2 workers, in `target` (a page or a frame). */
async function expectGilAndFreeShapes(target, implementation) {
  const [gil, free] = await traces(target);
  expect(gil.model).toBe("gil");
  expect(free.model).toBe("free");
  expect(gil.implementation).toMatch(implementation);
  // Under the GIL, running spans on the worker lanes never overlap.
  const gilRunning = spans(gil).filter((s) => s.state === "running" && s.lane !== NO_LANE && s.lane > 0);
  expect(gilRunning.length, "GIL threads ran").toBeGreaterThan(0);
  expect(new Set(gilRunning.map((s) => s.lane)).size, "both threads ran").toBe(2);
  const clashes = overlapsWithin(gilRunning, TOLERANCE_NS).map(([a, b]) => `lane ${a.lane} ${a.start}–${a.end} vs lane ${b.lane} ${b.start}–${b.end}`);
  expect(clashes, "GIL running spans that overlap").toEqual([]);
  expect(spans(gil).some((s) => s.state === "gil-blocked"), "a thread waited for the GIL").toBe(true);
  // Free threads run on both lanes at the same instant (whenever both
  // workers were in the run at once: a loaded machine can hand one worker
  // its first job after the other has done them all).
  const freeRunning = (lane) => spans(free).filter((s) => s.state === "running" && s.lane === lane);
  expect(ranAtOnce(freeRunning(1), freeRunning(2)), "free threads on two lanes run at once").not.toBe(false);
  // Each lane's own spans never overlap, in both (a worker's span ends on the worker's clock, converted).
  for (const t of [gil, free]) {
    for (const lane of [0, 1, 2]) {
      const own = spans(t).filter((s) => s.lane === lane);
      expect(overlapsWithin(own, lane === 0 ? 0 : TOLERANCE_NS), `${t.model} lane ${lane} overlaps itself`).toEqual([]);
    }
  }
  const r = await results(target);
  const exact = 4n * sumSquares(20_000_000);
  expect(r.gil.checksum).toBe(exact);
  expect(r.free.checksum).toBe(exact);
  expect(r.gil.failed_tasks).toBe(0);
  expect(r.free.failed_tasks).toBe(0);
  await expect(target.getByTestId("implementation")).toContainText(implementation);
}

test("gil and free on 2 workers: one thread at a time under the GIL, both at once without; the implementation is named", async ({ page }, info) => {
  const isolated = info.project.name === "isolated";
  await open(page, "./?w=4*cpu(20M)&models=gil,free&workers=2");
  await pressRun(page);
  await expectGilAndFreeShapes(page, isolated ? /shared memory/ : /messages/);
  if (isolated) await expect(page.getByTestId("implementation")).toContainText("Atomics");
});

test("inside a cross-origin iframe (no isolation) the GIL goes by messages and both models run", async ({ page }) => {
  onlyIn("plain");
  // The example tutorial page (another origin) with one more embed: the GIL models.
  await page.goto(`${EXAMPLES}tutorial.html?base=${PLAIN}`);
  await page.evaluate((src) => {
    const frame = Object.assign(document.createElement("iframe"), { id: "gil", title: "The GIL", src });
    document.body.append(frame);
  }, `${PLAIN}?w=4*cpu(20M)&models=gil,free&workers=2&embed=1`);
  const frame = await page.locator("#gil").elementHandle().then((h) => h.contentFrame());
  await waitForPool(frame);
  expect(await frame.evaluate(() => crossOriginIsolated), "the iframe is not cross-origin isolated").toBe(false);
  await pressRun(frame);
  await expectGilAndFreeShapes(frame, /messages/);
});

for (const preset of ["gil-cpu", "gil-io", "convoy"]) {
  test(`the ${preset} preset runs to done`, async ({ page }) => {
    await open(page, `./?preset=${preset}`);
    await pressRun(page);
    const r = await results(page);
    for (const [model, m] of Object.entries(r)) expect(m.failed_tasks, `${model} failed tasks`).toBe(0);
  });
}

test("I/O-bound under the GIL: the threads' waits overlap", async ({ page }) => {
  await open(page);
  await run(page, { w: "4*io(500ms)", models: ["gil"], workers: 4 });
  const [t] = await traces(page);
  const waits = spans(t).filter((s) => s.state === "waiting");
  expect(new Set(waits.map((s) => s.task)).size, "every task waited").toBe(4);
  // An instant when all four wait at once: the latest start comes before the earliest end.
  const latestStart = Math.max(...waits.map((s) => s.start));
  const earliestEnd = Math.min(...waits.map((s) => s.end));
  expect(latestStart, "all four waits overlap").toBeLessThan(earliestEnd);
});

test("the convoy: after each sleep the I/O thread waits for the GIL while the CPU thread runs", async ({ page }) => {
  await open(page, "./?preset=convoy");
  await pressRun(page);
  const [t] = await traces(page);
  const io = spans(t).filter((s) => s.task === 0);
  const cpu = spans(t).filter((s) => s.task === 1 && s.state === "running");
  const waits = io.filter((s) => s.state === "waiting");
  const blocked = io.filter((s) => s.state === "gil-blocked");
  expect(waits.length, "the I/O thread's eight sleeps").toBe(8);
  // It blocks on the GIL after (most of) its sleeps: the margin allows a sleep that ends while the GIL happens to be free.
  const afterSleep = blocked.filter((b) => waits.some((w) => Math.abs(b.start - w.end) < 1_000_000));
  expect(afterSleep.length, "GIL waits right after a sleep").toBeGreaterThanOrEqual(4);
  // And it waits while the CPU thread runs with the GIL.
  expect(afterSleep.filter((b) => anyOverlap([b], cpu)).length, "GIL waits beside the running CPU thread").toBeGreaterThan(0);
});

test("the convoy in shared memory: a holder that drops the GIL on request waits for it from that instant", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?preset=convoy");
  await pressRun(page);
  const [t] = await traces(page);
  // The CPU thread's own record, in order: it runs, drops the GIL when the
  // I/O thread asks, waits until it has it again, runs on.
  const cpu = spans(t)
    .filter((s) => s.task === 1 && s.lane !== NO_LANE && (s.state === "running" || s.state === "gil-blocked"))
    .sort((a, b) => a.start - b.start);
  const drops = cpu.slice(1).filter((s, i) => cpu[i].state === "running" && s.state === "gil-blocked").map((s) => [cpu[cpu.indexOf(s) - 1], s]);
  expect(drops.length, "the CPU thread dropped the GIL when asked").toBeGreaterThan(0);
  // The wait starts where the running stopped: no stretch with the thread
  // neither running nor waiting for the GIL (it used to sleep up to a switch
  // interval, unrecorded, when the I/O thread took the GIL and let it go
  // again before it looked).
  for (const [ran, waited] of drops) expect(waited.start, "the GIL wait starts as the running ends").toBe(ran.end);
});

test("races: an await between read and write loses updates on the loop; none without it, none with atomics", async ({ page }, info) => {
  await open(page, "./?preset=race-await");
  await pressRun(page);
  expect((await results(page)).loop.lost_updates, "lost updates with an await").toBeGreaterThan(0);
  await run(page, { w: "1000*incr", models: ["loop"] });
  expect((await results(page)).loop.lost_updates, "lost updates without an await").toBe(0);
  await run(page, { w: "2000*incr(atomic)", models: ["free", "gil"], workers: 2 });
  const r = await results(page);
  expect(r.free.lost_updates).toBe(0);
  expect(r.gil.lost_updates).toBe(0);
  if (info.project.name === "plain") {
    // Without shared memory the page says why free threads cannot race here.
    await page.getByTestId("workload").fill("2000*incr");
    await expect(page.getByTestId("model-notes")).toContainText("cannot race");
  }
});

test("hand-overs are counted under the GIL: CPU-bound threads take turns", async ({ page }) => {
  // The threads start together at a barrier (src/worker/threads.rs),
  // whenever each worker is ready: without it, under a CPU hog one worker
  // got its job late and the queue was empty before the others started, so
  // the shared-memory GIL counted no hand-over in 3 of 10 runs. Each thread
  // computes about 30 ms, six switch intervals: with 20M iterations (7 ms,
  // barely more than one) a fresh-clone CI run under a CPU hog once counted
  // none, the waiters woken from the barrier late enough that each holder
  // finished before anyone had waited a whole interval.
  const w = "4*cpu(90M)";
  await open(page, `./?w=${w}&models=gil&workers=4`);
  await run(page, { w, models: ["gil"], workers: 4 });
  const r = await results(page);
  expect(r.gil.gil_handovers).toBeGreaterThan(0);
  expect(r.gil.gil_wait_ms).toBeGreaterThan(0);
  const [t] = await traces(page);
  const running = spans(t).filter((s) => s.state === "running" && s.lane > 0 && s.lane !== NO_LANE);
  expect(overlapsWithin(running, TOLERANCE_NS)).toEqual([]);
});

test("free threads with limit=1: one task at a time, whatever the thread count; the checksum is exact", async ({ page }) => {
  // In shared memory (isolated) the limit caps the threads that take tasks;
  // by messages (plain) the page's semaphore holds the others back.
  await open(page, "./?w=4*cpu(10M)&models=free&workers=2&limit=1");
  await pressRun(page);
  const [free] = await traces(page);
  const running = spans(free).filter((s) => s.state === "running" && s.lane !== NO_LANE && s.lane > 0);
  expect(new Set(running.map((s) => s.task)).size, "every task ran").toBe(4);
  const clashes = overlapsWithin(running, TOLERANCE_NS).map(([a, b]) => `task ${a.task} lane ${a.lane} ${a.start}–${a.end} vs task ${b.task} lane ${b.lane} ${b.start}–${b.end}`);
  expect(clashes, "two tasks ran at once under limit=1").toEqual([]);
  expect((await results(page)).free.checksum).toBe(4n * sumSquares(10_000_000));
});
