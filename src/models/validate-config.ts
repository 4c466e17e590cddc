// A generator's configuration checked field by field, and against the tensors that come with
// it. A generator file is a config (JSON in the safetensors metadata) plus tensors; when the two
// disagree (a hand-edited config, a file renamed from another run) the model must be refused
// at load time, naming the file and the mismatch, not run with garbage or fail once per image.
// Browser-safe (no Node modules): web/upscaler.ts parses generator files too.

import { checkers, type Checker, type Checkers } from '../util/fields.ts';
import type { GeneratorConfig } from './generator.ts';

const GENERATOR_FIELDS: Record<keyof GeneratorConfig, (c: Checkers) => Checker> = {
  scale: (c) => c.oneOf(2, 4, 8),
  blocks: (c) => c.num(0, 64, { int: true }),
  channels: (c) => c.num(1, 1024, { int: true }),
  batchNorm: (c) => c.oneOf(true, false),
  prelu: (c) => c.oneOf('channel', 'shared'),
  blockBias: (c) => c.oneOf(true, false),
  post: (c) => c.oneOf('conv-bn', 'conv-prelu'),
  head: (c) => c.oneOf('tanh', 'shift', 'linear'),
  skip: (c) => (v, f) => v === undefined || c.oneOf('none', 'bicubic')(v, f),
};

/** Check one generator field (`prefix.key`); unknown keys are errors. */
export function checkGeneratorField(c: Checkers, key: string, value: unknown, prefix: string): void {
  const check = GENERATOR_FIELDS[key as keyof GeneratorConfig];
  if (!check) c.fail(`${prefix}.${key}`, `unknown field (known: ${Object.keys(GENERATOR_FIELDS).join(', ')})`);
  check(c)(value, `${prefix}.${key}`);
}

/** A complete generator config from untrusted JSON (every field but `skip` required). */
export function parseGeneratorConfig(json: unknown, source: string, prefix: string): GeneratorConfig {
  const c = checkers(source);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) c.fail(prefix, `expected a JSON object, got ${JSON.stringify(json)}`);
  const raw = json as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) checkGeneratorField(c, key, value, prefix);
  for (const key of Object.keys(GENERATOR_FIELDS)) {
    if (key !== 'skip' && raw[key] === undefined) c.fail(`${prefix}.${key}`, 'is missing');
  }
  return raw as unknown as GeneratorConfig;
}

/** Every tensor a generator with this config has (see Generator and its layers), by name → shape (HWIO convs). */
export function generatorTensorShapes(c: GeneratorConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const n = c.channels;
  const slopes = c.prelu === 'channel' ? n : 1;
  const conv = (name: string, k: number, cin: number, cout: number, bias: boolean) => {
    shapes.set(`${name}.w`, [k, k, cin, cout]);
    if (bias) shapes.set(`${name}.b`, [cout]);
  };
  const bn = (name: string) => {
    for (const p of ['gamma', 'beta', 'running_mean', 'running_var']) shapes.set(`${name}.${p}`, [n]);
  };
  conv('head.conv', 9, 3, n, true);
  shapes.set('head.prelu.alpha', [slopes]);
  for (let i = 0; i < c.blocks; i++) {
    conv(`blocks.${i}.conv1`, 3, n, n, c.blockBias);
    if (c.batchNorm) bn(`blocks.${i}.bn1`);
    shapes.set(`blocks.${i}.prelu.alpha`, [slopes]);
    conv(`blocks.${i}.conv2`, 3, n, n, c.blockBias);
    if (c.batchNorm) bn(`blocks.${i}.bn2`);
  }
  conv('post.conv', 3, n, n, c.blockBias);
  if (c.post === 'conv-bn' && c.batchNorm) bn('post.bn');
  if (c.post === 'conv-prelu') shapes.set('post.prelu.alpha', [slopes]);
  for (let j = 0; j < Math.log2(c.scale); j++) {
    conv(`up.${j}.conv`, 3, n, 4 * n, true);
    shapes.set(`up.${j}.prelu.alpha`, [slopes]);
  }
  conv('tail.conv', 9, n, 3, true);
  return shapes;
}

/** What the tensors themselves suggest (for the error message): blocks, channels, scale. */
function describeTensors(weights: Map<string, { shape: readonly number[] }>): string {
  const blocks = new Set([...weights.keys()].flatMap((k) => /^blocks\.(\d+)\./.exec(k)?.[1] ?? [])).size;
  const ups = new Set([...weights.keys()].flatMap((k) => /^up\.(\d+)\./.exec(k)?.[1] ?? [])).size;
  const head = weights.get('head.conv.w')?.shape;
  const channels = head?.length === 4 ? head[3] : '?';
  return `the tensors look like blocks ${blocks}, channels ${channels}, scale ${2 ** ups}`;
}

/**
 * Refuse weights that do not fit the config exactly: a missing tensor, a shape that differs
 * (a permuted one with the same element count included), or a tensor the model would not use.
 */
export function checkGeneratorWeights(config: GeneratorConfig, weights: Map<string, { shape: readonly number[] }>, source: string): void {
  const expected = generatorTensorShapes(config);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = weights.get(name);
    if (!t) problems.push(`missing ${name} [${shape}]`);
    else if (t.shape.join(',') !== shape.join(',')) problems.push(`${name} is [${t.shape}], the config needs [${shape}]`);
  }
  for (const [name, t] of weights) if (!expected.has(name)) problems.push(`unused tensor ${name} [${t.shape}]`);
  if (!problems.length) return;
  const shown = problems.slice(0, 6).join('; ') + (problems.length > 6 ? `; and ${problems.length - 6} more` : '');
  throw new Error(
    `${source}: the generator config (${JSON.stringify(config)}) does not match the file's tensors: ${shown} — ${describeTensors(weights)}. ` +
      'The file is damaged or its config was edited; re-export it from its training run or re-convert it.',
  );
}
