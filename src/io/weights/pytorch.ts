// PyTorch checkpoints (torch.save of a state_dict), in both on-disk formats:
//  - zip (torch ≥ 1.6): <root>/data.pkl is the pickle, <root>/data/<key> the raw storages;
//  - legacy (older, or _use_new_zipfile_serialization=False): five pickles back to back
//    (magic number, protocol version, system info, the object, the storage keys), then each
//    storage as an int64 element count followed by its raw bytes.
// Tensors in the pickle are calls to torch._utils._rebuild_tensor(_v2) on a storage given by a
// persistent id; we resolve only those names (see GLOBALS) and never run pickled code.

import { FILE_DTYPE_SIZE, allocLike, decodeElements, loadedDType, type FileDType } from './dtypes.ts';
import { PyCallable, SET_STATE, describe, unpickle, type UnpickleOptions } from './pickle.ts';
import { type NamedTensor, WeightsFormatError, numel } from './types.ts';
import { ZipArchive, isZip } from './zip.ts';

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** A storage as named by a persistent id; `base`/`baseOffset` describe legacy storage views. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: FileDType,
    readonly numel: number,
    readonly base?: StorageRef,
    readonly baseOffset = 0,
  ) {}
}

/** The torch.*Storage classes: markers naming an element type, never called. */
class StorageType {
  constructor(readonly qualname: string, readonly dtype: FileDType) {}
}

/** A tensor as described by the pickle, materialised once the storage bytes are known. */
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** The OrderedDict a state_dict is; BUILD gives it `_metadata` (module versions), which we keep aside. */
class PyOrderedDict extends Map<unknown, unknown> {
  state: unknown;
  [SET_STATE](state: unknown): void { this.state = state; }
}

/** Marker types accepted by torch._tensor._rebuild_from_type_v2 (plain tensors and Parameters). */
const TENSOR_TYPE = new PyCallable('torch.Tensor', () => { throw new Error('torch.Tensor cannot be called here'); });
const PARAMETER_TYPE = new PyCallable('torch.nn.parameter.Parameter', () => { throw new Error('Parameter cannot be called here'); });

const STORAGE_DTYPES: Record<string, FileDType> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16',
  LongStorage: 'I64', IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8',
  ByteStorage: 'U8', BoolStorage: 'BOOL',
};

function rebuildTensor(args: readonly unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) throw new Error(`expected a storage, got ${describe(storage)}`);
  if (!isIndex(offset)) throw new Error(`bad storage offset ${String(offset)}`);
  if (!isIndexArray(size)) throw new Error('bad tensor size');
  if (!isIndexArray(stride) || stride.length !== size.length) throw new Error('bad tensor stride');
  return new TensorRef(storage, offset, [...size], [...stride]);
}

const GLOBALS = new Map<string, unknown>([
  ['collections.OrderedDict', new PyCallable('collections.OrderedDict', (args) => {
    const d = new PyOrderedDict();
    const init = args[0];
    if (init instanceof Map) for (const [k, v] of init) d.set(k, v);
    else if (Array.isArray(init)) for (const kv of init) if (Array.isArray(kv) && kv.length === 2) d.set(kv[0], kv[1]);
    return d;
  })],
  // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
  ['torch._utils._rebuild_tensor_v2', new PyCallable('torch._utils._rebuild_tensor_v2', rebuildTensor)],
  ['torch._utils._rebuild_tensor', new PyCallable('torch._utils._rebuild_tensor', rebuildTensor)],
  // (data, requires_grad, backward_hooks[, state]): a Parameter is just its tensor for us.
  ['torch._utils._rebuild_parameter', new PyCallable('torch._utils._rebuild_parameter', (args) => asTensor(args[0]))],
  ['torch._utils._rebuild_parameter_with_state', new PyCallable('torch._utils._rebuild_parameter_with_state', (args) => asTensor(args[0]))],
  // (func, new_type, args, state): how torch ≥ 2 pickles a tensor of a (sub)class.
  ['torch._tensor._rebuild_from_type_v2', new PyCallable('torch._tensor._rebuild_from_type_v2', (args) => {
    const [func, type, inner] = args;
    if (type !== TENSOR_TYPE && type !== PARAMETER_TYPE) throw new Error(`tensor subclass ${describe(type)} is not supported`);
    if (!(func instanceof PyCallable) || !Array.isArray(inner)) throw new Error('malformed arguments');
    return asTensor(func.call(inner));
  })],
  ['torch.Tensor', TENSOR_TYPE],
  ['torch.nn.parameter.Parameter', PARAMETER_TYPE],
  ...Object.entries(STORAGE_DTYPES).map(([n, t]): [string, unknown] => [`torch.${n}`, new StorageType(`torch.${n}`, t)]),
]);

