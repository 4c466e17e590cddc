// viVID side of `npm run bench` (bench/run.ts starts it, one process per backend and case):
//   tsx bench/vivid.ts --prepare --dir D [--seed 1]
//        seeded paper SRResNet (random BN statistics, gamma/beta, PReLU slopes) → D/weights-vivid.safetensors
//        and the same weights in tfjs names → D/weights-tfjs.safetensors
//        and, for the end-to-end job, its input PNG (D/in-ID.png) and the shipped model as ONNX (D/model-job.onnx)
//   tsx bench/vivid.ts --backend opengl|vulkan --case ID --dir D [--runs-min 2 --runs-max 5 --budget-s 30]
//        [--warmup 1] [--profile] [--agree-only]
//        reads D/in-ID.safetensors, writes its output to D/out-vivid-<backend>-ID.safetensors (the
//        first call: agreement, and the pipeline compiles), times the case, prints one JSON line.
// --profile: after timing, records the dispatches of one call and replays them one at a time with
// rt.sync() after each, summing time per kernel (a bench-side wrapper around rt.run).

import { join } from 'node:path';
import * as op from '../src/autograd/ops.ts';
import { backward, clearTape, constant } from '../src/autograd/tape.ts';
import type { Backend } from '../src/graph/device.ts';
import { Runtime, type Dispatch } from '../src/graph/runtime.ts';
import { Tensor } from '../src/graph/tensor.ts';
import type { KernelSpec } from '../src/graph/kernel.ts';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeights } from '../src/kernels/conv2d/index.ts';
import { Generator, PAPER_SRRESNET } from '../src/models/generator.ts';
import { InferenceGenerator } from '../src/models/inference.ts';
import { TrainingStep } from '../src/train/step.ts';
import type { TrainConfig } from '../src/train/types.ts';
import { Rng } from '../src/util/rng.ts';
import { bufferLimit, planFor, receptiveRadius, upscaleTiled } from '../src/inference/tiling.ts';
import { readImage, writeImage } from '../src/io/image.ts';
import { drawChart } from '../src/demo/chart.ts';
import { exportOnnx } from '../src/models/load.ts';
import { CASES, GAN_VGG_LAYER, JOB_MODEL, caseById, convNames, need, parseFlags, readF32File, timeCalls, timeProcesses, toTfjsNames, writeF32File, type HostMap, type ProfileEntry, type WorkerResult } from './common.ts';

const args = parseFlags(process.argv.slice(2));
const dir = args.get('dir');
if (!dir) throw new Error('--dir is required');

const VIVID_BIN = new URL('../bin/vivid.js', import.meta.url).pathname;

export const VGG_DIR = process.env.VIVID_SHARED ? join(process.env.VIVID_SHARED, 'weights/vgg19-keras-tfjs') : new URL('../../shared/weights/vgg19-keras-tfjs', import.meta.url).pathname;

if (args.has('prepare')) await prepare();
else await main();

async function prepare(): Promise<void> {
  const rt = await Runtime.create((args.get('backend') ?? 'opengl') as Backend);
  const seed = Number(args.get('seed') ?? 1);
  const g = new Generator(rt, PAPER_SRRESNET, seed);
  const w = await g.snapshot();
  // Non-trivial BN (eval statistics and affine) and PReLU slopes, so a mapping mistake shows.
  const rng = new Rng(seed + 100);
  for (const [name, t] of w) {
    const f = (lo: number, hi: number) => rng.fill(t.data.length, (r) => r.uniform(lo, hi));
    if (name.endsWith('.running_mean') || name.endsWith('.beta')) t.data = rng.fill(t.data.length, (r) => 0.1 * r.normal());
    else if (name.endsWith('.running_var')) t.data = f(0.5, 1.5);
    else if (name.endsWith('.gamma')) t.data = f(0.8, 1.2);
    else if (name.endsWith('.alpha')) t.data = f(0.1, 0.3);
  }
  writeF32File(join(dir!, 'weights-vivid.safetensors'), w, { seed: String(seed) });
  writeF32File(join(dir!, 'weights-tfjs.safetensors'), toTfjsNames(w), { seed: String(seed), from: 'bench/vivid.ts tfjsName()' });
  // The end-to-end job: the demo's drawn chart as its PNG input, the shipped model as ONNX.
  for (const job of CASES.filter((k) => k.kind === 'job')) await writeImage(join(dir!, `in-${job.id}.png`), drawChart(job.shape[2], job.shape[1]));
  exportOnnx(JOB_MODEL, join(dir!, 'model-job.onnx'));
  g.dispose();
  rt.destroy();
  console.log(JSON.stringify({ prepared: dir, tensors: w.size }));
}

