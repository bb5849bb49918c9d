// Records tiktoken's token ids for a fixed set of inputs, for tests/test_tiktoken.c to compare against.
//
// Usage (from the repository root; after `npm ci --prefix scripts`):
//   node scripts/tiktoken-expect.mjs [STDLIB_DIR]
// writes tests/data/tiktoken_expected/{r50k_base,cl100k_base,o200k_base}.txt. STDLIB_DIR defaults to
// the stdlib of `python3` (sysconfig "stdlib"); the expectations were made with CPython 3.11.7's.
//
// The encoder is the npm package `tiktoken` (OpenAI's Rust tiktoken compiled to WASM, with the
// fancy-regex pre-tokenizer), built from the committed assets/tokenizers/NAME.tiktoken and the
// package's pattern for NAME. Every case is also encoded by js-tiktoken (a separate pure-JS port that
// splits with JavaScript's RegExp) and the script stops if the two disagree; inputs whose pieces are
// too long for js-tiktoken's quadratic merge loop are left to the WASM encoder alone.
//
// Text goes in as JavaScript strings, so only valid UTF-8 can be recorded here: invalid byte
// sequences would reach tiktoken as U+FFFD. Their round trip is tested on the C side without a
// reference.
//
// File format (plain text, one record per line, fields separated by single spaces):
//   # ...                        comment
//   encoding NAME                first record
//   stdlib PATH                  where the stdlib files were read when recording (a hint)
//   case NAME                    starts a case; NAME has no spaces
//   input HEX                    the UTF-8 bytes of the input in lower-case hex ("input" alone: empty)
//   repeat HEX COUNT             or: the bytes HEX repeated COUNT times
//   file RELPATH SHA256 SIZE     or: a file of the Python stdlib, relative to its root; skip the case
//                                when the file is missing or its sha256 differs
//   ids N TOK TOK ...            the N ids; TOK is ID, or ID*K for K >= 2 consecutive copies of ID
//   end CASES                    last record, with the number of cases (detects a truncated file)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const require = createRequire(join(here, "package.json"));
const { Tiktoken: WasmTiktoken } = require("tiktoken/lite");
const { Tiktoken: JsTiktoken } = await import("js-tiktoken/lite");
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const NAMES = ["r50k_base", "cl100k_base", "o200k_base"];

// ---------------------------------------------------------------- inputs

// (a) Python stdlib files: every 13th file of at most 16 KiB, in C-locale order of the relative path,
// leaving out tests, installed packages and the build-specific config directory.
function stdlibDir() {
  if (process.argv[2]) return process.argv[2];
  return execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"], { encoding: "utf8" }).trim();
}

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

function stdlibCases(dir) {
  const cmp = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const small = listPy(dir, "", []).sort(cmp).filter((r) => statSync(join(dir, r)).size <= 16384);
  const cases = [];
  for (let i = 0; i < small.length; i += 13) {
    const bytes = readFileSync(join(dir, small[i]));
    const text = bytes.toString("utf8");
    if (!Buffer.from(text, "utf8").equals(bytes)) continue; // not valid UTF-8: cannot be recorded
    cases.push({ name: `stdlib:${small[i]}`, text, file: small[i], sha: createHash("sha256").update(bytes).digest("hex"), size: bytes.length });
  }
  return cases;
}

