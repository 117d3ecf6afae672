// Real runs of the models of our own, checked for shape (overlaps, order,
// counts, exact checksums), never against a wall-time threshold: the shapes
// hold on a loaded 2-core machine too.
import { test, expect } from "@playwright/test";
import { open, run, setUp, pressRun, until, untilWorking, results, traces, spans, anyOverlap, ranAtOnce, overlapsWithin, sumSquares, onlyIn } from "./helpers.mjs";

test("gather: the loop overlaps its two waits, sequential waits one after the other; no wait ends early", async ({ page }) => {
  onlyIn("isolated");
  await open(page);
  await run(page, { w: "1*io(1s)+1*io(2s)", models: ["seq", "loop"] });
  const r = await results(page);
  // Lower bounds only (no wait ends early); how much faster is the shape below.
  expect(r.seq.wall_ms).toBeGreaterThanOrEqual(3000);
  expect(r.loop.wall_ms).toBeGreaterThanOrEqual(2000);
  for (const m of ["seq", "loop"]) expect(r[m].predicted_wall_ms, `${m} predicted`).toBeGreaterThan(0);
  // The loop's two waits overlap; sequential's follow each other.
  const [seq, loop] = await traces(page);
  const waits = (t, task) => spans(t).filter((s) => s.task === task && s.state === "waiting");
  expect(anyOverlap(waits(loop, 0), waits(loop, 1)), "the loop's waits overlap").toBe(true);
  expect(anyOverlap(waits(seq, 0), waits(seq, 1)), "sequential's waits do not").toBe(false);
});

test("20*cpu(5M) on a 2-worker pool keeps both workers busy at once; the checksum is exact", async ({ page }) => {
  await open(page);
  await run(page, { w: "20*cpu(5M)", models: ["pool"], workers: 2 });
  const [t] = await traces(page);
  expect(t.lanes).toBe(3);
  const running = (lane) => spans(t).filter((s) => s.lane === lane && s.state === "running");
  expect(running(1).length).toBeGreaterThan(0);
  expect(running(2).length).toBeGreaterThan(0);
  expect(ranAtOnce(running(1), running(2)), "both workers run at the same instant").not.toBe(false);
  expect(running(1).length + running(2).length, "every task ran on a worker").toBeGreaterThanOrEqual(20);
  expect((await results(page)).pool.checksum).toBe(20n * sumSquares(5_000_000));
});

test("every model's trace: no overlap within a lane, spans inside the run, loop tasks whole, checksums agree", async ({ page }) => {
  await open(page);
  const models = ["seq", "loop", "pool", "hybrid"];
  await run(page, { w: "6*[io(30ms),cpu(500k,yield=100k),block(2ms)]+3*incr(await)", models, workers: 2 });
  const all = await traces(page);
  expect(all.map((t) => t.model)).toEqual(models);
  for (const t of all) {
    for (let lane = 0; lane < t.lanes; lane++) {
      // Worker lanes mix the worker's clock (converted) with the page's; where
      // the page is not isolated each steps by 0.1 ms with jitter, so two
      // readings can disagree by two steps: 0.2 ms of slack there.
      const tolerance = lane === 0 ? 0 : 200_000;
      expect(overlapsWithin(spans(t).filter((s) => s.lane === lane), tolerance), `${t.model} lane ${lane}`).toEqual([]);
    }
    for (const s of spans(t)) {
      expect(s.start, `${t.model}: a span starts inside the run`).toBeGreaterThanOrEqual(t.start);
      expect(s.end, `${t.model}: a span ends inside the run`).toBeLessThanOrEqual(t.end);
      expect(s.end, `${t.model}: a span ends after it starts`).toBeGreaterThanOrEqual(s.start);
    }
  }
  // Under the loop a task is always running, waiting or queued: its spans tile its life.
  const loop = all[1];
  for (let task = 0; task < 9; task++) {
    const own = spans(loop).filter((s) => s.task === task).sort((a, b) => a.start - b.start);
    // (The three incr tasks can be too short for a clock without isolation, 0.1 ms: they may have none.)
    if (task < 6) expect(own.length, `loop task ${task} has spans`).toBeGreaterThan(0);
    for (let i = 1; i < own.length; i++) expect(own[i].start, `loop task ${task}: span ${i} starts where ${i - 1} ends`).toBe(own[i - 1].end);
  }
  // Nothing runs in parallel on one thread: the loop's running spans never overlap.
  expect(overlapsWithin(spans(loop).filter((s) => s.state === "running"))).toEqual([]);
  const r = await results(page);
  const exact = 6n * sumSquares(500_000);
  for (const m of models) {
    expect(r[m].checksum, `${m} checksum`).toBe(exact);
    expect(r[m].tasks, `${m} tasks`).toBe(9);
    expect(r[m].failed_tasks, `${m} failed tasks`).toBe(0);
  }
});

