/**
 * A plain static file server for the built lab, as any static host would serve dist/: files
 * only, no rewrites, no index fallback, under a sub-path. The e2e suite opens the lab here to
 * show that the build works away from the site's root.
 *
 *   npx tsx scripts/serve-static.ts [--dir dist] [--port 4318] [--base /lab/] [--plain-base /plain/lab/]
 *
 * Under --base it sends COOP and COEP (cross-origin isolation: tfjs-wasm's threads), as a host
 * configured for the lab would; under --plain-base the same files come without any header, as
 * from a host that cannot set headers (GitHub Pages): the lab then runs single-threaded.
 * Files are read on each request, so the server may start before the build has finished.
 */
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: 'dist' },
    port: { type: 'string', default: '4318' },
    host: { type: 'string', default: '127.0.0.1' },
    base: { type: 'string', default: '/lab/' },
    'plain-base': { type: 'string', default: '/plain/lab/' },
  },
});

const root = resolve(values.dir);
const port = Number(values.port);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  // Streaming compilation of WebAssembly needs its own type.
  '.wasm': 'application/wasm',
};

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const mounts = [
  { base: values.base, headers: ISOLATION },
  { base: values['plain-base'], headers: {} },
];

/** The file under `root` a request path names, or null when it would leave `root`. */
function fileOf(relative: string): string | null {
  const path = normalize(join(root, decodeURIComponent(relative)));
  return path === root || path.startsWith(root + sep) ? path : null;
}

const server = createServer((request, response) => {
  void (async () => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const mount = mounts.find((m) => url.pathname.startsWith(m.base));
    if (!mount) return notFound(response);
    let file = fileOf(url.pathname.slice(mount.base.length));
    if (!file) return notFound(response);
    if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
    const body = await readFile(file).catch(() => null);
    if (!body) return notFound(response);
    response.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      ...mount.headers,
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  })().catch((err: unknown) => {
    response.writeHead(500);
    response.end(String(err));
  });
});

function notFound(response: import('node:http').ServerResponse): void {
  response.writeHead(404, { 'Content-Type': 'text/plain' });
  response.end('Not found');
}

server.listen(port, values.host, () => {
  console.log(
    `serving ${root} at http://${values.host}:${port}${values.base} and ${values['plain-base']}`,
  );
});
