// Pixel shuffle (shaders/pixelshuffle.wgsl), PyTorch's channel order in NHWC:
//   out[n, r·y + i, r·x + j, c] = in[n, y, x, c·r² + i·r + j]
// so weights trained in PyTorch (after the NCHW→NHWC transpose) upsample identically.

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';

const WG = 256;

function dims4(op: string, t: Tensor): [number, number, number, number] {
  if (t.shape.length !== 4) throw new Error(`${op}: expected an NHWC tensor, got [${t.shape}]`);
  return t.shape as unknown as [number, number, number, number];
}

function checkFactor(op: string, r: number): void {
  if (!Number.isInteger(r) || r < 1) throw new Error(`${op}: upscale factor must be a positive integer, got ${r}`);
}

/** [N, H, W, C·r²] → [N, H·r, W·r, C]. */
export function pixelShuffle(rt: Runtime, x: Tensor, r: number): Tensor {
  checkFactor('pixelShuffle', r);
  const [n, h, w, cr2] = dims4('pixelShuffle', x);
  if (cr2 % (r * r)) throw new Error(`pixelShuffle: ${cr2} channels do not divide by r² = ${r * r}`);
  const c = cr2 / (r * r);
  const y = rt.empty([n, h * r, w * r, c]);
  const pixels = n * h * r * w * r; // one thread per output pixel
  rt.run(
    { shader: 'pixelshuffle', entry: 'shuffle', constants: { WG } },
    { bind: { src: x, dst: y }, uniforms: { pixels, h, w, c, r }, workgroups: grid1d(pixels, WG) },
  );
  return y;
}

/** Gradient of pixelShuffle: [N, H·r, W·r, C] → [N, H, W, C·r²] (the inverse permutation). */
export function pixelShuffleBackward(rt: Runtime, dy: Tensor, r: number): Tensor {
  checkFactor('pixelShuffleBackward', r);
  const [n, hr, wr, c] = dims4('pixelShuffleBackward', dy);
  if (hr % r || wr % r) throw new Error(`pixelShuffleBackward: [${dy.shape}] is not a multiple of r = ${r}`);
  const h = hr / r, w = wr / r;
  const dx = rt.empty([n, h, w, c * r * r]);
  const pixels = n * h * w; // one thread per low-resolution pixel
  rt.run(
    { shader: 'pixelshuffle', entry: 'unshuffle', constants: { WG } },
    { bind: { src: dy, dst: dx }, uniforms: { pixels, h, w, c, r }, workgroups: grid1d(pixels, WG) },
  );
  return dx;
}
