// Training patches: HR images from folders, degraded once per image, cut into aligned LR/HR
// patch pairs with random flips and rotations.
//
// Degradation of a decoded image (the whole image, once, so patches carry no crop-border
// artefacts of the resize): crop to a multiple of the scale, optional Gaussian blur σ, then
// MATLAB bicubic ÷scale with antialiasing on 8-bit levels — exactly how Set5/DIV2K LR files
// were made, so the network trains on the degradation it is evaluated on.
//
// Everything random (epoch orders, crop positions, augmentations) comes from one seeded Rng,
// consumed in a fixed order that does not depend on timing (decodes run ahead in a worker,
// but they are deterministic functions of the file). The sampler's state — RNG state, the
// current and next epoch order, the position in it and the patches already cut from the
// current image — is a small JSON object that a checkpoint stores and restores exactly.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gaussianBlur, imresize } from './resize.ts';
import type { RgbImage } from '../io/image.ts';
import { Rng } from '../util/rng.ts';

/** N training pairs: [N, lr, lr, 3] and [N, hr, hr, 3] RGB in [0,1], NHWC. */
export interface Batch {
  lr: Float32Array;
  hr: Float32Array;
  n: number;
}

const IMAGE = /\.(png|jpe?g)$/i;

/** Image files under the folders, recursively (hidden entries skipped), sorted per folder. */
export function listImages(dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).filter((n) => !n.startsWith('.')).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && IMAGE.test(name)) out.push(p);
    }
  };
  for (const d of dirs) {
    let st;
    try {
      st = statSync(d);
    } catch {
      throw new Error(`training data folder '${d}' does not exist`);
    }
    if (!st.isDirectory()) throw new Error(`training data '${d}' is not a folder`);
    const before = out.length;
    walk(d);
    if (out.length === before) throw new Error(`training data folder '${d}' holds no PNG or JPEG images`);
  }
  return out;
}

/** An HR image (RGB, a multiple of the scale) and its degraded LR version. */
export interface DegradedPair {
  hr: RgbImage;
  lr: RgbImage;
}

/** Drop alpha and crop to a multiple of `scale` (top-left anchored, like SR toolkits' modcrop). */
export function modcropRgb(img: RgbImage, scale: number): RgbImage {
  const w = img.width - (img.width % scale), h = img.height - (img.height % scale);
  if (w === img.width && h === img.height && img.channels === 3) return img;
  const src = img.channels;
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * img.width + x) * src, d = (y * w + x) * 3;
      data[d] = img.data[s]!;
      data[d + 1] = img.data[s + 1]!;
      data[d + 2] = img.data[s + 2]!;
    }
  }
  return { width: w, height: h, channels: 3, data };
}

/** The training degradation of a whole decoded image (see the file comment). */
export function degrade(decoded: RgbImage, scale: number, blurSigma: number): DegradedPair {
  const hr = modcropRgb(decoded, scale);
  const lr = imresize(blurSigma > 0 ? gaussianBlur(hr, blurSigma) : hr, 1 / scale, { uint8: true });
  return { hr, lr };
}

/** Where one patch pair comes from: LR top-left (x, y), horizontal flip, k×90° rotation. */
export interface PatchSpec {
  x: number;
  y: number;
  flip: boolean;
  rot: number;
}

/**
 * Copy a size×size patch at (x0, y0) of `img` into `dst` at `offset` (NHWC, RGB), flipped and
 * rotated. Output pixel (i, j) reads the source pixel found by undoing the rotation (k quarter
 * turns) and then the flip; the same map at both scales keeps LR pixel (a, b) over HR block
 * (a·s…, b·s…), so alignment survives every augmentation.
 */
export function copyPatch(img: RgbImage, x0: number, y0: number, size: number, flip: boolean, rot: number, dst: Float32Array, offset: number): void {
  const last = size - 1;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let a = i, b = j;
      for (let r = 0; r < rot; r++) [a, b] = [b, last - a];
      if (flip) b = last - b;
      const s = ((y0 + a) * img.width + (x0 + b)) * img.channels;
      const d = offset + (i * size + j) * 3;
      dst[d] = img.data[s]!;
      dst[d + 1] = img.data[s + 1]!;
      dst[d + 2] = img.data[s + 2]!;
    }
  }
}

/** Exact position of the sampler in its random stream: JSON-safe, stored in checkpoints. */
export interface SamplerState {
  rng: number[];
  epoch: number;
  order: number[];
  nextOrder: number[];
  /** Index into `order` of the current image. */
  pos: number;
  /** Patches already cut from it. */
  taken: number;
}

export interface SamplerOptions {
  scale: number;
  patchSize: number;
  patchesPerImage: number;
  blurSigma: number;
  seed: number;
  /** Decode + degrade one file (a worker pool, or in-thread for tests). */
  load: (path: string) => Promise<DegradedPair>;
  /** Images decoded ahead of the current one (default 2). */
  lookahead?: number;
  /** Called once per file too small for a patch (it is skipped). */
  warn?: (message: string) => void;
}

