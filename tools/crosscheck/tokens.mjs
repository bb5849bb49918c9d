// Token ids: glassbox against llama.cpp (node-llama-cpp's prebuilt CPU build), on awkward texts.
//
// glassbox writes small random-weight GGUF models whose tokenizers are real-style: the vocabulary of
// r50k_base or cl100k_base (shipped in assets/tokenizers/) under each pre-tokenizer name llama.cpp
// knows, and the same vocabulary converted to SentencePiece (<unk> <s> </s>, 256 byte tokens, pieces
// scored by rank). Each text is tokenized by both, with special tokens parsed and not, and the ids
// compared. Optional: nothing in the build or `make check` needs it.
//
//   cd tools/crosscheck && npm ci && node tokens.mjs [--glassbox PATH] [--keep DIR] [--verbose]
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
};
const glassbox = opt("--glassbox", path.join(root, "build/glassbox"));
const verbose = args.includes("--verbose");
const keep = opt("--keep", null);
const dir = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-tokens-"));
fs.mkdirSync(dir, {recursive: true});
if (!fs.existsSync(glassbox)) {
    console.error(`tokens.mjs: ${glassbox} not found (make build/glassbox first)`);
    process.exit(2);
}

// [label, init-model arguments]
const MODELS = [
    ["gpt-2 (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "gpt-2"]],
    ["default (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "default"]],
    ["starcoder (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "starcoder"]],
    ["smollm (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "smollm"]],
    ["refact (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "refact"]],
    ["qwen2 (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "qwen2"]],
    ["stablelm2 (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "stablelm2"]],
    ["deepseek-coder (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "deepseek-coder"]],
    ["deepseek-llm (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "deepseek-llm"]],
    ["deepseek-v3 (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "deepseek-v3"]],
    ["falcon (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "falcon"]],
    ["bloom (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "bloom"]],
    ["viking (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "viking"]],
    ["command-r (r50k)", ["--tokenizer-from", "r50k_base", "--pattern", "command-r"]],
    ["llama-bpe (cl100k)", ["--tokenizer-from", "cl100k_base", "--pattern", "llama-bpe"]],
    ["qwen2 (cl100k)", ["--tokenizer-from", "cl100k_base", "--pattern", "qwen2"]],
    ["dbrx (cl100k)", ["--tokenizer-from", "cl100k_base", "--pattern", "dbrx"]],
    ["gpt-4o (o200k)", ["--tokenizer-from", "o200k_base", "--pattern", "gpt-4o"]],
    ["SentencePiece (r50k)", ["--tokenizer-from", "r50k_base", "--spm"]],
    ["SentencePiece (cl100k)", ["--tokenizer-from", "cl100k_base", "--spm"]],
    ["glassbox (shipped)", null],
];

function stdlibSample() {
    try {
        const lib = execFileSync("python3", ["-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"])
            .toString().trim();
        return ["textwrap.py", "json/decoder.py", "this.py", "string.py"].map((f) => {
            const t = fs.readFileSync(path.join(lib, f), "utf8");
            return t.slice(0, 3000);
        });
    } catch {
        return [];
    }
}

const TEXTS = [
    "Hello world", "hello  world", "  leading spaces", "trailing spaces   ", " ", "   ", "\t", "\n", "\n\n\n",
    "a\r\nb\r\n\r\nc", "x = 1234567890 + 3.14159e-10", "2024-06-01 12:34:56", "v1.2.3 and 0xFF, 1_000_000",
    "I'm sure you'll see they've said it's 'fine'", "DON'T WON'T I'LL WE'VE", "it's Don's",
    "你好，世界！这是中文。", "日本語のテキスト、カタカナ", "한국어 텍스트입니다", "Ελληνικά και русский текст",
    "emoji 🙂🙃 👩‍👩‍👧 🇫🇷 ✨", "café naïve façade", "e\u0301 combining and \u00e9 precomposed",
    "nbsp\u00a0here, ideographic\u3000space, nel\u0085line, thin\u2009space", "zero\u200bwidth",
    "def f(x):\n    return x**2  # square\n", "if (a && b || !c) { return; }\n\tfoo->bar[i] += 1;",
    "    \n        \n\t\t\n", "<s>Hello</s>", "<unk> <s> </s>", "text<|endoftext|>more <|endoftext|>",
    "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>", "Mixed CASE camelCase snake_case SCREAMING_CASE",
    "https://example.com/path?q=1&r=2#frag", "a..b...c!!!?? ;;", "$HOME ~/dir `cmd` ^caret |pipe <=>",
    "Ω≈ç√∫˜µ≤≥÷ ™ £ ¥ € ∞", "ﬁ ligature ＡＢＣ fullwidth １２３", "١٢٣ Arabic digits ٤٥", "x²+y³=z⁴ ½",
    " " .repeat(40) + "x", "-".repeat(60),
    ...stdlibSample(),
];

function makeModel(label, initArgs) {
    if (!initArgs) return path.join(root, "assets/glassbox.gguf");
    const file = path.join(dir, label.replace(/[^a-z0-9]+/gi, "_") + ".gguf");
    if (!fs.existsSync(file))
        execFileSync(glassbox, ["init-model", "--random", "--dim", "32", "--layers", "1", "--heads", "2",
            "--kv-heads", "1", "--ffn", "64", ...initArgs, "-o", file], {stdio: ["ignore", "ignore", "pipe"]});
    return file;
}

function glassboxIds(file, texts, special) {
    const input = texts.map((t) => Buffer.from(t, "utf8").toString("hex")).join("\n") + "\n";
    const out = execFileSync(glassbox, ["tokenize", "--batch", ...(special ? ["--special"] : []), "--model", file],
        {input, maxBuffer: 1 << 28}).toString();
    return out.split("\n").slice(0, texts.length).map((l) => (l === "" ? [] : l.startsWith("error") ? l : l.split(" ").map(Number)));
}

const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
let totalCases = 0, totalSame = 0;
const rows = [];
for (const [label, initArgs] of MODELS) {
    let file;
    try {
        file = makeModel(label, initArgs);
    } catch (e) {
        rows.push([label, "glassbox could not write it: " + String(e.stderr ?? e).split("\n")[0]]);
        continue;
    }
    let model;
    try {
        model = await llama.loadModel({modelPath: file, gpuLayers: 0});
    } catch (e) {
        rows.push([label, "llama.cpp could not load it: " + String(e.message ?? e).split("\n")[0]]);
        continue;
    }
    let same = 0, cases = 0;
    const diffs = [];
    for (const special of [false, true]) {
        const ours = glassboxIds(file, TEXTS, special);
        TEXTS.forEach((text, i) => {
            const theirs = Array.from(model.tokenize(text, special));
            cases++;
            if (Array.isArray(ours[i]) && ours[i].length === theirs.length && ours[i].every((v, k) => v === theirs[k])) {
                same++;
            } else {
                diffs.push({text, special, ours: ours[i], theirs,
                    pieces: theirs.map((id) => model.detokenize([id], true))});
            }
        });
    }
    await model.dispose();
    totalCases += cases;
    totalSame += same;
    rows.push([label, `${same}/${cases} texts with the same ids`]);
    for (const d of diffs.slice(0, verbose ? diffs.length : 3)) {
        const show = (v) => (Array.isArray(v) ? v.join(" ") : v);
        rows.push(["", `  differs${d.special ? " (special tokens parsed)" : ""}: ${JSON.stringify(d.text.slice(0, 80))}`]);
        rows.push(["", `    glassbox  ${show(d.ours).slice(0, 200)}`]);
        rows.push(["", `    llama.cpp ${show(d.theirs).slice(0, 200)}  ${JSON.stringify(d.pieces.slice(0, 12))}`]);
    }
    if (diffs.length > 3 && !verbose) rows.push(["", `  ... ${diffs.length - 3} more (--verbose)`]);
}
console.log(`token ids, glassbox vs llama.cpp (node-llama-cpp ${JSON.parse(fs.readFileSync(path.join(here,
    "node_modules/node-llama-cpp/package.json"))).version}), ${TEXTS.length} texts, each without and with special tokens parsed:`);
for (const [label, what] of rows) console.log(`${label.padEnd(24)} ${what}`);
console.log(`total: ${totalSame}/${totalCases} agree`);
if (!keep) fs.rmSync(dir, {recursive: true, force: true});
process.exit(totalSame === totalCases ? 0 : 1);
