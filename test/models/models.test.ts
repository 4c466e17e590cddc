// The networks: fused inference equals the taped eval-mode generator; a tiny G + D + VGG loss
// graph against finite differences; a small SRResNet overfits one batch; VGG layer checks.

import { describe, expect, it } from 'vitest';
import * as op from '../../src/autograd/ops.ts';
import { backward, constant, noGrad, Var } from '../../src/autograd/tape.ts';
import { Discriminator, PAPER_DISCRIMINATOR, scaledDiscriminator } from '../../src/models/discriminator.ts';
import { discriminatorFlops } from '../../src/models/flops.ts';
import { Generator, type GeneratorConfig } from '../../src/models/generator.ts';
import { InferenceGenerator } from '../../src/models/inference.ts';
import { Vgg19Features } from '../../src/models/vgg19.ts';
import { bicubicSkipKernel } from '../../src/models/bicubic-skip.ts';
import { conv2d } from '../../src/kernels/conv2d/index.ts';
import { pixelShuffle } from '../../src/kernels/pixelshuffle.ts';
import { imresize } from '../../src/data/resize.ts';
import { createImage } from '../../src/io/image.ts';
import * as Rloss from '../../src/reference/loss.ts';
import { readTfjsLayersModel } from '../../src/io/weights/tfjs.ts';
import { TrainingStep } from '../../src/train/step.ts';
import type { TrainConfig } from '../../src/train/types.ts';
import { expectClose, gpu, seeded } from '../helpers/gpu.ts';
import { sharedPath } from '../helpers/shared.ts';
import type { Runtime } from '../../src/graph/runtime.ts';
import type { Rng } from '../../src/util/rng.ts';

const TINY: GeneratorConfig = { scale: 4, blocks: 2, channels: 8, batchNorm: true, prelu: 'channel', blockBias: false, post: 'conv-bn', head: 'shift' };

function image(rng: Rng, n: number, h: number, w: number): Float32Array {
  // Smooth random content in [0,1]: a few random sinusoids per channel.
  const out = new Float32Array(n * h * w * 3);
  for (let b = 0; b < n; b++)
    for (let c = 0; c < 3; c++) {
      const fx = rng.uniform(0.1, 0.6), fy = rng.uniform(0.1, 0.6), ph = rng.uniform(0, 6);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * 3 + c] = 0.5 + 0.4 * Math.sin(fx * x + fy * y + ph);
    }
  return out;
}

async function randomiseBatchNorm(rt: Runtime, g: Generator, rng: Rng): Promise<void> {
  for (const [name, v] of g.namedBuffers()) {
    const n = v.value.size;
    const data = name.endsWith('running_var') ? rng.fill(n, (r) => r.uniform(0.5, 2)) : rng.fill(n, (r) => r.uniform(-0.2, 0.2));
    rt.write(v.value, data);
  }
  for (const [name, p] of g.namedParameters()) {
    if (name.endsWith('gamma') || name.endsWith('beta')) rt.write(p.value, rng.fill(p.value.size, (r) => r.uniform(0.5, 1.5)));
  }
}