test("many small pool jobs: through the workers' mailboxes where the page is isolated, as messages where not; every job exact", async ({ page }, info) => {
  await open(page);
  // The start-up probes post jobs of their own: count only this run's.
  await page.waitForFunction(() => window.wasmBindings.costs_measured());
  const before = await page.evaluate(() => window.wasmBindings.mailbox_jobs());
  // 60 jobs, one at a time, then jobs that wait (always messages: a job
  // that waited in a mailbox would fail the run).
  await run(page, { w: "60*cpu(2M)+4*[io(5ms),cpu(2M)]", models: ["pool"], workers: 2, limit: 1 });
  const sent = (await page.evaluate(() => window.wasmBindings.mailbox_jobs())) - before;
  const r = await results(page);
  expect(r.pool.checksum).toBe(64n * sumSquares(2_000_000));
  const [t] = await traces(page);
  const done = t.events.filter((e) => e[3] === "done").length;
  expect(done, "every task completed").toBe(64);
  // One job at a time (limit=1): no two jobs' work overlaps, on any lane.
  const running = spans(t).filter((s) => s.lane !== 0 && s.lane !== 65535 && s.state === "running");
  expect(running.length, "every job's work is in the trace").toBeGreaterThan(0);
  expect(overlapsWithin(running), "jobs one at a time").toEqual([]);
  if (info.project.name === "isolated") {
    // A worker listens on its mailbox for 20 ms after a job; the next one
    // comes within microseconds of the answer. Jobs that wait never go there.
    expect(sent, "jobs sent through a mailbox").toBeGreaterThan(0);
  } else {
    expect(sent, "no shared memory: every job is a message").toBe(0);
  }
});

test("a mailbox answer whose wake-up is lost is rescued: the run completes, exact", async ({ page }) => {
  onlyIn("isolated");
  // The page's Atomics.waitAsync loses every wake-up once the test says so:
  // only the pool's safety net can then bring a mailbox job's answer back.
  await page.addInitScript(() => {
    const native = Atomics.waitAsync;
    Atomics.waitAsync = function (...args) {
      if (!window.__loseWakeups) return native.apply(this, args);
      return { async: true, value: new Promise(() => {}) };
    };
  });
  await open(page);
  await page.waitForFunction(() => window.wasmBindings.costs_measured());
  const before = await page.evaluate(() => [window.wasmBindings.mailbox_jobs(), window.wasmBindings.mailbox_rescues()]);
  await page.evaluate(() => (window.__loseWakeups = true));
  // One job at a time: a worker listens for 20 ms after a message job, and
  // a rescued job takes 50-100 ms, so about every other job goes through a
  // mailbox, fewer when the page is slow to send the next one.
  await run(page, { w: "40*cpu(1M)", models: ["pool"], workers: 2, limit: 1 });
  const after = await page.evaluate(() => [window.wasmBindings.mailbox_jobs(), window.wasmBindings.mailbox_rescues()]);
  expect((await results(page)).pool.checksum).toBe(40n * sumSquares(1_000_000));
  const sent = after[0] - before[0];
  const rescued = after[1] - before[1];
  expect(sent, `jobs went through a mailbox (counts before ${before}, after ${after})`).toBeGreaterThan(0);
  // Every mailbox job's answer was lost, so each was rescued (taken from the
  // mailbox by the timer) and none twice.
  expect(rescued).toBe(sent);
});

