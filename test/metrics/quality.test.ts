import { describe, expect, it } from 'vitest';
import { createImage, type RgbImage } from '../../src/io/image.ts';
import { evaluatePair, mse, psnr, rgbToY, ssim, type Plane } from '../../src/metrics/quality.ts';

function plane(width: number, height: number, f: (x: number, y: number) => number): Plane {
  const data = new Float64Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data };
}

function rgb(width: number, height: number, f: (x: number, y: number, c: number) => number): RgbImage {
  const img = createImage(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) {
    img.data[(y * width + x) * 3 + c] = f(x, y, c);
  }
  return img;
}

const texture = (x: number, y: number) => 128 + 60 * Math.sin(x / 3) * Math.cos(y / 4) + ((x * 7 + y * 13) % 11);

describe('rgbToY', () => {
  it('is BT.601 studio range: black 16, white 235, pure primaries', () => {
    const img = createImage(5, 1);
    img.data.set([0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const y = rgbToY(img).data;
    expect(y[0]).toBeCloseTo(16, 10);
    expect(y[1]).toBeCloseTo(235, 10);
    expect([y[2], y[3], y[4]].map((v) => v! - 16)).toEqual([65.481, 128.553, 24.966].map((v) => expect.closeTo(v, 10)));
  });
});

describe('psnr / mse', () => {
  it('identical images: MSE 0, PSNR Infinity', () => {
    const a = plane(20, 20, texture);
    expect(mse(a, a)).toBe(0);
    expect(psnr(a, a)).toBe(Infinity);
  });
  it('a constant offset d gives 10·log10(peak²/d²)', () => {
    const a = plane(20, 17, texture);
    const b = plane(20, 17, (x, y) => texture(x, y) + 5);
    expect(mse(a, b)).toBeCloseTo(25, 10);
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(255 ** 2 / 25), 10); // Plane: peak 255
    const c = rgb(8, 8, () => 0.5);
    const d = rgb(8, 8, () => 0.6);
    expect(psnr(c, d)).toBeCloseTo(20, 5); // RgbImage: peak 1, 0.1 offset → 20 dB
    expect(psnr(c, d, { peak: 2 })).toBeCloseTo(20 + 20 * Math.log10(2), 5);
  });
  it('shave ignores the border', () => {
    const a = plane(10, 10, () => 100);
    const b = plane(10, 10, (x, y) => (x < 2 || y < 2 || x > 7 || y > 7 ? 0 : 100));
    expect(psnr(a, b, { shave: 2 })).toBe(Infinity);
    expect(psnr(a, b, { shave: 1 })).toBeLessThan(20);
    expect(() => mse(a, b, { shave: 5 })).toThrow(/leaves nothing/);
  });
  it('refuses images of different shapes', () => {
    expect(() => psnr(plane(4, 4, () => 0), plane(4, 5, () => 0))).toThrow(/shapes differ/);
  });
});

describe('ssim', () => {
  it('identical images give exactly 1', () => {
    const a = plane(24, 19, texture);
    expect(ssim(a, a)).toBe(1);
  });
  it('constant images with a mean shift: only the luminance term remains', () => {
    // Flat windows: variances and covariance are 0, so SSIM = (2μaμb + C1)/(μa² + μb² + C1).
    const a = plane(15, 15, () => 100);
    const b = plane(15, 15, () => 120);
    const c1 = (0.01 * 255) ** 2;
    expect(ssim(a, b)).toBeCloseTo((2 * 100 * 120 + c1) / (100 ** 2 + 120 ** 2 + c1), 10);
  });
  it('halving the contrast of a checkerboard matches the closed form', () => {
    // a = 128 ± 10 in a checkerboard, b = 128 ± 5. A window whose top-left cell is −10 has
    // mean 128 + δ with δ = −10·(Σ g_i (−1)^i)², variance 100 − δ²; b has half the deviation,
    // a quarter of the variance and covariance half of a's variance.
    const a = plane(21, 21, (x, y) => 128 + ((x + y) % 2 ? 10 : -10));
    const b = plane(21, 21, (x, y) => 128 + ((x + y) % 2 ? 5 : -5));
    const g = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 ** 2)));
    const gsum = g.reduce((p, q) => p + q);
    const alt = g.reduce((p, q, i) => p + (i % 2 ? -q : q), 0) / gsum;
    const c1 = (0.01 * 255) ** 2;
    const c2 = (0.03 * 255) ** 2;
    const windowSsim = (delta: number) => {
      const ma = 128 + delta;
      const mb = 128 + delta / 2;
      const va = 100 - delta * delta;
      return ((2 * ma * mb + c1) * (2 * (va / 2) + c2)) / ((ma * ma + mb * mb + c1) * (va + va / 4 + c2));
    };
    // 11×11 valid windows: 61 start on an even cell (−10), 60 on an odd one (+10).
    const expected = (61 * windowSsim(-10 * alt * alt) + 60 * windowSsim(10 * alt * alt)) / 121;
    expect(ssim(a, b)).toBeCloseTo(expected, 10);
    expect(ssim(b, a)).toBeCloseTo(ssim(a, b), 12); // symmetric
  });
  it('needs at least an 11×11 region', () => {
    expect(() => ssim(plane(12, 12, texture), plane(12, 12, texture), { shave: 1 })).toThrow(/11x11/);
  });
});

describe('evaluatePair', () => {
  it('rounds SR to 8 bits before measuring, shaves `scale` pixels, reports Y and RGB figures', () => {
    const hr = rgb(30, 26, (x, y, c) => Math.round(texture(x, y) - 30 * c) / 255);
    // Off by 0.3 of a level everywhere inside (rounds back to HR), garbage in the 4-px border.
    const sr = rgb(30, 26, (x, y, c) => (x < 4 || y < 4 || x >= 26 || y >= 22 ? 0 : hr.data[(y * 30 + x) * 3 + c]! + 0.3 / 255));
    const m = evaluatePair(sr, hr, 4);
    expect(m).toEqual({ psnr_y: Infinity, ssim_y: 1, psnr_rgb: Infinity, mse: 0, bias_rgb: [0, 0, 0], delta_e: 0 });

    const off = rgb(30, 26, (x, y, c) => hr.data[(y * 30 + x) * 3 + c]! + 2 / 255);
    const e = evaluatePair(off, hr, 4);
    expect(e.mse / (2 / 255) ** 2).toBeCloseTo(1, 5); // float32 pixels: relative check
    expect(e.psnr_rgb).toBeCloseTo(20 * Math.log10(255 / 2), 4);
    // Y moves by 2·(65.481+128.553+24.966)/255 = 2·219/255 levels.
    expect(e.psnr_y).toBeCloseTo(20 * Math.log10(255 / ((2 * 219) / 255)), 4);
    expect(e.ssim_y).toBeLessThan(1);
    expect(e.ssim_y).toBeGreaterThan(0.99);
  });
});
