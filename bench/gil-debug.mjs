import { chromium } from "@playwright/test";
import { spawn } from "node:child_process";
const srv = spawn("node", ["e2e/serve.mjs", "--port", "8292"], { stdio: "ignore" });
await new Promise((r) => setTimeout(r, 700));
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
await page.goto(`http://127.0.0.1:8292/?${process.env.Q || "preset=gil-cpu&models=gil"}`);
for (const round of [1, 2, 3]) {
  await page.getByTestId("run").click({ timeout: 60000 });
  await page.locator("body[data-run-state=done]").waitFor({ timeout: 60000 });
  const ts = JSON.parse(await page.evaluate(() => window.wasmBindings.last_traces_json()));
  for (const t of ts) {
    const sp = t.spans.map(([task, lane, state, start, end]) => ({ task, lane, state, start, end }));
    const run = sp.filter((s) => s.state === "running").sort((a, b) => a.start - b.start);
    const t0 = Math.min(...sp.map((s) => s.start));
    const wall = Math.max(...sp.map((s) => s.end)) - t0;
    let busy = 0, gaps = [];
    for (let i = 0; i < run.length; i++) { busy += run[i].end - run[i].start; if (i) gaps.push(run[i].start - run[i - 1].end); }
    gaps.sort((a, b) => a - b);
    const tr = sp.filter((s) => s.state === "transfer").sort((a, b) => a.start - b.start);
    // transfers alternate: grant (sent->start), give-back (end->answered)
    const grants = [], backs = [], page = [];
    for (const r of run) {
      const g = tr.find((x) => x.lane === r.lane && Math.abs(x.end - r.start) < 1000);
      const b = tr.find((x) => x.lane === r.lane && Math.abs(x.start - r.end) < 1000);
      if (g) grants.push(g.end - g.start);
      if (b) backs.push(b.end - b.start);
    }
    const ends = tr.filter((x) => run.some((r) => x.lane === r.lane && Math.abs(x.start - r.end) < 1000)).map((x) => x.end);
    const starts = tr.filter((x) => run.some((r) => x.lane === r.lane && Math.abs(x.end - r.start) < 1000)).map((x) => x.start);
    for (const s of starts) { const prev = ends.filter((e) => e <= s).sort((a, b) => b - a)[0]; if (prev !== undefined) page.push(s - prev); }
    const avg = (a) => a.length ? (a.reduce((x, y) => x + y, 0) / a.length / 1e6).toFixed(3) : "-";
    console.log("   grant avg", avg(grants), "give-back avg", avg(backs), "page gap avg", avg(page), "n", grants.length, backs.length, page.length, "states", [...new Set(sp.map((s) => s.state))].join(","));
    const q = (p) => (gaps[Math.floor(p * (gaps.length - 1))] / 1e6).toFixed(3);
    console.log(round, t.model || "", "wall", (wall / 1e6).toFixed(1), "running", (busy / 1e6).toFixed(1), "quanta", run.length, "gap p50", q(0.5), "p90", q(0.9), "max", q(1), "first start", ((run[0].start - t0) / 1e6).toFixed(2),
      "span lens", run.slice(0, 6).map((s) => ((s.end - s.start) / 1e6).toFixed(2)).join(","));
  }
}
await browser.close(); srv.kill();
