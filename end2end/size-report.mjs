// Transfer size of a page's first load: the HTML and every /pkg asset it
// references (JS, WASM, CSS), raw, gzip -9 and brotli q11.
// Usage: node size-report.mjs URL [brotli budget in KB]; exits 1 over budget.
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const [url, budgetKb] = process.argv.slice(2);
const base = new URL(url);
const fetchBytes = async (u) => {
  const res = await fetch(u, { headers: { "Accept-Encoding": "identity" } });
  if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
};

const html = await fetchBytes(base);
const assets = new Set();
for (const m of html.toString().matchAll(/(?:href|src)="(\/pkg\/[^"]+)"/g)) assets.add(m[1]);

const rows = [["html " + base.pathname, html]];
for (const a of [...assets].sort()) rows.push([a, await fetchBytes(new URL(a, base))]);

const kb = (n) => (n / 1024).toFixed(1).padStart(8);
let total = { raw: 0, gz: 0, br: 0 };
console.log(`${"file".padEnd(36)}${"raw KB".padStart(8)}${"gzip".padStart(8)}${"brotli".padStart(8)}`);
for (const [name, bytes] of rows) {
  const gz = gzipSync(bytes, { level: 9 }).length;
  const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  total.raw += bytes.length; total.gz += gz; total.br += br;
  console.log(`${name.padEnd(36)}${kb(bytes.length)}${kb(gz)}${kb(br)}`);
}
console.log(`${"total".padEnd(36)}${kb(total.raw)}${kb(total.gz)}${kb(total.br)}`);
if (budgetKb && total.br > Number(budgetKb) * 1024) {
  console.error(`over budget: ${(total.br / 1024).toFixed(1)} KB brotli > ${budgetKb} KB`);
  process.exit(1);
}
