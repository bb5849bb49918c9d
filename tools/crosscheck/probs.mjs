// Next-token probabilities: llama.cpp against glassbox, on GGUF files glassbox wrote.
//
//   node probs.mjs DIR     DIR holds ARCH-TYPE.gguf files (tools/crosscheck/models.sh makes them)
//
// For every file and prompt both programs read the same token ids (glassbox's tokenizer, BOS in
// front: the token-id check is tokens.mjs's business) and we compare the whole distribution at
// temperature 1 (llama.cpp with topK 0, topP 1, minP 0, i.e. unsampled), as the largest absolute
// difference over the vocabulary.
//
// Bounds. F32, F16, BF16: 1e-3 (llama.cpp's own rounding is about 1e-4). Quantised types: the
// quantisation's own error, measured: glassbox on the quantised file against glassbox on the F32
// file with the same weights before quantisation (the same seed). llama.cpp multiplies those
// weights with activations it has itself rounded to 8 bits (Q8_0 for Q8_0/Q4_0 rows, Q8_K for
// k-quants), which glassbox does not; for 4-6-bit weights that is a smaller error than the weights'
// own, for Q8_0 one of the same size. So the bound is max(1e-3, 2 x that error): agreeing within
// it means glassbox and llama.cpp differ by less than twice what the quantisation itself changes.
import {readdirSync} from "node:fs";
import {join} from "node:path";
import {closeLlamaModel, glassboxJson, openLlamaModel, table} from "./lib.mjs";

const PROMPTS = ["def f(x):", "import os\n", "for i in range(10):\n    ", "class Point:", "x = [1, 2, 3]"];
const EXACT = new Set(["f32", "f16", "bf16"]);

// glassbox's distribution after BOS + prompt: Float64Array (vocab) of p at T = 1, and the ids read.
function glassboxProbs(file, prompt, vocab) {
    const rows = glassboxJson(["probs", "--json", "--temp", "1", "--model", file, prompt]);
    const p = new Float64Array(vocab);
    for (const r of rows) p[r.id] = r.prob_t1;
    return p;
}

function glassboxIds(file, prompt) {
    return glassboxJson(["tokenize", "--json", "--model", file, prompt]).map((t) => t.id);
}

async function llamaProbs(m, ids) {
    await m.sequence.clearHistory();
    const last = ids.length - 1;
    const input = ids.map((id, i) =>
        i < last ? id : [id, {generateNext: {probabilities: true, options: {temperature: 1, topK: 0, topP: 1, minP: 0}}}]);
    const out = await m.sequence.controlledEvaluate(input);
    const probs = out[last].next.probabilities;
    const p = new Float64Array(m.vocab);
    for (const [id, v] of probs) p[id] = v;
    return p;
}

function maxAbsDiff(a, b) {
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    return d;
}

const dir = process.argv[2];
if (!dir) {
    console.error("usage: node probs.mjs DIR");
    process.exit(2);
}
const files = readdirSync(dir).filter((f) => /^[a-z0-9]+-[a-z0-9_]+\.gguf$/.test(f)).sort();
const rows = [];
let failed = 0;
for (const f of files) {
    const [arch, type] = f.replace(/\.gguf$/, "").split("-");
    const file = join(dir, f), ref = join(dir, `${arch}-f32.gguf`);
    const m = await openLlamaModel(file);
    m.vocab = glassboxJson(["probs", "--json", "--model", file, "x"]).length;
    const bos = m.model.tokens.bos;
    let diff = 0, own = 0, top = 0;
    for (const prompt of PROMPTS) {
        const ids = [bos, ...glassboxIds(file, prompt)];
        const g = glassboxProbs(file, prompt, m.vocab);
        const l = await llamaProbs(m, ids);
        diff = Math.max(diff, maxAbsDiff(g, l));
        top = Math.max(top, ...g);
        if (!EXACT.has(type)) own = Math.max(own, maxAbsDiff(g, glassboxProbs(ref, prompt, m.vocab)));
    }
    await closeLlamaModel(m);
    const bound = EXACT.has(type) ? 1e-3 : Math.max(1e-3, 2 * own);
    const ok = diff <= bound;
    if (!ok) failed++;
    rows.push([arch, type.toUpperCase(), PROMPTS.length, top.toFixed(3), diff.toExponential(2),
               EXACT.has(type) ? "-" : own.toExponential(2), bound.toExponential(2), ok ? "ok" : "FAIL"]);
}
console.log("next-token probabilities, llama.cpp (node-llama-cpp) vs glassbox, max |p_llama - p_glassbox| over the vocabulary\n");
console.log(table(["arch", "type", "prompts", "max p", "llama.cpp vs glassbox", "quantisation's own", "bound", ""], rows));
console.log(`\n${rows.length - failed} of ${rows.length} files agree`);
process.exit(failed ? 1 : 0);
