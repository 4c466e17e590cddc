// The training loop around the GPU step: data, learning-rate schedule, progress, JSONL log,
// curves, validation with sample strips, checkpoints (atomic, pruned, resumable bit for bit),
// NaN/Inf rollback with learning-rate back-off, clean stop on a signal or a time limit, and the
// export of the generator with a model card whenever the run ends (stop or last step).
//
// Exact resume rests on three things: the step's full state (weights, BN statistics, Adam
// moments and counters) in the checkpoint tensors, the data sampler's state *after the batch
// of the checkpointed step* in its metadata (the prefetched batch is discarded), and a learning
// rate that is a pure function of (config, step, back-off factor).

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchSource, listImages, PatchSampler, type SamplerState } from '../data/patches.ts';
import { cachingLoader, defaultWorkers, inlineLoader, workerLoader, type ImageLoader } from '../data/loader.ts';
import { findPairs } from '../eval/dataset.ts';
import type { Backend } from '../graph/device.ts';
import { Runtime } from '../graph/runtime.ts';
import type { RgbImage } from '../io/image.ts';
import { Progress } from '../util/progress.ts';
import { listCheckpoints, loadNewestCheckpoint, saveCheckpoint, type CheckpointMeta } from './checkpoint.ts';
import { learningRate } from './config.ts';
import { renderCurves } from './curves.ts';
import { exportedStep, exportModel, type ExportResult } from './export.ts';
import { History, LOSS_KEYS } from './history.ts';
import { StopRequest, type StopReason } from './stop.ts';
import type { Batch, StepLosses, TrainConfig, TrainState } from './types.ts';
import { validate } from './validate.ts';

/** What the loop needs from the GPU step (src/train/step.ts TrainingStep). */
export interface StepLike {
  run(batch: Batch, lr: number): Promise<StepLosses & { finite: boolean }>;
  exportState(): Promise<TrainState>;
  importState(state: TrainState): void;
  generatorWeights(): Promise<Map<string, { shape: readonly number[]; data: Float32Array }>>;
  upscale(lr: RgbImage): Promise<RgbImage>;
  dispose(): void;
}

export type StepFactory = (rt: Runtime, config: TrainConfig, opts: { vggDir?: string }) => Promise<StepLike>;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED_ROOT = process.env.VIVID_SHARED ?? resolve(REPO_ROOT, '../shared');

const DEFAULT_IMAGE_CACHE = (Number(process.env.VIVID_IMAGE_CACHE_MB) || 1024) * 2 ** 20;

/** Rollbacks to the same checkpoint before the run gives up. */
const MAX_ROLLBACKS = 8;

