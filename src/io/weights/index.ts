// One entry point for weight files: the format is chosen by content, not by file extension
// (.pth, .pt, .bin and .ckpt are all used for PyTorch files; safetensors files get renamed too).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readPytorch } from './pytorch.ts';
import { readSafetensors } from './safetensors.ts';
import { readTfjsLayersModel } from './tfjs.ts';
import { type NamedTensor, WeightsFormatError } from './types.ts';
import { isZip } from './zip.ts';

export { readPytorch } from './pytorch.ts';
export { readSafetensors, writeSafetensors, type SafetensorsContents } from './safetensors.ts';
export { readTfjsLayersModel } from './tfjs.ts';
export { type DType, type NamedTensor, type TensorData, WeightsFormatError } from './types.ts';

export type WeightsFormat = 'safetensors' | 'pytorch' | 'tfjs';

/** Which reader a file or folder needs, or undefined when none applies. */
export function detectWeightsFormat(path: string): WeightsFormat | undefined {
  if (statSync(path).isDirectory()) return existsSync(join(path, 'model.json')) ? 'tfjs' : undefined;
  if (basename(path) === 'model.json') return 'tfjs';
  return detectBytes(readFileSync(path));
}

function detectBytes(bytes: Uint8Array): WeightsFormat | undefined {
  if (isZip(bytes) || bytes[0] === 0x80) return 'pytorch'; // zip archive / pickle PROTO opcode
  // safetensors: u64 header length that fits in the file, then a JSON object.
  if (bytes.length >= 10) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
    if (n >= 2n && n <= BigInt(bytes.length - 8) && bytes[8] === 0x7b /* { */) return 'safetensors';
  }
  return undefined;
}

/** Load every tensor of a safetensors file, PyTorch checkpoint or tfjs model folder. */
export function loadWeightsFile(path: string): Map<string, NamedTensor> {
  if (!existsSync(path)) throw new WeightsFormatError(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    if (!existsSync(join(path, 'model.json'))) {
      throw new WeightsFormatError(`${path}: is a folder without model.json (not a tfjs model)`);
    }
    return readTfjsLayersModel(path);
  }
  if (basename(path) === 'model.json') return readTfjsLayersModel(path);
  const bytes = readFileSync(path);
  switch (detectBytes(bytes)) {
    case 'pytorch': return readPytorch(bytes, path);
    case 'safetensors': return readSafetensors(bytes, path).tensors;
    default: {
      const head = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new WeightsFormatError(
        `${path}: unknown weights format (not safetensors, a PyTorch checkpoint or a tfjs model; first bytes: ${head || 'none, the file is empty'})`);
    }
  }
}
