// Shared by bench/run.ts (the orchestrator), bench/vivid.ts (viVID worker) and
// bench/tfjs-case.ts (TensorFlow.js worker): the case table, FLOP counts, the viVID → tfjs
// weight-name mapping, the timing loop (wall and process CPU time) and small file helpers.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { HostTensor } from '../src/graph/tensor.ts';
import { PAPER_SRRESNET, type GeneratorConfig } from '../src/models/generator.ts';
import { convFlops, discriminatorFlops, generatorFlops, generatorStepFlops, vggFlops } from '../src/models/flops.ts';
import { PAPER_DISCRIMINATOR } from '../src/models/discriminator.ts';
import { quantile, relL2 as tfjsRelL2 } from './tfjs/util.ts';

export type { HostTensor } from '../src/graph/tensor.ts';
export type HostMap = Map<string, HostTensor>;

export type CaseKind = 'conv-fwd' | 'conv-bwd-input' | 'conv-bwd-filter' | 'gen' | 'train' | 'gan' | 'job';

export interface CaseDef {
  id: string;
  kind: CaseKind;
  /** conv: [N, H, W, C]; gen and job: input [N, H, W, 3]; train/gan: [batch, lr, lr, 3]. */
  shape: [number, number, number, number];
  describe: string;
  flops: number;
}

export const GAN_VGG_LAYER = 'block3_conv3';

/**
 * GAN step FLOPs (approximate, the model of src/train/step.ts): G forward + backward (3·G);
 * D on real and fake, forward + backward to weights and inputs (2 · 3·D); G update: VGG on HR
 * (forward), VGG on SR (forward + input gradient: 2·V), D on SR (forward + input gradient: 2·D).
 */
export function ganStepFlops(n: number, lr: number): number {
  const hr = 4 * lr;
  const d = discriminatorFlops({ ...PAPER_DISCRIMINATOR, size: hr }, n);
  const v = vggFlops(GAN_VGG_LAYER, n, hr, hr);
  return generatorStepFlops(PAPER_SRRESNET, n, lr, lr) + 6 * d + 2 * d + 3 * v;
}

function conv(id: string, kind: CaseKind, n: number): CaseDef {
  const what = kind === 'conv-fwd' ? 'forward' : kind === 'conv-bwd-input' ? 'backward-input' : 'backward-weights';
  return { id, kind, shape: [n, 96, 96, 64], describe: `conv 3×3 64→64 on [${n},96,96,64], ${what}`, flops: convFlops(n, 96, 96, 64, 64, 3) };
}
function gen(id: string, n: number, h: number, w = h): CaseDef {
  return { id, kind: 'gen', shape: [n, h, w, 3], describe: `SRResNet ×4 inference on ${n}×${h}×${w}`, flops: generatorFlops(PAPER_SRRESNET, n, h, w) };
}

/** The shipped model the end-to-end job runs (its config, for the FLOP count, is in its card). */
export const JOB_MODEL = 'srresnet-x4';
const JOB_CONFIG = (JSON.parse(readFileSync(new URL(`../weights/${JOB_MODEL}.json`, import.meta.url), 'utf8')) as { architecture: { generator: GeneratorConfig } }).architecture.generator;
function train(id: string, kind: 'train' | 'gan', n: number): CaseDef {
  return {
    id,
    kind,
    shape: [n, 24, 24, 3],
    describe: kind === 'train' ? `MSE training step, batch ${n}, 24→96 (forward, backward, Adam)` : `GAN step, batch ${n}, 24→96 (D update; G update on VGG ${GAN_VGG_LAYER} + adversarial)`,
    flops: kind === 'train' ? generatorStepFlops(PAPER_SRRESNET, n, 24, 24) : ganStepFlops(n, 24),
  };
}

export const CASES: CaseDef[] = [
  conv('conv-fwd', 'conv-fwd', 16),
  conv('conv-bwd-input', 'conv-bwd-input', 16),
  conv('conv-bwd-filter', 'conv-bwd-filter', 16),
  conv('conv-fwd-small', 'conv-fwd', 1),
  conv('conv-bwd-input-small', 'conv-bwd-input', 1),
  conv('conv-bwd-filter-small', 'conv-bwd-filter', 1),
  gen('gen-32', 1, 32),
  gen('gen-64', 1, 64),
  gen('gen-128', 1, 128),
  gen('gen-16x24', 16, 24),
  gen('gen-270x480', 1, 270, 480),
  {
    id: 'upscale-png-480x270',
    kind: 'job',
    shape: [1, 270, 480, 3],
    describe: `a 480×270 PNG → 1920×1080 PNG with the shipped ${JOB_MODEL}, one fresh process (start, model load, decode, inference, encode)`,
    flops: generatorFlops(JOB_CONFIG, 1, 270, 480),
  },
  train('train-step-small', 'train', 2),
  train('train-step', 'train', 16),
  train('gan-step-small', 'gan', 2),
  train('gan-step', 'gan', 16),
];

export function caseById(id: string): CaseDef {
  const c = CASES.find((k) => k.id === id);
  if (!c) throw new Error(`unknown case ${id} (have ${CASES.map((k) => k.id).join(', ')})`);
  return c;
}

