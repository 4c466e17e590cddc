// Synthetic video for the temporal-mode tests: smooth moving textures and a flickering "SR".

import type { RgbImage } from '../../src/io/image.ts';
import type { Rng } from '../../src/util/rng.ts';

/** A smooth RGB texture moved by (0.7, 0.4) LR pixels per frame: scene(t, scale) is frame t
 *  sampled at (w·scale)×(h·scale). */
export function scene(rng: Rng, w: number, h: number): (t: number, scale: number) => RgbImage {
  const waves = Array.from({ length: 5 }, (_, i) => {
    const a = ((i + rng.next()) * Math.PI) / 5, f = 0.1 + 0.15 * rng.next();
    return { fx: f * Math.cos(a), fy: f * Math.sin(a), ph: 6.3 * rng.next(), c: rng.int(3) };
  });
  return (t, scale) => {
    const W = w * scale, H = h * scale, data = new Float32Array(W * H * 3).fill(0.5);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (const q of waves) data[(y * W + x) * 3 + q.c] += 0.3 * Math.sin(q.fx * ((x + 0.5) / scale - 0.5 - 0.7 * t) + q.fy * ((y + 0.5) / scale - 0.5 - 0.4 * t) + q.ph);
    return { width: W, height: H, channels: 3, data };
  };
}

/** A flickering "SR": the true HR frame plus fresh noise every frame. */
export function noisy(rng: Rng, hr: RgbImage): RgbImage {
  return { ...hr, data: hr.data.map((v) => v + 0.06 * rng.normal()) };
}
