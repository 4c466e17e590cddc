// Tiled inference must equal whole-image inference when the overlap covers the receptive
// field: a seam would show up as a difference along the tile borders.

import { afterAll, describe, expect, it } from 'vitest';
import { autoTileSize, receptiveRadius, upscaleTiled } from '../../src/inference/tiling.ts';
import type { Runtime } from '../../src/graph/runtime.ts';
import { createImage, type RgbImage } from '../../src/io/image.ts';
import { InferenceGenerator } from '../../src/models/inference.ts';
import { gpu, seeded } from '../helpers/gpu.ts';
import { TINY_CONFIG, tinyWeights } from '../helpers/tiny-model.ts';
import type { Rng } from '../../src/util/rng.ts';

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

describe('upscaleTiled', () => {
  let model: InferenceGenerator | undefined;
  afterAll(() => model?.dispose());

  it('tiled equals untiled with overlap ≥ receptive field (40×30, tile 16)', async () => {
    const rt = await gpu();
    await seeded('tiled-vs-untiled', async (rng, seed) => {
      model ??= new InferenceGenerator(rt, TINY_CONFIG, await tinyWeights(rt, seed));
      const img = randomImage(rng, 40, 30, 3);
      const overlap = receptiveRadius(TINY_CONFIG);
      const whole = await upscaleTiled(rt, model, img, { tileSize: 64, overlap: 0 });
      let tiles = 0;
      const tiled = await upscaleTiled(rt, model, img, { tileSize: 16, overlap, onProgress: (_, t) => (tiles = t) });
      expect(tiles).toBe(3 * 2);
      expect(whole.width).toBe(160);
      expect(whole.height).toBe(120);
      const d = maxAbsDiff(tiled.data, whole.data);
      expect(d, `max |tiled − untiled| = ${d}`).toBeLessThanOrEqual(1 / 255);
      // The same tiles without context do show seams: the comparison above is not vacuous.
      const seamy = await upscaleTiled(rt, model, img, { tileSize: 16, overlap: 0 });
      expect(maxAbsDiff(seamy.data, whole.data)).toBeGreaterThan(1 / 255);
    });
  });

  it('RGBA: colour tiled like RGB, alpha upscaled with bicubic and kept in [0,1]', async () => {
    const rt = await gpu();
    await seeded('rgba', async (rng, seed) => {
      model ??= new InferenceGenerator(rt, TINY_CONFIG, await tinyWeights(rt, seed));
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

describe('autoTileSize', () => {
  const rt = { limits: { maxStorageBufferBindingSize: 128 << 20, maxBufferSize: 256 << 20 } } as Runtime;
  const srresnet = { scale: 4, blocks: 16, channels: 64, batchNorm: true, prelu: 'channel', blockBias: false, post: 'conv-bn', head: 'shift' } as const;
  it('takes a whole image that fits as one tile, whatever its aspect', () => {
    expect(autoTileSize(rt, srresnet, 40, 160, 90)).toBe(160);
  });
  it('cuts a larger image into square tiles that fit one storage binding with their overlap', () => {
    const t = autoTileSize(rt, srresnet, 40, 720, 576);
    const region = t + 2 * 40;
    expect(region * region * 4 * 64 * 4 * 4).toBeLessThanOrEqual(128 << 20);
    expect(t).toBeGreaterThanOrEqual(16);
  });
});
