// Temporal metrics of an SR sequence against its ground truth, on BT.601 Y (0..255) of the
// 8-bit frames, with motion from our own flow kernels (src/kernels/flow.ts) run on GT:
//   mc_flicker  motion-compensated flicker: mean |(SR_t − warp(SR_t−1)) − (GT_t − warp(GT_t−1))|
//               over flow-consistent pixels (forward–backward check of the GT flow), the border
//               of `shave` pixels left out. Lower is better; 0 = the SR changes along the motion
//               exactly as the GT does.
//   tof         tOF (TecoGAN): mean end-point distance |flow(SR_t→SR_t−1) − flow(GT_t→GT_t−1)|
//               in HR pixels over the same region. Lower is better.
// The forward–backward check (Sundaram et al. 2010): b = flow(t → t−1), f = flow(t−1 → t);
// pixel x is consistent when |b + f(x + b)|² < 0.01 (|b|² + |f(x + b)|²) + 0.5.

import type { Runtime } from '../graph/runtime.ts';
import type { Tensor } from '../graph/tensor.ts';
import { quantize8, type RgbImage } from '../io/image.ts';
import { DEFAULT_FLOW, opticalFlow } from '../kernels/flow.ts';
import { warp } from '../kernels/warp.ts';
import { rgbToY } from '../metrics/quality.ts';

export interface TemporalMetrics {
  /** Y, 0..255; lower is better. */
  mc_flicker: number;
  /** HR pixels; lower is better. */
  tof: number;
  /** Share of the measured region that passed the forward–backward check. */
  consistent: number;
}

function yPlane(rt: Runtime, img: RgbImage): Tensor {
  const y = rgbToY(quantize8(img));
  return rt.tensor([1, img.height, img.width, 1], Float32Array.from(y.data));
}

/**
 * Feed the frames of one sequence in order, each GT frame with the SR streams measured against
 * it (e.g. frame by frame and the temporal mode); from the second frame on, each returns the
 * streams' metrics. The GT flow, its consistency check and the warped GT are computed once per
 * frame for all streams.
 */
export class TemporalMeter {
  private prev: { srs: Tensor[]; gt: Tensor } | null = null;

  constructor(
    readonly rt: Runtime,
    readonly shave: number,
  ) {}

  async add(gt: RgbImage, srs: RgbImage[]): Promise<TemporalMetrics[] | null> {
    const rt = this.rt;
    const cur = { srs: srs.map((sr) => yPlane(rt, sr)), gt: yPlane(rt, gt) };
    const prev = this.prev;
    this.prev = cur;
    if (!prev) return null;
    if (prev.srs.length !== cur.srs.length) throw new Error(`TemporalMeter: ${cur.srs.length} SR streams after ${prev.srs.length}`);
    const back = opticalFlow(rt, cur.gt, prev.gt, DEFAULT_FLOW);
    const fwd = opticalFlow(rt, prev.gt, cur.gt, DEFAULT_FLOW);
    const fwdAtBack = warp(rt, fwd, back), gtWarped = warp(rt, prev.gt, back);
    const [b, fw, gtw, yg] = await Promise.all([back, fwdAtBack, gtWarped, cur.gt].map((t) => t.read()));
    const metrics: TemporalMetrics[] = [];
    for (const [k, sr] of cur.srs.entries()) {
      const srTensors = [opticalFlow(rt, sr, prev.srs[k]!, DEFAULT_FLOW), warp(rt, prev.srs[k]!, back)];
      const [s, srw, ys] = await Promise.all([...srTensors, sr].map((t) => t.read()));
      for (const t of srTensors) t.dispose();
      metrics.push(this.measure(gt, { b: b!, fw: fw!, gtw: gtw!, yg: yg! }, { s: s!, srw: srw!, ys: ys! }));
    }
    for (const t of [back, fwd, fwdAtBack, gtWarped, ...prev.srs, prev.gt]) t.dispose();
    return metrics;
  }

  /** The per-pixel sums over the region inside the shaved border. */
  private measure(gt: RgbImage, g: { b: Float32Array; fw: Float32Array; gtw: Float32Array; yg: Float32Array }, o: { s: Float32Array; srw: Float32Array; ys: Float32Array }): TemporalMetrics {
    const { width: w, height: h } = gt;
    const { b, fw, gtw, yg } = g, { s, srw, ys } = o;
    let flick = 0, tof = 0, n = 0, region = 0;
    for (let y = this.shave; y < h - this.shave; y++)
      for (let x = this.shave; x < w - this.shave; x++) {
        const i = y * w + x;
        const [bu, bv, fu, fv] = [b[2 * i]!, b[2 * i + 1]!, fw[2 * i]!, fw[2 * i + 1]!];
        region++;
        tof += Math.hypot(s[2 * i]! - bu, s[2 * i + 1]! - bv);
        if ((bu + fu) ** 2 + (bv + fv) ** 2 >= 0.01 * (bu * bu + bv * bv + fu * fu + fv * fv) + 0.5) continue;
        flick += Math.abs(ys[i]! - srw[i]! - (yg[i]! - gtw[i]!));
        n++;
      }
    return { mc_flicker: n ? flick / n : NaN, tof: tof / region, consistent: n / region };
  }

  dispose(): void {
    for (const t of this.prev ? [...this.prev.srs, this.prev.gt] : []) t.dispose();
    this.prev = null;
  }
}
