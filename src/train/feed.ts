// The training data of a run: decoding (worker threads or in-thread, with a cache of decoded
// images across epochs) and the batch source that cuts the patches, started fresh or from a
// saved sampler state.

import { BatchSource, PatchSampler, type SamplerState } from '../data/patches.ts';
import { cachingLoader, defaultWorkers, inlineLoader, workerLoader, type ImageLoader } from '../data/loader.ts';
import type { TrainConfig } from './types.ts';

const DEFAULT_IMAGE_CACHE = (Number(process.env.VIVID_IMAGE_CACHE_MB) || 1024) * 2 ** 20;

export interface FeedOptions {
  /** Decode in worker threads (default true). */
  worker?: boolean;
  /** How many decode workers (default: free cores, at most 4). */
  decodeWorkers?: number;
  /** Memory for decoded images kept across epochs (default 1 GiB, or $VIVID_IMAGE_CACHE_MB). */
  imageCacheBytes?: number;
}

export class DataFeed {
  readonly workers: number;
  private readonly loader: ImageLoader;

  constructor(readonly files: string[], private readonly config: TrainConfig, opts: FeedOptions, private readonly warn: (m: string) => void) {
    this.workers = opts.worker === false ? 0 : opts.decodeWorkers ?? defaultWorkers();
    const { scale } = config.generator;
    this.loader = cachingLoader(
      this.workers ? workerLoader(scale, config.blurSigma, this.workers) : inlineLoader(scale, config.blurSigma),
      opts.imageCacheBytes ?? DEFAULT_IMAGE_CACHE,
    );
  }

  /** Batches from `state`, or a fresh order seeded by config.seed + seedOffset. */
  source(state?: SamplerState, seedOffset = 0): BatchSource {
    const c = this.config;
    return new BatchSource(new PatchSampler(this.files, {
      scale: c.generator.scale,
      patchSize: c.patchSize,
      patchesPerImage: c.patchesPerImage,
      blurSigma: c.blurSigma,
      seed: c.seed + seedOffset,
      load: (p) => this.loader.load(p),
      // Keep every worker busy, plus one image in hand.
      lookahead: this.workers + 1,
      warn: this.warn,
    }, state), c.batchSize);
  }

  describe(): string {
    const w = this.workers;
    return w ? `${w} decode worker${w > 1 ? 's' : ''}` : 'decoding in-thread';
  }

  close(): Promise<void> {
    return this.loader.close();
  }
}
