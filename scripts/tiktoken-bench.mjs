// Prints tiktoken's own encoding speed, to set beside glassbox's in `make bench`.
//
// Usage (after `npm ci --prefix scripts`):
//   node scripts/tiktoken-bench.mjs [--mib N] [--runs K] [--js] [STDLIB_DIR]
//
// Text: the .py files of the Python standard library (STDLIB_DIR, default: python3's), in byte order
// of their relative paths, leaving out tests, site-packages and the build's config-* directory, joined
// one after another and cut to the first N MiB (default 4; 0: all), cut back to a whole UTF-8 character.
// The script prints the text's size and sha256 so that another benchmark can check it uses the same.
//
// Encoders: the npm `tiktoken` package (OpenAI's Rust tiktoken compiled to WebAssembly), and with --js
// also js-tiktoken (a pure-JavaScript port, much slower). Each figure is the best of K runs (default 3)
// of encode_ordinary over the whole text, in MB/s (10^6 bytes of UTF-8 input per second).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "package.json"));
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

let mib = 4;
let runs = 3;
let withJs = false;
let stdlib = "";
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--mib") mib = Number(args[++i]);
  else if (args[i] === "--runs") runs = Number(args[++i]);
  else if (args[i] === "--js") withJs = true;
  else stdlib = args[i];
}
if (!stdlib)
  stdlib = execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).trim();

function listPy(dir, rel, out) {
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (/^(site-packages|dist-packages|test|tests|idle_test|__pycache__)$/.test(entry.name) || /^config-/.test(entry.name)) continue;
      listPy(dir, r, out);
    } else if (entry.isFile() && entry.name.endsWith(".py") && !entry.name.startsWith("test_")) {
      out.push(r);
    }
  }
  return out;
}

const files = listPy(stdlib, "", []).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
let bytes = Buffer.concat(files.map((f) => readFileSync(join(stdlib, f))));
if (mib > 0 && bytes.length > mib * 1048576) {
  let cut = mib * 1048576;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--; // do not split a UTF-8 character
  bytes = bytes.subarray(0, cut);
}
const text = bytes.toString("utf8");
const utf8Len = Buffer.byteLength(text, "utf8");
const sha = createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");
console.log(`tiktoken reference: ${files.length} stdlib files from ${stdlib}, first ${utf8Len} bytes, sha256 ${sha}`);

function bench(label, encode) {
  let best = Infinity;
  let n = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    n = encode(text).length;
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (dt < best) best = dt;
  }
  console.log(`  ${label}: ${(utf8Len / 1e6 / best).toFixed(2)} MB/s (${n} tokens, ${best.toFixed(3)} s, best of ${runs})`);
}

const tkVersion = readJson(join(here, "node_modules", "tiktoken", "package.json")).version;
const { get_encoding } = require("tiktoken");
for (const name of ["cl100k_base", "o200k_base"]) {
  const enc = get_encoding(name);
  bench(`tiktoken ${tkVersion} (WASM) ${name}`, (s) => enc.encode_ordinary(s));
  enc.free();
}
if (withJs) {
  const jsVersion = readJson(join(here, "node_modules", "js-tiktoken", "package.json")).version;
  const { Tiktoken } = await import("js-tiktoken/lite");
  for (const name of ["cl100k_base", "o200k_base"]) {
    const enc = new Tiktoken((await import(`js-tiktoken/ranks/${name}`)).default);
    bench(`js-tiktoken ${jsVersion} ${name}`, (s) => enc.encode(s, [], []));
  }
}
