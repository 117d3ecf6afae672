// Playwright against the release dist/, served twice: with COOP/COEP
// (cross-origin isolated) and without. Uses Debian's chromium: Playwright's
// own browser download is not reachable from these machines.
import { defineConfig } from "@playwright/test";
import { execSync } from "node:child_process";
import { PORTS, ISOLATED, PLAIN, EXAMPLES, SUBPATH } from "./ports.mjs";

const chromium = process.env.CHROMIUM || execSync("command -v chromium").toString().trim();
// The built site to test (default dist/; a copy can be tested while dist/ is rebuilt).
const dist = process.env.DIST || "dist";

export default defineConfig({
  testDir: "./tests",
  // Two cores and a worker pool per page: one test at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  outputDir: "../test-results",
  use: {
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
    viewport: { width: 1280, height: 800 },
  },
  projects: [
    { name: "isolated", use: { baseURL: ISOLATED } },
    { name: "plain", use: { baseURL: PLAIN } },
  ],
  webServer: [
    { command: `node e2e/serve.mjs --port ${PORTS.isolated} --isolated --root ${dist}`, cwd: "..", url: ISOLATED, reuseExistingServer: false },
    { command: `node e2e/serve.mjs --port ${PORTS.plain} --root ${dist}`, cwd: "..", url: PLAIN, reuseExistingServer: false },
    // dist/ under a sub-path, as on a static host's project page.
    { command: `node e2e/serve.mjs --port ${PORTS.subpath} --prefix /playground/ --root ${dist}`, cwd: "..", url: SUBPATH, reuseExistingServer: false },
    // Another origin, for the example tutorial page that embeds the playground.
    { command: `node e2e/serve.mjs --port ${PORTS.examples} --root examples`, cwd: "..", url: `${EXAMPLES}tutorial.html`, reuseExistingServer: false },
  ],
});
