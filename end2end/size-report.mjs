// Transfer size of a page's first load: the HTML and every /pkg asset it
// references (JS, WASM, CSS) and its logo, raw, gzip -9 and brotli q11.
// Usage: node size-report.mjs URL [brotli budget in KB] [LATER_URL...]; exits
// 1 over budget. LATER_URLs (chunks fetched on demand) are listed, not counted.
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const [url, budgetKb, ...later] = process.argv.slice(2);
const base = new URL(url);
const fetchBytes = async (u) => {
  const res = await fetch(u, { headers: { "Accept-Encoding": "identity" } });
  if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
};

const html = await fetchBytes(base);
const assets = new Set();
// Bundles, and the organisation's logo if it has one.
for (const m of html.toString().matchAll(/(?:href|src)="(\/(?:pkg|widget-logo)\/[^"]+)"/g)) assets.add(m[1].replaceAll("&amp;", "&"));

const rows = [["html " + base.pathname, html]];
// Scripts are ES modules: what they import statically is fetched at once too
// (the WASM split loader); chunks fetched later on demand are not.
const queue = [...assets].sort();
for (let i = 0; i < queue.length; i++) {
  const a = queue[i];
  const bytes = await fetchBytes(new URL(a, base));
  rows.push([a, bytes]);
  if (!a.endsWith(".js")) continue;
  for (const m of bytes.toString().matchAll(/\b(?:import|export)\b[^'";]*?\bfrom\s*['"](\.\/[^'"]+)['"]|\bimport\s*['"](\.\/[^'"]+)['"]/g)) {
    const dep = new URL(m[1] ?? m[2], new URL(a, base)).pathname;
    if (!queue.includes(dep)) queue.push(dep);
  }
}

const kb = (n) => (n / 1024).toFixed(1).padStart(8);
let total = { raw: 0, gz: 0, br: 0 };
console.log(`${"file".padEnd(44)}${"raw KB".padStart(8)}${"gzip".padStart(8)}${"brotli".padStart(8)}`);
for (const [name, bytes] of rows) {
  const gz = gzipSync(bytes, { level: 9 }).length;
  const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  total.raw += bytes.length; total.gz += gz; total.br += br;
  console.log(`${name.padEnd(44)}${kb(bytes.length)}${kb(gz)}${kb(br)}`);
}
console.log(`${"total".padEnd(44)}${kb(total.raw)}${kb(total.gz)}${kb(total.br)}`);
for (const u of later) {
  const bytes = await fetchBytes(new URL(u, base));
  const br = brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  console.log(`${("later " + new URL(u, base).pathname).padEnd(44)}${kb(bytes.length)}${kb(gzipSync(bytes, { level: 9 }).length)}${kb(br)}`);
}
if (budgetKb && total.br > Number(budgetKb) * 1024) {
  console.error(`over budget: ${(total.br / 1024).toFixed(1)} KB brotli > ${budgetKb} KB`);
  process.exit(1);
}
