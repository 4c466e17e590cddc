import { describe, expect, it } from 'vitest';
import { contributions, cubic, gaussianBlur, imresize, type Raster } from '../../src/data/resize.ts';
import { quantize8, readImage } from '../../src/io/image.ts';
import { evaluatePair, psnr } from '../../src/metrics/quality.ts';
import { hasShared, sharedPath } from '../helpers/shared.ts';

function raster(width: number, height: number, channels: number, f: (x: number, y: number, c: number) => number): Raster {
  const data = new Float32Array(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) {
    data[(y * width + x) * channels + c] = f(x, y, c);
  }
  return { width, height, channels, data };
}
const at = (r: Raster, x: number, y: number, c = 0) => r.data[(y * r.width + x) * r.channels + c]!;

describe('cubic kernel and contributions', () => {
  it('is Keys a = -0.5', () => {
    expect([cubic(0), cubic(1), cubic(2), cubic(0.5), cubic(-1.5), cubic(2.5)]).toEqual([1, 0, 0, 0.5625, -0.0625, 0]);
  });
  it('×2 up: first output pixel = 1.0703125·in[0] − 0.0703125·in[1] (u = 0.75, edge clamped)', () => {
    const c = contributions(5, 10, 2);
    const w = new Map<number, number>();
    for (let j = 0; j < c.taps; j++) w.set(c.index[j]!, (w.get(c.index[j]!) ?? 0) + c.weight[j]!);
    expect(w.get(0)).toBeCloseTo(1.0703125, 12);
    expect(w.get(1)).toBeCloseTo(-0.0703125, 12);
    expect((w.get(2) ?? 0) + (w.get(3) ?? 0)).toBe(0);
  });
  it('weights sum to 1 for every output pixel, up and down', () => {
    for (const [n, s] of [[9, 4], [9, 3], [40, 0.25], [31, 1 / 3], [17, 0.5]] as const) {
      const c = contributions(n, Math.ceil(n * s), s);
      for (let o = 0; o < c.outLength; o++) {
        let sum = 0;
        for (let j = 0; j < c.taps; j++) sum += c.weight[o * c.taps + j]!;
        expect(sum).toBeCloseTo(1, 12);
      }
    }
  });
});

describe('imresize', () => {
  it('output size is ceil(scale·size); a constant image stays constant', () => {
    const img = raster(13, 10, 3, (_x, _y, c) => 0.2 + 0.3 * c);
    for (const s of [4, 3, 2, 0.5, 1 / 3, 0.25]) {
      const out = imresize(img, s);
      expect([out.width, out.height, out.channels]).toEqual([Math.ceil(13 * s), Math.ceil(10 * s), 3]);
      for (let i = 0; i < out.data.length; i++) expect(out.data[i]).toBeCloseTo(0.2 + 0.3 * (i % 3), 6);
    }
  });
  it('reproduces a linear ramp away from the borders, at the MATLAB sample positions', () => {
    // Output pixel x (0-based) samples input coordinate u = (x + 0.5)/s − 0.5.
    const img = raster(24, 21, 1, (x, y) => 0.01 * x + 0.02 * y);
    for (const s of [2, 3, 4, 0.5, 1 / 3]) {
      const out = imresize(img, s);
      const margin = Math.ceil(3 * Math.max(s, 1 / s)) + 1;
      for (let y = margin; y < out.height - margin; y++) for (let x = margin; x < out.width - margin; x++) {
        const u = (x + 0.5) / s - 0.5;
        const v = (y + 0.5) / s - 0.5;
        expect(at(out, x, y)).toBeCloseTo(0.01 * u + 0.02 * v, 5);
      }
    }
  });
  it('takes an explicit output size with a different scale per axis', () => {
    const img = raster(12, 8, 3, (x, y, c) => ((x * 3 + y * 5 + c) % 7) / 7);
    const out = imresize(img, { height: 4, width: 36 });
    expect([out.width, out.height]).toEqual([36, 4]);
    expect(out.data.every(Number.isFinite)).toBe(true);
  });
});

const set5 = [1, 2, 3, 4, 5].map((i) => `img_00${i}_SRF_4`);
const haveSet5 = hasShared('data/set5/x4');

describe.skipIf(!haveSet5)('imresize against MATLAB on Set5 ×4', () => {
  const load = (name: string, kind: 'HR' | 'LR') => readImage(sharedPath('data/set5/x4', `${name}_${kind}.png`));

  it('HR ÷4 reproduces the MATLAB-made LR files', async () => {
    for (const name of set5) {
      const [hr, lr] = await Promise.all([load(name, 'HR'), load(name, 'LR')]);
      // Emulating MATLAB's uint8 path (round after each 1-D pass) gives the files bit for bit.
      const exact = imresize(hr, 0.25, { uint8: true });
      expect(psnr(exact, lr), name).toBe(Infinity);
      // The float path differs only by ±1-level roundings.
      expect(psnr(quantize8(imresize(hr, 0.25)), lr), name).toBeGreaterThanOrEqual(50);
    }
  });

  it('bicubic ×4 of the LR files scores the published Set5 figures', async () => {
    // shared/reference/set5_x4.md, bicubic row (Y-PSNR, 4-px shave).
    const reference = [31.78, 30.18, 22.10, 31.61, 26.47];
    let psnrSum = 0;
    let ssimSum = 0;
    for (const [i, name] of set5.entries()) {
      const [hr, lr] = await Promise.all([load(name, 'HR'), load(name, 'LR')]);
      const m = evaluatePair(imresize(lr, 4, { uint8: true }), hr, 4);
      expect(Math.abs(m.psnr_y - reference[i]!), name).toBeLessThanOrEqual(0.01);
      psnrSum += m.psnr_y;
      ssimSum += m.ssim_y;
    }
    expect(Math.abs(psnrSum / 5 - 28.42)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(ssimSum / 5 - 0.8104)).toBeLessThanOrEqual(0.002);
  });
});

describe('gaussianBlur', () => {
  it('an impulse spreads into the normalised Gaussian of radius ceil(3σ)', () => {
    const sigma = 1.2;
    const img = raster(15, 15, 1, (x, y) => (x === 7 && y === 7 ? 1 : 0));
    const out = gaussianBlur(img, sigma);
    const r = Math.ceil(3 * sigma);
    let norm = 0;
    for (let k = -r; k <= r; k++) norm += Math.exp(-(k * k) / (2 * sigma * sigma));
    let total = 0;
    for (let y = 0; y < 15; y++) for (let x = 0; x < 15; x++) {
      const dx = x - 7;
      const dy = y - 7;
      const expected = Math.abs(dx) > r || Math.abs(dy) > r ? 0 : Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)) / (norm * norm);
      expect(at(out, x, y)).toBeCloseTo(expected, 7);
      total += at(out, x, y);
    }
    expect(total).toBeCloseTo(1, 6);
  });
  it('keeps constants constant up to the border (edge replicated) and σ = 0 is a copy', () => {
    const img = raster(6, 5, 3, (_x, _y, c) => 0.1 * (c + 1));
    const out = gaussianBlur(img, 2.5); // radius 8 > image size
    for (let i = 0; i < out.data.length; i++) expect(out.data[i]).toBeCloseTo(0.1 * ((i % 3) + 1), 6);
    const ramp = raster(6, 5, 1, (x) => x);
    expect(Array.from(gaussianBlur(ramp, 0).data)).toEqual(Array.from(ramp.data));
  });
});
