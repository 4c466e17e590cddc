// Luma planes and their 2× pyramid (shaders/pyramid.wgsl), the input of optical flow.
// Planes are [1, H, W, 1] tensors on the 0..255 luma scale.

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';

const WG = 256;

/** [1, H, W, C] of a single image: its H, W, C. */
export function imageDims(op: string, t: Tensor): [number, number, number] {
  if (t.shape.length !== 4 || t.shape[0] !== 1) throw new Error(`${op}: expected one NHWC image [1, H, W, C], got [${t.shape}]`);
  return [t.shape[1]!, t.shape[2]!, t.shape[3]!];
}

/** [1, H, W, 3 or 4] in [0, 1] → [1, H, W, 1]: BT.601 Y, 16..235. */
export function luma(rt: Runtime, img: Tensor): Tensor {
  const [h, w, c] = imageDims('luma', img);
  if (c !== 3 && c !== 4) throw new Error(`luma: expected RGB or RGBA, got ${c} channels`);
  const y = rt.empty([1, h, w, 1]);
  const pixels = h * w;
  rt.run({ shader: 'pyramid', entry: 'luma', constants: { WG } }, { bind: { src: img, dst: y }, uniforms: { pixels, w, h, c }, workgroups: grid1d(pixels, WG) });
  return y;
}

/** [1, H, W, 1] → [1, ⌈H/2⌉, ⌈W/2⌉, 1] by 2×2 box averaging (edge repeated at odd sizes). */
export function downsample(rt: Runtime, plane: Tensor): Tensor {
  const [h, w, c] = imageDims('downsample', plane);
  if (c !== 1) throw new Error(`downsample: expected a plane [1, H, W, 1], got [${plane.shape}]`);
  const oh = Math.ceil(h / 2), ow = Math.ceil(w / 2);
  const y = rt.empty([1, oh, ow, 1]);
  const pixels = oh * ow;
  rt.run({ shader: 'pyramid', entry: 'downsample', constants: { WG } }, { bind: { src: plane, dst: y }, uniforms: { pixels, w, h, c: 1 }, workgroups: grid1d(pixels, WG) });
  return y;
}

/** The plane and its downsampled levels, finest first, while the smaller side stays ≥ minSide. */
export function pyramid(rt: Runtime, plane: Tensor, minSide: number): Tensor[] {
  const levels = [plane];
  for (;;) {
    const [h, w] = imageDims('pyramid', levels[levels.length - 1]!);
    if (Math.min(Math.ceil(h / 2), Math.ceil(w / 2)) < minSide) return levels;
    levels.push(downsample(rt, levels[levels.length - 1]!));
  }
}