// (b)-(c) Inline inputs, so part of the test never depends on the machine.
function inlineCases() {
  const c = [];
  const add = (name, text) => c.push({ name, text });

  // Code in a few languages.
  add("code_python", 'def mean(xs: list[float]) -> float:\n    """Average of xs; 0.0 when empty."""\n    if not xs:\n        return 0.0\n    return sum(xs) / len(xs)\n\n\nclass Point:\n    def __init__(self, x=0, y=0):\n        self.x, self.y = x, y\n\n    def __repr__(self):\n        return f"Point({self.x!r}, {self.y!r})"\n');
  add("code_c", "#include <stdio.h>\n\nint main(int argc, char **argv) {\n\tfor (int i = 0; i < argc; ++i)\n\t\tprintf(\"%d: %s\\n\", i, argv[i]);\n\treturn argc > 1 ? 0 : 2;\n}\n");
  add("code_js", "const sum = (a, b) => a + b;\nexport async function fetchAll(urls) {\n  return Promise.all(urls.map(u => fetch(u).then(r => r.json())));\n}\n// TODO: retries\n/* block\n   comment */\n");
  add("code_make", "CFLAGS ?= -O2 -Wall\n%.o: %.c\n\t$(CC) $(CFLAGS) -c $< -o $@\n\nclean:\n\trm -f *.o\n");
  add("code_json", '{"name": "glassbox", "version": "0.1.0", "tags": ["bpe", "attention"], "nested": {"a": [1, 2.5, -3e10, null, true]}}');
  add("code_shell", "#!/bin/sh\nset -eu\nfor f in *.txt; do\n  wc -l \"$f\" | awk '{print $1}'\ndone 2>/dev/null || exit 1\n");
  add("markup", "<div class=\"x\"><a href='https://example.org/a/b?c=1&d=2#frag'>link</a></div>\n# Title\n\n* item **bold** _em_ `code`\n> quote\n");
  add("paths_urls", "/usr/local/lib/python3.11/site-packages C:\\Windows\\System32\\drivers\\etc\\hosts https://a.b/c//d/// mailto:user.name+tag@example.co.uk");
  add("prose", "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX! the quick, brown... fox? (jumps) [over] {the} \"lazy\" 'dog'.");
  add("special_token_text", "<|endoftext|> is text here, and so are <|fim_prefix|><|fim_middle|><|fim_suffix|> and <|endofprompt|>.");
  add("empty", "");
  add("single_space", " ");
  add("single_newline", "\n");
  add("ascii_controls", Array.from({ length: 128 }, (_, i) => String.fromCharCode(i)).join(""));
  add("nul_bytes", "a\u0000b\u0000\u0000c \u0000 \u0000");

  // (b) Non-ASCII text.
  add("accents_fr", "Déjà vu : l'élève a reçu « où est le château ? » — naïve façade, cœur, Œuvre, ÇA VA.");
  add("accents_de_vi", "Straße, Äpfel, Öl, Übermaß, Donaudampfschifffahrtsgesellschaftskapitän. Tiếng Việt có dấu: người, được, những.");
  add("nfd_combining", "Cafe\u0301 re\u0301sume\u0301 n\u0303 a\u0308\u0304 o\u0302\u0323 Z\u0336\u0351a\u0337\u0352l\u0338\u0353g\u0334\u0354o\u0335\u0355");
  add("greek_cyrillic", "Ελληνικά: καλημέρα, ΑΒΓΔ άέήί. Русский: Привет, мир! ЁЖИК ёжик. Українська: їжак ґанок.");
  add("cjk_zh", "汉字编码测试：我们今天去公园散步，天气很好。繁體中文：臺灣、語言、電腦。");
  add("cjk_ja", "日本語のテキスト：ひらがな、カタカナ、漢字を混ぜて書きます。ｶﾀｶﾅ半角もあります。");
  add("cjk_ko", "한국어 문장입니다. 안녕하세요! 자모: ㄱㄴㄷ ㅏㅑ 조합형이 아닌 완성형.");
  add("emoji_basic", "hi 😀😃😄 ok 🚀 ✨ ❤️ ☕ 🐍 done");
  add("emoji_skin_tones", "👍 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿 🧑🏽‍💻 👋🏿");
  add("emoji_zwj", "👨‍👩‍👧‍👦 👩‍❤️‍👨 🏳️‍🌈 🏴‍☠️ 🧑‍🤝‍🧑 🐻‍❄️ 👁️‍🗨️");
  add("emoji_flags_keycaps", "🇫🇷🇩🇪🇯🇵 🇺🇳 1️⃣ #️⃣ *️⃣ 🏴󠁧󠁢󠁳󠁣󠁴󠁿");
  add("rtl_arabic", "مرحبا بالعالم! هذا نص عربي مع أرقام ١٢٣٤ و 5678.");
  add("rtl_hebrew_mixed", "שָׁלוֹם עוֹלָם — Hebrew with niqqud, \u200Fmixed\u200E RTL \u202Bembedding\u202C ok.");
  add("indic_thai", "हिन्दी में लिखा गया वाक्य। தமிழ் எழுத்து. ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ");
  add("unicode_spaces", "a\u00A0b\u2003c\u3000d\u200Be\uFEFFf\u0085g\u1680h\u2028i\u2029j\u180Ek\u2009\u202Fl \u00A0 \u3000\u3000m");
  add("unicode_numbers", "Ⅻ ² ½ ٣ ١٢٣ １２３ ① ⑽ 𝟙𝟚𝟛 ৩ ๓ 1/2 3.14 ٫");
  add("unicode_letters_misc", "ǅungla ǈ ǋ ʰʲ ˢ ꜰ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐁𝐨𝐥𝐝 ﬁﬂ ŉ İı ß ẞ µ ſ K Å Ω");
  add("symbols", "∀x∈ℝ: x²≥0 ⇒ √(x²)=|x| ≠ ∞ ± ×÷ → ← ↔ «»‹› „“ ‚‘ †‡ • … ‰ € £ ¥ ₿ ©®™ §¶ ☃ ♠♥ ✓✗");
  // Where regex engines tend to disagree: what \s covers (U+FEFF is JavaScript whitespace only, U+0085
  // and U+1680 are Unicode White_Space, U+180E no longer is), case folding inside (?i:'s) (U+017F long s
  // folds to s), and letters added in recent Unicode versions (U+31350, U+2EBF0, U+1FAE8).
  add("bom_runs", "\uFEFF\uFEFF\uFEFFabc \uFEFF \uFEFF\uFEFF x\uFEFF  y \uFEFF");
  add("nel_ogham_mvs", "a\u0085\u0085b \u0085 c\u1680\u1680d\u180E\u180Ee \u180E f\u2028\n\u2029");
  add("contraction_long_s", "it'\u017F IT'\u017F cat'\u017Fs");
  add("recent_unicode", "x\u{31350}\u{31351} \u{2EBF0}\u{2EBF1}y \u{1FAE8}\u{1FAE8} \u{1FA77}");
  add("curly_quotes_contractions", "it’s we’ll they’ve I’d ‘single’ “double”");

  // (c) Awkward input.
  for (let n = 1; n <= 100; n++) add(`spaces_${n}`, "x" + " ".repeat(n) + "y" + " ".repeat(n) + "1" + " ".repeat(n) + "," + " ".repeat(n));
  add("spaces_then_newline_end", "end  \n  \n  ");
  add("spaces_only_17", " ".repeat(17));
  add("tabs_newlines_1", "a\tb\t\tc\n\td\n\t\te\t\n\n\tf");
  add("tabs_newlines_2", "\r\n\r\n x \r\n\ty\n\n\n\n    z\r\r\n\n\t \t \n");
  add("tabs_newlines_3", " \n \n\t\n\t\n\n  \n    \n\t\t\n.\n\n\n\t\t\t\tret\n\n\n\n\n\n\n\n\n");
  add("tabs_newlines_4", "if x:\n\tif y:\n\t\tz()\n\n    \tmixed()\n\t    mixed2()\n");
  const digits = "1234567890".repeat(4);
  for (let n = 1; n <= 40; n++) add(`digits_${n}`, digits.slice(0, n) + " " + digits.slice(0, n) + "x" + digits.slice(0, n));
  add("digits_mixed", "abc123def 3.14159 1,000,000 0x1F2e 1e-10 v1.2.3 2026-11-26T08:00:00Z +49(0)30/123 4567 $12.99 99%");
  add("long_identifier_snake", "very_long_identifier_name_".repeat(20) + "end = 1");
  add("long_identifier_camel", "aVeryLongCamelCaseIdentifierThatGoesOnAndOn".repeat(8) + "()");
  add("long_identifier_noseps", "x".repeat(300) + " " + "ab".repeat(150) + " " + "Zq".repeat(100));
  add("mixed_case", "camelCase PascalCase SCREAMING_SNAKE_CASE snake_case kebab-case getHTTPResponseCode XMLHttpRequest IOError iPhone eBay MySQLDB ABCdefGHIjkl aBcDeFgH");
  add("contractions", "it's IT'S It'S we'll WE'LL We'Ll they've THEY'VE I'd I'D I'm I'M you're YOU'RE don't DON'T 'T 's 'S 'll 'LL y'all rock'n'roll ''s '''");
  add("contractions_edge", "'s'sss 'll've 'd'd x'sy X'ST ''ll O'Neill l'amour 'Twas");
  add("punctuation_runs", "!!!??? ... ,,, ;;; ::: --- === +++ *** /// \\\\\\ ||| &&& ^^^ %%% $$$ ### @@@ ~~~ ``` \"\"\" ''' ((([[[{{{}}}]]])))\n...\n//\n/* */ <!-- -->");
  add("repeat_a_1000", "a".repeat(1000));
  add("repeat_mixed", "ab ".repeat(200) + "abc".repeat(100) + "\n".repeat(50) + "=".repeat(80));
  return c;
}

