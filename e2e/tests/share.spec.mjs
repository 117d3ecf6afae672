// Links, embeds and exports: a tutorial author writes a link by hand, a
// reader opens it a year later, an iframe shows it inside someone else's
// page. The link parameters are a public contract (README, urlstate::codec).
import { test, expect } from "@playwright/test";
import { open, setUp, run, pressRun, until, results, traces, spans, anyOverlap, share, download, sumSquares, waitForPool, onlyIn, EXAMPLES, PLAIN, SUBPATH } from "./helpers.mjs";

test("copy the link after editing, open it in a fresh browser, get the same scenario", async ({ page, browser }) => {
  onlyIn("isolated");
  await open(page);
  await setUp(page, { w: "3*[io(20ms),cpu(1M)]+1*block(5ms)", models: ["loop", "hybrid"], workers: 1, limit: 2, seed: 7 });
  await page.getByTestId("switch").fill("10");
  // The address bar follows the editor.
  await expect.poll(() => decodeURIComponent(page.url())).toContain("models=loop,hybrid");
  const link = await share(page, "copy-link");
  const query = new URL(link).searchParams;
  expect(query.get("v")).toBe("1");
  // The workload is written readably, a literal + included (the README's promise).
  expect(decodeURIComponent(new URL(link).search)).toContain("w=3*[io(20ms),cpu(1M)]+1*block(5ms)&");
  expect(query.get("models")).toBe("loop,hybrid");
  expect(query.get("workers")).toBe("1");
  expect(query.get("limit")).toBe("2");
  expect(query.get("seed")).toBe("7");
  expect(query.get("switch")).toBe("10ms");
  expect(decodeURIComponent(page.url())).toContain(decodeURIComponent(new URL(link).search));

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await open(other, link);
  await expect(other.getByTestId("workload")).toHaveValue("3*[io(20ms),cpu(1M)]+1*block(5ms)");
  for (const m of ["loop", "hybrid"]) await expect(other.getByTestId(`model-${m}`)).toBeChecked();
  for (const m of ["seq", "pool", "gil", "free"]) await expect(other.getByTestId(`model-${m}`)).not.toBeChecked();
  await expect(other.getByTestId("workers")).toHaveValue("1");
  await expect(other.getByTestId("limit")).toHaveValue("2");
  await expect(other.getByTestId("seed")).toHaveValue("7");
  await expect(other.getByTestId("switch")).toHaveValue("10");
  await expect(other.getByTestId("link-errors")).toHaveCount(0);
  // And it runs there.
  await pressRun(other);
  expect((await results(other)).hybrid.checksum).toBe(3n * sumSquares(1_000_000));
  await fresh.close();

  expect(await share(page, "copy-iframe")).toMatch(/^<iframe src=".*embed=1/);
  expect(await share(page, "copy-markdown")).toMatch(/^\[No-GIL Playground\]\(http/);
});

test("a link with garbage in every field names each field; the rest loads and the page works", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?v=9&w=2*cpuu(1)&models=seq,zzz&workers=0&limit=x&switch=q&seed=y&embed=maybe&view=3d&theme=pink&autorun=7&readonly=%25&preset=nope&at=soon&inspect=zzz&junk=1");
  const errors = page.getByTestId("link-errors");
  const fields = ["v", "w", "models", "workers", "limit", "switch", "seed", "embed", "view", "theme", "autorun", "readonly", "preset", "at", "inspect"];
  for (const field of fields) {
    await expect(errors.locator("li > code", { hasText: new RegExp(`^${field}$`) }), `one error for ${field}`).toHaveCount(1);
  }
  await expect(errors.locator("li > code")).toHaveCount(fields.length);
  await expect(errors).toContainText("junk");
  // The rest loaded: the typed workload is kept (with its error), seq is chosen, the page works.
  await expect(page.getByTestId("workload")).toHaveValue("2*cpuu(1)");
  await expect(page.getByTestId("workload-error")).toContainText('unknown phase "cpuu"');
  await expect(page.getByTestId("model-seq")).toBeChecked();
  await run(page, { w: "2*io(10ms)", models: ["loop"] });
});

test("a link asking for seq, gil and free keeps all three, in the address bar too", async ({ page }) => {
  // The plain project is the host without shared memory, where gil and free used to be dropped.
  await open(page, "./?w=4*io(10ms)&models=seq,gil,free&workers=2");
  await expect.poll(() => new URL(page.url()).searchParams.get("models")).toBe("seq,gil,free");
  for (const m of ["seq", "gil", "free"]) {
    await expect(page.getByTestId(`model-${m}`)).toBeChecked();
    await expect(page.getByTestId(`model-${m}`)).toBeEnabled();
  }
  await expect(page.getByTestId("link-errors")).toHaveCount(0);
  await pressRun(page);
  expect(Object.keys(await results(page))).toEqual(["seq", "gil", "free"]);
  expect(new URL(page.url()).searchParams.get("models")).toBe("seq,gil,free");
});

test("the example tutorial page embeds two playgrounds from another origin; Run works inside one", async ({ page }) => {
  onlyIn("isolated");
  await page.goto(`${EXAMPLES}tutorial.html?base=${PLAIN}`);
  const frame = page.frameLocator("#gather");
  await expect(frame.locator("body")).toHaveClass(/embed/);
  await expect(frame.getByTestId("workload")).toHaveCount(0); // view=compare: the run bar and the comparison
  await waitForPool(frame);
  await frame.getByTestId("run").click();
  await until(frame, "done");
  const r = await results(frame);
  expect(r.loop.wall_ms).toBeGreaterThanOrEqual(2000);
  // The loop's two waits overlap; sequential's follow each other.
  const waits = (t) => [0, 1].map((task) => spans(t).filter((s) => s.task === task && s.state === "waiting"));
  const inner = await (await page.locator("#gather").elementHandle()).contentFrame();
  const byModel = Object.fromEntries((await traces(inner)).map((t) => [t.model, t]));
  expect(anyOverlap(...waits(byModel.loop)), "the loop's waits overlap").toBe(true);
  expect(anyOverlap(...waits(byModel.seq)), "sequential's waits do not").toBe(false);
  for (const m of ["seq", "loop"]) await expect(frame.getByTestId("compare").locator(`rect[data-model="${m}"]`)).toHaveCount(1);
  // The iframe sized itself from the height the playground posted.
  await expect.poll(() => page.locator("#gather").evaluate((f) => f.style.height)).not.toBe("");
  const href = await page.frameLocator("#sumsq").getByTestId("open-full").getAttribute("href");
  expect(decodeURIComponent(href)).toContain("w=8*cpu(5M)");
  expect(href).not.toContain("embed=1");
});

test("embed=1&autorun=1&readonly=1 runs by itself in a compact, read-only page; Open in playground keeps the scenario", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?preset=gather&models=loop&embed=1&autorun=1&readonly=1&theme=dark");
  await expect(page.locator("body")).toHaveClass(/embed/);
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect(page.locator("header")).toHaveCount(0);
  await expect(page.getByTestId("workload")).toHaveCount(0);
  await expect(page.getByTestId("preset")).toHaveCount(0);
  await expect(page.getByTestId("model-loop")).toBeDisabled();
  await until(page, "done");
  await expect(page.getByTestId("timeline")).toBeVisible();
  const tabs = await page.locator("[role=tab][data-testid^=tab-]").evaluateAll((ts) => ts.map((t) => t.dataset.testid));
  expect(tabs).toEqual(["tab-timeline", "tab-compare", "tab-results", "tab-code"]);
  const full = new URL(await page.getByTestId("open-full").getAttribute("href"));
  for (const p of ["embed", "autorun", "readonly", "view"]) expect(full.searchParams.has(p), `open-full without ${p}`).toBe(false);
  expect(decodeURIComponent(full.search)).toContain("w=1*io(1s)+1*io(2s)&");
  expect(full.searchParams.get("models")).toBe("loop");
  expect(full.searchParams.get("theme")).toBe("dark");
});

