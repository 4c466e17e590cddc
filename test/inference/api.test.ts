// The public upscale(): pixel formats in and out, the model cache, and cancellation that
// frees GPU memory.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getModel, getRuntime, shutdown, upscale } from '../../src/index.ts';
import { tempDir } from '../helpers/cli.ts';
import { saveTinyModel } from '../helpers/tiny-model.ts';

describe('upscale()', () => {
  let model = '';
  beforeAll(async () => {
    model = join(tempDir(), 'tiny.safetensors');
    await saveTinyModel(await getRuntime(), model);
  });
  afterAll(() => shutdown());

  it('returns the same kind of image: RGBA 8-bit stays RGBA 8-bit, RGB float stays float', async () => {
    const w = 9, h = 7;
    const rgba = new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
    const a = await upscale({ width: w, height: h, data: rgba }, { model });
    expect(a.data).toBeInstanceOf(Uint8ClampedArray);
    expect([a.width, a.height, a.data.length]).toEqual([36, 28, 36 * 28 * 4]);
    for (let p = 0; p < 36 * 28; p++) expect(a.data[p * 4 + 3]).toBe(255); // opaque stays opaque

    const rgb = new Float32Array(w * h * 3).map((_, i) => (i % 11) / 10);
    const b = await upscale({ width: w, height: h, data: rgb }, { model });
    expect(b.data).toBeInstanceOf(Float32Array);
    expect(b.data.length).toBe(36 * 28 * 3);
    // Same pixels as 8-bit input give the same picture (up to 8-bit rounding).
    const c = await upscale({ width: w, height: h, data: Uint8Array.from(rgb, (v) => Math.round(v * 255)) }, { model });
    expect(c.data).toBeInstanceOf(Uint8Array);
    let d = 0;
    for (let i = 0; i < c.data.length; i++) d = Math.max(d, Math.abs(c.data[i]! / 255 - b.data[i]!));
    expect(d).toBeLessThan(4 / 255);
  });

  it('rejects data that is neither RGB nor RGBA', async () => {
    await expect(upscale({ width: 4, height: 4, data: new Uint8Array(16 * 2) }, { model })).rejects.toThrow(/RGB \(48\) or RGBA \(64\)/);
  });

  it('an AbortSignal stops at the next conv or band with an AbortError and frees the run’s GPU memory', async () => {
    const { model: m } = await getModel(model);
    const rt = m.rt;
    await upscale({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) }, { model }); // warm: pipelines, pool
    const before = rt.pool.inUse;
    const ac = new AbortController();
    let calls = 0;
    const run = upscale(
      { width: 48, height: 40, data: new Uint8Array(48 * 40 * 3).fill(128) },
      {
        model,
        tileSize: 8,
        signal: ac.signal,
        onProgress: () => {
          if (++calls === 3) ac.abort(); // the start, then the first region's first two convs
        },
      },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(3); // of 30 regions' convs and bands: stopped promptly
    expect(rt.pool.inUse).toBe(before);
    // Already aborted: rejected before any work.
    await expect(upscale({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) }, { model, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
