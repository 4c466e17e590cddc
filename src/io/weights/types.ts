// Shared shapes for every weight-file reader and writer.

/** Element types a loaded tensor may have. Half, bfloat16 and float64 are widened or narrowed
 *  to F32 on load (the engine computes in f32); integer tensors keep their width so values such
 *  as `num_batches_tracked` (int64) survive exactly. */
export type DType = 'F32' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'U16' | 'U32' | 'U64' | 'BOOL';

export type TensorData =
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

export interface NamedTensor {
  name: string;
  /** Row-major (C-contiguous) shape as written by the producer (PyTorch OIHW, Keras HWIO ...). */
  shape: number[];
  dtype: DType;
  data: TensorData;
  /** The element type in the file when it differs from `dtype` (e.g. 'F16' widened to F32). */
  sourceDtype?: string;
}

/** Every problem with a weight file's contents is reported with this error, so callers can tell
 *  "bad file" from a bug. The message always names the file (or what stands in for it). */
export class WeightsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WeightsFormatError';
  }
}

/** Product of a shape's dimensions (1 for a scalar). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
