import { describe, expect, it } from 'vitest';
import * as K from '../../src/kernels/adam.ts';
import * as R from '../../src/reference/adam.ts';
import { expectClose, gpu, randn, seeded } from '../helpers/gpu.ts';

const f32 = (a: Float64Array) => Float64Array.from(Float32Array.from(a));

describe('adam kernels', () => {
  for (const shape of [[3, 7, 5, 11], [97, 1031]]) {
    it(`adamStep over 6 steps matches the reference [${shape}]`, () =>
      seeded('adam', async (rng) => {
        const rt = await gpu();
        const n = shape.reduce((a, b) => a * b, 1);
        const o = { lr: rng.uniform(1e-4, 1e-2), beta1: 0.9, beta2: 0.999, eps: 1e-8 };
        const initial = f32(randn(rng, n));
        let ref: R.AdamState = { param: initial, m: new Float64Array(n), v: new Float64Array(n) };
        const param = rt.tensor(shape, Float32Array.from(ref.param));
        const m = rt.tensor(shape, new Float32Array(n)), v = rt.tensor(shape, new Float32Array(n));
        for (let step = 1; step <= 6; step++) {
          // Fresh gradients each step, with a spread of magnitudes.
          const g = f32(randn(rng, n).map((x, i) => x * 10 ** ((i % 5) - 2)));
          const grad = rt.tensor(shape, Float32Array.from(g));
          K.adamStep(rt, param, grad, m, v, { ...o, step });
          ref = R.adamStep(ref, g, { ...o, step });
          grad.dispose();
        }
        expectClose(await m.read(), ref.m, 'adam m');
        expectClose(await v.read(), ref.v, 'adam v');
        const p = await param.read();
        expectClose(p, ref.param, 'adam param');
        // The total update (param − initial, ~lr per step) must be right too, not just the bulk of param.
        expectClose(p.map((x, i) => x - initial[i]!), ref.param.map((x, i) => x - initial[i]!), 'adam param update');
        for (const t of [param, m, v]) t.dispose();
      }));
  }

  it('nonFinite counts NaN and ±Inf across tensors (bit patterns), and nothing else', () =>
    seeded('nonfinite', async (rng) => {
      const rt = await gpu();
      const sizes = [1, 255, 100_003, 4097];
      const special = [NaN, Infinity, -Infinity];
      const harmless = [3.4e38, -3.4e38, 1e-45, -0, 0, 1.17e-38];
      const arrays = sizes.map((n) => {
        const a = Float32Array.from(randn(rng, n));
        for (let k = 0; k < rng.int(5); k++) a[rng.int(n)] = harmless[rng.int(harmless.length)]!;
        for (let k = 0; k < rng.int(7); k++) a[rng.int(n)] = special[rng.int(special.length)]!;
        return a;
      });
      // A NaN with a non-default payload and a negative sign must count too.
      const odd = new Float32Array(new Uint32Array([0xffc12345, 0x7f800001, 0x7f7fffff]).buffer);
      arrays.push(odd);
      const tensors = arrays.map((a) => rt.tensor([a.length], a));
      const want = R.nonFinite(arrays);
      expect((await K.nonFinite(rt, tensors).read())[0]).toBe(want);
      expect((await K.nonFinite(rt, tensors.slice(0, 1)).read())[0]).toBe(R.nonFinite(arrays.slice(0, 1)));
      const clean = rt.tensor([777], Float32Array.from(randn(rng, 777)));
      expect((await K.nonFinite(rt, [clean]).read())[0]).toBe(0);
      const allNaN = rt.tensor([70_001], new Float32Array(70_001).fill(NaN));
      expect((await K.nonFinite(rt, [allNaN, clean]).read())[0]).toBe(70_001);
      for (const t of [...tensors, clean, allNaN]) t.dispose();
    }));
});
