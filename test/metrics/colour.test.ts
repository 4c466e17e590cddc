import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/io/image.ts';
import { colourFidelity, srgbToLab } from '../../src/metrics/colour.ts';

function image(w: number, h: number, f: (x: number, y: number, c: number) => number, channels: 3 | 4 = 3): RgbImage {
  const data = new Float32Array(w * h * channels);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) data[(y * w + x) * channels + c] = f(x, y, c);
  return { width: w, height: h, channels, data };
}

describe('srgbToLab', () => {
  // Published D65 CIELAB values of the sRGB primaries and white (e.g. Lindbloom's calculator).
  it.each([
    [[1, 1, 1], [100, 0, 0]],
    [[0, 0, 0], [0, 0, 0]],
    [[1, 0, 0], [53.2408, 80.0925, 67.2032]],
    [[0, 1, 0], [87.7347, -86.1827, 83.1793]],
    [[0, 0, 1], [32.2970, 79.1875, -107.8602]],
    [[0.5, 0.5, 0.5], [53.3889, 0, 0]],
  ])('sRGB %j → Lab %j', (rgb, lab) => {
    const got = srgbToLab(rgb[0]!, rgb[1]!, rgb[2]!);
    for (let k = 0; k < 3; k++) expect(got[k]).toBeCloseTo(lab[k]!, 2);
  });
});

describe('colourFidelity', () => {
  const hr = image(13, 11, (x, y, c) => ((x * 17 + y * 29 + c * 53) % 200 + 20) / 255);

  it('is zero for identical images', () => {
    expect(colourFidelity(hr, hr, 2)).toEqual({ bias_rgb: [0, 0, 0], delta_e: 0 });
  });

  it('reports a shift of one channel as its bias, and the ΔE of that shift', () => {
    const sr = image(13, 11, (x, y, c) => hr.data[(y * 13 + x) * 3 + c]! + (c === 0 ? 6 / 255 : 0));
    const m = colourFidelity(sr, hr, 0);
    expect(m.bias_rgb[0]).toBeCloseTo(6, 4);
    expect(m.bias_rgb[1]).toBeCloseTo(0, 6);
    expect(m.bias_rgb[2]).toBeCloseTo(0, 6);
    let de = 0;
    for (let p = 0; p < 13 * 11; p++) {
      const a = srgbToLab(sr.data[p * 3]!, sr.data[p * 3 + 1]!, sr.data[p * 3 + 2]!);
      const b = srgbToLab(hr.data[p * 3]!, hr.data[p * 3 + 1]!, hr.data[p * 3 + 2]!);
      de += Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    }
    expect(m.delta_e).toBeCloseTo(de / (13 * 11), 6);
    expect(m.delta_e).toBeGreaterThan(1);
  });

  it('measures only the shaved region and ignores alpha', () => {
    const sr = image(13, 11, (x, y, c) => (c === 3 ? 0 : x < 2 || y < 2 || x >= 11 || y >= 9 ? 0 : hr.data[(y * 13 + x) * 3 + c]!), 4);
    expect(colourFidelity(sr, hr, 2)).toEqual({ bias_rgb: [0, 0, 0], delta_e: 0 });
    expect(colourFidelity(sr, hr, 1).delta_e).toBeGreaterThan(0);
    expect(() => colourFidelity(sr, hr, 6)).toThrow(/leaves nothing/);
  });
});