// The three 100 000-fold repetitions are written with `repeat` so the files stay small.
const REPEATS = [
  { name: "repeat_a_100000", unit: "a", count: 100000 },
  { name: "repeat_space_100000", unit: " ", count: 100000 },
  { name: "repeat_1_100000", unit: "1", count: 100000 },
];

// ---------------------------------------------------------------- encoders

function encoders(name) {
  const pkg = readJson(join(here, "node_modules", "tiktoken", "encoders", `${name}.json`));
  // Pack the committed rank file into the one-run form the WASM constructor reads (ranks 0..N-1).
  const lines = readFileSync(join(root, "assets", "tokenizers", `${name}.tiktoken`), "utf8").split("\n").filter(Boolean);
  const b64 = lines.map((line, i) => {
    const [tok, rank] = line.split(" ");
    if (Number(rank) !== i) throw new Error(`${name}.tiktoken line ${i + 1}: rank ${rank}, expected ${i}`);
    return tok;
  });
  const packed = `! 0 ${b64.join(" ")}`;
  const wasm = new WasmTiktoken(packed, pkg.special_tokens, pkg.pat_str);
  const js = new JsTiktoken({ pat_str: jsPattern(name), special_tokens: pkg.special_tokens, bpe_ranks: packed });
  return { wasm, js };
}

