// llama.cpp's decoding speed on a GGUF file, for `make bench` (bench/run.sh) to set beside
// glassbox's: a prompt of PROMPT tokens, then STEPS tokens generated greedily one at a time;
// prints one line of JSON {threads, ms_per_token, tokens_per_s, load_ms}.
//
//   node bench.mjs FILE THREADS [STEPS] [PROMPT]
import {closeLlamaModel, llama} from "./lib.mjs";

const [file, threadsArg, stepsArg, promptArg] = process.argv.slice(2);
if (!file || !threadsArg) {
    console.error("usage: node bench.mjs FILE THREADS [STEPS] [PROMPT]");
    process.exit(2);
}
const threads = Number(threadsArg), steps = Number(stepsArg ?? 64), promptLen = Number(promptArg ?? 16);
const l = await llama();
const t0 = performance.now();
const model = await l.loadModel({modelPath: file});
const loadMs = performance.now() - t0;
const context = await model.createContext({contextSize: 512, threads, batchSize: 512});
const sequence = context.getSequence();
const vocab = model.tokens.eos ?? 1;
const prompt = Array.from({length: promptLen}, (_, i) => (i * 7919) % Math.max(2, vocab));
let n = 0, tStart = 0, cpuStart = null;
for await (const token of sequence.evaluate(prompt, {temperature: 0})) {
    if (n === 0) { // the prompt is evaluated and the first token sampled
        tStart = performance.now();
        cpuStart = process.cpuUsage();
    }
    if (++n > steps) break;
    void token;
}
const ms = (performance.now() - tStart) / steps;
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
console.log(JSON.stringify({threads, ms_per_token: ms, tokens_per_s: 1000 / ms, cpu_ms_per_token: cpuMs, load_ms: loadMs}));
await closeLlamaModel({model, context});