test("a wake-up that comes after its answer was rescued is logged as late, not lost", async ({ page }) => {
  onlyIn("isolated");
  // Every wake-up is held back 250 ms once the test says so: the safety net
  // reads the answers first, and each wake-up then finds its answer gone.
  await page.addInitScript(() => {
    const native = Atomics.waitAsync;
    Atomics.waitAsync = function (...args) {
      const r = native.apply(this, args);
      if (!window.__delayWakeups) return r;
      // An answer already there (not async) is held back too: whether it is
      // there yet when the page asks depends on the machine's load.
      const settled = r.async ? r.value : Promise.resolve(r.value);
      return { async: true, value: settled.then((v) => new Promise((res) => setTimeout(() => res(v), 250))) };
    };
  });
  const late = [];
  page.on("console", (m) => {
    if (/^mailbox: .*late, not lost/.test(m.text())) late.push(m.text());
  });
  await open(page);
  await page.waitForFunction(() => window.wasmBindings.costs_measured());
  const before = await page.evaluate(() => window.wasmBindings.mailbox_rescues());
  await page.evaluate(() => (window.__delayWakeups = true));
  // As in the test above: about every other job goes through a mailbox.
  await run(page, { w: "40*cpu(1M)", models: ["pool"], workers: 2, limit: 1 });
  expect((await results(page)).pool.checksum).toBe(40n * sumSquares(1_000_000));
  const rescued = (await page.evaluate(() => window.wasmBindings.mailbox_rescues())) - before;
  expect(rescued, "answers the safety net read").toBeGreaterThan(0);
  // The held-back wake-ups come after the run's last rescue: wait for them.
  await expect.poll(() => late.length, { message: "late wake-ups logged" }).toBeGreaterThan(0);
  expect(late.length).toBeLessThanOrEqual(rescued);
  expect(late[0]).toMatch(/came \d+ ms after the safety net read its answer/);
});

test("a mailbox answer that arrives while the page is busy is not taken for a lost wake-up", async ({ page }) => {
  onlyIn("isolated");
  // The page holds Atomics.waitAsync's wake-ups back once the test says so,
  // and steers the mailbox safety net's looks (its 50 ms interval): none
  // while the test waits for an answer; then one that sees the answer
  // waiting, a 300 ms busy spell, a late look, and only then the wake-up,
  // as a wake-up queued behind a busy spell runs after the timer that was
  // due during it. A net that took that answer for a lost one would rescue it.
  await page.addInitScript(() => {
    const native = Atomics.waitAsync;
    const t = (window.__t = { hold: false, held: [], looks: 0, step: "idle" });
    Atomics.waitAsync = function (...args) {
      const r = native.apply(this, args);
      if (!r.async) return r;
      return { async: true, value: r.value.then((v) => (t.hold ? new Promise((res) => t.held.push(() => res(v))) : v)) };
    };
    const every = window.setInterval.bind(window);
    window.setInterval = (f, ms, ...rest) => {
      if (ms !== 50 || typeof f !== "function") return every(f, ms, ...rest);
      return every(() => {
        if (t.step === "wait" && t.held.length === 0) return;
        const rescues = () => window.wasmBindings.mailbox_rescues();
        if (t.step === "wait") t.rescuesBefore = rescues();
        f();
        t.looks++;
        if (t.step === "wait") {
          // This look saw the answer waiting; now the page is busy.
          const start = performance.now();
          while (performance.now() - start < 300);
          t.step = "late";
        } else if (t.step === "late") {
          t.step = "done";
          t.hold = false;
          t.held.splice(0).forEach((wake) => wake());
        } else if (t.step === "done") {
          // The look after the wake-up: a third look at a stuck answer
          // always rescues it, so by now the wake-up must have read it.
          t.step = "checked";
          t.rescuesAfter = rescues();
        }
      }, ms);
    };
  });
  await open(page);
  await page.waitForFunction(() => window.wasmBindings.costs_measured());
  const before = await page.evaluate(() => window.wasmBindings.mailbox_jobs());
  await setUp(page, { w: "400*cpu(2M)", models: ["pool"], workers: 2, limit: 1 });
  await page.evaluate(() => Object.assign(window.__t, { hold: true, step: "wait" }));
  await page.getByTestId("run").click();
  await until(page, "done");
  const after = await page.evaluate(() => window.wasmBindings.mailbox_jobs());
  expect(after - before, "jobs went through a mailbox").toBeGreaterThan(0);
  const t = await page.evaluate(() => window.__t);
  expect(t.step, "the busy spell happened, the wake-up came after the late look, and a look followed").toBe("checked");
  // Only the looks around the busy spell: on a loaded machine the net may
  // rightly rescue some other answer of the run's 400, and logs it.
  expect(t.rescuesAfter - t.rescuesBefore, "the answer held through the busy spell was not rescued").toBe(0);
  expect((await results(page)).pool.checksum).toBe(400n * sumSquares(2_000_000));
});

