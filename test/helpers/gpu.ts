// Shared test helpers: one runtime per test file (on VIVID_BACKEND, default auto) with
// poisoned allocations, seeded random inputs with the seed printed on failure, the
// relative-L2 comparison every kernel test uses, and the kernels a call dispatched.

import { expect } from 'vitest';
import type { KernelSpec } from '../../src/graph/kernel.ts';
import { Runtime } from '../../src/graph/runtime.ts';
import { Rng } from '../../src/util/rng.ts';

let runtime: Promise<Runtime> | undefined;

export function gpu(): Promise<Runtime> {
  runtime ??= Runtime.create().then((rt) => {
    rt.poisonAllocations = true;
    return rt;
  });
  return runtime;
}

/** The kernels `fn` dispatches on rt, in order (calls nest: an outer record sees them too). */
export async function dispatched(rt: Runtime, fn: () => unknown): Promise<KernelSpec[]> {
  const specs: KernelSpec[] = [];
  const run = rt.run;
  rt.run = (spec, d) => {
    specs.push(spec);
    run.call(rt, spec, d);
  };
  try {
    await fn();
  } finally {
    rt.run = run;
  }
  return specs;
}

/** A fresh seed per run unless VIVID_TEST_SEED pins it. */
export function freshSeed(): number {
  const pinned = process.env.VIVID_TEST_SEED;
  return pinned ? Number(pinned) : Math.floor(Math.random() * 2 ** 31);
}

/** Run a test body with a seeded RNG; on failure the error message carries the seed. */
export async function seeded(name: string, body: (rng: Rng, seed: number) => Promise<void> | void): Promise<void> {
  const seed = freshSeed();
  try {
    await body(new Rng(seed), seed);
  } catch (e) {
    const err = e as Error;
    err.message = `[${name}] seed ${seed} (rerun with VIVID_TEST_SEED=${seed}): ${err.message}`;
    throw err;
  }
}

export function randn(rng: Rng, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

export function relL2(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != expected ${expected.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    if (!Number.isFinite(a)) return Infinity;
    const d = a - expected[i]!;
    num += d * d;
    den += expected[i]! * expected[i]!;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4): void {
  const err = relL2(actual, expected);
  let firstBad = -1;
  for (let i = 0; i < actual.length; i++) if (!Number.isFinite(actual[i]!)) { firstBad = i; break; }
  const detail = firstBad >= 0 ? ` (element ${firstBad} not written or not finite: ${actual[firstBad]})` : '';
  expect(err, `${what}: relative L2 error ${err.toExponential(3)} > ${tol}${detail}`).toBeLessThanOrEqual(tol);
}
