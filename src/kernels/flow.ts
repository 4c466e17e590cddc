// Coarse-to-fine Lucas–Kanade optical flow (shaders/flow.wgsl) on luma planes.
// flow(i0, i1)[x] = (u, v) with i0(x) ≈ i1(x + (u, v)), as a [1, H, W, 2] tensor in pixels.

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import { imageDims, pyramid } from './pyramid.ts';

const WG = 256;

export interface FlowOptions {
  /** LK window radius R: a (2R+1)² window. */
  radius: number;
  /** Gauss–Newton updates per pyramid level. */
  iterations: number;
  /** Tikhonov term per window pixel, in squared luma units (0..255 scale). */
  lambda: number;
  /** Coarsest level: its smaller side is at least this. */
  minSide: number;
}

export const DEFAULT_FLOW: FlowOptions = { radius: 3, iterations: 5, lambda: 0.5, minSide: 12 };

function planeDims(op: string, t: Tensor): [number, number] {
  const [h, w, c] = imageDims(op, t);
  if (c !== 1) throw new Error(`${op}: expected a plane [1, H, W, 1], got [${t.shape}]`);
  return [h, w];
}

/** One LK update of `flow` ([1, H, W, 2]) for planes i0, i1 ([1, H, W, 1]). */
export function lkStep(rt: Runtime, i0: Tensor, i1: Tensor, flow: Tensor, radius: number, lambda: number): Tensor {
  const [h, w] = planeDims('lkStep', i0);
  const [h1, w1] = planeDims('lkStep', i1);
  if (h1 !== h || w1 !== w || flow.shape.join() !== [1, h, w, 2].join()) {
    throw new Error(`lkStep: planes [${i0.shape}], [${i1.shape}] and flow [${flow.shape}] do not match`);
  }
  if (!Number.isInteger(radius) || radius < 0 || !(lambda > 0)) throw new Error(`lkStep: radius ${radius} / lambda ${lambda} invalid (radius ≥ 0, lambda > 0)`);
  const out = rt.empty([1, h, w, 2]);
  const pixels = h * w;
  rt.run(
    { shader: 'flow', entry: 'lk_step', constants: { WG } },
    { bind: { i0, i1, flow_in: flow, flow_out: out }, uniforms: { pixels, w, h, cw: 0, ch: 0, radius, lambda }, workgroups: grid1d(pixels, WG) },
  );
  return out;
}

/** Coarse flow [1, ⌈H/2⌉, ⌈W/2⌉, 2] → [1, H, W, 2]: bilinear at the pyramid's centre map, ×2. */
export function upsampleFlow(rt: Runtime, coarse: Tensor, h: number, w: number): Tensor {
  const [ch, cw, k] = imageDims('upsampleFlow', coarse);
  if (k !== 2 || ch !== Math.ceil(h / 2) || cw !== Math.ceil(w / 2)) throw new Error(`upsampleFlow: [${coarse.shape}] is not the coarse level of ${h}×${w}`);
  const out = rt.empty([1, h, w, 2]);
  const pixels = h * w;
  rt.run(
    { shader: 'flow', entry: 'upsample_flow', constants: { WG } },
    { bind: { flow_in: coarse, flow_out: out }, uniforms: { pixels, w, h, cw, ch, radius: 0, lambda: 0 }, workgroups: grid1d(pixels, WG) },
  );
  return out;
}

/** Flow from plane i0 to plane i1, coarse to fine, starting from zero motion. */
export function opticalFlow(rt: Runtime, i0: Tensor, i1: Tensor, opts: FlowOptions = DEFAULT_FLOW): Tensor {
  const p0 = pyramid(rt, i0, opts.minSide);
  const p1 = pyramid(rt, i1, opts.minSide);
  let flow: Tensor | null = null;
  for (let l = p0.length - 1; l >= 0; l--) {
    const [h, w] = planeDims('opticalFlow', p0[l]!);
    let f: Tensor = flow ? upsampleFlow(rt, flow, h, w) : rt.tensor([1, h, w, 2], new Float32Array(h * w * 2));
    flow?.dispose();
    for (let i = 0; i < opts.iterations; i++) {
      const next = lkStep(rt, p0[l]!, p1[l]!, f, opts.radius, opts.lambda);
      f.dispose();
      f = next;
    }
    flow = f;
  }
  for (const t of [...p0.slice(1), ...p1.slice(1)]) t.dispose();
  return flow!;
}