test("Σi² ×20 on the pool keeps every worker lane busy", async ({ page }) => {
  test.setTimeout(90_000);
  await open(page);
  await page.getByTestId("preset").selectOption("sumsq20");
  await expect(page.getByTestId("workload")).toHaveValue("20*cpu(10M)");
  await setUp(page, { models: ["pool"] });
  await pressRun(page);
  const [t] = await traces(page);
  const workers = t.lanes - 1;
  expect(workers).toBe(Number(await page.getByTestId("workers").inputValue()));
  for (let lane = 1; lane <= workers; lane++) {
    expect(spans(t).some((s) => s.lane === lane && s.state === "running"), `worker ${lane} ran`).toBe(true);
  }
  expect((await results(page)).pool.checksum).toBe(20n * sumSquares(10_000_000));
});

test("the start-up probes are never the page's live run", async ({ page }) => {
  // The probes measure this machine with small real runs of their own; a
  // script (or a test) waiting for "the run" to be under way must never see
  // one of them, nor kill or cancel its jobs. Sampled inside the page, every
  // couple of ms, until the probes are done.
  await open(page);
  const { seen, samples, done } = await page.evaluate(async () => {
    const seen = new Set();
    let samples = 0;
    const t0 = performance.now();
    while (!window.wasmBindings.costs_measured() && performance.now() - t0 < 60_000) {
      seen.add(window.wasmBindings.live_run_json());
      samples++;
      await new Promise((r) => setTimeout(r, 2));
    }
    return { seen: [...seen], samples, done: window.wasmBindings.costs_measured() };
  });
  expect(done, "the start-up probes finished").toBe(true);
  expect(samples, "the probes were under way while sampled").toBeGreaterThan(10);
  expect(seen).toEqual(["null"]);
  // The page's own run is live, of course.
  await setUp(page, { w: "2*block(2s)", models: ["pool"], workers: 2 });
  await page.getByTestId("run").click();
  await untilWorking(page, { jobs: 2 });
  await until(page, "done");
  expect((await results(page)).pool.failed_tasks).toBe(0);
});

/** Records the URL of every worker the page starts, in `window.__workerUrls`;
 * with `refuseBlobs`, a worker asked for from a `blob:` URL throws, as under
 * a CSP without `worker-src blob:`. */
const recordWorkers = (page, refuseBlobs = false) =>
  page.addInitScript((refuse) => {
    const Native = window.Worker;
    window.__workerUrls = [];
    window.Worker = class extends Native {
      constructor(url, opts) {
        if (refuse && String(url).startsWith("blob:")) throw new DOMException("refused", "SecurityError");
        super(url, opts);
        window.__workerUrls.push(String(url));
      }
    };
  }, refuseBlobs);

