// What the phases of one training run share (src/train/run.ts composes them): the config, the
// GPU step, the output folder and its files, and where messages and log events go.

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../graph/runtime.ts';
import type { RgbImage } from '../io/image.ts';
import type { SamplerState } from '../data/patches.ts';
import { renderCurves } from './curves.ts';
import type { History } from './history.ts';
import type { Batch, StepLosses, TrainConfig, TrainState } from './types.ts';

/** What the run needs from the GPU step (src/train/step.ts TrainingStep). */
export interface StepLike {
  run(batch: Batch, lr: number): Promise<StepLosses & { finite: boolean }>;
  exportState(): Promise<TrainState>;
  importState(state: TrainState): void;
  generatorWeights(): Promise<Map<string, { shape: readonly number[]; data: Float32Array }>>;
  upscale(lr: RgbImage): Promise<RgbImage>;
  dispose(): void;
}

export type StepFactory = (rt: Runtime, config: TrainConfig, opts: { vggDir?: string }) => Promise<StepLike>;

/**
 * Where the run stands: what a checkpoint saves and a resume or rollback restores (with the
 * step's tensors), so that the run continues bit for bit.
 */
export interface Position {
  /** The last completed step. */
  step: number;
  history: History;
  /** Learning-rate factor from rollback back-offs (1 when none happened). */
  backoff: number;
  /** Training wall time of earlier sessions (ms). */
  wallBaseMs: number;
  /** The data sampler's state after the batch of `step`; none before a fresh run's sampler exists. */
  data?: SamplerState;
  /** The newest checkpoint written or read, the rollback target. */
  checkpoint: string | null;
}

export class Session {
  readonly ckDir: string;
  readonly samplesDir: string;
  private readonly logPath: string;
  private readonly curvesPath: string;
  private started = performance.now();

  constructor(readonly config: TrainConfig, readonly step: StepLike, readonly say: (message: string) => void) {
    this.ckDir = join(config.out, 'checkpoints');
    this.samplesDir = join(config.out, 'samples');
    this.logPath = join(config.out, 'log.jsonl');
    this.curvesPath = join(config.out, 'curves.html');
  }

  /** The output folders; made before the GPU runtime, so that a signal at start-up finds them. */
  static makeFolders(config: TrainConfig): void {
    mkdirSync(join(config.out, 'checkpoints'), { recursive: true });
    mkdirSync(join(config.out, 'samples'), { recursive: true });
  }

  /** One event or step line of log.jsonl. */
  record(obj: Record<string, unknown>): void {
    appendFileSync(this.logPath, JSON.stringify({ ...obj, time: new Date().toISOString() }) + '\n');
  }

  writeCurves(history: History): void {
    writeFileSync(this.curvesPath, renderCurves(history, `viVID training — ${this.config.out}`));
  }

  /** This session's training time starts now (after set-up and resume). */
  startClock(): void {
    this.started = performance.now();
  }

  /** Training wall time up to now, over all sessions of the run. */
  wallMs(pos: Position): number {
    return pos.wallBaseMs + (performance.now() - this.started);
  }
}
