// `vivid train --config <file.json> [--resume] [--steps N] [--time-limit T] [--out DIR] [--export]`
// Trains SRResNet / SRGAN with the loop of src/train/run.ts. See docs/TRAINING.md.

import { parseCommand, type CommandSpec } from './args.ts';
import { backendOption } from './common.ts';
import { loadConfig } from '../train/config.ts';
import { train } from '../train/run.ts';
import { exitStatus, installSignalStop, StopRequest } from '../train/stop.ts';

export const spec = {
  name: 'train',
  usage: '--config <file.json> [options]',
  options: {
    config: { type: 'string', short: 'c', value: '<file>', required: true, help: 'training configuration (docs/TRAINING.md; examples in configs/)' },
    resume: { type: 'boolean', help: 'continue from the newest valid checkpoint in <out>/checkpoints' },
    'new-data-order': { type: 'boolean', help: 'with --resume: the data folders changed since the checkpoint; keep\nweights, optimiser and step, and draw a fresh data order over the new data' },
    steps: { type: 'string', value: '<N>', help: 'train up to step N instead of the config\'s "steps"' },
    'time-limit': { type: 'string', value: '<T>', help: 'stop cleanly (checkpoint, generator, exit 0) after T of training: 90s, 45m, 8h' },
    out: { type: 'string', value: '<dir>', help: 'output folder instead of the config\'s "out" (default runs/<config name>)' },
    export: { type: 'boolean', help: 'write <out>/generator.safetensors and model-card.json from the newest\ncheckpoint, without training' },
    vgg: { type: 'string', value: '<dir>', help: 'VGG19 weights for the gan stage (default $VIVID_SHARED or ../shared,\nweights/vgg19-keras-tfjs)' },
    'decode-workers': { type: 'string', value: '<N>', help: 'threads decoding training images ahead (default: free cores, ≤ 4)' },
    'inline-decode': { type: 'boolean', help: 'decode training images on the main thread instead of workers' },
  },
  notes: 'Every stop (the last step, --time-limit, SIGINT / SIGTERM) leaves a checkpoint and an\nup-to-date <out>/generator.safetensors + model-card.json. SIGINT / SIGTERM finish the current\nstep first and exit 130 / 143; a second signal quits at once.',
} as const satisfies CommandSpec;

export async function run(args: string[]): Promise<number> {
  // Before anything else: a signal during start-up (GPU, VGG, data) must not be lost.
  const stop = new StopRequest();
  const uninstall = installSignalStop(stop);
  try {
    return await trainCommand(args, stop);
  } finally {
    uninstall();
  }
}

async function trainCommand(args: string[], stop: StopRequest): Promise<number> {
  const { values } = parseCommand(spec, args);
  const config = loadConfig(values.config);
  if (values.steps !== undefined) {
    const n = Number(values.steps);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--steps must be a non-negative integer, got '${values.steps}'`);
    config.steps = n;
  }
  if (values.out) config.out = values.out;
  const backend = backendOption(values.backend);
  const result = await train(config, {
    resume: values.resume,
    newDataOrder: values['new-data-order'],
    exportOnly: values.export,
    vggDir: values.vgg,
    backend,
    worker: !values['inline-decode'],
    decodeWorkers: decodeWorkers(values['decode-workers']),
    stop,
    timeLimitS: values['time-limit'] === undefined ? undefined : parseDuration(values['time-limit']),
  });
  if (values.json) console.log(JSON.stringify(result));
  if (!values.export) console.error(`data wait: ${(100 * result.dataWaitShare).toFixed(1)}% of step time${result.rollbacks ? `; ${result.rollbacks} non-finite rollback(s), lr factor ${result.backoff}` : ''}`);
  return exitStatus(result.stopReason);
}

/** '90s' / '45m' / '8h' / '600' (seconds) → seconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(v.trim());
  if (!m || Number(m[1]) <= 0) throw new Error(`--time-limit must be a positive duration like 90s, 45m or 8h, got '${v}'`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

function decodeWorkers(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`--decode-workers must be an integer 1…64, got '${v}'`);
  return n;
}
