// Stores each bundle in target/site/pkg also as .br (quality 11) and .gz
// (level 9), for the server to send as the browser accepts.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";

const dir = process.argv[2];
for (const name of readdirSync(dir)) {
  if (!/\.(js|wasm|css)$/.test(name)) continue;
  const raw = readFileSync(join(dir, name));
  writeFileSync(join(dir, name + ".br"), brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  }));
  writeFileSync(join(dir, name + ".gz"), gzipSync(raw, { level: 9 }));
}
