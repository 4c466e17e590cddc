// Float64 CPU references for shaders/pyramid.wgsl.

export type F64 = Float64Array;

/** x = [h, w, c] in [0, 1] → [h, w] BT.601 Y (16..235). */
export function luma(x: F64, h: number, w: number, c: number): F64 {
  const y = new Float64Array(h * w);
  for (let p = 0; p < h * w; p++) y[p] = 16 + 65.481 * x[p * c]! + 128.553 * x[p * c + 1]! + 24.966 * x[p * c + 2]!;
  return y;
}

/** x = [h, w] → [⌈h/2⌉, ⌈w/2⌉]: means of 2×2 blocks, the last row/column repeated at odd sizes. */
export function downsample(x: F64, h: number, w: number): F64 {
  const oh = Math.ceil(h / 2), ow = Math.ceil(w / 2);
  const y = new Float64Array(oh * ow);
  for (let oy = 0; oy < oh; oy++)
    for (let ox = 0; ox < ow; ox++) {
      let s = 0;
      for (const yy of [2 * oy, Math.min(2 * oy + 1, h - 1)]) for (const xx of [2 * ox, Math.min(2 * ox + 1, w - 1)]) s += x[yy * w + xx]!;
      y[oy * ow + ox] = s / 4;
    }
  return y;
}
