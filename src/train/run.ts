// A training run, as its phases: set-up and resume (resume.ts), the step loop (loop.ts) with
// its checkpoint/rollback (rollback.ts) and validation (validate.ts) phases, and the export of
// the generator with a model card whenever the run ends, stopped or at its last step
// (handover.ts). A stop (signal or time limit) ends the loop after its step, with a checkpoint.
//
// Exact resume rests on three things: the step's full state (weights, BN statistics, Adam
// moments and counters) in the checkpoint tensors, the data sampler's state *after the batch
// of the checkpointed step* in its metadata (the prefetched batch is discarded), and a learning
// rate that is a pure function of (config, step, back-off factor).

import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listImages } from '../data/patches.ts';
import { findPairs } from '../eval/dataset.ts';
import type { Backend } from '../graph/device.ts';
import { Runtime } from '../graph/runtime.ts';
import { Progress } from '../util/progress.ts';
import { exportedStep, type ExportResult } from './export.ts';
import { DataFeed, type FeedOptions } from './feed.ts';
import { exportAt, useLine, type HandOver } from './handover.ts';
import { stepLoop } from './loop.ts';
import { continuedDataOrder, startingPosition } from './resume.ts';
import { Checkpoints } from './rollback.ts';
import { Session, type Position, type StepFactory, type StepLike } from './session.ts';
import { StopRequest, type StopReason } from './stop.ts';
import type { TrainConfig } from './types.ts';

export type { StepFactory, StepLike } from './session.ts';

export interface TrainOptions extends FeedOptions {
  /** Continue from the newest valid checkpoint in <out>/checkpoints. */
  resume?: boolean;
  /** Only write the generator and model card from the newest checkpoint. */
  exportOnly?: boolean;
  /** Write generator + model card when the run ends: at config.steps or stopped (default true). */
  export?: boolean;
  vggDir?: string;
  set5Dir?: string;
  backend?: Backend;
  /** Reuse a runtime (tests); otherwise one is created and destroyed. */
  rt?: Runtime;
  /** The GPU step (default: src/train/step.ts TrainingStep). */
  createStep?: StepFactory;
  /** Stop cleanly (checkpoint, export, return) once this is requested; the CLI routes SIGINT/SIGTERM to it. */
  stop?: StopRequest;
  /** On resume, start a fresh data order instead of the checkpoint's (after images were added or removed). */
  newDataOrder?: boolean;
  /** Stop cleanly, as on SIGTERM, once this many seconds of training have passed (checked after each step). */
  timeLimitS?: number;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  /** Messages (default: stderr, through the progress bar). */
  log?: (message: string) => void;
}

