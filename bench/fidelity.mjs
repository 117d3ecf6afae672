// `cargo xtask fidelity`: every preset and a set of mixed workloads, through
// every model they allow, in headless Chromium: cross-origin isolated at top
// level, not isolated at top level, and embedded cross-origin in a page
// without isolation (as a tutorial would). For each, a fresh page runs once
// (its first run: predictions from the start-up probes) and again (after
// one earlier run: predictions refined by the first). Prints one line per
// measurement, `FIDELITY {json}`, and a summary line `FIDELITY-DONE {json}`.
import { chromium } from "@playwright/test";
import { execSync, spawn } from "node:child_process";
import { createServer } from "node:http";

const exe = process.env.CHROMIUM || execSync("command -v chromium").toString().trim();
const only = process.env.FIDELITY_ONLY; // a substring of a scenario name, to run a few
const servers = [
  spawn("node", ["e2e/serve.mjs", "--port", "8291", "--isolated"], { stdio: "ignore" }),
  spawn("node", ["e2e/serve.mjs", "--port", "8292"], { stdio: "ignore" }),
];
// The tutorial page that embeds the playground from another origin.
const host = createServer((req, res) => {
  const src = new URL(req.url, "http://x").searchParams.get("src") || "";
  res.writeHead(200, { "Content-Type": "text/html" }).end(
    `<!doctype html><title>host</title><iframe id="pg" src="${src.replace(/"/g, "&quot;")}" style="width:600px;height:400px;border:0"></iframe>`,
  );
}).listen(8293, "127.0.0.1");
await new Promise((r) => setTimeout(r, 700));

const presets = ["gather", "sumsq20", "blocking-call", "c10k", "race-await", "gil-cpu", "gil-io", "convoy", "few-connections", "yield-granularity", "ten-x-myth"];
const mixed = [
  ["mixed-loop", "v=1&w=1000*[io(5ms),cpu(20k)]&models=seq,loop"],
  ["mixed-many", "v=1&w=3000*[io(10ms),cpu(50k)]&models=loop&limit=500"],
  ["mixed-pool", "v=1&w=16*[io(20ms),cpu(5M)]&models=pool,hybrid&workers=2"],
  ["mixed-threads", "v=1&w=4*[cpu(10M),io(10ms),cpu(10M)]&models=gil,free&workers=2"],
  ["cpu-loop", "v=1&w=8*cpu(20M)&models=seq,loop"],
  ["cpu-gil", "v=1&w=4*cpu(20M)&models=seq,gil,free&workers=2"],
  ["c100k", "v=1&w=100000*io(100ms)&models=loop"],
  ["mixed-js", "v=1&w=16*[io(20ms),cpu(5M)]&models=js,jsworker&workers=2"],
  ["many-js", "v=1&w=3000*[io(10ms),cpu(50k)]&models=js"],
  ["cpu-py", "v=1&w=4*[cpu(2M),io(20ms)]&models=py,pyasync"],
];
const scenarios = [...presets.map((p) => [p, `preset=${p}`]), ...mixed].filter(([n]) => !only || n.includes(only));
const contexts = [
  ["isolated", (q) => `http://127.0.0.1:8291/?${q}`, false],
  ["plain", (q) => `http://127.0.0.1:8292/?${q}`, false],
  ["embedded", (q) => `http://127.0.0.1:8293/?src=${encodeURIComponent(`http://127.0.0.1:8292/?${q}&embed=1&view=compare`)}`, true],
];
const browser = await chromium.launch({
  executablePath: exe,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const rows = [];
try {
  for (const [ctxName, url, embedded] of contexts) {
    for (const [name, q] of scenarios) {
      // A fresh browser context: no localStorage, so the first run's
      // predictions come from this page's own start-up probes.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      try {
        await page.goto(url(q));
        const root = embedded ? page.frameLocator("#pg") : page;
        const body = root.locator("body");
        await root.getByTestId("run").waitFor({ timeout: 30_000 });
        for (const round of [1, 2]) {
          await root.getByTestId("run").click({ timeout: 60_000 });
          await body.locator("xpath=self::*[@data-run-state='done' or @data-run-state='failed']").waitFor({ timeout: 180_000 });
          const state = await body.getAttribute("data-run-state");
          // On the full page the table is on its own tab.
          if (!embedded) await root.getByTestId("tab-results").click();
          const cells = await root.locator("td[data-metric=wall_ms], td[data-metric=predicted_wall_ms]").evaluateAll((tds) =>
            tds.map((td) => [td.dataset.model, td.dataset.metric, Number(td.dataset.value)]),
          );
          const byModel = {};
          for (const [m, k, v] of cells) (byModel[m] ||= {})[k] = v;
          for (const [model, v] of Object.entries(byModel)) {
            if (!(v.wall_ms > 0) || !(v.predicted_wall_ms > 0)) continue;
            const row = { context: ctxName, scenario: name, model, round, measured_ms: v.wall_ms, predicted_ms: v.predicted_wall_ms,
              error_pct: (v.predicted_wall_ms / v.wall_ms - 1) * 100 };
            rows.push(row);
            console.log(`FIDELITY ${JSON.stringify(row)}`);
          }
          if (!embedded) await root.getByTestId("tab-timeline").click();
          if (state === "failed") {
            console.log(`FIDELITY-FAILED ${JSON.stringify({ context: ctxName, scenario: name, round, error: await root.getByTestId("run-error").textContent().catch(() => "") })}`);
            break;
          }
        }
      } catch (e) {
        console.log(`FIDELITY-FAILED ${JSON.stringify({ context: ctxName, scenario: name, error: String(e).slice(0, 200) })}`);
      } finally {
        await context.close();
      }
    }
  }
} finally {
  await browser.close();
  servers.forEach((s) => s.kill());
  host.close();
}
console.log(`FIDELITY-DONE ${JSON.stringify({ rows: rows.length })}`);
