// Adam optimiser step and the non-finite check (shaders/adam.wgsl).

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';

const WG = 256;
const PER = 16;

export interface AdamStepOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1 for the first update. */
  step: number;
}

/**
 * One bias-corrected Adam update, in place on param, m and v:
 *   m = β1·m + (1 − β1)·g,  v = β2·v + (1 − β2)·g²,
 *   param −= lr·m̂/(√v̂ + eps),  m̂ = m/(1 − β1^t),  v̂ = v/(1 − β2^t).
 * The bias corrections are computed here in f64 and passed as uniforms.
 */
export function adamStep(rt: Runtime, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, o: AdamStepOptions): void {
  for (const t of [grad, m, v]) {
    if (t.size !== param.size) throw new Error(`adamStep: [${t.shape}] does not match param [${param.shape}]`);
  }
  if (!Number.isInteger(o.step) || o.step < 1) throw new Error(`adamStep: step must be an integer ≥ 1, got ${o.step}`);
  const n = param.size;
  rt.run(
    { shader: 'adam', entry: 'adam_step', constants: { WG } },
    {
      bind: { grad, param, m, v },
      uniforms: {
        n,
        beta1: o.beta1,
        beta2: o.beta2,
        one_minus_beta1: 1 - o.beta1,
        one_minus_beta2: 1 - o.beta2,
        step_size: o.lr / (1 - o.beta1 ** o.step),
        v_scale: 1 / (1 - o.beta2 ** o.step),
        eps: o.eps,
      },
      workgroups: grid1d(n, WG),
    },
  );
}

/**
 * The number of NaN and ±Inf values in all the tensors, as a [1] f32 tensor: a flag a training
 * step reads back (4 bytes) to reject an update with a bad gradient.
 */
export function nonFinite(rt: Runtime, tensors: Tensor[]): Tensor {
  const flag = rt.empty([1], 'non-finite count');
  rt.run({ shader: 'adam', entry: 'count_clear' }, { bind: { flag }, workgroups: [1] });
  for (const t of tensors) {
    if (t.size === 0) continue;
    rt.run(
      { shader: 'adam', entry: 'count_nonfinite', constants: { WG, PER } },
      { bind: { bits: t, count: flag }, uniforms: { n: t.size }, workgroups: grid1d(t.size, WG * PER) },
    );
  }
  rt.run({ shader: 'adam', entry: 'count_to_f32' }, { bind: { flag }, workgroups: [1] });
  return flag;
}