const GLOBALS_BY_PAIR = new Map([...GLOBALS].map(([qualname, v]) => {
  const dot = qualname.lastIndexOf('.');
  return [`${qualname.slice(0, dot)}\n${qualname.slice(dot + 1)}`, v];
}));

function asTensor(v: unknown): TensorRef {
  if (!(v instanceof TensorRef)) throw new Error(`expected a tensor, got ${describe(v)}`);
  return v;
}

/** Load every tensor of a PyTorch checkpoint. Nested dicts (e.g. {'model': state_dict}) give
 *  dotted names ('model.conv.weight'); values that are not tensors (epoch counters ...) are skipped. */
export function readPytorch(bytes: Uint8Array, source = 'PyTorch checkpoint'): Map<string, NamedTensor> {
  try {
    if (isZip(bytes)) return readZipCheckpoint(bytes, source);
    if (bytes.length > 0 && bytes[0] === 0x80) return readLegacyCheckpoint(bytes, source);
  } catch (e) {
    if (e instanceof WeightsFormatError) throw e;
    // Safety net: malformed input must surface as a file problem, not an internal TypeError.
    throw new WeightsFormatError(`${source}: damaged checkpoint (${(e as Error).message})`);
  }
  throw new WeightsFormatError(`${source}: not a PyTorch checkpoint (neither a zip archive nor a pickle)`);
}

function pickleOptions(source: string, persistentLoad: (pid: unknown) => unknown): UnpickleOptions {
  return {
    source,
    // Exact (module, name) match: 'torch' + '_utils._rebuild_tensor_v2' must not alias an entry.
    resolveGlobal: (module, name) => GLOBALS_BY_PAIR.get(`${module}\n${name}`),
    persistentLoad,
  };
}

/** Persistent ids look like ('storage', torch.FloatStorage, key, location, numel[, view_metadata]). */
function storageLoader(source: string): (pid: unknown) => StorageRef {
  const cache = new Map<string, StorageRef>();
  return (pid) => {
    if (!Array.isArray(pid) || pid[0] !== 'storage') {
      const kind = Array.isArray(pid) && typeof pid[0] === 'string' ? `'${pid[0]}'` : describe(pid);
      throw new WeightsFormatError(
        `refusing to load ${source}: it pickles a ${kind} object rather than tensor storages (save model.state_dict() instead)`);
    }
    const [, type, key, , size, view] = pid as unknown[];
    if (!(type instanceof StorageType)) throw new WeightsFormatError(`${source}: storage type ${describe(type)} is not supported`);
    if (typeof key !== 'string' || !isIndex(size)) throw new WeightsFormatError(`${source}: malformed storage id`);
    let root = cache.get(key);
    if (!root) {
      root = new StorageRef(key, type.dtype, size);
      cache.set(key, root);
    } else if (root.dtype !== type.dtype) {
      throw new WeightsFormatError(`${source}: storage ${key} is used with two element types`);
    }
    if (view === undefined || view === null) return root;
    // Legacy views: (view_key, offset, view_size) into the root storage, in elements.
    const [vkey, voff, vsize] = Array.isArray(view) ? view : [];
    if (typeof vkey !== 'string' || !isIndex(voff) || !isIndex(vsize) || voff + vsize > size) {
      throw new WeightsFormatError(`${source}: malformed storage view of ${key}`);
    }
    return new StorageRef(vkey, type.dtype, vsize, root, voff);
  };
}

