// Sanity check that a tfjs backend computes the right thing: matmul, conv2d and both conv
// gradients on small odd shapes, compared with tfjs' cpu backend in the same process.
// Usage: npx tsx bench/tfjs/check.ts webgpu-opengl
import '@tensorflow/tfjs-backend-cpu';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { initTfjs, isTfjsBackend, type Tf } from './backends.ts';
import { conv2dSame } from './conv.ts';
import { Rng, relL2 } from './util.ts';

type Case = (tf: Tf, inputs: Float32Array[]) => Promise<Float32Array>;

const shapes = { x: [2, 13, 11, 5], w: [3, 3, 5, 7], a: [37, 29], b: [29, 19] } as const;

const cases: Record<string, Case> = {
  matmul: (tf, [a, b]) => tf.matMul(tf.tensor2d(a!, [...shapes.a]), tf.tensor2d(b!, [...shapes.b])).data() as Promise<Float32Array>,
  conv2d: (tf, [x, w]) =>
    tf.conv2d(tf.tensor4d(x!, [...shapes.x]), tf.tensor4d(w!, [...shapes.w]), 1, 'same').data() as Promise<Float32Array>,
  'conv2d-grads': async (tf, [x, w, dy]) => {
    const xt = tf.tensor4d(x!, [...shapes.x]);
    const wt = tf.tensor4d(w!, [...shapes.w]);
    const dyt = tf.tensor4d(dy!, [2, 13, 11, 7]);
    const g = tf.grads((...t) => conv2dSame(tf, t[0] as Tensor4D, t[1] as Tensor4D))([xt, wt], dyt);
    const dx = await g[0]!.data();
    const dw = await g[1]!.data();
    const out = new Float32Array(dx.length + dw.length);
    out.set(dx as Float32Array, 0);
    out.set(dw as Float32Array, dx.length);
    return out;
  },
};

async function main(): Promise<void> {
  const kind = process.argv[2] ?? 'webgpu-opengl';
  if (!isTfjsBackend(kind)) throw new Error(`unknown backend ${kind}`);
  const { tf, info } = await initTfjs(kind);
  const rng = new Rng(1234);
  const size = (s: readonly number[]) => s.reduce((p, v) => p * v, 1);
  const inputs: Record<string, Float32Array[]> = {
    matmul: [rng.normal(size(shapes.a)), rng.normal(size(shapes.b))],
    conv2d: [rng.normal(size(shapes.x)), rng.normal(size(shapes.w))],
    'conv2d-grads': [rng.normal(size(shapes.x)), rng.normal(size(shapes.w)), rng.normal(2 * 13 * 11 * 7)],
  };
  const results: Record<string, number> = {};
  let ok = true;
  for (const [name, fn] of Object.entries(cases)) {
    await tf.setBackend(info.tfBackend);
    const got = await fn(tf, inputs[name]!);
    await tf.setBackend('cpu');
    const want = await fn(tf, inputs[name]!);
    results[name] = relL2(got, want);
    if (!(results[name]! <= 1e-5)) ok = false;
  }
  console.log(JSON.stringify({ backend: kind, adapter: info.adapter, relL2: results, ok }));
  if (!ok) process.exitCode = 1;
}

await main();
