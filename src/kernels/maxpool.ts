// 2×2 / stride-2 max pooling (shaders/maxpool.wgsl), as VGG19 uses it. Odd H or W: the last
// row/column is dropped (floor), and gets zero gradient. Ties go to the first element in
// row-major window order; the backward routes dy to that one element only.

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';

const WG = 256;

function dims4(op: string, t: Tensor): [number, number, number, number] {
  if (t.shape.length !== 4) throw new Error(`${op}: expected an NHWC tensor, got [${t.shape}]`);
  return t.shape as unknown as [number, number, number, number];
}

/** [N, H, W, C] → [N, floor(H/2), floor(W/2), C]. */
export function maxPool2x2(rt: Runtime, x: Tensor): Tensor {
  const [n, h, w, c] = dims4('maxPool2x2', x);
  const y = rt.empty([n, Math.floor(h / 2), Math.floor(w / 2), c]);
  rt.run(
    { shader: 'maxpool', entry: 'pool_forward', constants: { WG } },
    { bind: { x, y }, uniforms: { n: y.size, h, w, c }, workgroups: grid1d(y.size, WG) },
  );
  return y;
}

/** dx (shape of x): dy of each window at its argmax, 0 elsewhere. */
export function maxPool2x2Backward(rt: Runtime, x: Tensor, dy: Tensor): Tensor {
  const [n, h, w, c] = dims4('maxPool2x2Backward', x);
  const want = [n, Math.floor(h / 2), Math.floor(w / 2), c];
  if (dy.shape.join() !== want.join()) throw new Error(`maxPool2x2Backward: dy is [${dy.shape}], expected [${want}]`);
  const dx = rt.empty(x.shape);
  rt.run(
    { shader: 'maxpool', entry: 'pool_backward', constants: { WG } },
    { bind: { x, dy, dx }, uniforms: { n: dx.size, h, w, c }, workgroups: grid1d(dx.size, WG) },
  );
  return dx;
}