test("a worker killed mid-job: its task fails with a reason, it is replaced, later runs work", async ({ page }) => {
  await recordWorkers(page);
  await open(page);
  await setUp(page, { w: "2*block(3s)", models: ["pool"], workers: 2 });
  await page.getByTestId("run").click();
  await until(page, "running");
  await expect(page.getByTestId("status")).toContainText("Worker pool");
  await untilWorking(page, { jobs: 2 }); // both jobs are on their workers (3 s each)
  await page.evaluate(() => window.wasmBindings.kill_worker(0));
  await until(page, "done");
  const r = await results(page);
  expect(r.pool.failed_tasks).toBe(1);
  await expect(page.getByTestId("failures")).toContainText("killed");
  expect(await page.evaluate(() => window.wasmBindings.workers_replaced())).toBeGreaterThanOrEqual(1);
  // A worker that panics is replaced too.
  await page.evaluate(() => window.wasmBindings.crash_worker(1));
  await expect.poll(() => page.evaluate(() => window.wasmBindings.workers_replaced())).toBeGreaterThanOrEqual(2);
  await run(page, { w: "4*cpu(1000)", models: ["pool"], workers: 2 });
  const after = await results(page);
  expect(after.pool.failed_tasks).toBe(0);
  expect(after.pool.checksum).toBe(4n * sumSquares(1000));
  // The page's first workers load their script by URL; the replacements
  // start from the one joined `blob:` script, with no request.
  const urls = await page.evaluate(() => window.__workerUrls);
  expect(urls[0]).toContain("worker_boot.js");
  expect(urls.slice(-2).every((u) => u.startsWith("blob:")), urls.join(" ")).toBe(true);
});

test("a page that refuses blob: workers still replaces a dead worker, from the script's URL", async ({ page }) => {
  await recordWorkers(page, true);
  await open(page);
  await setUp(page, { w: "2*block(3s)", models: ["pool"], workers: 2 });
  await page.getByTestId("run").click();
  await untilWorking(page, { jobs: 2 });
  await page.evaluate(() => window.wasmBindings.kill_worker(0));
  await until(page, "done");
  expect((await results(page)).pool.failed_tasks).toBe(1);
  await run(page, { w: "4*cpu(1000)", models: ["pool"], workers: 2 });
  const after = await results(page);
  expect(after.pool.failed_tasks).toBe(0);
  expect(after.pool.checksum).toBe(4n * sumSquares(1000));
  const urls = await page.evaluate(() => window.__workerUrls);
  expect(urls.some((u) => u.startsWith("blob:"))).toBe(false);
  expect(urls.length).toBeGreaterThanOrEqual(3);
});

test("a long sequential run asks first; skipping the blocking models is honoured", async ({ page }) => {
  onlyIn("isolated");
  await open(page);
  await run(page, { w: "3*io(5s)", models: ["seq", "loop"] }, { until: "idle" });
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toContainText("Sequential");
  await expect(page.getByTestId("consent-run")).toBeVisible();
  await expect(page.getByTestId("status")).toContainText("confirmation");
  // The dialog takes the focus (and so comes into view); Cancel says no.
  await expect(page.getByTestId("consent-run")).toBeFocused();
  await expect(page.getByTestId("cancel")).toBeEnabled();
  await page.getByTestId("cancel").click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId("model-seq")).toBeChecked();
  await page.getByTestId("run").click();
  await expect(dialog).toContainText("Sequential");
  await dialog.getByRole("button", { name: "Skip Sequential" }).click();
  await expect(page.getByTestId("model-seq")).not.toBeChecked();
  await expect(page.getByTestId("model-loop")).toBeChecked();
  await expect(dialog).toHaveCount(0);
});

test("the heartbeat stalls while the main thread blocks, and recovers", async ({ page }) => {
  onlyIn("isolated");
  await open(page);
  const beat = async () => Number(await page.getByTestId("heartbeat").getAttribute("data-value"));
  // Every value the readout shows (it shows a second's worst gap, then the next second's).
  await page.getByTestId("heartbeat").evaluate((el) => {
    window.beats = [];
    new MutationObserver(() => window.beats.push(Number(el.dataset.value))).observe(el, { attributes: true, attributeFilter: ["data-value"] });
  });
  const peak = async () => Math.max(0, ...(await page.evaluate(() => window.beats)));
  await run(page, { w: "1*block(700ms)", models: ["seq"] });
  // A 700 ms block is a frame gap of at least 700 ms: a slower machine only
  // blocks longer (650: the readout rounds, frame times are coarse).
  await expect.poll(peak, { message: "the readout showed the stall" }).toBeGreaterThan(650);
  // Once the page is free, a later second has no such gap.
  const stalled = await peak();
  await expect.poll(beat, { timeout: 10_000, message: "the readout recovers" }).toBeLessThan(stalled);
});