export interface TrainOptions {
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
  createStep?: StepFactory;
  /** Decode training images in worker threads (default true). */
  worker?: boolean;
  /** How many decode workers (default: free cores, at most 4). */
  decodeWorkers?: number;
  /** Memory for decoded training images kept across epochs (default 1 GiB, or $VIVID_IMAGE_CACHE_MB). */
  imageCacheBytes?: number;
  /** Stop cleanly (checkpoint, export, return) once this is requested; the CLI routes SIGINT/SIGTERM to it. */
  stop?: StopRequest;
  /** On resume, start a fresh data order instead of the checkpoint's (after images were added or removed). */
  newDataOrder?: boolean;
  /** Stop cleanly, as on SIGTERM, once this many seconds of training have passed (checked after each step). */
  timeLimitS?: number;
  /** Test hook: fill the LR batch with NaN the first `times` (default 1) times step `step` is tried. */
  poison?: { step: number; times?: number };
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

/** How to use what a run handed over. */
function useLine(weightsPath: string, config: TrainConfig): string {
  return `use it: npx vivid upscale --model ${weightsPath} photo.png -o photo-x${config.generator.scale}.png`;
}

async function defaultStep(rt: Runtime, config: TrainConfig, opts: { vggDir?: string }): Promise<StepLike> {
  const { TrainingStep } = await import('./step.ts');
  return TrainingStep.create(rt, config, opts);
}

function formatLosses(l: StepLosses): string {
  return LOSS_KEYS.filter((k) => l[k] !== undefined).map((k) => `${k} ${l[k]!.toPrecision(4)}`).join(' ');
}

/** Config fields that may change between a checkpoint and its resume without a warning. */
const RESUMABLE_CHANGES = new Set(['steps', 'out', 'validateEvery', 'validation', 'checkpointEvery', 'keepCheckpoints']);

export async function train(config: TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const out = config.out;
  const ckDir = join(out, 'checkpoints');
  const samplesDir = join(out, 'samples');
  mkdirSync(ckDir, { recursive: true });
  mkdirSync(samplesDir, { recursive: true });
  const logPath = join(out, 'log.jsonl');
  const curvesPath = join(out, 'curves.html');
  const record = (obj: Record<string, unknown>) => appendFileSync(logPath, JSON.stringify({ ...obj, time: new Date().toISOString() }) + '\n');

  const progress = new Progress({ label: 'train', total: config.steps, unit: 'steps', enabled: opts.progress ?? true });
  const say = opts.log ?? ((m: string) => progress.log(m));
  const vggDir = opts.vggDir ?? join(SHARED_ROOT, 'weights/vgg19-keras-tfjs');

  const ownRuntime = !opts.rt;
  const rt = opts.rt ?? (await Runtime.create(opts.backend));
  let step: StepLike | null = null;
  let loader: ImageLoader | null = null;
  const stop = opts.stop ?? new StopRequest();
  const stopLog = stop.log;
  stop.log = say;

  try {
    step = await (opts.createStep ?? defaultStep)(rt, config, { vggDir });
    const files = listImages(config.data);
    // Fail now, not at the first validation hours later.
    if (config.validation) findPairs(config.validation, config.generator.scale);

    // Where to start: fresh, or the newest readable checkpoint.
    let s = 0;
    let history = new History();
    let backoff = 1;
    let wallBase = 0;
    let samplerState: SamplerState | undefined;
    let lastSaved: string | null = null;
    if (opts.resume || opts.exportOnly) {
      const ck = loadNewestCheckpoint(ckDir, say);
      if (ck) {
        step.importState(ck.state);
        s = ck.meta.step;
        history = History.fromJSON(ck.meta.history);
        backoff = ck.meta.backoff;
        wallBase = ck.meta.wallMs;
        samplerState = ck.meta.data;
        lastSaved = ck.path;
        const changed = Object.keys({ ...config, ...ck.meta.config }).filter(
          (k) => !RESUMABLE_CHANGES.has(k) && JSON.stringify((config as unknown as Record<string, unknown>)[k]) !== JSON.stringify((ck.meta.config as unknown as Record<string, unknown>)[k]),
        );
        if (changed.length) say(`warning: config differs from the checkpoint's in ${changed.join(', ')}; continuing with the new values`);
        say(`resuming from ${ck.path} (step ${s})`);
        record({ event: 'resume', step: s, checkpoint: ck.path });
      } else if (opts.exportOnly) {
        throw new Error(`no readable checkpoint in ${ckDir} to export`);
      } else {
        say(`no checkpoint in ${ckDir}: starting from scratch`);
      }
    } else if (listCheckpoints(ckDir).length) {
      throw new Error(`${out} already holds checkpoints: pass --resume to continue that run, or choose another --out`);
    }

    const sessionStart = performance.now();
    const wallMs = () => wallBase + (performance.now() - sessionStart);
    const writeCurves = () => writeFileSync(curvesPath, renderCurves(history, `viVID training — ${out}`));
    let waitTotal = 0, stepTotal = 0;

    /** `evaluate`: measure Set5 for the card when validation at this step did not already. */
    const doExport = async (evaluate = true): Promise<ExportResult> => {
      const set5Dir = opts.set5Dir ?? join(SHARED_ROOT, 'data/set5/x4');
      const v = history.validation.at(-1);
      // Validation on Set5 at this very step already measured what the model card wants.
      const known = v && v.step === s && config.validation && resolve(config.validation) === resolve(set5Dir) ? v : undefined;
      const r = await exportModel(out, {
        config,
        step: s,
        wallMs: wallMs(),
        imageCount: files.length,
        weights: await step!.generatorWeights(),
        upscale: (lr) => step!.upscale(lr),
        gpu: { backend: rt.gpu.backend, info: rt.gpu.info },
        lastLosses: history.drawable().at(-1),
        dataWaitShare: stepTotal ? waitTotal / stepTotal : undefined,
        set5Dir: evaluate ? set5Dir : undefined,
        set5Known: known && { psnr_y: known.psnr_y, ssim_y: known.ssim_y, bicubic_psnr_y: known.bicubic_psnr_y, bicubic_ssim_y: known.bicubic_ssim_y },
      });
      say(`wrote ${r.weightsPath} and ${r.cardPath}${r.set5 ? ` (Set5 PSNR-Y ${r.set5.psnr_y.toFixed(2)} dB, SSIM-Y ${r.set5.ssim_y.toFixed(4)}; bicubic ${r.set5.bicubic_psnr_y.toFixed(2)} dB)` : ''}`);
      record({ event: 'export', step: s, weights: r.weightsPath, card: r.cardPath, set5: r.set5 });
      return r;
    };
    if (opts.exportOnly) {
      const exported = await doExport();
      return { step: s, stopped: false, stopReason: stop.reason, checkpoint: lastSaved, rollbacks: 0, backoff, dataWaitShare: 0, exported };
    }
    if (s >= config.steps && opts.resume) {
      say(`the checkpoint is at step ${s}, the run's last step (steps ${config.steps}): nothing to train. ` +
        `To continue it, raise the step count, e.g. --steps ${s + Math.max(1000, config.checkpointEvery)} (or "steps" in the config) with --resume.`);
      const exported = opts.export !== false && exportedStep(out) !== s ? await doExport() : undefined;
      if (exportedStep(out) === s) say(useLine(join(out, 'generator.safetensors'), config));
      return { step: s, stopped: false, stopReason: stop.reason, checkpoint: lastSaved, rollbacks: 0, backoff, dataWaitShare: 0, exported };
    }

    const workers = opts.worker === false ? 0 : opts.decodeWorkers ?? defaultWorkers();
    loader = cachingLoader(
      workers ? workerLoader(config.generator.scale, config.blurSigma, workers) : inlineLoader(config.generator.scale, config.blurSigma),
      opts.imageCacheBytes ?? DEFAULT_IMAGE_CACHE,
    );
    const makeSource = (state?: SamplerState, seedOffset = 0) => new BatchSource(new PatchSampler(files, {
      scale: config.generator.scale,
      patchSize: config.patchSize,
      patchesPerImage: config.patchesPerImage,
      blurSigma: config.blurSigma,
      seed: config.seed + seedOffset,
      load: (p) => loader!.load(p),
      // Keep every worker busy, plus one image in hand.
      lookahead: workers + 1,
      warn: say,
    }, state), config.batchSize);
    if (samplerState && opts.newDataOrder) {
      say(`fresh data order over ${files.length} images (the checkpoint's covered ${samplerState.order.length}); weights, optimiser and step kept`);
      samplerState = undefined;
    } else if (samplerState && samplerState.order.length !== files.length) {
      throw new Error(`the checkpoint's data order covers ${samplerState.order.length} images but the data folders now hold ${files.length}: pass --new-data-order to continue with a fresh order over the new data (weights, optimiser and step are kept), or restore the data`);
    }
    // A fresh order after a resume is seeded by the step too, so it does not replay the first epoch's.
    let source = makeSource(samplerState, s);
    let savedStep = s;
    let dataState: SamplerState = source.sampler.state;

    const save = async (): Promise<string> => {
      const meta: CheckpointMeta = { step: s, data: dataState, config, history: history.toJSON(), backoff, wallMs: wallMs() };
      const path = saveCheckpoint(ckDir, await step!.exportState(), meta, config.keepCheckpoints);
      savedStep = s;
      record({ event: 'checkpoint', step: s, path });
      return path;
    };
    if (!lastSaved) {
      // A step-0 checkpoint: a NaN before the first periodic checkpoint still has a rollback target.
      lastSaved = await save();
      record({ event: 'start', step: 0, images: files.length, config });
    }

    let rollbacks = 0, rollbacksHere = 0, poisoned = 0;
    say(`training ${config.stage} on ${files.length} images (${workers ? `${workers} decode worker${workers > 1 ? 's' : ''}` : 'decoding in-thread'}), steps ${s + 1}…${config.steps}, out ${out}`);
    progress.startAt(s);
    const deadline = opts.timeLimitS === undefined ? Infinity : performance.now() + 1000 * opts.timeLimitS;
    while (s < config.steps && !stop.requested) {
      const next = s + 1;
      const { batch, state, waitMs } = await source.next();
      if (opts.poison && opts.poison.step === next && poisoned < (opts.poison.times ?? 1)) {
        poisoned++;
        batch.lr.fill(NaN);
      }
      const lr = learningRate(config, next, backoff);
      const t0 = performance.now();
      const res = await step.run(batch, lr);
      const ms = performance.now() - t0;
      waitTotal += waitMs;
      stepTotal += ms + waitMs;

      if (!res.finite) {
        // Not applied by the step. Roll back to the last checkpoint (weights, optimiser, data
        // position); a second failure before the next checkpoint also halves the learning rate.
        rollbacks++;
        rollbacksHere++;
        if (rollbacksHere > MAX_ROLLBACKS) throw new Error(`step ${next}: non-finite losses after ${MAX_ROLLBACKS} rollbacks and learning-rate cuts; giving up (last checkpoint ${lastSaved})`);
        if (rollbacksHere >= 2) backoff *= 0.5;
        const ck = loadNewestCheckpoint(ckDir, say);
        if (!ck) throw new Error(`step ${next}: non-finite losses and no readable checkpoint to roll back to`);
        step.importState(ck.state);
        history = History.fromJSON(ck.meta.history);
        s = ck.meta.step;
        source = makeSource(ck.meta.data);
        dataState = ck.meta.data;
        lastSaved = ck.path;
        savedStep = s;
        say(`step ${next}: non-finite loss (${formatLosses(res)}); update skipped, rolled back to step ${s}${rollbacksHere >= 2 ? `, learning rate ×${backoff}` : ''}`);
        record({ event: 'nonfinite', step: next, losses: res, rollbackTo: s, checkpoint: ck.path, backoff });
        progress.update(s);
        continue;
      }

      s = next;
      dataState = state;
      history.add(s, res, lr);
      const entry: Record<string, unknown> = { step: s };
      for (const k of LOSS_KEYS) if (res[k] !== undefined) entry[k] = res[k];
      record({ ...entry, lr, ms: Math.round(ms * 10) / 10, waitMs: Math.round(waitMs * 10) / 10 });
      progress.update(s, `${formatLosses(res)}  lr ${lr.toExponential(1)}  data wait ${((100 * waitTotal) / stepTotal).toFixed(0)}%`);
      if (performance.now() >= deadline && !stop.requested) {
        stop.request('time limit');
        say(`time limit of ${opts.timeLimitS} s reached: saving a checkpoint and the generator`);
      }

      if (s % config.checkpointEvery === 0 || s === config.steps || stop.requested) {
        lastSaved = await save();
        rollbacksHere = 0;
      }
      if (config.validation && config.validateEvery > 0 && (s % config.validateEvery === 0 || s === config.steps)) {
        const v = await validate(config.validation, config.generator.scale, (x) => step!.upscale(x), { step: s, samplePath: join(samplesDir, `step-${s}.png`) });
        history.validation.push(v);
        record({ step: s, validation: v });
        say(`step ${s}: validation PSNR-Y ${v.psnr_y.toFixed(2)} dB, SSIM-Y ${v.ssim_y.toFixed(4)} (bicubic ${v.bicubic_psnr_y.toFixed(2)} dB)`);
        writeCurves();
      }
    }
    // A signal during validation can land after this step's checkpoint decision.
    if (stop.requested && savedStep !== s) lastSaved = await save();
    writeCurves();
    const dataWaitShare = stepTotal ? waitTotal / stepTotal : 0;
    const stopped = s < config.steps;
    progress.done(stopped ? `stopped at step ${s}` : `data wait ${(100 * dataWaitShare).toFixed(1)}%`);
    record({ event: stopped ? 'stop' : 'done', step: s, dataWaitShare, rollbacks });
    if (stopped) say(`stopped at step ${s}; checkpoint ${lastSaved}. Continue with --resume.`);
    // A stopped run still hands over its generator (Set5 scores are left to `--export` or
    // `vivid eval`, so that a stop stays prompt); at step 0 there is nothing trained to hand over.
    let exported: ExportResult | undefined;
    if (opts.export !== false && s > 0) exported = await doExport(!stopped);
    else if (stopped) say('nothing trained yet: no generator written');
    if (exported) say(useLine(exported.weightsPath, config));
    return { step: s, stopped, stopReason: stop.reason, checkpoint: lastSaved, rollbacks, backoff, dataWaitShare, exported };
  } finally {
    stop.log = stopLog;
    await loader?.close();
    step?.dispose();
    if (ownRuntime) rt.destroy();
  }
}