function trainConfig(stage: 'mse' | 'gan', n: number): TrainConfig {
  return {
    stage, generator: PAPER_SRRESNET, data: [], validateEvery: 0, batchSize: n, patchSize: 96, patchesPerImage: 1, blurSigma: 0,
    steps: 1, lr: 1e-4, decayEvery: 0, decayFactor: 1, beta1: 0.9, beta2: 0.999, seed: 1,
    vggLayers: [GAN_VGG_LAYER], vggScale: 1 / 12.75, adversarialWeight: 1e-3, discriminatorWidth: 1, pixelWeight: 0,
    checkpointEvery: 0, keepCheckpoints: 0, out: '',
  };
}

interface Recorded {
  spec: KernelSpec;
  d: Dispatch;
}

function kernelLabel(s: KernelSpec): string {
  const k = s.constants ?? {};
  let label = `${s.shader}.${s.entry}`;
  if (s.shader === 'conv2d' && (s.entry === 'conv_fwd4' || s.entry === 'conv_fwd_any')) {
    label += k.KH === 1 && k.KW === 1 ? ' (1×1: Winograd GEMM)' : ` (direct ${k.KH ?? '?'}×${k.KW ?? '?'})`;
  }
  if (s.shader === 'conv2d' && s.entry.startsWith('conv_bwd_w') && k.KH) label += ` (direct ${k.KH}×${k.KW})`;
  return label;
}

/** Record the dispatches of one call of `fn`, then replay each alone (sync after each). */
async function profile(rt: Runtime, fn: () => Promise<void>): Promise<{ entries: ProfileEntry[]; note: string }> {
  const recorded: Recorded[] = [];
  const orig = rt.run.bind(rt);
  rt.run = (spec: KernelSpec, d: Dispatch): void => {
    const bind: Record<string, GPUBuffer> = {};
    for (const [k, v] of Object.entries(d.bind)) bind[k] = v instanceof Tensor ? v.buffer : v;
    recorded.push({ spec, d: { bind, offsets: d.offsets ? { ...d.offsets } : undefined, uniforms: d.uniforms ? { ...d.uniforms } : undefined, workgroups: [...d.workgroups] as [number, number?, number?] } });
    orig(spec, d);
  };
  try {
    await fn();
    await rt.sync();
  } finally {
    rt.run = orig;
  }
  // Cost of a sync with nothing to do (subtracted from each replayed dispatch).
  let syncMs = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await rt.sync();
    syncMs = Math.min(syncMs, performance.now() - t0);
  }
  const byKernel = new Map<string, ProfileEntry>();
  let total = 0;
  for (const r of recorded) {
    const t0 = performance.now();
    orig(r.spec, r.d);
    await rt.sync();
    const ms = Math.max(0, performance.now() - t0 - syncMs);
    total += ms;
    const label = kernelLabel(r.spec);
    const e = byKernel.get(label) ?? { kernel: label, dispatches: 0, ms: 0 };
    e.dispatches++;
    e.ms += ms;
    byKernel.set(label, e);
  }
  const entries = [...byKernel.values()].sort((a, b) => b.ms - a.ms);
  return { entries, note: `${recorded.length} dispatches replayed one by one, ${total.toFixed(0)} ms in all (an empty sync, ${syncMs.toFixed(2)} ms, subtracted from each)` };
}

/** Whether a [n, h, w, 3] input runs as one pass: the tile plan, with each of the n images given
 *  its share of a binding, needs one region and one band. */
function fitsWhole(rt: Runtime, [n, h, w]: readonly number[]): boolean {
  const plan = planFor(rt, PAPER_SRRESNET, w!, h!, { maxBufferBytes: bufferLimit(rt) / n! });
  return plan.regions.length === 1 && plan.regions[0]!.bands.length === 1;
}

