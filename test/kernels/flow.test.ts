import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/flow.ts';
import * as R from '../../src/reference/flow.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';
import type { Rng } from '../../src/util/rng.ts';

// Random luma planes on the 0..255 scale.
const plane = (rng: Rng, n: number) => randn(rng, n).map((v) => 128 + 40 * v);

describe('optical flow kernels', () => {
  for (const [h, w, radius] of [[13, 9, 2], [21, 17, 3], [1, 1, 1], [6, 31, 0]] as const) {
    it(`one Lucas–Kanade update on [1,${h},${w},1], radius ${radius}`, () =>
      seeded('lk-step', async (rng) => {
        const rt = await gpu();
        const i0 = plane(rng, h * w), i1 = plane(rng, h * w), flow = randn(rng, h * w * 2, 1.5);
        const lambda = 1 + rng.next() * 10;
        const t0 = rt.tensor([1, h, w, 1], Float32Array.from(i0)), t1 = rt.tensor([1, h, w, 1], Float32Array.from(i1));
        const tf = rt.tensor([1, h, w, 2], Float32Array.from(flow));
        const y = K.lkStep(rt, t0, t1, tf, radius, lambda);
        expectClose(await y.read(), R.lkStep(i0, i1, flow, h, w, radius, lambda), 'lk step');
        for (const t of [t0, t1, tf, y]) t.dispose();
      }));
  }

  for (const [h, w] of [[13, 9], [8, 6], [1, 1], [25, 2]] as const) {
    it(`upsamples a coarse flow to [1,${h},${w},2]`, () =>
      seeded('upsample-flow', async (rng) => {
        const rt = await gpu();
        const ch = Math.ceil(h / 2), cw = Math.ceil(w / 2);
        const coarse = randn(rng, ch * cw * 2);
        const tc = rt.tensor([1, ch, cw, 2], Float32Array.from(coarse));
        const y = K.upsampleFlow(rt, tc, h, w);
        expectClose(await y.read(), R.upsampleFlow(coarse, h, w), 'upsample flow');
        tc.dispose();
        y.dispose();
      }));
  }

  it('recovers a known sub-pixel shift of a smooth texture, coarse to fine', () =>
    seeded('flow-shift', async (rng) => {
      const rt = await gpu();
      const [h, w] = [61, 77];
      // Six waves of 0.08..0.2 rad/px in spread directions: texture in every orientation.
      const waves = Array.from({ length: 6 }, (_, i) => {
        const a = ((i + rng.next()) * Math.PI) / 6, f = 0.08 + 0.12 * rng.next();
        return { fx: f * Math.cos(a), fy: f * Math.sin(a), ph: 6.3 * rng.next() };
      });
      const tex = (x: number, y: number) => 128 + waves.reduce((s, q) => s + 15 * Math.sin(q.fx * x + q.fy * y + q.ph), 0);
      const [du, dv] = [2.3 + rng.next(), -1.6 - rng.next()];
      // i0(x) = tex(x); i1(x) = tex(x − d), so i0(x) = i1(x + d): the flow is d everywhere.
      const i0 = new Float32Array(h * w), i1 = new Float32Array(h * w);
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          i0[y * w + x] = tex(x, y);
          i1[y * w + x] = tex(x - du, y - dv);
        }
      const t0 = rt.tensor([1, h, w, 1], i0), t1 = rt.tensor([1, h, w, 1], i1);
      const f = await K.opticalFlow(rt, t0, t1).read();
      let epe = 0, n = 0;
      for (let y = 8; y < h - 8; y++)
        for (let x = 8; x < w - 8; x++) {
          epe += Math.hypot(f[2 * (y * w + x)]! - du, f[2 * (y * w + x) + 1]! - dv);
          n++;
        }
      // What is left is bilinear interpolation's bias on these frequencies (~0.02-0.05 px).
      expect(epe / n, 'mean end-point error (px)').toBeLessThan(0.08);
      t0.dispose();
      t1.dispose();
    }));
});
