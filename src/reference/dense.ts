// Float64 CPU reference for shaders/dense.wgsl: x [n, fin], w [fin, fout], b [fout] | null.

export type F64 = Float64Array;

export function dense(x: F64, w: F64, b: F64 | null, n: number, fin: number, fout: number): F64 {
  const y = new Float64Array(n * fout);
  for (let s = 0; s < n; s++)
    for (let o = 0; o < fout; o++) {
      let acc = b ? b[o]! : 0;
      for (let i = 0; i < fin; i++) acc += x[s * fin + i]! * w[i * fout + o]!;
      y[s * fout + o] = acc;
    }
  return y;
}

export function denseBackward(x: F64, w: F64, dy: F64, n: number, fin: number, fout: number): { dx: F64; dw: F64; db: F64 } {
  const dx = new Float64Array(n * fin);
  const dw = new Float64Array(fin * fout);
  const db = new Float64Array(fout);
  for (let s = 0; s < n; s++)
    for (let i = 0; i < fin; i++)
      for (let o = 0; o < fout; o++) {
        const g = dy[s * fout + o]!;
        dx[s * fin + i] += g * w[i * fout + o]!;
        dw[i * fout + o] += x[s * fin + i]! * g;
      }
  for (let s = 0; s < n; s++) for (let o = 0; o < fout; o++) db[o] += dy[s * fout + o]!;
  return { dx, dw, db };
}
