// conv2d ('same' padding, stride 1, NHWC/HWIO) that has a gradient on every tfjs backend.
// tfjs-backend-wasm has no Conv2DBackpropFilter kernel (4.22), so there the filter gradient
// is computed from tfjs ops: for each tap (i, j), dW[i,j] = x_pad[:, i:i+H, j:j+W, :]ᵀ · dy,
// one matmul over all N·H·W positions. The input gradient uses the backend's
// Conv2DBackpropInput kernel (conv2dTranspose) everywhere.
import type { GradSaveFunc, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from './backends.ts';

export function hasKernel(tf: Tf, kernel: string): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

/** dL/dW of a 'same', stride-1 conv from x and dy, via the backend kernel when it has one. */
export function conv2dFilterGrad(tf: Tf, x: Tensor4D, dy: Tensor4D, filterShape: [number, number, number, number]): Tensor4D {
  if (hasKernel(tf, 'Conv2DBackpropFilter')) {
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      strides: [1, 1],
      pad: 'same',
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
      filterShape,
    } as unknown as import('@tensorflow/tfjs-core').NamedAttrMap) as Tensor4D;
  }
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = filterShape;
    const [n, h, w] = x.shape;
    const pt = Math.floor((kh - 1) / 2);
    const pl = Math.floor((kw - 1) / 2);
    const xp = tf.pad(x, [[0, 0], [pt, kh - 1 - pt], [pl, kw - 1 - pl], [0, 0]]);
    const dy2 = tf.reshape(dy, [n * h * w, cout]);
    const taps: import('@tensorflow/tfjs-core').Tensor2D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const xs = tf.reshape(tf.slice(xp, [0, i, j, 0], [n, h, w, cin]), [n * h * w, cin]);
        taps.push(tf.matMul(xs, dy2, true, false));
      }
    }
    return tf.reshape(tf.stack(taps), filterShape);
  });
}

/** dL/dx of a 'same', stride-1 conv (the backend's Conv2DBackpropInput kernel). */
export function conv2dInputGrad(tf: Tf, dy: Tensor4D, w: Tensor4D, xShape: [number, number, number, number]): Tensor4D {
  return tf.conv2dTranspose(dy, w, xShape, 1, 'same');
}

/** conv2d 'same' stride 1; on backends without a filter-gradient kernel, with a custom gradient. */
export function conv2dSame(tf: Tf, x: Tensor4D, w: Tensor4D): Tensor4D {
  if (hasKernel(tf, 'Conv2DBackpropFilter')) return tf.conv2d(x, w, 1, 'same');
  const f = tf.customGrad((xx, ww, save) => {
    const x4 = xx as Tensor4D;
    const w4 = ww as Tensor4D;
    (save as GradSaveFunc)([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, 1, 'same'),
      gradFunc: (dy, saved) => {
        const [sx, sw] = saved as [Tensor4D, Tensor4D];
        return [
          conv2dInputGrad(tf, dy as Tensor4D, sw, sx.shape),
          conv2dFilterGrad(tf, sx, dy as Tensor4D, sw.shape),
        ];
      },
    };
  });
  return f(x, w) as Tensor4D;
}
