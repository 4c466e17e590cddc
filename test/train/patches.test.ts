// The patch pipeline: reproducible from a seed, restorable from its saved state, LR and HR
// patches aligned (the HR patch downsampled matches the LR patch away from the patch border),
// augmentations applied identically to both.

import { describe, expect, it } from 'vitest';
import { imresize } from '../../src/data/resize.ts';
import { BatchSource, copyPatch, degrade, listImages, PatchSampler, type SamplerOptions } from '../../src/data/patches.ts';
import { cachingLoader, inlineLoader, workerLoader } from '../../src/data/loader.ts';
import type { RgbImage } from '../../src/io/image.ts';
import { Rng } from '../../src/util/rng.ts';
import { texture, textureFolder } from './fixtures.ts';

const dir = textureFolder(11, 4, 72);
const files = listImages([dir]);

function options(seed: number, over: Partial<SamplerOptions> = {}): SamplerOptions {
  const loader = inlineLoader(4, 0);
  return { scale: 4, patchSize: 32, patchesPerImage: 3, blurSigma: 0, seed, load: (p) => loader.load(p), ...over };
}

/** Patch k of a batch as an image. */
function patchOf(data: Float32Array, k: number, size: number): RgbImage {
  const n = size * size * 3;
  return { width: size, height: size, channels: 3, data: data.slice(k * n, (k + 1) * n) };
}

/** Max |imresize(hr, 1/s) − lr| over the LR interior (`shave` pixels off each border). */
function alignmentError(hr: RgbImage, lr: RgbImage, scale: number, shave: number): number {
  const down = imresize(hr, 1 / scale, { uint8: true });
  let worst = 0;
  for (let y = shave; y < lr.height - shave; y++) {
    for (let x = shave; x < lr.width - shave; x++) {
      for (let c = 0; c < 3; c++) {
        const i = (y * lr.width + x) * 3 + c;
        worst = Math.max(worst, Math.abs(down.data[i]! - lr.data[i]!));
      }
    }
  }
  return worst;
}