test("embed views: code shows the programs, controls the editor (read-only) and the results", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?w=2*io(100ms)&embed=1&view=code", { pool: false });
  await expect(page.getByTestId("py-asyncio")).toBeVisible();
  await expect(page.getByTestId("python-code")).toContainText("asyncio.sleep(0.1)");
  await expect(page.getByTestId("timeline")).toHaveCount(0);
  await expect(page.getByTestId("open-full")).toBeVisible();
  await open(page, "./?w=2*io(100ms)&models=loop&embed=1&view=controls&readonly=1");
  await expect(page.getByTestId("workload")).toHaveAttribute("readonly", "");
  await expect(page.getByTestId("timeline")).toHaveCount(0);
  await pressRun(page);
  await expect(page.getByTestId("results")).toBeVisible();
});

test("exports: the trace has one event per span; the CSV one row per span; the JSON every model", async ({ page }) => {
  onlyIn("isolated");
  await open(page);
  await run(page, { w: "4*[io(20ms),cpu(500k)]", models: ["loop", "pool"], workers: 2 });
  const spanCount = (await traces(page)).reduce((n, t) => n + t.spans.length, 0);
  await results(page); // the exports sit under the results
  const trace = JSON.parse((await download(page, "export-trace")).text);
  expect(trace.traceEvents.filter((e) => e.ph === "X").length).toBe(spanCount);
  const csv = (await download(page, "export-csv")).text.trim().split("\n");
  expect(csv[0]).toBe("model,task,lane,phase,kind,state,start_us,end_us,duration_us");
  expect(csv.length - 1).toBe(spanCount);
  const json = JSON.parse((await download(page, "export-json")).text);
  expect(json.models.map((m) => m.model)).toEqual(["loop", "pool"]);
  expect(json.models[0].wall_ms).toBeCloseTo((await results(page)).loop.wall_ms, 2);
  expect(decodeURIComponent(json.scenario)).toContain("w=4*[io(20ms),cpu(500k)]");
  expect(json.models[1].checksum).toBe((4n * sumSquares(500_000)).toString());
  // The timeline as PNG, from the button beside the other exports.
  const png = page.waitForEvent("download", { timeout: 10_000 }).catch(() => null);
  await page.getByTestId("export-png").click();
  await expect(page.getByRole("alert").filter({ hasText: "Export failed" }), "the PNG export fails").toHaveCount(0, { timeout: 2000 });
  expect((await png)?.suggestedFilename(), "the PNG download").toBe("nogil-timeline.png");
});

