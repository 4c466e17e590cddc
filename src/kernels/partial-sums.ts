// Weight gradients reduce over every output pixel. The kernels that compute them split the
// pixels into chunks, write one partial sum per chunk, and conv2d.wgsl's `sum_chunks` adds the
// chunks: more workgroups than weights alone would give, and no atomics.

import { grid1d } from '../graph/grid.ts';
import type { Runtime } from '../graph/runtime.ts';
import type { Shape, Tensor } from '../graph/tensor.ts';

/** A tensor of `shape` from `chunks` partial sums: `write` fills [chunks, size] (or the result itself when chunks is 1). */
export function sumOfChunks(rt: Runtime, shape: Shape, chunks: number, label: string, write: (parts: Tensor) => void): Tensor {
  const out = rt.empty(shape, label);
  if (chunks === 1) {
    write(out);
    return out;
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const parts = rt.empty([chunks, size], `${label}.parts`);
  write(parts);
  rt.run(
    { shader: 'conv2d', entry: 'sum_chunks', constants: { WG: 256 } },
    { bind: { parts, dw: out }, uniforms: { size, chunks }, workgroups: grid1d(size, 256) },
  );
  parts.dispose();
  return out;
}
