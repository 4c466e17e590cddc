import { describe, expect, it } from 'vitest';
import { TemporalMeter } from '../../src/eval/temporal.ts';
import { DEFAULT_TEMPORAL, TemporalStabilizer } from '../../src/video/temporal.ts';
import { warpError } from '../../src/kernels/blend.ts';
import { opticalFlow } from '../../src/kernels/flow.ts';
import { luma } from '../../src/kernels/pyramid.ts';
import { warp } from '../../src/kernels/warp.ts';
import { writeImage, type RgbImage } from '../../src/io/image.ts';
import { bicubicUpscale, evaluate } from '../../src/eval/evaluate.ts';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/cli.ts';
import { gpu, seeded } from '../helpers/gpu.ts';
import { noisy, scene } from '../helpers/scenes.ts';

const S = 2;

describe('temporal mode', () => {
  it('resets at the first frame and at a scene cut, and lowers motion-compensated flicker', () =>
    seeded('temporal', async (rng) => {
      const rt = await gpu();
      const [w, h] = [41, 33];
      const a = scene(rng, w, h), b = scene(rng, w, h);
      // Frames 0..4 of scene a, then a cut to scene b for frames 5..7.
      const frames = Array.from({ length: 8 }, (_, t) => (t < 5 ? { lr: a(t, 1), hr: a(t, S) } : { lr: b(t, 1), hr: b(t, S) }));
      const st = new TemporalStabilizer(rt);
      const meter = new TemporalMeter(rt, S);
      const resets: number[] = [];
      const flicker = { plain: 0, stable: 0 };
      for (const [t, f] of frames.entries()) {
        const sr = noisy(rng, f.hr);
        const r = await st.process(f.lr, sr);
        expect([r.image.width, r.image.height, r.image.channels]).toEqual([w * S, h * S, 3]);
        if (r.reset) resets.push(t);
        const [p, s] = (await meter.add(f.hr, [sr, r.image])) ?? [null, null];
        if (p && s && t !== 5) {
          flicker.plain += p.mc_flicker;
          flicker.stable += s.mc_flicker;
        }
      }
      expect(resets).toEqual([0, 5]);
      expect(flicker.stable, `stabilised ${flicker.stable} vs frame by frame ${flicker.plain}`).toBeLessThan(0.8 * flicker.plain);
      st.dispose();
      meter.dispose();
    }));

  it('follows a change of light instead of dragging the previous frames along', () =>
    seeded('temporal-light', async (rng) => {
      const rt = await gpu();
      const [w, h] = [29, 23];
      const a = scene(rng, w, h);
      // The scene brightens by 10 levels a frame: a steady warp, a stale previous output.
      const lit = (img: RgbImage, t: number): RgbImage => ({ ...img, data: img.data.map((v) => v + (10 / 255) * t) });
      const bias = async (opts: Partial<typeof DEFAULT_TEMPORAL>) => {
        const st = new TemporalStabilizer(rt, { ...DEFAULT_TEMPORAL, ...opts });
        let last = 0;
        for (let t = 0; t < 10; t++) {
          const hr = lit(a(t, S), t);
          const out = (await st.process(lit(a(t, 1), t), noisy(rng, hr))).image;
          last = (out.data.reduce((s, v, i) => s + v - hr.data[i]!, 0) / out.data.length) * 255;
        }
        st.dispose();
        return last;
      };
      // Mean output − truth at the last frame (90 levels brighter than the first), in levels.
      // A blend that trusts the warp everywhere, with nothing pulling it to the LR frame, lags
      // by 5–55 levels (seeds 1–80: Lucas–Kanade explains part of the light as motion towards
      // brighter texture, by how much depends on the scene); the default by at most 2.2 levels
      // and 12% of the blind lag.
      const got = await bias({});
      const blind = await bias({ sigma: 1e6, backProjection: 0 });
      expect(Math.abs(got), `default lags ${got.toFixed(2)} levels, a blind blend ${blind.toFixed(2)}`).toBeLessThan(Math.min(4, 0.5 * Math.abs(blind)));
    }));

  it('reports the mean of the LR warp error map (reduced on the GPU) as warpError', () =>
    seeded('temporal-error', async (rng) => {
      const rt = await gpu();
      const a = scene(rng, 37, 29);
      const st = new TemporalStabilizer(rt);
      const [f0, f1] = [a(0, 1), a(1, 1)];
      expect((await st.process(f0, noisy(rng, a(0, S)))).warpError).toBeNaN();
      const { warpError: got } = await st.process(f1, noisy(rng, a(1, S)));
      // The map the stabilizer reduces, rebuilt from the kernels and averaged in float64.
      const plane = (img: RgbImage) => luma(rt, rt.tensor([1, img.height, img.width, 3], img.data));
      const [y1, y0] = [plane(f1), plane(f0)];
      const flow = opticalFlow(rt, y1, y0, DEFAULT_TEMPORAL.flow);
      const map = await warpError(rt, y1, warp(rt, y0, flow)).read();
      const want = map.reduce((s, v) => s + v, 0) / map.length;
      expect(want).toBeGreaterThan(0.01);
      expect(Math.abs(got - want) / want).toBeLessThan(1e-5);
      st.dispose();
    }));

  it('evaluate() with temporal and no per-image callback still measures both outputs (the CLI passes one)', () =>
    seeded('temporal-evaluate', async (rng) => {
      const rt = await gpu();
      const dir = tempDir(), a = scene(rng, 17, 13);
      for (const sub of ['GT', 'BIx4']) mkdirSync(join(dir, sub));
      for (let t = 0; t < 3; t++) {
        await writeImage(join(dir, `GT/${t}.png`), a(t, 4));
        await writeImage(join(dir, `BIx4/${t}.png`), a(t, 1));
      }
      const up = bicubicUpscale(4);
      const noisyUp = async (lr: RgbImage) => noisy(rng, await up(lr));
      const r = await evaluate(dir, 4, noisyUp, undefined, { rt, temporal: true });
      expect(r.images.map((i) => i.name)).toEqual(['0', '1', '2']);
      expect(r.frameByFrame!.images).toHaveLength(3);
      expect(r.mean.mc_flicker).toBeGreaterThan(0);
      expect(r.mean.mc_flicker).not.toBe(r.frameByFrame!.mean.mc_flicker);
    }));

  it('the meter reads zero flicker and zero tOF when SR is the ground truth', () =>
    seeded('temporal-meter', async (rng) => {
      const rt = await gpu();
      const a = scene(rng, 30, 22);
      const m = new TemporalMeter(rt, S);
      expect(await m.add(a(0, S), [a(0, S)])).toBeNull();
      const r = (await m.add(a(1, S), [a(1, S)]))![0]!;
      expect(r.mc_flicker).toBe(0);
      expect(r.tof).toBe(0);
      expect(r.consistent).toBeGreaterThan(0.5);
      m.dispose();
    }));
});
