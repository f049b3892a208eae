// Transfer size of a page's first load, raw, gzip -9 and brotli q11:
// - first open: the HTML and every /pkg asset its tags reference (CSS, and
//   JS/WASM where the page loads its code with it) and its logo;
// - code after load: bundles an inline loader fetches once the page has
//   loaded (the widget's: its form works before them), with what they import;
// - later: chunks fetched on first use (LATER_URLs), listed, not counted.
// Usage: node size-report.mjs URL [first-open budget KB] [--code-budget KB]
//        [LATER_URL...]; exits 1 over a budget.
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const args = process.argv.slice(2);
const codeAt = args.indexOf("--code-budget");
const codeBudgetKb = codeAt >= 0 ? Number(args.splice(codeAt, 2)[1]) : null;
const [url, budgetKb, ...later] = args;
const base = new URL(url);
const fetchBytes = async (u) => {
  const res = await fetch(u, { headers: { "Accept-Encoding": "identity" } });
  if (!res.ok) throw new Error(`${u}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
};
const sizes = (bytes) => ({
  raw: bytes.length,
  gz: gzipSync(bytes, { level: 9 }).length,
  br: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});

const html = await fetchBytes(base);
const text = html.toString();
// Tags: bundles and stylesheet, and the organisation's logo if it has one.
const tagged = [...text.matchAll(/(?:href|src)="(\/(?:pkg|widget-logo)\/[^"]+)"/g)].map((m) => m[1].replaceAll("&amp;", "&"));
// Inline scripts: bundle addresses a loader fetches after the page.
const inline = [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
  .flatMap((m) => [...m[1].matchAll(/"(\/pkg\/[^"]+\.(?:js|wasm))"/g)].map((x) => x[1]))
  .filter((a) => !tagged.includes(a));

// Scripts are ES modules: what they import statically is fetched with them
// (the WASM split loader); chunks fetched later on demand are not.
const seen = new Set();
async function fetchAll(start) {
  const rows = [];
  const queue = [...new Set(start)].sort();
  for (let i = 0; i < queue.length; i++) {
    const a = queue[i];
    if (seen.has(a)) continue;
    seen.add(a);
    const bytes = await fetchBytes(new URL(a, base));
    rows.push([a, bytes]);
    if (!a.endsWith(".js")) continue;
    for (const m of bytes.toString().matchAll(/\b(?:import|export)\b[^'";]*?\bfrom\s*['"](\.\/[^'"]+)['"]|\bimport\s*['"](\.\/[^'"]+)['"]/g)) {
      const dep = new URL(m[1] ?? m[2], new URL(a, base)).pathname;
      if (!queue.includes(dep)) queue.push(dep);
    }
  }
  return rows;
}

const kb = (n) => (n / 1024).toFixed(1).padStart(8);
const line = (name, s) => console.log(`${name.padEnd(44)}${kb(s.raw)}${kb(s.gz)}${kb(s.br)}`);
const add = (t, s) => ({ raw: t.raw + s.raw, gz: t.gz + s.gz, br: t.br + s.br });
console.log(`${"file".padEnd(44)}${"raw KB".padStart(8)}${"gzip".padStart(8)}${"brotli".padStart(8)}`);
let total = sizes(html);
line("html " + base.pathname, total);
for (const [name, bytes] of await fetchAll(tagged)) {
  const s = sizes(bytes);
  total = add(total, s);
  line(name, s);
}
line("total", total);
let withCode = total;
if (inline.length) {
  for (const [name, bytes] of await fetchAll(inline)) {
    const s = sizes(bytes);
    withCode = add(withCode, s);
    line("after load " + name, s);
  }
  line("total with code", withCode);
}
let everything = withCode;
for (const u of later) {
  const s = sizes(await fetchBytes(new URL(u, base)));
  everything = add(everything, s);
  line("later " + new URL(u, base).pathname, s);
}
if (later.length) line("total with later", everything);

let over = false;
if (budgetKb && total.br > Number(budgetKb) * 1024) {
  console.error(`over budget: first open ${(total.br / 1024).toFixed(1)} KB brotli > ${budgetKb} KB`);
  over = true;
}
if (codeBudgetKb && withCode.br > codeBudgetKb * 1024) {
  console.error(`over budget: with code ${(withCode.br / 1024).toFixed(1)} KB brotli > ${codeBudgetKb} KB`);
  over = true;
}
process.exit(over ? 1 : 0);
