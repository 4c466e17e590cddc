// Checks a CPU reference's analytic gradient by central finite differences in float64:
// for L(x) = Σ f(x)·dy, dL/dx_i ≈ (L(x + h·e_i) − L(x − h·e_i)) / 2h on a sample of indices.

import { expect } from 'vitest';
import type { Rng } from '../../src/util/rng.ts';

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function expectGradient(
  what: string,
  f: (x: Float64Array) => ArrayLike<number>,
  x: Float64Array,
  dy: ArrayLike<number>,
  analytic: ArrayLike<number>,
  rng: Rng,
  { samples = 24, h = 1e-5, tol = 1e-6 } = {},
): void {
  const idx = x.length <= samples ? [...x.keys()] : Array.from({ length: samples }, () => rng.int(x.length));
  for (const i of idx) {
    const keep = x[i]!;
    x[i] = keep + h;
    const up = dot(f(x), dy);
    x[i] = keep - h;
    const down = dot(f(x), dy);
    x[i] = keep;
    const numeric = (up - down) / (2 * h);
    const scale = Math.max(1, Math.abs(numeric));
    expect(Math.abs(numeric - analytic[i]!) / scale, `${what}: d/dx[${i}] numeric ${numeric} vs analytic ${analytic[i]}`).toBeLessThanOrEqual(tol);
  }
}
