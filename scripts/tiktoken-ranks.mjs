// Regenerates assets/tokenizers/{r50k_base,cl100k_base,o200k_base}.tiktoken from npm packages.
//
// Usage (from the repository root; needs node >= 18 and the npm registry once):
//   npm ci --prefix scripts                 # installs the exact versions in scripts/package-lock.json
//   node scripts/tiktoken-ranks.mjs [OUTDIR] # OUTDIR defaults to assets/tokenizers
//
// Source of the ranks: the `tiktoken` package (JS/WASM build of OpenAI's tiktoken) ships each encoding
// as encoders/NAME.json, whose "bpe_ranks" field packs the rank table into text lines of the form
//   FIELD0 FIRST_RANK B64 B64 B64 ...
// (one line per run of consecutive ranks; the i-th base64 string after FIRST_RANK has rank
// FIRST_RANK + i; FIELD0 is a label the packers ignore). We unpack that and write the standard
// `.tiktoken` layout: one line per token, "BASE64 RANK\n", in rank order, special tokens left out.
//
// Checks done on every run (the script exits non-zero if one fails):
//   - the same table, unpacked from js-tiktoken's ranks/NAME module, is identical (two packagings);
//   - every base64 string is canonical (decodes and re-encodes to itself) and no byte string repeats;
//   - ranks are 0..N-1 without gaps, and all 256 single bytes are tokens;
//   - N and the special token ids are the ones listed below;
//   - the written file's sha256 equals the hash OpenAI's tiktoken pins for its own download of that
//     file, so the files are byte-identical to the originals.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const outDir = resolve(process.argv[2] ?? join(here, "..", "assets", "tokenizers"));

// What each encoding must look like. The sha256 values are the `expected_hash` arguments in
// tiktoken's tiktoken_ext/openai_public.py for the files on OpenAI's server.
const ENCODINGS = {
  r50k_base: {
    ranks: 50256,
    special: { "<|endoftext|>": 50256 },
    sha256: "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
  },
  cl100k_base: {
    ranks: 100256,
    special: {
      "<|endoftext|>": 100257,
      "<|fim_prefix|>": 100258,
      "<|fim_middle|>": 100259,
      "<|fim_suffix|>": 100260,
      "<|endofprompt|>": 100276,
    },
    sha256: "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
  },
  o200k_base: {
    ranks: 199998,
    special: { "<|endoftext|>": 199999, "<|endofprompt|>": 200018 },
    sha256: "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
  },
};

function fail(msg) {
  console.error(`tiktoken-ranks: ${msg}`);
  process.exit(1);
}

// Unpacks a "bpe_ranks" string into an array indexed by rank (holes stay undefined).
function unpackRanks(packed, what) {
  const byRank = [];
  for (const line of packed.split("\n")) {
    if (line === "") continue;
    const fields = line.split(" ");
    const first = Number(fields[1]);
    if (!Number.isInteger(first) || first < 0) fail(`${what}: bad run start in line "${line.slice(0, 40)}"`);
    for (let i = 2; i < fields.length; i++) {
      const rank = first + i - 2;
      if (byRank[rank] !== undefined) fail(`${what}: rank ${rank} given twice`);
      byRank[rank] = fields[i];
    }
  }
  return byRank;
}

async function convert(name, want) {
  const json = readJson(join(modules, "tiktoken", "encoders", `${name}.json`));
  const ranks = unpackRanks(json.bpe_ranks, `tiktoken ${name}`);

  // Second packaging of the same table, for a cross-check.
  const jsJson = (await import(`js-tiktoken/ranks/${name}`)).default;
  const jsRanks = unpackRanks(jsJson.bpe_ranks, `js-tiktoken ${name}`);
  if (jsRanks.length !== ranks.length || jsRanks.some((b, i) => b !== ranks[i]))
    fail(`${name}: tiktoken and js-tiktoken rank tables differ`);
  if (JSON.stringify(jsJson.special_tokens) !== JSON.stringify(json.special_tokens))
    fail(`${name}: tiktoken and js-tiktoken special tokens differ`);

  // Ranks 0..N-1, no holes, canonical base64, no repeated byte strings, every single byte present.
  const seen = new Set();
  const singleBytes = new Set();
  let text = "";
  for (let r = 0; r < ranks.length; r++) {
    const b64 = ranks[r];
    if (b64 === undefined) fail(`${name}: no token has rank ${r} (gap)`);
    const bytes = Buffer.from(b64, "base64");
    if (bytes.length === 0 || bytes.toString("base64") !== b64) fail(`${name}: rank ${r}: non-canonical base64 "${b64}"`);
    const key = bytes.toString("latin1");
    if (seen.has(key)) fail(`${name}: rank ${r}: byte string repeats an earlier token`);
    seen.add(key);
    if (bytes.length === 1) singleBytes.add(bytes[0]);
    text += `${b64} ${r}\n`;
  }
  if (singleBytes.size !== 256) fail(`${name}: only ${singleBytes.size} of the 256 single bytes are tokens`);
  if (ranks.length !== want.ranks) fail(`${name}: ${ranks.length} ranks, expected ${want.ranks}`);
  if (JSON.stringify(json.special_tokens) !== JSON.stringify(want.special))
    fail(`${name}: special tokens ${JSON.stringify(json.special_tokens)}, expected ${JSON.stringify(want.special)}`);
  for (const [tok, id] of Object.entries(json.special_tokens))
    if (id < ranks.length) fail(`${name}: special ${tok} id ${id} collides with a rank`);

  const path = join(outDir, `${name}.tiktoken`);
  writeFileSync(path, text);
  const sha = createHash("sha256").update(text).digest("hex");
  if (sha !== want.sha256) fail(`${name}: sha256 ${sha} differs from OpenAI's ${want.sha256}`);
  const specials = Object.entries(json.special_tokens).map(([t, id]) => `${t}=${id}`).join(" ");
  console.log(`${path}: ${ranks.length} ranks (0..${ranks.length - 1}, no gaps), ${text.length} bytes, sha256 ${sha} (= OpenAI's)`);
  console.log(`  specials: ${specials}`);
  console.log(`  pattern: ${json.pat_str}`);
}

mkdirSync(outDir, { recursive: true });
const tk = readJson(join(modules, "tiktoken", "package.json"));
const jt = readJson(join(modules, "js-tiktoken", "package.json"));
console.log(`from tiktoken ${tk.version} (${tk.license}), cross-checked with js-tiktoken ${jt.version} (${jt.license})`);
for (const [name, want] of Object.entries(ENCODINGS)) await convert(name, want);