// ---- zip format ----

function readZipCheckpoint(bytes: Uint8Array, source: string): Map<string, NamedTensor> {
  const zip = new ZipArchive(bytes, source);
  const pkls = [...zip.entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    throw new WeightsFormatError(`${source}: a PyTorch zip checkpoint has one <root>/data.pkl; found ${pkls.length}`);
  }
  const root = pkls[0]!.slice(0, -'data.pkl'.length);
  const order = zip.entries.get(`${root}byteorder`);
  if (order && new TextDecoder().decode(zip.read(order.name)) !== 'little') {
    throw new WeightsFormatError(`${source}: big-endian checkpoints are not supported`);
  }
  const pkl = zip.read(pkls[0]!);
  const { value, end } = unpickle(pkl, 0, pickleOptions(`${source} (${pkls[0]})`, storageLoader(source)));
  if (end !== pkl.length) throw new WeightsFormatError(`${source}: ${pkl.length - end} stray bytes after the pickle in data.pkl`);
  const storages = new Map<string, Uint8Array>();
  return collect(value, source, (ref) => {
    let data = storages.get(ref.key);
    if (!data) {
      const name = `${root}data/${ref.key}`;
      if (!zip.entries.has(name)) throw new WeightsFormatError(`${source}: storage ${ref.key} is missing (no ${name} in the archive)`);
      data = zip.read(name);
      storages.set(ref.key, data);
    }
    const need = ref.numel * FILE_DTYPE_SIZE[ref.dtype];
    if (data.length < need) {
      throw new WeightsFormatError(`${source}: storage ${ref.key} has ${data.length} bytes but ${ref.numel} ${ref.dtype} elements need ${need}`);
    }
    return { bytes: data, start: 0 };
  });
}

// ---- legacy format ----

function readLegacyCheckpoint(bytes: Uint8Array, source: string): Map<string, NamedTensor> {
  const plain: UnpickleOptions = { source, resolveGlobal: () => undefined };
  const magic = unpickle(bytes, 0, plain);
  if (magic.value !== LEGACY_MAGIC) {
    throw new WeightsFormatError(`${source}: starts with a pickle but not with PyTorch's magic number (not a PyTorch checkpoint?)`);
  }
  const proto = unpickle(bytes, magic.end, plain);
  if (proto.value !== LEGACY_PROTOCOL) throw new WeightsFormatError(`${source}: unsupported legacy protocol ${String(proto.value)}`);
  const sysInfo = unpickle(bytes, proto.end, plain);
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new WeightsFormatError(`${source}: big-endian checkpoints are not supported`);
  }
  const loader = storageLoader(source);
  const roots = new Map<string, StorageRef>();
  const main = unpickle(bytes, sysInfo.end, pickleOptions(source, (pid) => {
    const ref = loader(pid);
    const root = ref.base ?? ref;
    roots.set(root.key, root);
    return ref;
  }));
  const keys = unpickle(bytes, main.end, plain);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw new WeightsFormatError(`${source}: the storage key list is damaged`);
  }

  // Storages follow in key-list order: int64 element count, then the raw elements.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const located = new Map<string, number>();
  let pos = keys.end;
  for (const key of keys.value as string[]) {
    const ref = roots.get(key);
    if (!ref) throw new WeightsFormatError(`${source}: storage ${key} is listed but no tensor uses it`);
    if (pos + 8 > bytes.length) throw truncated(source, key, pos + 8, bytes.length);
    const count = view.getBigInt64(pos, true);
    if (count !== BigInt(ref.numel)) {
      throw new WeightsFormatError(`${source}: storage ${key} holds ${count} elements but the pickle says ${ref.numel}`);
    }
    const end = pos + 8 + ref.numel * FILE_DTYPE_SIZE[ref.dtype];
    if (end > bytes.length) throw truncated(source, key, end, bytes.length);
    located.set(key, pos + 8);
    pos = end;
  }
  if (pos !== bytes.length) throw new WeightsFormatError(`${source}: ${bytes.length - pos} unexpected bytes after the last storage`);
  return collect(main.value, source, (ref) => {
    const start = located.get(ref.key);
    if (start === undefined) throw new WeightsFormatError(`${source}: storage ${ref.key} is used but its data is missing`);
    return { bytes, start };
  });
}