describe('models', () => {
  for (const head of ['shift', 'tanh', 'linear'] as const) {
    it(`fused inference generator equals the eval-mode taped generator (${head} head, folded BN${head === 'linear' ? ', bicubic skip' : ''})`, () =>
      seeded('fused-vs-taped', async (rng) => {
        const rt = await gpu();
        const config: GeneratorConfig = {
          ...TINY,
          head,
          prelu: head === 'tanh' ? 'shared' : 'channel',
          post: head === 'tanh' ? 'conv-prelu' : 'conv-bn',
          blockBias: head === 'tanh',
          skip: head === 'linear' ? 'bicubic' : 'none',
        };
        const g = new Generator(rt, config, rng.nextU32());
        await randomiseBatchNorm(rt, g, rng);
        g.eval();
        const xData = image(rng, 2, 7, 9);
        const x = constant(rt.tensor([2, 7, 9, 3], xData));
        const taped = await noGrad(() => g.forward(x)).value.read();
        const fused = await InferenceGenerator.fromGenerator(g);
        const y = fused.forward(x.value);
        expectClose(await y.read(), taped, 'fused vs taped generator');
        fused.dispose();
        g.dispose();
      }));
  }

  it('the bicubic skip (5×5 conv + pixel shuffle) is MATLAB bicubic ×4 away from the border', () =>
    seeded('bicubic-skip', async (rng) => {
      const rt = await gpu();
      const w = 11, h = 9;
      const img = createImage(w, h);
      img.data.set(rng.fill(w * h * 3, (r) => r.next()));
      const { k, data } = bicubicSkipKernel(4);
      const kernel = rt.tensor([k, k, 3, 48], data);
      const x = rt.tensor([1, h, w, 3], img.data);
      const up = await pixelShuffle(rt, conv2d(rt, x, kernel, null), 4).read();
      const ref = imresize(img, 4);
      const got: number[] = [], want: number[] = [];
      // MATLAB replicates edge pixels where the conv sees zeros: compare 2 LR pixels in.
      for (let y = 8; y < 4 * h - 8; y++) for (let xx = 8; xx < 4 * w - 8; xx++) for (let c = 0; c < 3; c++) {
        got.push(up[(y * 4 * w + xx) * 3 + c]!);
        want.push(ref.data[(y * 4 * w + xx) * 3 + c]!);
      }
      expectClose(got, want, 'bicubic skip vs imresize', 1e-5);
    }));

  it('VGG19 gives a clear error for a layer without weights', () => {
    const weights = readTfjsLayersModel(sharedPath('weights/vgg19-keras-tfjs'));
    return gpu().then((rt) => {
      expect(() => new Vgg19Features(rt, { get: (n) => weights.get(n) as never }, 'block5_conv4')).toThrow(/block4_conv1 has no weights.*block1_conv1 … block3_conv4/);
      expect(() => new Vgg19Features(rt, { get: (n) => weights.get(n) as never }, 'block9')).toThrow(/unknown VGG19 layer/);
    });
  });

  it('a tiny generator + discriminator + VGG content loss graph matches finite differences', () =>
    seeded('gan-graph-fd', async (rng) => {
      const rt = await gpu();
      rt.poisonAllocations = false;
      const g = new Generator(rt, { ...TINY, blocks: 1, channels: 4 }, rng.nextU32());
      // 32×32 keeps 2×2 positions after the four stride-2 convs: batch norm over only two values
      // (1×1 × batch 2) would normalise to ±1 whatever the input, and pass no gradient.
      const d = new Discriminator(rt, { size: 32, convs: PAPER_DISCRIMINATOR.convs.map(({ s }) => ({ n: 4, s })), dense: 8, slope: 0.2 }, rng.nextU32());
      const weights = readTfjsLayersModel(sharedPath('weights/vgg19-keras-tfjs'));
      const vgg = new Vgg19Features(rt, { get: (n) => weights.get(n) as never }, 'block2_conv2');
      const lr = constant(rt.tensor([2, 8, 8, 3], image(rng, 2, 8, 8)));
      const hrData = image(rng, 2, 32, 32);
      const hr = constant(rt.tensor([2, 32, 32, 3], hrData));
      const [t] = noGrad(() => vgg.forward(hr));
      const target = constant(t!.value);
      const targetData = await t!.value.read();
      d.freeze();
      const parts = () => {
        const sr = g.forward(lr);
        return { sr, features: vgg.forward(sr)[0]!, logits: d.forward(sr) };
      };
      const loss = (): Var => {
        const { sr, features, logits } = parts();
        const content = op.affine(op.mse(features, target), 1 / 12.75 ** 2);
        return op.axpby(op.axpby(content, op.bceWithLogits(logits, 1), 1, 1e-3), op.mse(sr, hr), 1, 1);
      };
      backward(loss());
      // The same loss, summed in float64 on the host from the float32 tensors: the loss is ~3e3,
      // a step of 1e-4 changes it by ~5e-3, and one float32 ulp of it (2.4e-4) is already 5% of
      // that. In float64 only the elements' own rounding remains, typically ~0.1% of the change.
      const value = async (): Promise<number> => {
        const { sr, features, logits } = noGrad(parts);
        const [s, f, z] = await Promise.all([sr.value.read(), features.value.read(), logits.value.read()]);
        for (const v of [sr, features, logits]) v.value.dispose();
        return Rloss.mseLoss(f, targetData) / 12.75 ** 2 + 1e-3 * Rloss.bceWithLogits(z, 1) + Rloss.mseLoss(s, hrData);
      };
      const L0 = await value();
      // Central differences on the entries with the largest gradients. The loss is only piecewise
      // smooth: every PReLU, leaky ReLU, ReLU and max-pool switch is a kink, and in this small
      // generator one unit switching moves a head weight's gradient by a few percent; steps of
      // 1% of the weight crossed enough of them to miss by over 2% for about one seed in seven.
      // Steps of 0.1% cross fewer, and each estimate carries its own error bar: a kink at
      // distance τ < h with slope jump J shifts the central difference by J(h − τ)/2h and the
      // one-sided differences apart by twice that (curvature parts them by h·L''). So the
      // analytic gradient must lie within half that spread of the central difference, plus 2%
      // for the rounding of the float32 tensors. The spread's share is capped at 5%: a gradient
      // 10% off, a factor off or of the wrong sign misses the bar whatever the kinks.
      // Rarely (about one seed in 500) several kinks crowd so close around the point that their
      // shifts cancel in the spread. They are switches of the units the entry moves, so then the
      // largest entry of another output channel, which moves other units, stands in for it; a
      // wrong backward rule misses on both.
      for (const name of ['head.conv.w', 'blocks.0.conv2.w', 'tail.conv.b']) {
        const p = g.namedParameters().get(name)!;
        const gr = await p.grad!.read();
        const host = await p.value.read();
        // The largest-gradient entry of each output channel (the last axis), largest first.
        const cout = p.value.shape.at(-1)!;
        const entries = Array.from({ length: cout }, (_, c) => {
          let best = c;
          for (let k = c; k < gr.length; k += cout) if (Math.abs(gr[k]!) > Math.abs(gr[best]!)) best = k;
          return best;
        }).sort((x, y) => Math.abs(gr[y]!) - Math.abs(gr[x]!));
        const misses: string[] = [];
        for (const i of entries.slice(0, 2)) {
          const h = 1e-3 * Math.max(0.1, Math.abs(host[i]!));
          const at = async (delta: number) => {
            const copy = host.slice();
            copy[i] = host[i]! + delta;
            rt.write(p.value, copy);
            return value();
          };
          const up = await at(h), down = await at(-h);
          rt.write(p.value, host);
          const right = (up - L0) / h, left = (L0 - down) / h, central = (up - down) / (2 * h);
          const analytic = gr[i]!;
          const allowed = 2e-2 * Math.abs(analytic) + Math.min(Math.abs(right - left) / 2, 5e-2 * Math.abs(analytic));
          if (Math.abs(central - analytic) <= allowed) break;
          misses.push(`[${i}] central difference ${central} ± ${allowed} (one-sided ${left}, ${right}) vs analytic ${analytic}`);
        }
        expect(misses.length, `${name}: ${misses.join('; ')}`).toBeLessThan(2);
      }
      g.dispose();
      d.dispose();
      vgg.dispose();
    }));

  it('a small SRResNet overfits one batch: MSE falls 100× within 300 steps', () =>
    seeded('overfit', async (rng) => {
      const rt = await gpu();
      rt.poisonAllocations = false;
      const config = { stage: 'mse', generator: { ...TINY, channels: 16 }, patchSize: 16, lr: 2e-3, beta1: 0.9, beta2: 0.999, seed: rng.nextU32() } as TrainConfig;
      const step = await TrainingStep.create(rt, config);
      const hr = image(rng, 2, 16, 16);
      const lrImg = image(rng, 2, 4, 4);
      // LR = 4×4 box average of HR, so the mapping is learnable.
      for (let b = 0; b < 2; b++)
        for (let y = 0; y < 4; y++)
          for (let x = 0; x < 4; x++)
            for (let c = 0; c < 3; c++) {
              let s = 0;
              for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) s += hr[((b * 16 + y * 4 + dy) * 16 + x * 4 + dx) * 3 + c]!;
              lrImg[((b * 4 + y) * 4 + x) * 3 + c] = s / 16;
            }
      const batch = { lr: lrImg, hr, n: 2 };
      const first = (await step.run(batch, config.lr)).g;
      let last = first;
      let steps = 1;
      while (steps < 300 && last > first / 100) {
        last = (await step.run(batch, config.lr)).g;
        steps++;
      }
      console.log(`overfit: MSE ${first.toExponential(3)} → ${last.toExponential(3)} in ${steps} steps`);
      expect(last).toBeLessThanOrEqual(first / 100);
      step.dispose();
    }));
});

describe('scaledDiscriminator', () => {
  it('is the paper discriminator at width 1, and at width 0.5 half as wide with about a quarter of its FLOPs', () => {
    expect(scaledDiscriminator(96)).toEqual(PAPER_DISCRIMINATOR);
    const half = scaledDiscriminator(64, 0.5);
    expect(half.convs.map((c) => c.n)).toEqual([32, 32, 64, 64, 128, 128, 256, 256]);
    expect(half.convs.map((c) => c.s)).toEqual(PAPER_DISCRIMINATOR.convs.map((c) => c.s));
    expect(half.dense).toBe(512);
    const ratio = discriminatorFlops(scaledDiscriminator(96, 0.5), 1) / discriminatorFlops(PAPER_DISCRIMINATOR, 1);
    expect(ratio).toBeGreaterThan(0.24);
    expect(ratio).toBeLessThan(0.27);
  });
});
