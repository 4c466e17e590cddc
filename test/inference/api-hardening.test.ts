// upscale() refuses careless input before any work: fractional or out-of-range tile options,
// a tile too large for the adapter's buffers, non-finite float pixels, pixel arrays the API
// does not document; and an abort during the last (or only) tile rejects instead of resolving.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getModel, getRuntime, shutdown, upscale, type ImageLike } from '../../src/index.ts';
import { bucketSize } from '../../src/graph/pool.ts';
import { largestLayerBytes, receptiveRadius } from '../../src/inference/tiling.ts';
import { tempDir } from '../helpers/cli.ts';
import { saveTinyModel, TINY_CONFIG } from '../helpers/tiny-model.ts';

describe('upscale() hardening', () => {
  let model = '';
  const small = (): ImageLike => ({ width: 9, height: 7, data: new Uint8Array(9 * 7 * 3).fill(90) });
  beforeAll(async () => {
    model = join(tempDir(), 'tiny.safetensors');
    await saveTinyModel(await getRuntime(), model);
  });
  afterAll(() => shutdown());

  it('refuses a fractional, zero, negative or non-number tileSize / overlap, naming the option', async () => {
    for (const tileSize of [7.3, 0, -4, NaN, Infinity, '64' as unknown as number]) {
      await expect(upscale(small(), { model, tileSize }), String(tileSize)).rejects.toThrow(/^tileSize must be a whole number of LR pixels ≥ 1/);
    }
    for (const overlap of [1.5, -1]) {
      await expect(upscale(small(), { model, overlap })).rejects.toThrow(/^overlap must be a whole number of LR pixels ≥ 0/);
    }
    for (const maxBufferBytes of [0, 1e6 + 0.5, -8]) {
      await expect(upscale(small(), { model, maxBufferBytes })).rejects.toThrow(/^maxBufferBytes must be a whole number of bytes ≥ 1/);
    }
    // Checked before the model is even looked up.
    await expect(upscale(small(), { model: '/nonexistent.safetensors', tileSize: 7.3 })).rejects.toThrow(/tileSize/);
    await expect(upscale(small(), { model, backend: 'metal' as never })).rejects.toThrow(/backend must be 'auto', 'vulkan' or 'opengl'/);
  });

  it('tileSize 7 (whole) still gives the exact whole-image result', async () => {
    const img: ImageLike = { width: 19, height: 13, data: new Float32Array(19 * 13 * 3).map((_, i) => ((i * 29) % 97) / 96) };
    const whole = await upscale(img, { model });
    const tiled = await upscale(img, { model, tileSize: 7 });
    let d = 0;
    for (let i = 0; i < whole.data.length; i++) d = Math.max(d, Math.abs(whole.data[i]! - tiled.data[i]!));
    expect(d).toBeLessThan(1e-4);
  });

  it('refuses a tile too large for the adapter before any compute, naming the largest that fits', async () => {
    const { model: m } = await getModel(model);
    const limit = Math.min(m.rt.limits.maxStorageBufferBindingSize, m.rt.limits.maxBufferSize);
    // An image whose one-tile region needs more than the limit (the tiny model's largest layer per LR pixel).
    const perPixel = largestLayerBytes(TINY_CONFIG, 1, 1);
    const width = 1024, height = Math.ceil((1.2 * limit) / perPixel / width);
    const img: ImageLike = { width, height, data: new Uint8Array(width * height * 3) };
    let progress = 0;
    const t0 = performance.now();
    const err = await upscale(img, { model, tileSize: 100000, onProgress: () => progress++ }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RangeError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^tile size 100000 is too large for this GPU: a 1024×\d+ region .* needs a \d+ MiB buffer .* over the adapter's \d+ MiB limit/);
    expect(progress).toBe(0); // no tile started
    expect(performance.now() - t0).toBeLessThan(5000);
    const fits = Number(/at most (\d+)/.exec(msg)![1]);
    // The named size is the boundary: it fits, one more does not.
    const r = receptiveRadius(TINY_CONFIG);
    const region = (t: number) => bucketSize(largestLayerBytes(TINY_CONFIG, Math.min(width, t + 2 * r), Math.min(height, t + 2 * r)));
    expect(fits).toBeGreaterThan(16);
    expect(region(fits)).toBeLessThanOrEqual(limit);
    expect(region(fits + 1)).toBeGreaterThan(limit);
    // A huge tile on an image that is small anyway is fine: the region is the image.
    expect((await upscale(small(), { model, tileSize: 100000 })).width).toBe(36);
  });

  it('refuses NaN / Infinity in Float32 pixels, naming the pixel', async () => {
    const data = new Float32Array(9 * 7 * 3).fill(0.5);
    data[3 * (2 * 9 + 4) + 1] = NaN;
    await expect(upscale({ width: 9, height: 7, data }, { model })).rejects.toThrow(/image data\[67\] \(pixel 4,2, channel 1\) is NaN: Float32Array pixels must be finite/);
    data[67] = Infinity;
    await expect(upscale({ width: 9, height: 7, data }, { model })).rejects.toThrow(/is Infinity/);
  });

  it('accepts Uint16Array (0..65535) and returns Uint16Array; refuses Int16Array and plain arrays', async () => {
    const u16 = new Uint16Array(9 * 7 * 3).fill(65535);
    const out = await upscale({ width: 9, height: 7, data: u16 }, { model });
    expect(out.data).toBeInstanceOf(Uint16Array);
    const u8 = await upscale({ width: 9, height: 7, data: new Uint8Array(9 * 7 * 3).fill(255) }, { model });
    for (let i = 0; i < out.data.length; i += 17) expect(Math.abs(out.data[i]! / 65535 - u8.data[i]! / 255)).toBeLessThan(1 / 255);
    await expect(upscale({ width: 9, height: 7, data: new Int16Array(9 * 7 * 3) as never }, { model })).rejects.toThrow(/^image data is Int16Array: expected a Uint8Array/);
    await expect(upscale({ width: 9, height: 7, data: Array(9 * 7 * 3).fill(1) as never }, { model })).rejects.toThrow(/^image data is a plain array/);
  });

  it('an abort during the only band rejects with an AbortError', async () => {
    const { model: m } = await getModel(model);
    const ac = new AbortController();
    // The abort lands while the band is on the GPU: right after its work is dispatched.
    const band = m.band;
    m.band = function* (...args) {
      const y = yield* band.apply(m, args);
      ac.abort();
      return y;
    };
    try {
      const run = upscale({ width: 24, height: 20, data: new Uint8Array(24 * 20 * 3).fill(128) }, { model, signal: ac.signal });
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      m.band = band;
    }
  });

  it('an abort from the last band\'s progress callback rejects too', async () => {
    const ac = new AbortController();
    const run = upscale({ width: 24, height: 20, data: new Uint8Array(24 * 20 * 3) }, {
      model, tileSize: 12, signal: ac.signal,
      onProgress: (done, total) => void (done === total && ac.abort()),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });
});