function shuffled(rng: Rng, n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export class PatchSampler {
  private rng: Rng;
  private epoch = 0;
  private order: number[];
  private nextOrder: number[];
  private pos = 0;
  private taken = 0;
  /** Decodes in flight or done, by file index (the current image and the lookahead). */
  private cache = new Map<number, Promise<DegradedPair>>();
  private tooSmall = new Set<number>();

  constructor(readonly files: readonly string[], readonly opts: SamplerOptions, state?: SamplerState) {
    if (!files.length) throw new Error('no training images');
    if (opts.patchSize % opts.scale !== 0) throw new Error(`patch size ${opts.patchSize} is not a multiple of the scale ${opts.scale}`);
    if (state) {
      if (state.order.length !== files.length || state.nextOrder.length !== files.length) {
        throw new Error(`saved data order covers ${state.order.length} images but the data folders now hold ${files.length}: the data changed since the checkpoint`);
      }
      this.rng = new Rng(state.rng);
      this.epoch = state.epoch;
      this.order = [...state.order];
      this.nextOrder = [...state.nextOrder];
      this.pos = state.pos;
      this.taken = state.taken;
    } else {
      this.rng = new Rng(opts.seed);
      // Two orders are kept so the images after an epoch boundary are known in advance.
      this.order = shuffled(this.rng, files.length);
      this.nextOrder = shuffled(this.rng, files.length);
    }
  }

  get state(): SamplerState {
    return { rng: this.rng.state, epoch: this.epoch, order: [...this.order], nextOrder: [...this.nextOrder], pos: this.pos, taken: this.taken };
  }

  /** File indices from the current image on, as far as the two known orders reach. */
  private upcoming(count: number): number[] {
    const seq = [...this.order.slice(this.pos), ...this.nextOrder];
    return seq.slice(0, count);
  }

  private image(index: number): Promise<DegradedPair> {
    let p = this.cache.get(index);
    if (!p) {
      p = this.opts.load(this.files[index]!);
      // A failed prefetch must not surface as an unhandled rejection before anyone awaits it.
      p.catch(() => {});
      this.cache.set(index, p);
    }
    return p;
  }

  /** Start decoding the current image and the next few; drop decodes no longer needed. */
  private prefetch(): void {
    const want = this.upcoming(1 + (this.opts.lookahead ?? 2));
    for (const i of want) this.image(i);
    for (const k of [...this.cache.keys()]) if (!want.includes(k)) this.cache.delete(k);
  }

  private advance(): void {
    this.taken = 0;
    this.pos++;
    if (this.pos === this.order.length) {
      this.order = this.nextOrder;
      this.nextOrder = shuffled(this.rng, this.files.length);
      this.epoch++;
      this.pos = 0;
    }
  }

  /** Cut the next patch pair into the batch arrays at slot `k`. */
  async nextPatch(hr: Float32Array, lr: Float32Array, k: number): Promise<PatchSpec & { file: string }> {
    const { scale, patchSize, patchesPerImage } = this.opts;
    const lrSize = patchSize / scale;
    let skipped = 0;
    for (;;) {
      if (this.taken >= patchesPerImage) this.advance();
      const index = this.order[this.pos]!;
      this.prefetch();
      const pair = await this.image(index);
      if (pair.lr.width < lrSize || pair.lr.height < lrSize) {
        if (!this.tooSmall.has(index)) this.opts.warn?.(`${this.files[index]}: ${pair.hr.width}×${pair.hr.height} is smaller than the ${patchSize}px patch; skipped`);
        this.tooSmall.add(index);
        this.taken = patchesPerImage;
        if (++skipped > this.files.length) throw new Error(`no training image is at least ${patchSize}×${patchSize}`);
        continue;
      }
      const spec: PatchSpec = {
        x: this.rng.int(pair.lr.width - lrSize + 1),
        y: this.rng.int(pair.lr.height - lrSize + 1),
        flip: this.rng.int(2) === 1,
        rot: this.rng.int(4),
      };
      this.taken++;
      copyPatch(pair.lr, spec.x, spec.y, lrSize, spec.flip, spec.rot, lr, k * lrSize * lrSize * 3);
      copyPatch(pair.hr, spec.x * scale, spec.y * scale, patchSize, spec.flip, spec.rot, hr, k * patchSize * patchSize * 3);
      return { ...spec, file: this.files[index]! };
    }
  }

  async nextBatch(n: number): Promise<Batch> {
    const { scale, patchSize } = this.opts;
    const lrSize = patchSize / scale;
    const batch: Batch = { n, hr: new Float32Array(n * patchSize * patchSize * 3), lr: new Float32Array(n * lrSize * lrSize * 3) };
    for (let k = 0; k < n; k++) await this.nextPatch(batch.hr, batch.lr, k);
    return batch;
  }
}

/** A batch and the sampler state right after it: what a checkpoint taken after this step stores. */
export interface SourcedBatch {
  batch: Batch;
  state: SamplerState;
  /** Milliseconds the caller waited for it (0 when it was ready). */
  waitMs: number;
}

/**
 * Keeps the next batch in preparation while the caller trains on the current one: next()
 * hands out the prepared batch and immediately starts the following one (its crops are cheap;
 * its image decodes already run ahead in the sampler's loader).
 */
export class BatchSource {
  private pending: Promise<{ batch: Batch; state: SamplerState }> | null = null;

  constructor(readonly sampler: PatchSampler, readonly batchSize: number) {}

  private prepare(): Promise<{ batch: Batch; state: SamplerState }> {
    const p = this.sampler.nextBatch(this.batchSize).then((batch) => ({ batch, state: this.sampler.state }));
    p.catch(() => {});
    return p;
  }

  async next(): Promise<SourcedBatch> {
    const t0 = performance.now();
    const ready = await (this.pending ?? this.prepare());
    const waitMs = performance.now() - t0;
    this.pending = this.prepare();
    return { ...ready, waitMs };
  }
}
