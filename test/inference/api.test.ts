// The public upscale(): pixel formats in and out, the model cache, and cancellation that
// frees GPU memory; createStabilizer(): the temporal mode on the caller's frames.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStabilizer, fromRgbImage, getModel, getRuntime, Runtime, shutdown, upscale, type StabilizerOptions } from '../../src/index.ts';
import { quantize8, type RgbImage } from '../../src/io/image.ts';
import { TemporalStabilizer } from '../../src/video/temporal.ts';
import { tempDir } from '../helpers/cli.ts';
import { seeded } from '../helpers/gpu.ts';
import { noisy, scene } from '../helpers/scenes.ts';
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

describe('createStabilizer()', () => {
  afterAll(() => shutdown());

  it('is the temporal mode on ImageLike frames: the same output as TemporalStabilizer, in the SR frame’s pixel type', () =>
    seeded('api-stabilizer', async (rng) => {
      const a = scene(rng, 19, 15);
      const frames = [0, 1, 2].map((t) => ({ lr: quantize8(a(t, 1)), sr: quantize8(noisy(rng, a(t, 4))) }));
      const bytes = (img: RgbImage) => fromRgbImage(img, new Uint8Array(0));
      const st = await createStabilizer();
      const ref = new TemporalStabilizer(await getRuntime());
      for (const [t, f] of frames.entries()) {
        const got = await st.process(bytes(f.lr), bytes(f.sr));
        const want = await ref.process(f.lr, f.sr);
        expect(got.image.data).toBeInstanceOf(Uint8Array);
        expect([got.image.width, got.image.height, got.image.channels]).toEqual([76, 60, 3]);
        expect(got.image.data).toEqual(bytes(quantize8(want.image)).data);
        expect([got.reset, Number.isNaN(got.warpError)]).toEqual([t === 0, t === 0]);
      }
      st.dispose();
      ref.dispose();
    }));

  it('refuses unknown options and values out of range by name, before any GPU work', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ alfa: 0.5 }, /unknown temporal option 'alfa' \(known: alpha, sigma/],
      [{ alpha: 2 }, /temporal alpha must be in \[0, 1\], got 2/],
      [{ sigma: 0 }, /temporal sigma must be a number of luma levels > 0, got 0/],
      [{ cutRatio: 0.5 }, /temporal cutRatio must be a ratio ≥ 1/],
      [{ backProjection: Number.NaN }, /temporal backProjection must be in \[0, 1\], got NaN/],
      [{ flow: { radius: 1.5, iterations: 5, lambda: 0.5, minSide: 12 } }, /temporal flow must be \{ radius: integer ≥ 0/],
      [{ backend: 'metal' }, /backend must be 'auto', 'vulkan' or 'opengl', got metal/],
    ];
    await shutdown();
    const create = vi.spyOn(Runtime, 'create');
    for (const [opts, message] of bad) await expect(createStabilizer(opts as StabilizerOptions)).rejects.toThrow(message);
    expect(create).not.toHaveBeenCalled();
    create.mockRestore();
  });

  it('refuses a second frame while one is in flight (each frame blends with the one before)', async () => {
    const st = await createStabilizer();
    const f = { width: 4, height: 4, data: new Uint8Array(48).fill(100) }, big = { width: 16, height: 16, data: new Uint8Array(768).fill(100) };
    const first = st.process(f, big);
    await expect(st.process(f, big)).rejects.toThrow(/already being stabilised: await each process\(\) call/);
    expect((await first).reset).toBe(true);
    st.dispose();
  });
});
