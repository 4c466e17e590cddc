// Float64 CPU references for shaders/flow.wgsl (one Lucas–Kanade update; flow upsampling).

import { bilinear, coarsePos, type F64 } from './warp.ts';

/** One LK update of flow [h, w, 2] for planes i0, i1 [h, w] (see flow.wgsl for the system). */
export function lkStep(i0: F64, i1: F64, flow: F64, h: number, w: number, radius: number, lambda: number): F64 {
  const at = (x: number, y: number) => i0[Math.min(Math.max(y, 0), h - 1) * w + Math.min(Math.max(x, 0), w - 1)]!;
  const out = new Float64Array(h * w * 2);
  const n = (2 * radius + 1) ** 2;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const u = flow[2 * (y * w + x)]!, v = flow[2 * (y * w + x) + 1]!;
      let axx = 0, axy = 0, ayy = 0, bx = 0, by = 0;
      for (let dy = -radius; dy <= radius; dy++)
        for (let dx = -radius; dx <= radius; dx++) {
          const qx = Math.min(Math.max(x + dx, 0), w - 1), qy = Math.min(Math.max(y + dy, 0), h - 1);
          const gx = 0.5 * (at(qx + 1, qy) - at(qx - 1, qy));
          const gy = 0.5 * (at(qx, qy + 1) - at(qx, qy - 1));
          const it = bilinear(i1, h, w, 1, 0, qx + u, qy + v) - at(qx, qy);
          axx += gx * gx;
          axy += gx * gy;
          ayy += gy * gy;
          bx += gx * it;
          by += gy * it;
        }
      const a = axx + lambda * n, d = ayy + lambda * n;
      const det = a * d - axy * axy;
      out[2 * (y * w + x)] = u - (d * bx - axy * by) / det;
      out[2 * (y * w + x) + 1] = v - (a * by - axy * bx) / det;
    }
  return out;
}

/** Coarse flow [⌈h/2⌉, ⌈w/2⌉, 2] → [h, w, 2]: bilinear at the centre map, doubled. */
export function upsampleFlow(coarse: F64, h: number, w: number): F64 {
  const ch = Math.ceil(h / 2), cw = Math.ceil(w / 2);
  const out = new Float64Array(h * w * 2);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < 2; k++) out[2 * (y * w + x) + k] = 2 * bilinear(coarse, ch, cw, 2, k, coarsePos(x, 2), coarsePos(y, 2));
  return out;
}
