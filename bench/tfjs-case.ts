// TensorFlow.js side of `npm run bench` (bench/run.ts starts it, one process per backend and
// case, because a process keeps the first tfjs backend it initialises):
//   tsx bench/tfjs-case.ts --backend webgpu-opengl|webgpu-vulkan|wasm|cpu --case ID --dir D
//        [--warmup 0] [--runs-min 2 --runs-max 5 --budget-s 30]
// Reads the inputs viVID gets (D/in-ID.safetensors, D/weights-tfjs.safetensors), writes the first
// call's output to D/out-tfjs-<backend>-ID.safetensors (that call also compiles the shaders), then
// times the case with the model code of bench/tfjs (srresnet.ts, conv.ts); one JSON line on stdout.

import { join } from 'node:path';
import type { Tensor, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { initTfjs, isTfjsBackend } from './tfjs/backends.ts';
import { conv2dFilterGrad, conv2dInputGrad, hasKernel } from './tfjs/conv.ts';
import { SRRESNET, forward, infer, makeTrainStep, prepareParams, trainableNames, type SrResNetConfig } from './tfjs/srresnet.ts';
import { caseById, convNames, need, parseFlags, readF32File, timeCalls, writeF32File, type HostMap, type WorkerResult } from './common.ts';

const args = parseFlags(process.argv.slice(2));
const dir = args.get('dir')!;
const backend = args.get('backend') ?? '';
if (!isTfjsBackend(backend)) throw new Error(`--backend ${backend}`);
const c = caseById(args.get('case') ?? '');
// viVID's paper head is (y + 1) / 2, which bench/tfjs calls 'linear'.
const cfg: SrResNetConfig = { ...SRRESNET, output: 'linear' };

/** tfjs permutes the up convs' output channels to depthToSpace order; undo it for gradients. */
function unpermuteUp(data: Float32Array, c4: number): Float32Array {
  const C = c4 / 4;
  const out = new Float32Array(data.length);
  for (let base = 0; base < data.length; base += c4)
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < C; k++) out[base + k * 4 + i * 2 + j] = data[base + (i * 2 + j) * C + k]!;
  return out;
}

/** tfjs names back to viVID's (inverse of common.ts tfjsName, for gradient names). */
function vividName(name: string): string {
  return name.replace(/^trunk\./, 'post.');
}

async function main(): Promise<void> {
  const { tf, info } = await initTfjs(backend as Parameters<typeof initTfjs>[0]);
  const a = info.adapter;
  const res: WorkerResult = {
    backend: `tfjs-${backend}`,
    case: c.id,
    adapter: a ? [a.vendor, a.architecture, a.device, a.description, a.featureLevel].filter(Boolean).join(' | ') : info.wasm ? `wasm simd=${info.wasm.simd} threads=${info.wasm.threads}` : 'plain JS',
  };
  const inputs = readF32File(join(dir, `in-${c.id}.safetensors`));
  const t4 = (name: string) => {
    const t = need(inputs, name);
    return tf.tensor4d(t.data, t.shape as [number, number, number, number]);
  };
  const finish = async (t: Tensor) => {
    const probe = tf.slice(tf.reshape(t, [-1]), [0], [1]);
    await probe.data();
    probe.dispose();
  };
  const out: HostMap = new Map();
  let call: () => Promise<void>;
  const t0 = performance.now();

  if (c.kind === 'conv-fwd' || c.kind === 'conv-bwd-input' || c.kind === 'conv-bwd-filter') {
    const [an, bn, on] = convNames(c.kind);
    const ta = t4(an), tb = t4(bn);
    const compute = (): Tensor4D =>
      c.kind === 'conv-fwd' ? tf.conv2d(ta, tb, 1, 'same') : c.kind === 'conv-bwd-input' ? conv2dInputGrad(tf, ta, tb, c.shape) : conv2dFilterGrad(tf, ta, tb, [3, 3, 64, 64]);
    res.impl = c.kind === 'conv-bwd-filter' && !hasKernel(tf, 'Conv2DBackpropFilter') ? '9 shifted matmuls (no Conv2DBackpropFilter kernel)' : c.kind === 'conv-fwd' ? 'tf.conv2d' : c.kind === 'conv-bwd-input' ? 'Conv2DBackpropInput' : 'Conv2DBackpropFilter';
    const y = compute();
    out.set(on, { shape: [...y.shape], data: Float32Array.from(await y.data()) });
    y.dispose();
    call = async () => {
      const y = compute();
      await finish(y);
      y.dispose();
    };
  } else if (c.kind === 'gen') {
    const params = prepareParams(tf, readF32File(join(dir, 'weights-tfjs.safetensors')), cfg, { fold: true });
    const x = t4('input');
    res.impl = 'BN folded; tf.fused.conv2d with bias+PReLU';
    const y = infer(tf, params, x, cfg, true);
    out.set('output', { shape: [...y.shape], data: Float32Array.from(await y.data()) });
    y.dispose();
    call = async () => {
      const y = infer(tf, params, x, cfg, true);
      await finish(y);
      y.dispose();
    };
  } else if (c.kind === 'train') {
    const params = prepareParams(tf, readF32File(join(dir, 'weights-tfjs.safetensors')), cfg, { asVariables: true });
    const lr = t4('lr'), hr = t4('hr');
    const names = trainableNames(params);
    // Agreement: loss and gradients of the first step, as tf.Optimizer.minimize computes them.
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(forward(tf, params, lr, cfg, 'train'), hr)), names.map((n) => params.get(n) as Variable));
    out.set('loss', { shape: [1], data: Float32Array.from(await value.data()) });
    for (const n of names) {
      const g = grads[n]!;
      let data: Float32Array = Float32Array.from(await g.data());
      if (/^up\.\d+\.conv\.[wb]$/.test(n)) data = unpermuteUp(data, g.shape[g.shape.length - 1]!);
      out.set(`grad.${vividName(n)}`, { shape: [...g.shape], data });
    }
    tf.dispose([value, ...Object.values(grads)]);
    const step = makeTrainStep(tf, params, cfg, 1e-4);
    res.impl = hasKernel(tf, 'Conv2DBackpropFilter') ? 'optimizer.minimize, BN train mode, Adam' : 'optimizer.minimize (filter gradient: 9 shifted matmuls), Adam';
    call = async () => {
      await step(lr, hr);
    };
  } else throw new Error(`${c.id}: no tfjs counterpart`);
  res.firstMs = performance.now() - t0;
  writeF32File(join(dir, `out-tfjs-${backend}-${c.id}.safetensors`), out, { backend: res.backend, case: c.id });

  if (!args.has('agree-only')) {
    res.timing = await timeCalls(call, {
      warmup: args.has('warmup') && args.get('warmup') !== 'auto' ? Number(args.get('warmup')) : res.firstMs < 10000 ? 1 : 0,
      minRuns: Number(args.get('runs-min') ?? 2),
      maxRuns: Number(args.get('runs-max') ?? 5),
      budgetMs: Number(args.get('budget-s') ?? 30) * 1000,
      knownMs: res.firstMs,
    });
  }
  console.log(JSON.stringify(res));
}

await main();
