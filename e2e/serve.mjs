// A static server for dist/, for the end-to-end tests: with --isolated it sends
// COOP/COEP (cross-origin isolation, SharedArrayBuffer); without, it does not,
// like a plain static host or a cross-origin iframe.
// Usage: node e2e/serve.mjs --port 8181 [--isolated] [--root dist] [--prefix /sub/]
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const port = Number(arg("--port", "8181"));
const root = resolve(arg("--root", "dist"));
const isolated = args.includes("--isolated");
// Serve under a sub-path (e.g. /playground/), as a static host might.
const prefix = arg("--prefix", "");

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  if (prefix && !url.pathname.startsWith(prefix)) {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not under the prefix");
    return;
  }
  if (prefix) url.pathname = url.pathname.slice(prefix.length - 1) || "/";
  let path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, "");
  let file = join(root, path);
  if (!file.startsWith(root)) {
    res.writeHead(403).end();
    return;
  }
  try {
    if ((await stat(file)).isDirectory()) file = join(file, "index.html");
    const body = await readFile(file);
    const headers = { "Content-Type": types[extname(file)] ?? "application/octet-stream", "Cache-Control": "no-store" };
    if (isolated) {
      headers["Cross-Origin-Opener-Policy"] = "same-origin";
      headers["Cross-Origin-Embedder-Policy"] = "require-corp";
    }
    res.writeHead(200, headers).end(body);
  } catch {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
  }
}).listen(port, "127.0.0.1", () => console.log(`serving ${root} on http://127.0.0.1:${port}${isolated ? " (isolated)" : ""}`));
