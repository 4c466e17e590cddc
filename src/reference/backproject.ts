// Float64 CPU reference for shaders/backproject.wgsl: a dense matrix along one image axis.

/** M (rows of length n) applied along axis 0 (rows, n = h) or 1 (columns, n = w) of x = [h, w, c]. */
export function applyAlongAxis(x: ArrayLike<number>, h: number, w: number, c: number, m: Float64Array[], axis: 0 | 1): Float64Array {
  const oh = axis === 0 ? m.length : h, ow = axis === 1 ? m.length : w;
  const out = new Float64Array(oh * ow * c);
  for (let y = 0; y < oh; y++)
    for (let xx = 0; xx < ow; xx++)
      for (let k = 0; k < c; k++) {
        const row = m[axis === 0 ? y : xx]!;
        let s = 0;
        for (let j = 0; j < row.length; j++) s += row[j]! * x[((axis === 0 ? j : y) * w + (axis === 0 ? xx : j)) * c + k]!;
        out[(y * ow + xx) * c + k] = s;
      }
  return out;
}
