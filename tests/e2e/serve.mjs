// A small static file server for a built Docusaurus site, as a static host serves it:
// files under a base path (the site's baseUrl), `dir/` -> `dir/index.html`, `page` ->
// `page.html` or `page/index.html`, and the site's 404.html (status 404) for anything missing.
//
//   node serve.mjs --root DIR --base /textbook/ --port 0
//
// Binds 127.0.0.1 only. Prints `listening http://127.0.0.1:PORT` once ready.

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    root: { type: "string" },
    base: { type: "string", default: "/" },
    port: { type: "string", default: "0" },
  },
});
if (!values.root) {
  console.error("usage: serve.mjs --root DIR [--base /] [--port 0]");
  process.exit(2);
}
const root = path.resolve(values.root);
const base = values.base.endsWith("/") ? values.base : values.base + "/";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".xml": "application/xml",
};

async function isFile(file) {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The file for a request path, or null. Never leaves `root`. */
async function resolve(urlPath) {
  if (!urlPath.startsWith(base) && urlPath + "/" !== base) return null;
  let rel;
  try {
    rel = decodeURIComponent(urlPath.slice(base.length));
  } catch {
    return null;
  }
  const full = path.resolve(root, "." + path.posix.sep + rel);
  if (full !== root && !full.startsWith(root + path.sep)) return null;
  const candidates = rel === "" || rel.endsWith("/") ? [path.join(full, "index.html")] : [full, full + ".html", path.join(full, "index.html")];
  for (const c of candidates) if (await isFile(c)) return c;
  return null;
}

function send(res, status, file, method) {
  res.writeHead(status, {
    "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream",
    "Cache-Control": "no-cache",
  });
  if (method === "HEAD") return res.end();
  createReadStream(file).pipe(res);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405).end();
    return;
  }
  // A site under /textbook/ is reached at /textbook as well, as hosts redirect.
  if (url.pathname + "/" === base) {
    res.writeHead(301, { Location: base + url.search }).end();
    return;
  }
  const file = await resolve(url.pathname);
  if (file) return send(res, 200, file, req.method);
  const notFound = path.join(root, "404.html");
  if (await isFile(notFound)) return send(res, 404, notFound, req.method);
  res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
});

server.listen(Number(values.port), "127.0.0.1", () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
