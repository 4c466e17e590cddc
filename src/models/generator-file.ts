// Parsing a viVID generator file (safetensors bytes → config + weights). Kept apart from
// load.ts, which reads files with node:fs, so that a browser bundle can parse weights it
// fetched without pulling Node modules in.

import { readSafetensors } from '../io/weights/safetensors.ts';
import type { NamedTensor } from '../io/weights/types.ts';
import type { GeneratorConfig } from './generator.ts';
import type { HostTensor } from '../graph/tensor.ts';
import type { PytorchArch } from './pytorch-import.ts';
import { checkGeneratorWeights, parseGeneratorConfig } from './validate-config.ts';

export interface LoadedGenerator {
  config: GeneratorConfig;
  weights: Map<string, HostTensor>;
  /** Where it came from and what it is, for messages and model cards. */
  source: string;
  arch: PytorchArch | 'vivid';
  metadata: Record<string, string>;
}

export function floats(tensors: Map<string, NamedTensor>, source: string): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of tensors) {
    if (name.endsWith('num_batches_tracked')) continue;
    if (!(t.data instanceof Float32Array)) throw new Error(`${source}: tensor ${name} is ${t.dtype}, expected float`);
    out.set(name, { shape: t.shape, data: t.data });
  }
  return out;
}

export function parseGeneratorFile(bytes: Uint8Array, source: string): LoadedGenerator {
  const { tensors, metadata } = readSafetensors(bytes, source);
  const raw = metadata['vivid.config'];
  if (!raw) throw new Error(`${source}: safetensors file has no 'vivid.config' metadata — not a viVID generator (import PyTorch checkpoints with \`vivid convert\`)`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${source}: 'vivid.config' metadata is not valid JSON`);
  }
  const config = parseGeneratorConfig(json, source, 'vivid.config');
  const weights = floats(tensors, source);
  checkGeneratorWeights(config, weights, source);
  return { config, weights, source, arch: 'vivid', metadata };
}
