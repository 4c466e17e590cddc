// Checks srresnet.ts on one backend with a tiny config: eval and folded forward against the
// float64 reference (reference.ts), pixel-shuffle order, and that a training step lowers the loss
// with gradients that match tfjs-cpu's.
// Usage: npx tsx bench/tfjs/check-model.ts webgpu-opengl
import '@tensorflow/tfjs-backend-cpu';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { initTfjs, isTfjsBackend } from './backends.ts';
import { referenceForward } from './reference.ts';
import { forward, infer, makeTrainStep, pixelShuffleTorch, prepareParams, randomWeights, trainableNames, type SrResNetConfig } from './srresnet.ts';
import { Rng, relL2 } from './util.ts';

async function main(): Promise<void> {
  const kind = process.argv[2] ?? 'cpu';
  if (!isTfjsBackend(kind)) throw new Error(`unknown backend ${kind}`);
  const { tf, info } = await initTfjs(kind);
  const res: Record<string, number> = {};
  const rng = new Rng(7);

  // Pixel shuffle: depthToSpace after the channel gather equals the literal definition.
  {
    const C = 5;
    const x = tf.tensor4d(rng.normal(2 * 3 * 4 * 4 * C), [2, 3, 4, 4 * C]);
    const order: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let c = 0; c < C; c++) order.push(4 * c + 2 * i + j);
    const a = await tf.depthToSpace(tf.gather(x, tf.tensor1d(order, 'int32'), 3), 2).data();
    const b = await pixelShuffleTorch(tf, x).data();
    res.pixelShuffle = relL2(a, b);
  }

  for (const output of ['tanh', 'linear'] as const) {
    const cfg: SrResNetConfig = { channels: 8, blocks: 2, upsamples: 2, output, bnEps: 1e-5 };
    const weights = randomWeights(cfg, 11);
    const shape: [number, number, number, number] = [2, 5, 7, 3];
    const xs = rng.uniformArray(2 * 5 * 7 * 3, -1, 1);
    const want = referenceForward(weights, xs, shape, cfg);
    const x = tf.tensor4d(xs, shape);
    for (const folded of [false, true]) {
      const p = prepareParams(tf, weights, cfg, { fold: folded });
      res[`${output}-${folded ? 'folded' : 'eval'}`] = relL2(await infer(tf, p, x, cfg, folded).data(), want);
    }
  }

  // Training: gradients on this backend vs tfjs-cpu, then a few Adam steps lower the loss.
  const cfg: SrResNetConfig = { channels: 8, blocks: 2, upsamples: 2, output: 'tanh', bnEps: 1e-5 };
  const weights = randomWeights(cfg, 12);
  const lrData = rng.uniformArray(4 * 6 * 5 * 3, -1, 1);
  const hrData = rng.uniformArray(4 * 24 * 20 * 3, 0, 1);
  // Tensors are made per backend: moving one from webgpu to cpu would read it synchronously,
  // which tfjs-webgpu does through OffscreenCanvas (absent in Node).
  let lr = tf.tensor4d(lrData, [4, 6, 5, 3]) as Tensor4D;
  let hr = tf.tensor4d(hrData, [4, 24, 20, 3]) as Tensor4D;
  const grads = async () => {
    const p = prepareParams(tf, weights, cfg, { asVariables: true });
    const names = trainableNames(p);
    const { grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(forward(tf, p, lr, cfg, 'train'), hr)), names.map((n) => p.get(n) as import('@tensorflow/tfjs-core').Variable));
    const flat: number[] = [];
    for (const n of names) flat.push(...(await grads[n]!.data()));
    for (const t of p.values()) t.dispose();
    return flat;
  };
  const g = await grads();
  await tf.setBackend('cpu');
  [lr, hr] = [tf.tensor4d(lrData, [4, 6, 5, 3]), tf.tensor4d(hrData, [4, 24, 20, 3])];
  const gCpu = await grads();
  await tf.setBackend(info.tfBackend);
  [lr, hr] = [tf.tensor4d(lrData, [4, 6, 5, 3]), tf.tensor4d(hrData, [4, 24, 20, 3])];
  res.trainGradsVsCpu = relL2(g, gCpu);
  const p = prepareParams(tf, weights, cfg, { asVariables: true });
  const step = makeTrainStep(tf, p, cfg, 1e-3);
  const losses: number[] = [];
  for (let i = 0; i < 5; i++) losses.push(await step(lr, hr));

  const ok = Object.values(res).every((v) => v <= 1e-4) && losses[4]! < losses[0]!;
  console.log(JSON.stringify({ backend: kind, relL2: res, losses, ok }));
  if (!ok) process.exitCode = 1;
}

await main();