/** Names of a case's input tensors in its inputs file, and of its output(s). */
export function convNames(kind: CaseKind): [string, string, string] {
  return kind === 'conv-fwd' ? ['x', 'w', 'y'] : kind === 'conv-bwd-input' ? ['dy', 'w', 'dx'] : ['x', 'dy', 'dw'];
}

/**
 * viVID generator names → the names bench/tfjs/srresnet.ts documents. BN running statistics
 * become .mean/.var, post.* becomes trunk.*; everything else keeps its name (both use HWIO
 * and PyTorch pixel-shuffle channel order, so no data changes).
 */
export function tfjsName(vivid: string): string {
  return vivid
    .replace(/^post\./, 'trunk.')
    .replace(/\.running_mean$/, '.mean')
    .replace(/\.running_var$/, '.var');
}

export function toTfjsNames(weights: ReadonlyMap<string, HostTensor>): HostMap {
  const out: HostMap = new Map();
  for (const [name, t] of weights) out.set(tfjsName(name), t);
  return out;
}

/** Safetensors files of F32 tensors, the bench's inputs, weights and outputs (one reader and writer, bench/tfjs/args.ts). */
export { readF32 as readF32File, writeF32 as writeF32File } from './tfjs/args.ts';

export function need(m: ReadonlyMap<string, HostTensor>, name: string): HostTensor {
  const t = m.get(name);
  if (!t) throw new Error(`missing tensor ${name} (have ${[...m.keys()].slice(0, 8).join(', ')}…)`);
  return t;
}

/** ‖a − b‖₂ / ‖b‖₂ in float64; outputs of different lengths disagree (Infinity). */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return a.length === b.length ? tfjsRelL2(a, b) : Infinity;
}

export { quantile };

export interface Timing {
  medianMs: number;
  p90Ms: number;
  minMs: number;
  samplesMs: number[];
  /** Process CPU time (user + system, all threads) per timed call. */
  cpuMs: number;
  warmup: number;
  runs: number;
}

/**
 * Warm-up calls, then timed calls; `fn` must resolve only when the work has finished. The number
 * of timed calls adapts to the cost of a call: as many as fit in `budgetMs` (from the last
 * warm-up, or `knownMs`), clamped to [minRuns, maxRuns].
 */
export async function timeCalls(fn: () => Promise<void>, o: { warmup: number; minRuns: number; maxRuns: number; budgetMs: number; knownMs?: number }): Promise<Timing> {
  let last = o.knownMs ?? NaN;
  for (let i = 0; i < o.warmup; i++) {
    const t0 = performance.now();
    await fn();
    last = performance.now() - t0;
  }
  const runs = Number.isFinite(last) ? Math.max(o.minRuns, Math.min(o.maxRuns, Math.floor(o.budgetMs / last))) : o.maxRuns;
  const samples: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  const used = process.cpuUsage(c0);
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    minMs: sorted[0] ?? NaN,
    samplesMs: samples,
    cpuMs: runs ? (used.user + used.system) / 1000 / runs : NaN,
    warmup: o.warmup,
    runs,
  };
}

/** One run of `cmd` as a fresh process: wall ms and the CPU ms of its process tree (bash's `times`). */
function runProcess(cmd: string[]): { ms: number; cpuMs: number } {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', '"$@" >&2; rc=$?; times; exit $rc', 'bash', ...cmd], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')}: exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().slice(-400)}`);
  // `times`: the shell's user and system time, then its children's ("1m2.345s 0m3.210s").
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stdout);
  if (!m) throw new Error(`no CPU times from bash: ${r.stdout}`);
  return { ms, cpuMs: (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000 };
}

/** `runs` fresh processes of `cmd`, timed like timeCalls (no warm-up: every run is a cold start of the process). */
export function timeProcesses(cmd: string[], runs: number): Timing {
  const all = Array.from({ length: runs }, () => runProcess(cmd));
  const samples = all.map((r) => r.ms);
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    medianMs: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9), minMs: sorted[0]!, samplesMs: samples,
    cpuMs: all.reduce((t, r) => t + r.cpuMs, 0) / runs, warmup: 0, runs,
  };
}

/** Peak signal-to-noise ratio (dB) of a against b, both nominally in [0,1]. */
export function psnrDb(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -Infinity;
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(a.length / se);
}

/** What a worker prints as its last stdout line (JSON). */
export interface WorkerResult {
  backend: string;
  case: string;
  adapter?: string;
  impl?: string;
  /** Milliseconds of the first call (agreement output; compiles shaders on GPU backends). */
  firstMs?: number;
  timing?: Timing;
  profile?: ProfileEntry[];
  profileNote?: string;
  extra?: Record<string, unknown>;
  error?: string;
}

export interface ProfileEntry {
  kernel: string;
  dispatches: number;
  ms: number;
}

export const cores = availableParallelism();

export function parseFlags(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) {
      out.set(a.slice(2, eq), a.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out.set(a.slice(2), 'true');
    else out.set(a.slice(2), (i++, next));
  }
  return out;
}
