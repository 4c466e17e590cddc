import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/io/image.ts';
import { TemporalMeter } from '../../src/eval/temporal.ts';
import { TemporalStabilizer } from '../../src/video/temporal.ts';
import { gpu, seeded } from '../helpers/gpu.ts';
import type { Rng } from '../../src/util/rng.ts';

const S = 2;

/** A smooth RGB texture moved by (dx, dy) pixels per frame, sampled at w×h. */
function scene(rng: Rng, w: number, h: number) {
  const waves = Array.from({ length: 5 }, (_, i) => {
    const a = ((i + rng.next()) * Math.PI) / 5, f = 0.1 + 0.15 * rng.next();
    return { fx: f * Math.cos(a), fy: f * Math.sin(a), ph: 6.3 * rng.next(), c: rng.int(3) };
  });
  return (t: number, scale: number): RgbImage => {
    const W = w * scale, H = h * scale, data = new Float32Array(W * H * 3).fill(0.5);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (const q of waves) data[(y * W + x) * 3 + q.c] += 0.3 * Math.sin(q.fx * ((x + 0.5) / scale - 0.5 - 0.7 * t) + q.fy * ((y + 0.5) / scale - 0.5 - 0.4 * t) + q.ph);
    return { width: W, height: H, channels: 3, data };
  };
}

/** A flickering "SR": the true HR frame plus fresh noise every frame. */
function noisy(rng: Rng, hr: RgbImage): RgbImage {
  return { ...hr, data: hr.data.map((v) => v + 0.06 * rng.normal()) };
}

describe('temporal mode', () => {
  it('resets at the first frame and at a scene cut, and lowers motion-compensated flicker', () =>
    seeded('temporal', async (rng) => {
      const rt = await gpu();
      const [w, h] = [41, 33];
      const a = scene(rng, w, h), b = scene(rng, w, h);
      // Frames 0..4 of scene a, then a cut to scene b for frames 5..7.
      const frames = Array.from({ length: 8 }, (_, t) => (t < 5 ? { lr: a(t, 1), hr: a(t, S) } : { lr: b(t, 1), hr: b(t, S) }));
      const st = new TemporalStabilizer(rt);
      const plain = new TemporalMeter(rt, S), stable = new TemporalMeter(rt, S);
      const resets: number[] = [];
      const flicker = { plain: 0, stable: 0 };
      for (const [t, f] of frames.entries()) {
        const sr = noisy(rng, f.hr);
        const r = await st.process(f.lr, sr);
        expect([r.image.width, r.image.height, r.image.channels]).toEqual([w * S, h * S, 3]);
        if (r.reset) resets.push(t);
        const [p, s] = [await plain.add(sr, f.hr), await stable.add(r.image, f.hr)];
        if (p && s && t !== 5) {
          flicker.plain += p.mc_flicker;
          flicker.stable += s.mc_flicker;
        }
      }
      expect(resets).toEqual([0, 5]);
      expect(flicker.stable, `stabilised ${flicker.stable} vs frame by frame ${flicker.plain}`).toBeLessThan(0.8 * flicker.plain);
      st.dispose();
      plain.dispose();
      stable.dispose();
    }));

  it('the meter reads zero flicker and zero tOF when SR is the ground truth', () =>
    seeded('temporal-meter', async (rng) => {
      const rt = await gpu();
      const a = scene(rng, 30, 22);
      const m = new TemporalMeter(rt, S);
      expect(await m.add(a(0, S), a(0, S))).toBeNull();
      const r = (await m.add(a(1, S), a(1, S)))!;
      expect(r.mc_flicker).toBe(0);
      expect(r.tof).toBe(0);
      expect(r.consistent).toBeGreaterThan(0.5);
      m.dispose();
    }));
});
