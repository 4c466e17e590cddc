// Float64 CPU references for shaders/pixelshuffle.wgsl, written in PyTorch's NCHW terms
// (out[c, r·y + i, r·x + j] = in[c·r² + i·r + j, y, x]) and translated to NHWC indices.

export type F64 = Float64Array;

/** `visit(lo, hi)` for each element: index lo in [n, h, w, c·r²] moves to hi in [n, h·r, w·r, c]. */
function forEachMove(n: number, h: number, w: number, c: number, r: number, visit: (lo: number, hi: number) => void): void {
  const H = h * r, W = w * r, cin = c * r * r;
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let xx = 0; xx < w; xx++)
          for (let i = 0; i < r; i++)
            for (let j = 0; j < r; j++) visit(((b * h + y) * w + xx) * cin + ch * r * r + i * r + j, ((b * H + r * y + i) * W + r * xx + j) * c + ch);
}

/** x is [n, h, w, c·r²]; returns [n, h·r, w·r, c]. */
export function pixelShuffle(x: F64, n: number, h: number, w: number, c: number, r: number): F64 {
  const out = new Float64Array(x.length);
  forEachMove(n, h, w, c, r, (lo, hi) => (out[hi] = x[lo]!));
  return out;
}

/** dy is [n, h·r, w·r, c]; returns [n, h, w, c·r²]. */
export function pixelShuffleBackward(dy: F64, n: number, h: number, w: number, c: number, r: number): F64 {
  const dx = new Float64Array(dy.length);
  forEachMove(n, h, w, c, r, (lo, hi) => (dx[lo] = dy[hi]!));
  return dx;
}