function truncated(source: string, key: string, need: number, have: number): WeightsFormatError {
  return new WeightsFormatError(`${source}: truncated: storage ${key} needs the file to reach byte ${need} but it has ${have} bytes`);
}

// ---- from pickled objects to NamedTensors ----

type StorageBytes = (root: StorageRef) => { bytes: Uint8Array; start: number };

function collect(value: unknown, source: string, storageBytes: StorageBytes): Map<string, NamedTensor> {
  if (!(value instanceof Map)) throw new WeightsFormatError(`${source}: holds ${describe(value)}, not a state_dict`);
  const out = new Map<string, NamedTensor>();
  const seen = new Set<unknown>(); // pickles may share or even cycle objects; visit each dict once
  const walk = (d: Map<unknown, unknown>, prefix: string): void => {
    if (seen.has(d)) return;
    seen.add(d);
    for (const [k, v] of d) {
      if (typeof k !== 'string' && typeof k !== 'number') continue;
      const name = prefix + String(k);
      if (v instanceof TensorRef) out.set(name, materialise(name, v, source, storageBytes));
      else if (v instanceof Map) walk(v, `${name}.`);
    }
  };
  walk(value, '');
  if (out.size === 0) throw new WeightsFormatError(`${source}: contains no tensors`);
  return out;
}

/** Copy a tensor's elements out of its storage in row-major order, honouring offset and strides
 *  (non-contiguous and broadcast tensors are gathered element by element). */
function materialise(name: string, t: TensorRef, source: string, storageBytes: StorageBytes): NamedTensor {
  const root = t.storage.base ?? t.storage;
  const offset = t.offset + t.storage.baseOffset;
  const n = numel(t.size);
  const dtype = loadedDType(root.dtype);
  const tensor = (data: NamedTensor['data']): NamedTensor => {
    const r: NamedTensor = { name, shape: t.size, dtype, data };
    if (dtype !== root.dtype) r.sourceDtype = root.dtype;
    return r;
  };
  if (n === 0) return tensor(decodeElements(new Uint8Array(0), 0, 0, root.dtype));

  let last = t.offset; // highest element index the view touches, within its own storage
  for (let i = 0; i < t.size.length; i++) last += (t.size[i]! - 1) * t.stride[i]!;
  if (last >= t.storage.numel) {
    throw new WeightsFormatError(
      `${source}: tensor ${name} [${t.size}] (offset ${t.offset}, strides [${t.stride}]) reaches element ${last} ` +
      `of a storage with ${t.storage.numel} elements`);
  }
  const { bytes, start } = storageBytes(root);
  const size = FILE_DTYPE_SIZE[root.dtype];
  const span = decodeElements(bytes, start + offset * size, last - t.offset + 1, root.dtype);
  if (span.length === n && isContiguous(t.size, t.stride)) return tensor(span);

  // Only broadcast (stride-0) views can be larger than their storage; cap them so a damaged
  // stride cannot make us allocate gigabytes.
  if (n > span.length && n > 1 << 28) throw new WeightsFormatError(`${source}: tensor ${name} [${t.size}] is a broadcast view too large to materialise`);
  const out = allocLike(span, n);
  const idx = new Array<number>(t.size.length).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    (out as unknown as unknown[])[i] = (span as unknown as unknown[])[src];
    // Odometer increment over the row-major index, tracking the strided source position.
    for (let d = t.size.length - 1; d >= 0; d--) {
      if (++idx[d]! < t.size[d]!) { src += t.stride[d]!; break; }
      src -= (t.size[d]! - 1) * t.stride[d]!;
      idx[d] = 0;
    }
  }
  return tensor(out);
}

function isContiguous(size: number[], stride: number[]): boolean {
  let expect = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expect) return false;
    expect *= size[d]!;
  }
  return true;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isIndexArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isIndex);
}