// js-tiktoken spells the case-insensitive contractions out, since JavaScript has no (?i:...) group;
// we take its pattern from its own rank module so that both encoders follow their own packaging.
const jsPatterns = {};
async function loadJsPatterns() {
  for (const name of NAMES) jsPatterns[name] = (await import(`js-tiktoken/ranks/${name}`)).default.pat_str;
}
const jsPattern = (name) => jsPatterns[name];

// Longest run that the pre-tokenizer could keep in one piece, roughly: js-tiktoken's merge loop is
// quadratic in the piece length, so very long runs are left to the WASM encoder.
function longestRun(text) {
  let best = 0;
  let run = 0;
  let prevClass = "";
  for (const ch of text) {
    const cls = /\p{L}/u.test(ch) ? "L" : /\p{N}/u.test(ch) ? "N" : /\s/u.test(ch) ? "S" : "P";
    run = cls === prevClass ? run + 1 : 1;
    prevClass = cls;
    if (run > best) best = run;
  }
  return best;
}

// ---------------------------------------------------------------- output

function idsLine(ids) {
  const out = [`ids ${ids.length}`];
  for (let i = 0; i < ids.length; ) {
    let j = i + 1;
    while (j < ids.length && ids[j] === ids[i]) j++;
    out.push(j - i >= 2 ? `${ids[i]}*${j - i}` : `${ids[i]}`);
    i = j;
  }
  return out.join(" ");
}

const sameIds = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

await loadJsPatterns();
const stdlib = stdlibDir();
const pyVersion = execFileSync("python3", ["-c", "import sys; print(sys.version.split()[0])"], { encoding: "utf8" }).trim();
const fileCases = stdlibCases(stdlib);
const inline = inlineCases();
const tkVersion = readJson(join(here, "node_modules", "tiktoken", "package.json")).version;
const jsVersion = readJson(join(here, "node_modules", "js-tiktoken", "package.json")).version;
const outDir = join(root, "tests", "data", "tiktoken_expected");
mkdirSync(outDir, { recursive: true });

for (const name of NAMES) {
  const { wasm, js } = encoders(name);
  const rec = [
    `# tiktoken ${tkVersion} (npm, WASM) ids for ${name}; regenerate with scripts/tiktoken-expect.mjs.`,
    `# Cross-checked with js-tiktoken ${jsVersion} except where a piece is too long for it. Format: see the script.`,
    `encoding ${name}`,
    `stdlib ${stdlib}`,
    `# python ${pyVersion}`,
  ];
  let cases = 0;
  let crossChecked = 0;
  let tokens = 0;
  const record = (c, inputLine) => {
    const ids = [...wasm.encode_ordinary(c.text)];
    if (longestRun(c.text) <= 2000) {
      const jsIds = js.encode(c.text, [], []);
      if (!sameIds(ids, jsIds)) {
        const k = ids.findIndex((x, i) => x !== jsIds[i]);
        throw new Error(`${name} ${c.name}: tiktoken and js-tiktoken differ at index ${k}: ${ids.slice(k, k + 5)} vs ${jsIds.slice(k, k + 5)}`);
      }
      crossChecked++;
    }
    // Decoding must give the input back, or the case is not a fair test.
    if (Buffer.compare(Buffer.from(wasm.decode(Uint32Array.from(ids))), Buffer.from(c.text, "utf8")) !== 0)
      throw new Error(`${name} ${c.name}: ids do not decode to the input`);
    rec.push(`case ${c.name}`, inputLine, idsLine(ids));
    cases++;
    tokens += ids.length;
  };
  for (const c of inline) {
    const hex = Buffer.from(c.text, "utf8").toString("hex");
    record(c, hex ? `input ${hex}` : "input");
  }
  for (const r of REPEATS)
    record({ name: r.name, text: r.unit.repeat(r.count) }, `repeat ${Buffer.from(r.unit, "utf8").toString("hex")} ${r.count}`);
  for (const c of fileCases) record(c, `file ${c.file} ${c.sha} ${c.size}`);
  rec.push(`end ${cases}`);
  const path = join(outDir, `${name}.txt`);
  writeFileSync(path, rec.join("\n") + "\n");
  console.log(`${path}: ${cases} cases (${fileCases.length} stdlib files), ${tokens} ids, ${statSync(path).size} bytes, ${crossChecked} cross-checked with js-tiktoken`);
  wasm.free();
}
