// Float64 CPU reference for shaders/maxpool.wgsl: 2×2 windows, stride 2, floor on odd sizes;
// ties go to the first maximum in row-major window order.

export type F64 = Float64Array;

/** x is [n, h, w, c]; calls visit(window output index, argmax input index) per window. */
function windows(x: F64, n: number, h: number, w: number, c: number, visit: (o: number, at: number) => void): void {
  const ho = Math.floor(h / 2), wo = Math.floor(w / 2);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let ch = 0; ch < c; ch++) {
          let at = -1;
          for (let di = 0; di < 2; di++)
            for (let dj = 0; dj < 2; dj++) {
              const i = ((b * h + 2 * oy + di) * w + 2 * ox + dj) * c + ch;
              if (at < 0 || x[i]! > x[at]!) at = i;
            }
          visit(((b * ho + oy) * wo + ox) * c + ch, at);
        }
}

export function maxPool2x2(x: F64, n: number, h: number, w: number, c: number): F64 {
  const y = new Float64Array(n * Math.floor(h / 2) * Math.floor(w / 2) * c);
  windows(x, n, h, w, c, (o, at) => (y[o] = x[at]!));
  return y;
}

export function maxPool2x2Backward(x: F64, dy: F64, n: number, h: number, w: number, c: number): F64 {
  const dx = new Float64Array(x.length);
  windows(x, n, h, w, c, (o, at) => (dx[at] = dy[o]!));
  return dx;
}
