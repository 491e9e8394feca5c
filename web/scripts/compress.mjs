// After `vite build`: every text file of dist/ also as .br (brotli, quality 11) and .gz (gzip 9),
// kept only when smaller, so that the service sends the smallest the browser accepts without
// compressing anything per request (app/web.py). Node's own zlib: no dependency.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const DIST = new URL("../dist/", import.meta.url).pathname;
const TEXT = /\.(js|mjs|css|html|svg|json|txt|map|wasm)$/;
const MIN_BYTES = 1024;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let raw = 0;
let br = 0;
let gz = 0;
for (const path of files(DIST)) {
  if (!TEXT.test(path)) continue;
  const body = readFileSync(path);
  if (body.length < MIN_BYTES) continue;
  const brotli = brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
  const gzip = gzipSync(body, { level: 9 });
  raw += body.length;
  if (brotli.length < body.length) {
    writeFileSync(`${path}.br`, brotli);
    br += brotli.length;
  }
  if (gzip.length < body.length) {
    writeFileSync(`${path}.gz`, gzip);
    gz += gzip.length;
  }
}
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`compressed dist/: ${kib(raw)} → brotli ${kib(br)}, gzip ${kib(gz)}`);