describe('training patches', () => {
  it('lists images recursively and rejects missing or empty folders', () => {
    expect(files).toHaveLength(4);
    expect(files.some((f) => f.includes('/sub/'))).toBe(true);
    expect(() => listImages([`${dir}/nope`])).toThrow(/does not exist/);
  });

  it('degrades the whole image: modcrop to the scale, then MATLAB bicubic ÷scale', () => {
    const img = texture(new Rng(3), 70, 53);
    const { hr, lr } = degrade(img, 4, 0);
    expect([hr.width, hr.height, lr.width, lr.height]).toEqual([68, 52, 17, 13]);
    expect(lr.data).toEqual(imresize(hr, 1 / 4, { uint8: true }).data);
    const blurred = degrade(img, 4, 1.2).lr;
    expect(blurred.data).not.toEqual(lr.data);
  });

  it('is reproducible from a seed across epochs, and differs for another seed', async () => {
    const a = new PatchSampler(files, options(5)), b = new PatchSampler(files, options(5)), c = new PatchSampler(files, options(6));
    // 4 images × 3 patches per image = 12 patches per epoch: 7 batches of 4 cross two epochs.
    for (let i = 0; i < 7; i++) {
      const [x, y, z] = await Promise.all([a.nextBatch(4), b.nextBatch(4), c.nextBatch(4)]);
      expect(x.hr).toEqual(y.hr);
      expect(x.lr).toEqual(y.lr);
      if (i === 0) expect(x.hr).not.toEqual(z.hr);
    }
    expect(a.state.epoch).toBe(2);
  });

  it('restores exactly from its saved state (JSON round trip)', async () => {
    const a = new PatchSampler(files, options(9));
    for (let i = 0; i < 2; i++) await a.nextBatch(4);
    const saved = JSON.parse(JSON.stringify(a.state));
    const b = new PatchSampler(files, options(9), saved);
    for (let i = 0; i < 4; i++) {
      const [x, y] = await Promise.all([a.nextBatch(4), b.nextBatch(4)]);
      expect(y.hr).toEqual(x.hr);
      expect(y.lr).toEqual(x.lr);
    }
  });

  it('cuts aligned LR/HR patches (no augmentation)', () => {
    const { hr, lr } = degrade(texture(new Rng(4), 160, 128), 4, 0);
    const P = 64, p = 16;
    const hrPatch = new Float32Array(P * P * 3), lrPatch = new Float32Array(p * p * 3);
    for (const [x, y] of [[0, 0], [5, 3], [24, 16]] as const) {
      copyPatch(hr, x * 4, y * 4, P, false, 0, hrPatch, 0);
      copyPatch(lr, x, y, p, false, 0, lrPatch, 0);
      // The ÷4 antialiased kernel reaches 2 LR pixels: the interior must match up to 8-bit rounding.
      expect(alignmentError(patchOf(hrPatch, 0, P), patchOf(lrPatch, 0, p), 4, 2)).toBeLessThanOrEqual(1 / 255 + 1e-6);
      // And a patch one LR pixel off does not.
      copyPatch(lr, x + 1, y, p, false, 0, lrPatch, 0);
      expect(alignmentError(patchOf(hrPatch, 0, P), patchOf(lrPatch, 0, p), 4, 2)).toBeGreaterThan(4 / 255);
    }
  });

  it('applies flips and rotations identically to LR and HR', async () => {
    const s = new PatchSampler(files, options(12, { patchSize: 48 }));
    const n = 16;
    const hr = new Float32Array(n * 48 * 48 * 3), lr = new Float32Array(n * 12 * 12 * 3);
    const specs = [];
    for (let k = 0; k < n; k++) specs.push(await s.nextPatch(hr, lr, k));
    expect(new Set(specs.map((x) => `${x.flip}${x.rot}`)).size).toBeGreaterThan(3);
    for (let k = 0; k < n; k++) {
      // 2 levels, not 1: MATLAB's uint8 resize rounds after its first (row) pass, and a quarter
      // turn swaps which image axis that pass runs along.
      expect(alignmentError(patchOf(hr, k, 48), patchOf(lr, k, 12), 4, 2), `patch ${k} ${JSON.stringify(specs[k])}`).toBeLessThanOrEqual(2 / 255 + 1e-6);
    }
    // Augmented patches are the plain crop transformed: undo by recutting with the same spec.
    const k = specs.findIndex((x) => x.rot === 1 || x.rot === 3);
    const { hr: full } = degrade((await inlineLoader(4, 0).load(specs[k]!.file)).hr, 4, 0);
    const plain = new Float32Array(48 * 48 * 3);
    copyPatch(full, specs[k]!.x * 4, specs[k]!.y * 4, 48, false, 0, plain, 0);
    expect(patchOf(hr, k, 48).data).not.toEqual(plain);
  });

  it('prefetches through worker threads with the same patches as in-thread decoding', async () => {
    const loader = workerLoader(4, 0, 2);
    try {
      const src = new BatchSource(new PatchSampler(files, options(21, { load: (p) => loader.load(p), lookahead: 3 })), 4);
      const ref = new PatchSampler(files, options(21));
      for (let i = 0; i < 3; i++) {
        const got = await src.next();
        const want = await ref.nextBatch(4);
        expect(got.batch.hr).toEqual(want.hr);
        expect(got.batch.lr).toEqual(want.lr);
        // The state handed out is the one right after this batch, not after the prefetched one.
        expect(got.state).toEqual(ref.state);
        expect(got.waitMs).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await loader.close();
    }
  });

  it('keeps decoded images across epochs within the cache budget', async () => {
    const inner = inlineLoader(4, 0);
    let decodes = 0;
    const counting = { load: (p: string) => { decodes++; return inner.load(p); }, close: inner.close };
    const one = await inner.load(files[0]!);
    const size = one.hr.data.byteLength + one.lr.data.byteLength;
    const cached = cachingLoader(counting, 2.5 * size); // room for two of the four (similar-sized) images
    const a = new PatchSampler(files, options(30, { load: (p) => cached.load(p), lookahead: 0 }));
    const b = new PatchSampler(files, options(30));
    for (let i = 0; i < 9; i++) expect((await a.nextBatch(4)).hr).toEqual((await b.nextBatch(4)).hr); // 3 epochs
    expect(cached.cachedBytes()).toBeLessThanOrEqual(2.5 * size);
    // Without the cache 12 decodes (3 epochs × 4); with it, at most the 2 uncached ones again per
    // later epoch (fewer when an epoch's last image happens to open the next one).
    expect(decodes).toBeGreaterThan(4);
    expect(decodes).toBeLessThanOrEqual(4 + 2 * 2);
  });
});