export interface TrainResult {
  step: number;
  /** true when a signal or the time limit ended the run early. */
  stopped: boolean;
  /** Why a stop was requested (a signal during the final export counts too). */
  stopReason: StopReason | null;
  checkpoint: string | null;
  rollbacks: number;
  backoff: number;
  /** Share of this session's step time spent waiting for data. */
  dataWaitShare: number;
  exported?: ExportResult;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The data and weights folder (VGG19, Set5): $VIVID_SHARED, else ../shared beside the repo. */
const SHARED_ROOT = process.env.VIVID_SHARED ?? resolve(REPO_ROOT, '../shared');

async function defaultStep(rt: Runtime, config: TrainConfig, opts: { vggDir?: string }): Promise<StepLike> {
  const { TrainingStep } = await import('./step.ts');
  return TrainingStep.create(rt, config, opts);
}

/** A resume at the run's last step: say how to continue; hand over the generator unless it is current. */
async function nothingToTrain(session: Session, pos: Position, handOver: HandOver, write: boolean): Promise<ExportResult | undefined> {
  const { config, say } = session;
  say(`the checkpoint is at step ${pos.step}, the run's last step (steps ${config.steps}): nothing to train. ` +
    `To continue it, raise the step count, e.g. --steps ${pos.step + Math.max(1000, config.checkpointEvery)} (or "steps" in the config) with --resume.`);
  const exported = write && exportedStep(config.out) !== pos.step ? await exportAt(session, pos, handOver) : undefined;
  if (exportedStep(config.out) === pos.step) say(useLine(join(config.out, 'generator.safetensors'), config));
  return exported;
}

interface Training {
  session: Session;
  pos: Position;
  feed: DataFeed;
  handOver: HandOver;
  stop: StopRequest;
  progress: Progress;
  opts: TrainOptions;
}

/** The step loop from `pos` (after a step-0 checkpoint on a fresh run), then the end of the run. */
async function trainFrom(t: Training): Promise<Omit<TrainResult, 'stopReason'>> {
  const { session, pos, feed, stop, progress, opts } = t;
  const { config, say } = session;
  // A fresh order after a resume is seeded by the step too, so it does not replay the first epoch's.
  const source = feed.source(continuedDataOrder(pos.data, feed.files.length, !!opts.newDataOrder, say), pos.step);
  pos.data = source.sampler.state;
  const checkpoints = new Checkpoints(session, pos);
  if (!pos.checkpoint) {
    // A step-0 checkpoint: a NaN before the first periodic checkpoint still has a rollback target.
    await checkpoints.save(pos);
    session.record({ event: 'start', step: 0, images: feed.files.length, config });
  }
  say(`training ${config.stage} on ${feed.files.length} images (${feed.describe()}), steps ${pos.step + 1}…${config.steps}, out ${config.out}`);
  progress.startAt(pos.step);
  const timing = await stepLoop({ session, pos, feed, checkpoints, stop, progress, timeLimitS: opts.timeLimitS }, source);

  // A signal during validation can land after this step's checkpoint decision.
  if (stop.requested && checkpoints.savedStep !== pos.step) await checkpoints.save(pos);
  session.writeCurves(pos.history);
  const stopped = pos.step < config.steps;
  const dataWaitShare = timing.waitShare;
  progress.done(stopped ? `stopped at step ${pos.step}` : `data wait ${(100 * dataWaitShare).toFixed(1)}%`);
  session.record({ event: stopped ? 'stop' : 'done', step: pos.step, dataWaitShare, rollbacks: checkpoints.rollbacks });
  if (stopped) say(`stopped at step ${pos.step}; checkpoint ${pos.checkpoint}. Continue with --resume.`);
  // A stopped run still hands over its generator (Set5 scores are left to `--export` or
  // `vivid eval`, so that a stop stays prompt); at step 0 there is nothing trained to hand over.
  let exported: ExportResult | undefined;
  if (opts.export !== false && pos.step > 0) exported = await exportAt(session, pos, { ...t.handOver, dataWaitShare: timing.totalMs ? dataWaitShare : undefined }, !stopped);
  else if (stopped) say('nothing trained yet: no generator written');
  if (exported) say(useLine(exported.weightsPath, config));
  return { step: pos.step, stopped, checkpoint: pos.checkpoint, rollbacks: checkpoints.rollbacks, backoff: pos.backoff, dataWaitShare, exported };
}

export async function train(config: TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  Session.makeFolders(config);
  const progress = new Progress({ label: 'train', total: config.steps, unit: 'steps', enabled: opts.progress ?? true });
  const say = opts.log ?? ((m: string) => progress.log(m));
  const ownRuntime = !opts.rt;
  const rt = opts.rt ?? (await Runtime.create(opts.backend));
  let step: StepLike | null = null;
  let feed: DataFeed | null = null;
  const stop = opts.stop ?? new StopRequest();
  const stopLog = stop.log;
  stop.log = say;

  try {
    step = await (opts.createStep ?? defaultStep)(rt, config, { vggDir: opts.vggDir ?? join(SHARED_ROOT, 'weights/vgg19-keras-tfjs') });
    const session = new Session(config, step, say);
    const files = listImages(config.data);
    // Fail now, not at the first validation hours later.
    if (config.validation) findPairs(config.validation, config.generator.scale);
    const pos = startingPosition(session, opts);
    session.startClock();
    const handOver: HandOver = { gpu: { backend: rt.gpu.backend, info: rt.gpu.info }, imageCount: files.length, set5Dir: opts.set5Dir ?? join(SHARED_ROOT, 'data/set5/x4') };
    // Without steps: no rollbacks, no data wait.
    const untrained = (exported?: ExportResult): TrainResult => ({ step: pos.step, stopped: false, stopReason: stop.reason, checkpoint: pos.checkpoint, rollbacks: 0, backoff: pos.backoff, dataWaitShare: 0, exported });
    if (opts.exportOnly) return untrained(await exportAt(session, pos, handOver));
    if (pos.step >= config.steps && opts.resume) return untrained(await nothingToTrain(session, pos, handOver, opts.export !== false));
    feed = new DataFeed(files, config, opts, say);
    const r = await trainFrom({ session, pos, feed, handOver, stop, progress, opts });
    return { ...r, stopReason: stop.reason };
  } finally {
    stop.log = stopLog;
    await feed?.close();
    step?.dispose();
    if (ownRuntime) rt.destroy();
  }
}