test("dist/ works under a sub-path of a static host", async ({ page }) => {
  onlyIn("isolated");
  await open(page, `${SUBPATH}?w=2*cpu(1000)&models=pool`);
  await pressRun(page);
  expect((await results(page)).pool.checksum).toBe(2n * sumSquares(1000));
  expect(new URL(page.url()).pathname).toBe("/playground/");
});

test("at= and inspect= survive the round trip through the address bar", async ({ page }) => {
  onlyIn("isolated");
  await open(page, "./?preset=gather&models=seq,loop&autorun=1&at=250ms&inspect=loop");
  await until(page, "done");
  await expect(page.getByTestId("inspector")).toHaveAttribute("data-model", "loop");
  await expect(page.getByTestId("inspector")).toHaveAttribute("data-at-ms", "250.000");
  const q = new URL(page.url()).searchParams;
  expect(q.get("at")).toBe("250ms");
  expect(q.get("inspect")).toBe("loop");
});

test("on a host that cannot send headers, Enable it reloads the page cross-origin isolated (sw.js)", async ({ page }) => {
  onlyIn("plain");
  await open(page, "./?w=4*cpu(2M)&models=gil&workers=2");
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  await Promise.all([page.waitForEvent("load", { timeout: 30_000 }), page.getByTestId("enable-isolation").click()]);
  await waitForPool(page);
  expect(await page.evaluate(() => crossOriginIsolated), "isolated after the reload").toBe(true);
  await expect(page.getByTestId("pool-status")).toContainText("Cross-origin isolated");
  await expect(page.getByTestId("enable-isolation")).toHaveCount(0);
  // The scenario survived the reload, and the GIL now lives in shared memory.
  await expect(page.getByTestId("workload")).toHaveValue("4*cpu(2M)");
  await pressRun(page);
  await expect(page.getByTestId("tab-results")).toBeVisible();
  await results(page);
  await expect(page.getByTestId("implementation")).toContainText("shared memory");
});

test("a link asking for more workers than this machine runs is capped, and the page says so", async ({ page }) => {
  await open(page);
  const max = await page.evaluate(() => Math.min(64, Math.max(4, 2 * navigator.hardwareConcurrency)));
  test.skip(max >= 64, "this machine runs as many workers as a link may ask for");
  await open(page, `./?v=1&w=4*cpu(1M)&models=pool&workers=${max + 1}`);
  await expect(page.getByTestId("link-errors")).toContainText(`workers=${max + 1} is more than this machine runs`);
  await expect(page.getByTestId("link-errors")).toContainText(`uses ${max}`);
  await expect(page.getByTestId("workers")).toHaveValue(String(max));
  // The address bar and the copied link keep the author's figure (a bigger
  // machine runs it) until the workers are set here.
  await expect(page).toHaveURL(new RegExp(`workers=${max + 1}(&|$)`));
  expect(await share(page, "copy-link")).toContain(`workers=${max + 1}`);
  await page.getByTestId("workers").fill("2");
  await expect(page).toHaveURL(/workers=2(&|$)/);
});
