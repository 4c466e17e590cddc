// Bicubic ×s upsampling as a fixed convolution + pixel shuffle, for the generator's optional
// global skip (out = bicubic(x) + G(x), as VDSR does): the network then learns only the detail
// bicubic misses, which trains far faster than learning the whole image from scratch.
//
// MATLAB's bicubic maps output column x = s·X + j to input coordinate u = X + d_j with
// d_j = (j + 0.5)/s − 0.5, and weights taps X+k by cubic(d_j − k). For s = 4 the taps of every
// phase lie in X−2 … X+2, so one 5×5 conv from 3 channels to 3·s² phase channels, followed by
// the PyTorch-order pixel shuffle (channel c·s² + i·s + j → row phase i, column phase j), is the
// bicubic upsampler. Borders see zero padding where MATLAB replicates the edge: the network,
// whose receptive field covers the border, absorbs the difference.

import { cubic } from '../data/resize.ts';

export function bicubicSkipKernel(scale: number): { k: number; data: Float32Array } {
  const phases = Array.from({ length: scale }, (_, j) => (j + 0.5) / scale - 0.5);
  const reach = Math.ceil(Math.max(...phases.map((d) => Math.abs(d))) + 2);
  const k = 2 * reach + 1;
  const cout = 3 * scale * scale;
  const w = new Float32Array(k * k * 3 * cout);
  for (let ky = 0; ky < k; ky++)
    for (let kx = 0; kx < k; kx++)
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < scale; i++)
          for (let j = 0; j < scale; j++) {
            const wy = cubic(phases[i]! - (ky - reach));
            const wx = cubic(phases[j]! - (kx - reach));
            w[((ky * k + kx) * 3 + c) * cout + c * scale * scale + i * scale + j] = wy * wx;
          }
  return { k, data: w };
}
