// Tiled inference must equal whole-image inference when the overlap covers the receptive
// field: a seam would show up as a difference along region or band borders. The reference is
// the training graph (Generator.eval().forward on the whole image: batch norm unfolded, pixel
// shuffle and activations as separate ops), so the fused, banded path is checked against an
// independent implementation. Forced small buffer limits make the band and region paths run on
// small images; odd sizes make bands and regions uneven.

import { afterAll, describe, expect, it } from 'vitest';
import { noGrad, constant } from '../../src/autograd/tape.ts';
import type { Runtime } from '../../src/graph/runtime.ts';
import { planFor, receptiveRadius, upscaleTiled } from '../../src/inference/tiling.ts';
import { createImage, type RgbImage } from '../../src/io/image.ts';
import { Generator, type GeneratorConfig } from '../../src/models/generator.ts';
import { InferenceGenerator } from '../../src/models/inference.ts';
import type { HostTensor } from '../../src/graph/tensor.ts';
import { gpu, seeded } from '../helpers/gpu.ts';
import { TINY_CONFIG, tinyWeights } from '../helpers/tiny-model.ts';
import type { Rng } from '../../src/util/rng.ts';

/** The shipped model's layout (bicubic skip, linear head) at the tiny model's size. */
const TINY_SKIP: GeneratorConfig = { ...TINY_CONFIG, head: 'linear', skip: 'bicubic' };

function randomImage(rng: Rng, w: number, h: number, channels: 3 | 4): RgbImage {
  const img = createImage(w, h, channels);
  for (let i = 0; i < img.data.length; i++) img.data[i] = rng.uniform(0, 1);
  return img;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The training graph's whole-image output for img. */
async function taped(rt: Runtime, config: GeneratorConfig, weights: Map<string, HostTensor>, img: RgbImage): Promise<Float32Array> {
  const g = new Generator(rt, config, 1);
  g.load(weights);
  g.eval();
  const x = constant(rt.tensor([1, img.height, img.width, 3], img.data));
  const y = noGrad(() => g.forward(x)).value;
  const out = await y.read();
  for (const t of [y, x.value]) t.dispose();
  g.dispose();
  return out;
}

describe('upscaleTiled', () => {
  const models: InferenceGenerator[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  for (const config of [TINY_CONFIG, TINY_SKIP]) {
    it(`equals the whole-image training graph on regions and bands (${config.skip ?? 'no'} skip, 37×23)`, async () => {
      const rt = await gpu();
      await seeded('tiled-vs-whole', async (rng, seed) => {
        const weights = await tinyWeights(rt, seed, config);
        const model = new InferenceGenerator(rt, config, weights);
        models.push(model);
        const img = randomImage(rng, 37, 23, 3);
        const whole = await taped(rt, config, weights, img);
        const cases = [
          { what: 'one region, one band', opts: {} },
          { what: 'one region, many bands (48 KiB limit)', opts: { maxBufferBytes: 48 << 10 } },
          { what: '10-pixel regions, many bands', opts: { tileSize: 10, maxBufferBytes: 48 << 10 } },
        ];
        for (const { what, opts } of cases) {
          const plan = planFor(rt, config, 37, 23, opts);
          const bands = plan.regions.reduce((n, r) => n + r.bands.length, 0);
          if (opts.maxBufferBytes) expect(bands, `${what}: bands`).toBeGreaterThan(4);
          if (opts.tileSize) expect(plan.regions.length, `${what}: regions`).toBe(4 * 3);
          const calls: number[] = [];
          const tiled = await upscaleTiled(rt, model, img, { ...opts, onProgress: (d, t) => (expect(t).toBe(plan.flops), calls.push(d)) });
          expect(tiled.width).toBe(37 * 4);
          expect(tiled.height).toBe(23 * 4);
          const d = maxAbsDiff(tiled.data, whole);
          expect(d, `${what}: max |tiled − whole| = ${d}`).toBeLessThanOrEqual(1e-4);
          // Progress: 0 first, then once per conv (low-resolution and tail), rising to the total.
          const convs = plan.regions[0]!.trunkFlops.length, tailConvs = plan.regions[0]!.bands[0]!.steps.length;
          expect(calls, `${what}: progress calls`).toHaveLength(1 + plan.regions.length * convs + bands * tailConvs);
          expect(calls.every((v, i) => i === 0 || v > calls[i - 1]!), `${what}: progress rises`).toBe(true);
          expect(calls.at(-1)).toBe(plan.flops);
        }
        // The same regions without context do show seams: the comparisons above are not vacuous.
        const seamy = await upscaleTiled(rt, model, img, { tileSize: 10, overlap: 0 });
        expect(maxAbsDiff(seamy.data, whole)).toBeGreaterThan(1 / 255);
        expect(receptiveRadius(config)).toBeGreaterThan(10);
      });
    });
  }

  it('stops at the next conv on abort, inside a band too: no further progress, an AbortError', async () => {
    const rt = await gpu();
    await seeded('tiled-abort', async (rng, seed) => {
      const model = new InferenceGenerator(rt, TINY_CONFIG, await tinyWeights(rt, seed));
      models.push(model);
      const img = randomImage(rng, 31, 17, 3);
      const opts = { maxBufferBytes: 48 << 10 };
      const plan = planFor(rt, TINY_CONFIG, 31, 17, opts);
      const convs = plan.regions[0]!.trunkFlops.length;
      const ac = new AbortController();
      const live = rt.pool.live;
      let calls = 0;
      const err = await upscaleTiled(rt, model, img, { ...opts, signal: ac.signal, onProgress: () => ++calls === 1 + convs + 1 && ac.abort() }).catch((e: Error) => e);
      expect((err as Error).name).toBe('AbortError');
      expect(calls, 'aborted after the first band\'s first conv').toBe(1 + convs + 1);
      expect(rt.pool.live, 'nothing of the run left behind').toBe(live);
    });
  });

  it('RGBA: colour tiled like RGB, alpha upscaled with bicubic and kept in [0,1]', async () => {
    const rt = await gpu();
    await seeded('rgba', async (rng, seed) => {
      const model = new InferenceGenerator(rt, TINY_CONFIG, await tinyWeights(rt, seed));
      models.push(model);
      const rgba = randomImage(rng, 21, 13, 4);
      const rgb = createImage(21, 13, 3);
      for (let p = 0; p < 21 * 13; p++) rgb.data.set(rgba.data.subarray(p * 4, p * 4 + 3), p * 3);
      const a = await upscaleTiled(rt, model, rgba, { tileSize: 8 });
      const b = await upscaleTiled(rt, model, rgb, { tileSize: 8 });
      expect(a.channels).toBe(4);
      let colour = 0;
      for (let p = 0; p < a.width * a.height; p++) {
        for (let c = 0; c < 3; c++) colour = Math.max(colour, Math.abs(a.data[p * 4 + c]! - b.data[p * 3 + c]!));
        const alpha = a.data[p * 4 + 3]!;
        expect(alpha >= 0 && alpha <= 1).toBe(true);
      }
      expect(colour).toBe(0);
    });
  });
});
