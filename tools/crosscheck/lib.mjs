// Shared by the cross-checks: running glassbox, and llama.cpp through node-llama-cpp (its prebuilt
// CPU binary, never a build: getLlama({gpu: false, build: "never"})).
import {execFileSync} from "node:child_process";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

export const GLASSBOX = process.env.GLASSBOX ?? new URL("../../build/glassbox", import.meta.url).pathname;

// Runs glassbox with args; returns stdout parsed as JSON.
export function glassboxJson(args) {
    const out = execFileSync(GLASSBOX, args, {encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "ignore"]});
    return JSON.parse(out);
}

let llamaPromise = null;
export function llama() {
    llamaPromise ??= getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
    return llamaPromise;
}

// Opens a model in llama.cpp with a context of ctx positions. Returns {model, context, sequence}.
export async function openLlamaModel(path, {ctx = 256, threads = 1} = {}) {
    const l = await llama();
    const model = await l.loadModel({modelPath: path});
    const context = await model.createContext({contextSize: ctx, threads, batchSize: ctx});
    return {model, context, sequence: context.getSequence()};
}

export async function closeLlamaModel(m) {
    await m.context.dispose();
    await m.model.dispose();
}

// Formats rows (arrays of cells) as a table with a header row and aligned columns.
export function table(header, rows) {
    const all = [header, ...rows].map((r) => r.map(String));
    const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
    const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}
