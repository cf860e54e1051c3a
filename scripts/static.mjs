// A static file server on 127.0.0.1: `scripts/serve.sh` serves dist/ with it
// on port 8080 (node scripts/static.mjs [DIR] [PORT]); the end-to-end tests
// serve dist/ on a free port, also under a prefix such as /course/lab/.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.css': 'text/css', '.wasm': 'application/wasm', '.bin': 'application/octet-stream',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
};

/**
 * Serves `dir` on 127.0.0.1 at `port` (0: a free one) under `prefix` (anything
 * outside it is 404); resolves to { url, close } with url the prefix's address.
 */
export async function serve(dir, prefix = '/', port = 0) {
  const server = createServer(async (req, res) => {
    const full = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!full.startsWith(prefix)) { res.writeHead(404).end('not found'); return; }
    const path = `/${full.slice(prefix.length)}`;
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] || 'application/octet-stream', 'Content-Length': body.length });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok, fail) => { server.once('error', fail); server.listen(port, '127.0.0.1', ok); });
  return {
    url: `http://127.0.0.1:${server.address().port}${prefix}`,
    close: () => { server.closeAllConnections(); return new Promise((ok) => server.close(ok)); },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] || join(fileURLToPath(import.meta.url), '../../dist'));
  const { url } = await serve(dir, '/', Number(process.argv[3] || 8080));
  console.error(`FA Lab: serving ${dir} on ${url} (Ctrl-C stops it)`);
}
