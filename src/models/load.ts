// Loading and saving generators. A generator file is safetensors with our tensor names and
// the configuration in the metadata (`vivid.config`); PyTorch checkpoints are imported through
// the explicit name maps, with the architecture detected from names and shapes.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWeightsFile } from '../io/weights/index.ts';
import { writeSafetensors } from '../io/weights/safetensors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { NamedTensor } from '../io/weights/types.ts';
import type { GeneratorConfig } from './generator.ts';
import { floats, parseGeneratorFile, type LoadedGenerator } from './generator-file.ts';
import type { HostTensor } from '../graph/tensor.ts';
import { checkGeneratorWeights, parseGeneratorConfig } from './validate-config.ts';
import { detectPytorchGenerator, mapPytorchGenerator, type PytorchArch } from './pytorch-import.ts';
import { generatorToOnnx } from './onnx-export.ts';
import { packageVersion } from '../util/version.ts';

// The parser is browser-safe and lives apart; re-exported so Node callers keep one import.
export { parseGeneratorFile, type LoadedGenerator } from './generator-file.ts';

export const WEIGHTS_DIR = fileURLToPath(new URL('../../weights/', import.meta.url));

/** The built-in model used when none is named: the PSNR-trained SRResNet (GAN models are asked for by name). */
export const DEFAULT_BUILTIN = 'srresnet-x4';

/** Built-in names: the safetensors files shipped in weights/, without the extension; the default first. */
export function builtinModels(): string[] {
  if (!existsSync(WEIGHTS_DIR)) return [];
  return readdirSync(WEIGHTS_DIR)
    .filter((f) => f.endsWith('.safetensors'))
    .map((f) => basename(f, '.safetensors'))
    .sort((a, b) => Number(b === DEFAULT_BUILTIN) - Number(a === DEFAULT_BUILTIN) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Load a generator by built-in name, `.safetensors` path, or PyTorch `.pth` path
 * (architecture detected unless `arch` is given).
 */
export function loadGenerator(spec: string, opts: { arch?: PytorchArch } = {}): LoadedGenerator {
  const builtin = join(WEIGHTS_DIR, `${spec}.safetensors`);
  const path = !existsSync(spec) && existsSync(builtin) ? builtin : spec;
  if (!existsSync(path)) {
    throw new Error(`model '${spec}' not found: give a built-in name (${builtinModels().join(', ') || 'none shipped yet'}), a .safetensors file or a PyTorch .pth file`);
  }
  if (extname(path) === '.safetensors') return parseGeneratorFile(new Uint8Array(readFileSync(path)), path);
  const tensors = floats(loadWeightsFile(path), path);
  const detected = detectPytorchGenerator(tensors);
  const arch = opts.arch ?? detected.arch;
  const config = parseGeneratorConfig(detected.config, path, 'detected config');
  const weights = mapPytorchGenerator(tensors, arch, config);
  checkGeneratorWeights(config, weights, path);
  return { config, weights, source: path, arch, metadata: {} };
}

/** Write a generator as safetensors (atomically) with its config and extra metadata. */
export function saveGenerator(path: string, config: GeneratorConfig, weights: Map<string, HostTensor>, metadata: Record<string, string> = {}): void {
  const tensors = new Map<string, NamedTensor>();
  for (const [name, t] of weights) tensors.set(name, { name, shape: [...t.shape], dtype: 'F32', data: t.data });
  writeFileAtomic(path, writeSafetensors(tensors, { ...metadata, 'vivid.kind': 'generator', 'vivid.config': JSON.stringify(config) }));
}

/**
 * Write a generator (a built-in name, a .safetensors or PyTorch .pth path, or one already
 * loaded) as an ONNX model (atomically); returns the generator and the file's size.
 */
export function exportOnnx(model: string | LoadedGenerator, path: string, opts: { arch?: PytorchArch } = {}): { generator: LoadedGenerator; bytes: number } {
  if (extname(path) !== '.onnx') throw new Error(`ONNX output must end in .onnx, got ${path}`);
  const generator = typeof model === 'string' ? loadGenerator(model, opts) : model;
  const bytes = generatorToOnnx(generator, { producerVersion: packageVersion(), metadata: { 'vivid.source': basename(generator.source), 'vivid.arch': generator.arch } });
  writeFileAtomic(path, bytes);
  return { generator, bytes: bytes.length };
}
