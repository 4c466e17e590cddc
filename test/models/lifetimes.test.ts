// Tensor lifetimes: no GPU buffer outlives its use across the generator and discriminator
// forward and backward, a rejected step (clearTape) and fused inference; off the tape the
// generator's peak does not grow with its depth (chain() frees each block's input).

import { describe, expect, it } from 'vitest';
import * as op from '../../src/autograd/ops.ts';
import { backward, clearTape, constant, noGrad, scope } from '../../src/autograd/tape.ts';
import type { Runtime } from '../../src/graph/runtime.ts';
import { Discriminator } from '../../src/models/discriminator.ts';
import { Generator, type GeneratorConfig } from '../../src/models/generator.ts';
import { InferenceGenerator } from '../../src/models/inference.ts';
import { gpu, seeded } from '../helpers/gpu.ts';
import { TINY_CONFIG } from '../helpers/tiny-model.ts';

const live = (rt: Runtime) => rt.pool.live;

/** The most buffers live at once while fn runs. */
function peakLive(rt: Runtime, fn: () => void): number {
  const acquire = rt.pool.acquire;
  let peak = live(rt);
  rt.pool.acquire = (bytes, label) => {
    const b = acquire.call(rt.pool, bytes, label);
    peak = Math.max(peak, live(rt));
    return b;
  };
  try {
    fn();
  } finally {
    rt.pool.acquire = acquire;
  }
  return peak;
}

describe('tensor lifetimes', () => {
  it('generator: forward off the tape, forward + backward, a rejected step and fused inference leave no buffer behind', () =>
    seeded('lifetimes-g', async (rng) => {
      const rt = await gpu();
      const g = new Generator(rt, TINY_CONFIG, rng.nextU32());
      const x = constant(rt.tensor([2, 6, 7, 3], rng.fill(2 * 6 * 7 * 3, (r) => r.uniform(0, 1))));
      const target = constant(rt.tensor([2, 24, 28, 3], rng.fill(2 * 24 * 28 * 3, (r) => r.uniform(0, 1))));
      const base = live(rt);

      for (const mode of ['train', 'eval'] as const) {
        g.train(mode === 'train');
        noGrad(() => scope(() => g.forward(x))).value.dispose();
        expect(live(rt), `${mode}: forward off the tape`).toBe(base);
      }
      g.train();
      backward(op.mse(g.forward(x), target));
      const grads = g.parameters().filter((p) => p.grad).length;
      expect(grads, 'every parameter has a gradient').toBe(g.parameters().length);
      expect(live(rt), 'after backward: the parameter gradients only').toBe(base + grads);
      for (const p of g.parameters()) p.zeroGrad();

      op.mse(g.forward(x), target);
      clearTape();
      expect(live(rt), 'rejected step (clearTape)').toBe(base);

      g.eval();
      const fused = await InferenceGenerator.fromGenerator(g);
      const withFused = live(rt);
      fused.forward(x.value).dispose();
      expect(live(rt), 'fused inference').toBe(withFused);
      fused.dispose();
      expect(live(rt), 'fused generator disposed').toBe(base);
      for (const t of [x, target]) t.value.dispose();
      g.dispose();
    }));

  it('discriminator: forward off the tape and forward + backward leave no buffer behind', () =>
    seeded('lifetimes-d', async (rng) => {
      const rt = await gpu();
      const d = new Discriminator(rt, { size: 16, convs: [{ n: 8, s: 1 }, { n: 8, s: 2 }, { n: 16, s: 1 }, { n: 16, s: 2 }], dense: 8, slope: 0.2 }, rng.nextU32());
      const x = constant(rt.tensor([2, 16, 16, 3], rng.fill(2 * 16 * 16 * 3, (r) => r.uniform(0, 1))));
      const base = live(rt);
      noGrad(() => scope(() => d.forward(x))).value.dispose();
      expect(live(rt), 'forward off the tape').toBe(base);
      backward(op.bceWithLogits(d.forward(x), 1));
      const grads = d.parameters().length;
      expect(live(rt), 'after backward: the parameter gradients only').toBe(base + grads);
      for (const p of d.parameters()) p.zeroGrad();
      x.value.dispose();
      d.dispose();
    }));

  it("off the tape the generator's peak does not grow with its depth", () =>
    seeded('lifetimes-depth', async (rng) => {
      const rt = await gpu();
      const peaks = [];
      for (const blocks of [2, 6]) {
        const config: GeneratorConfig = { ...TINY_CONFIG, blocks };
        const x = constant(rt.tensor([1, 5, 6, 3], rng.fill(5 * 6 * 3, (r) => r.uniform(0, 1))));
        const g = new Generator(rt, config, rng.nextU32()).eval();
        const fused = await InferenceGenerator.fromGenerator(g);
        const base = live(rt);
        const taped = peakLive(rt, () => noGrad(() => scope(() => g.forward(x))).value.dispose()) - base;
        const inference = peakLive(rt, () => fused.forward(x.value).dispose()) - base;
        peaks.push({ taped, inference });
        fused.dispose();
        g.dispose();
        x.value.dispose();
      }
      expect(peaks[1], 'peak live buffers above the weights, 6 blocks vs 2').toEqual(peaks[0]);
    }));
});