async function main(): Promise<void> {
  const backend = args.get('backend') as 'opengl' | 'vulkan';
  const c = caseById(args.get('case') ?? '');
  const rt = await Runtime.create(backend);
  const info = rt.gpu.info;
  const res: WorkerResult = { backend: `vivid-${backend}`, case: c.id, adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' | ') };
  const inputs: HostMap = c.kind === 'job' ? new Map() : readF32File(join(dir!, `in-${c.id}.safetensors`)); // the job reads a PNG
  const out: HostMap = new Map();
  const outPath = join(dir!, `out-vivid-${backend}-${c.id}.safetensors`);
  const upload = (name: string) => {
    const t = need(inputs, name);
    return rt.tensor(t.shape, t.data);
  };
  let call: () => Promise<void>;
  const t0 = performance.now();

  if (c.kind === 'conv-fwd' || c.kind === 'conv-bwd-input' || c.kind === 'conv-bwd-filter') {
    const [a, b, o] = convNames(c.kind);
    const ta = upload(a), tb = upload(b);
    const compute = (): Tensor =>
      c.kind === 'conv-fwd' ? conv2d(rt, ta, tb, null) : c.kind === 'conv-bwd-input' ? conv2dBackwardInput(rt, ta, tb, c.shape) : conv2dBackwardWeights(rt, ta, tb, [3, 3, 64, 64]);
    // The kernels the first call dispatches (conv2d.ts picks Winograd or direct by itself).
    const used = new Set<string>();
    const orig = rt.run.bind(rt);
    rt.run = (spec: KernelSpec, d: Dispatch) => (used.add(`${spec.shader}.${spec.entry}`), orig(spec, d));
    const y = compute();
    rt.run = orig;
    res.impl = [...used].join(' + ');
    res.extra = { implFromKernels: true };
    out.set(o, { shape: [...y.shape], data: await y.read() });
    y.dispose();
    call = async () => {
      compute().dispose();
      await rt.sync();
    };
  } else if (c.kind === 'gen' && !fitsWhole(rt, c.shape) && args.has('agree-only')) {
    // Reference only: the top-left 64² LR core, run on a window with the receptive radius of
    // context past its bottom and right sides; its top and left are the image's own borders, so
    // there the output equals the whole image's (bench/run.ts compares that corner).
    const model = new InferenceGenerator(rt, PAPER_SRRESNET, readF32File(join(dir!, 'weights-vivid.safetensors')));
    const [, h, w] = c.shape, core = 64, r = receptiveRadius(PAPER_SRRESNET);
    const wh = Math.min(h, core + r), ww = Math.min(w, core + r), x = need(inputs, 'input').data;
    const win = rt.tensor([1, wh, ww, 3], Float32Array.from({ length: wh * ww * 3 }, (_, i) => x[(Math.floor(i / (ww * 3)) * w * 3) + (i % (ww * 3))]!));
    const y = await model.forward(win).read();
    const s = 4 * core;
    out.set('output', { shape: [1, s, s, 3], data: Float32Array.from({ length: s * s * 3 }, (_, i) => y[Math.floor(i / (s * 3)) * 4 * ww * 3 + (i % (s * 3))]!) });
    out.set('window', { shape: [2], data: Float32Array.of(s, s) });
    res.impl = `reference: the top-left ${core}² core on a ${ww}×${wh} window`;
    call = async () => undefined;
  } else if (c.kind === 'gen' && !fitsWhole(rt, c.shape)) {
    // Too big for one pass on this adapter: through the tile plan, as upscale() runs it.
    const model = new InferenceGenerator(rt, PAPER_SRRESNET, readF32File(join(dir!, 'weights-vivid.safetensors')));
    const [, h, w] = c.shape;
    const img = { width: w, height: h, channels: 3 as const, data: need(inputs, 'input').data };
    const plan = planFor(rt, PAPER_SRRESNET, w!, h!);
    const run = () => upscaleTiled(rt, model, img);
    const y = await run();
    res.impl = `upscaleTiled (${plan.regions.length} region(s), ${plan.regions.reduce((k, r) => k + r.bands.length, 0)} bands: the whole image exceeds the binding limit)`;
    out.set('output', { shape: [1, y.height, y.width, 3], data: y.data });
    call = async () => void (await run());
  } else if (c.kind === 'gen') {
    const model = new InferenceGenerator(rt, PAPER_SRRESNET, readF32File(join(dir!, 'weights-vivid.safetensors')));
    const x = upload('input');
    res.impl = 'InferenceGenerator (BN folded, fused epilogues)';
    const y = model.forward(x);
    out.set('output', { shape: [...y.shape], data: await y.read() });
    y.dispose();
    call = async () => {
      model.forward(x).dispose();
      await rt.sync();
    };
  } else if (c.kind === 'job') {
    // `vivid upscale` as a user runs it: a fresh process per run (the runtime above is unused).
    const png = join(dir!, `out-vivid-${backend}-${c.id}.png`);
    const cmd = [process.execPath, VIVID_BIN, 'upscale', join(dir!, `in-${c.id}.png`), '-o', png, '--model', JOB_MODEL, '--backend', backend, '--quiet', '--overwrite'];
    res.impl = `vivid upscale --model ${JOB_MODEL} (bin/vivid.js, dist/)`;
    res.timing = timeProcesses(cmd, Number(args.get('runs-min') ?? 1));
    const img = await readImage(png);
    out.set('output', { shape: [1, img.height, img.width, 3], data: img.data });
    writeF32File(outPath, out, { backend: res.backend, case: c.id });
    console.log(JSON.stringify(res));
    rt.destroy();
    return;
  } else {
    const n = c.shape[0];
    const step = await TrainingStep.create(rt, trainConfig(c.kind === 'train' ? 'mse' : 'gan', n), { vggDir: VGG_DIR });
    step.g.load(readF32File(join(dir!, 'weights-vivid.safetensors')), 'bench weights');
    const batch = { n, lr: need(inputs, 'lr').data, hr: need(inputs, 'hr').data };
    if (c.kind === 'train') {
      // Agreement: loss and every parameter gradient of the first step (what TrainingStep.run
      // computes before its Adam update), then the gradients are dropped.
      step.g.train();
      const x = constant(rt.tensor(need(inputs, 'lr').shape, batch.lr));
      const hr = constant(rt.tensor(need(inputs, 'hr').shape, batch.hr));
      const loss = op.mse(step.g.forward(x), hr);
      out.set('loss', { shape: [1], data: await loss.value.read() });
      backward(loss);
      for (const [name, p] of step.g.namedParameters()) if (p.grad) out.set(`grad.${name}`, { shape: [...p.shape], data: await p.grad.read() });
      clearTape();
      step.optG.zeroGrad();
      x.value.dispose();
      hr.value.dispose();
      res.impl = 'TrainingStep stage mse (autograd tape, Adam)';
    } else {
      const r = await step.run(batch, 1e-4);
      res.extra = { losses: r };
      res.impl = `TrainingStep stage gan (D + VGG19 ${GAN_VGG_LAYER})`;
    }
    call = async () => {
      const r = await step.run(batch, 1e-4);
      if (!r.finite) throw new Error(`${c.id}: non-finite step ${JSON.stringify(r)}`);
    };
  }
  await rt.sync();
  res.firstMs = performance.now() - t0;
  writeF32File(outPath, out, { backend: res.backend, case: c.id });

  if (!args.has('agree-only')) {
    // 'auto': one warm-up call when the first call was cheap; slow cases rely on the first call.
    const warmup = args.has('warmup') && args.get('warmup') !== 'auto' ? Number(args.get('warmup')) : res.firstMs! < 10000 ? 1 : 0;
    res.timing = await timeCalls(call, {
      warmup,
      minRuns: Number(args.get('runs-min') ?? 2),
      maxRuns: Number(args.get('runs-max') ?? 5),
      budgetMs: Number(args.get('budget-s') ?? 30) * 1000,
      knownMs: res.firstMs,
    });
    if (args.has('profile')) {
      const p = await profile(rt, call);
      res.profile = p.entries;
      res.profileNote = p.note;
    }
  }
  console.log(JSON.stringify(res));
  rt.destroy();
}
