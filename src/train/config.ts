// Training configuration files: JSON → TrainConfig with defaults and validation. Every field
// is documented in docs/TRAINING.md. Unknown fields are errors (a typo must not silently fall
// back to a default), and every error names the field and what was expected.

import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { PAPER_SRRESNET } from '../models/generator.ts';
import { VGG19_LAYERS } from '../models/vgg19.ts';
import type { TrainConfig } from './types.ts';
import { checkers, type Checker, type Checkers } from '../util/fields.ts';
import { checkGeneratorField } from '../models/validate-config.ts';

export { ConfigError } from '../util/fields.ts';

/** Defaults: the paper's SRResNet pretraining where it says, practical values elsewhere. */
export function defaultConfig(): TrainConfig {
  return {
    stage: 'mse',
    generator: { ...PAPER_SRRESNET },
    data: [],
    validateEvery: 1000,
    batchSize: 16,
    patchSize: 96,
    patchesPerImage: 16,
    blurSigma: 0,
    steps: 100_000,
    lr: 1e-4,
    decayEvery: 0,
    decayFactor: 0.1,
    beta1: 0.9,
    beta2: 0.999,
    seed: 0,
    vggLayers: ['block3_conv3'],
    vggScale: 1 / (12.75 * 255), // the paper's 1/12.75 for features of 0–255 (caffe) input: see TrainConfig.vggScale
    adversarialWeight: 1e-3,
    discriminatorWidth: 1,
    pixelWeight: 0,
    checkpointEvery: 1000,
    keepCheckpoints: 3,
    out: 'runs/train',
  };
}

const FIELDS: Record<Exclude<keyof TrainConfig, 'generator'>, (c: Checkers) => Checker> = {
  stage: (c) => c.oneOf('mse', 'gan'),
  data: (c) => c.strings,
  validation: (c) => c.str,
  validateEvery: (c) => c.num(0, Infinity, { int: true }),
  batchSize: (c) => c.num(1, 4096, { int: true }),
  patchSize: (c) => c.num(1, 4096, { int: true }),
  patchesPerImage: (c) => c.num(1, Infinity, { int: true }),
  blurSigma: (c) => c.num(0, 100),
  steps: (c) => c.num(0, Infinity, { int: true }),
  lr: (c) => c.num(0, 1, { exclusiveMin: true }),
  decayEvery: (c) => c.num(0, Infinity, { int: true }),
  decayFactor: (c) => c.num(0, 1, { exclusiveMin: true }),
  beta1: (c) => c.num(0, 0.999999),
  beta2: (c) => c.num(0, 0.999999999),
  seed: (c) => c.num(0, 2 ** 32 - 1, { int: true }),
  vggLayers: (c) => (v, f) => {
    c.strings(v, f);
    const names = VGG19_LAYERS.map((l) => l.name);
    (v as string[]).forEach((l, i) => {
      if (!names.includes(l)) c.fail(`${f}[${i}]`, `unknown VGG19 layer '${l}' (block1_conv1 … block5_conv4)`);
    });
  },
  vggScale: (c) => c.num(0, Infinity, { exclusiveMin: true }),
  adversarialWeight: (c) => c.num(0),
  discriminatorWidth: (c) => c.num(1 / 64, 4),
  pixelWeight: (c) => c.num(0),
  init: (c) => c.str,
  checkpointEvery: (c) => c.num(1, Infinity, { int: true }),
  keepCheckpoints: (c) => c.num(1, Infinity, { int: true }),
  out: (c) => c.str,
};

/** Defaults filled in, every field checked, cross-field rules applied. */
export function parseConfig(json: unknown, source = 'config'): TrainConfig {
  const c = checkers(source);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) c.fail('(top level)', 'expected a JSON object');
  const raw = json as Record<string, unknown>;
  const config = defaultConfig() as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith('//') || key === '$comment') continue; // comments in JSON
    if (key === 'generator') continue;
    const check = FIELDS[key as keyof typeof FIELDS];
    if (!check) c.fail(key, `unknown field (known: generator, ${Object.keys(FIELDS).join(', ')})`);
    check(c)(value, key);
    config[key] = value;
  }
  if (raw.generator !== undefined) {
    const g = raw.generator;
    if (typeof g !== 'object' || g === null || Array.isArray(g)) c.fail('generator', 'expected an object');
    const gen = { ...PAPER_SRRESNET } as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(g as Record<string, unknown>)) {
      checkGeneratorField(c, key, value, 'generator');
      gen[key] = value;
    }
    config.generator = gen;
  }
  const t = config as unknown as TrainConfig;
  if (!t.data.length) c.fail('data', 'is required: a list of folders with HR training images');
  if (t.patchSize % t.generator.scale !== 0) c.fail('patchSize', `must be a multiple of generator.scale (${t.generator.scale}), got ${t.patchSize}`);
  if (t.stage === 'gan' && t.patchSize % 16 !== 0) c.fail('patchSize', `the gan stage's discriminator halves the patch four times: must be a multiple of 16, got ${t.patchSize}`);
  return t;
}

/** Read a config file; `out` defaults to runs/<file name without extension>. */
export function loadConfig(path: string): TrainConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read config '${path}': ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const config = parseConfig(json, path);
  if ((json as Record<string, unknown>).out === undefined) config.out = join('runs', basename(path, extname(path)));
  return config;
}

/** Learning rate at a step (1-based): step decay, times the NaN back-off factor. */
export function learningRate(config: TrainConfig, step: number, backoff = 1): number {
  const decays = config.decayEvery > 0 ? Math.floor((step - 1) / config.decayEvery) : 0;
  return config.lr * config.decayFactor ** decays * backoff;
}
