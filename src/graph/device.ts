// Device acquisition through Dawn (npm `webgpu`) in Node, or navigator.gpu in a browser.
// Backends: 'vulkan' (core feature level; lavapipe on CPU-only machines) and 'opengl'
// (compatibility feature level on EGL surfaceless; llvmpipe on CPU-only machines).
// 'auto' prefers Vulkan on hardware and OpenGL on software adapters (llvmpipe runs the work
// inside submit and needs no tick throttling; measurements in docs/BENCHMARKS.md).

import { configureShaderCache } from './shader-cache.ts';

export type Backend = 'auto' | 'vulkan' | 'opengl' | 'browser';

/** The backends a caller can ask for in Node (VIVID_BACKEND, --backend, the API's option). */
export const NODE_BACKENDS = ['auto', 'vulkan', 'opengl'] as const;

export function isNodeBackend(v: unknown): v is (typeof NODE_BACKENDS)[number] {
  return (NODE_BACKENDS as readonly unknown[]).includes(v);
}

export interface Gpu {
  device: GPUDevice;
  /** Absent when the caller brought its own device (Runtime.fromGpu). */
  adapter?: GPUAdapter;
  backend: Exclude<Backend, 'auto'>;
  info: GPUAdapterInfo;
  /** The Dawn instance (Node) — must stay referenced for the life of the process. */
  instance: GPU;
  /** Undoes what acquiring this device set up in the process (the lavapipe tick throttle);
   *  Runtime.destroy calls it. */
  release?: () => void;
}

/** Limits our kernels want; each is clamped to what the adapter offers. */
const WANTED_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

// Dawn instances are kept here for the life of the process: if the object create()
// returns is garbage-collected while a device lives, dawn.node segfaults.
const liveInstances: GPU[] = [];

export class GpuUnavailableError extends Error {
  constructor(message: string) {
    super(
      `${message}\nNo WebGPU adapter. On a CPU-only Debian machine run \`npm run setup\` ` +
        `(as root it installs Mesa's software drivers: libvulkan1 + mesa-vulkan-drivers >= 25 ` +
        `from bookworm-backports, and libegl-mesa0 + libgl1-mesa-dri for OpenGL), ` +
        `or pick a backend with VIVID_BACKEND=vulkan|opengl.`,
    );
    this.name = 'GpuUnavailableError';
  }
}

/**
 * dawn.node settles its promises (mapAsync, onSubmittedWorkDone) by re-queuing a device tick with
 * the global setImmediate for as long as one is pending (its AsyncRunner; crbug.com/dawn/1127),
 * so while the GPU works the JS thread spins at 100%. With a software driver that core is one
 * the driver's threads need, so on lavapipe dawn's tick (an anonymous native function without
 * parameters; Node's own code does not use the global) runs from a 1 ms timer instead. OpenGL
 * runs the work inside submit and a hardware GPU needs no CPU core: both keep the spin.
 * (Measurements: docs/BENCHMARKS.md, "dawn.node tick throttling".)
 */
function holdDawnTickThrottle(): () => void {
  const g = globalThis as unknown as { setImmediate: typeof setImmediate };
  if (throttle.holders++ === 0) {
    const immediate = g.setImmediate;
    // The tick's shape: native, anonymous, no parameters (a promise's resolve takes one).
    const isTick = (fn: unknown) =>
      typeof fn === 'function' && fn.name === '' && fn.length === 0 && Function.prototype.toString.call(fn).includes('[native code]');
    const throttled = (fn: (...args: unknown[]) => void, ...args: unknown[]) => (isTick(fn) ? setTimeout(fn, 1, ...args) : immediate(fn, ...args));
    // Keep setImmediate's own properties (util.promisify's custom form among them).
    Object.defineProperties(throttled, Object.getOwnPropertyDescriptors(immediate));
    throttle.original = immediate;
    throttle.installed = throttled as unknown as typeof setImmediate;
    g.setImmediate = throttle.installed;
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--throttle.holders > 0) return;
    // Someone who wrapped the global after us keeps their wrapper (and with it ours).
    if (g.setImmediate === throttle.installed) g.setImmediate = throttle.original!;
    throttle.original = throttle.installed = undefined;
  };
}
const throttle: { holders: number; original?: typeof setImmediate; installed?: typeof setImmediate } = { holders: 0 };

async function dawnInstance(backend: 'vulkan' | 'opengl'): Promise<GPU> {
  if (typeof process !== 'undefined') {
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    if (backend === 'opengl') process.env.EGL_PLATFORM ??= 'surfaceless';
    configureShaderCache(process.env);
  }
  const webgpu = await import('webgpu');
  const instance = webgpu.create([`backend=${backend}`]) as GPU;
  liveInstances.push(instance);
  return instance;
}

export function isSoftware(info: GPUAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /llvmpipe|lavapipe|swiftshader|softpipe|mesa/.test(text) || info.vendor === '';
}

async function tryAdapter(backend: 'vulkan' | 'opengl'): Promise<{ instance: GPU; adapter: GPUAdapter } | null> {
  const instance = await dawnInstance(backend);
  const featureLevel = backend === 'opengl' ? 'compatibility' : 'core';
  const adapter = await instance.requestAdapter({ featureLevel, powerPreference: 'high-performance' } as GPURequestAdapterOptions);
  return adapter ? { instance, adapter } : null;
}

async function makeDevice(instance: GPU, adapter: GPUAdapter, backend: Gpu['backend']): Promise<Gpu> {
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const device = await adapter.requestDevice({ requiredLimits });
  return { device, adapter, backend, info: adapter.info, instance };
}

export function backendFromEnv(): Backend {
  const v = (typeof process !== 'undefined' ? process.env.VIVID_BACKEND : undefined) ?? 'auto';
  if (isNodeBackend(v)) return v;
  throw new Error(`VIVID_BACKEND=${v} is not a backend: use auto, vulkan or opengl`);
}

export async function acquireGpu(backend: Backend = backendFromEnv()): Promise<Gpu> {
  if (backend === 'browser' || (typeof navigator !== 'undefined' && (navigator as Navigator).gpu && typeof process === 'undefined')) {
    const gpu = (navigator as Navigator).gpu;
    if (!gpu) throw new GpuUnavailableError('navigator.gpu is missing: this browser has no WebGPU.');
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new GpuUnavailableError('navigator.gpu.requestAdapter() returned null.');
    return makeDevice(gpu, adapter, 'browser');
  }
  const order: Array<'vulkan' | 'opengl'> = backend === 'auto' ? ['vulkan', 'opengl'] : [backend];
  const found: Array<{ backend: 'vulkan' | 'opengl'; instance: GPU; adapter: GPUAdapter }> = [];
  const failures: string[] = [];
  for (const b of order) {
    try {
      const r = await tryAdapter(b);
      if (r) found.push({ backend: b, ...r });
      else failures.push(`${b}: no adapter`);
    } catch (e) {
      failures.push(`${b}: ${(e as Error).message}`);
    }
    // A hardware Vulkan adapter wins outright; software ones are compared below.
    if (backend === 'auto' && found.length && b === 'vulkan' && !isSoftware(found[0]!.adapter.info)) break;
  }
  if (!found.length) throw new GpuUnavailableError(`Tried ${failures.join('; ')}.`);
  // Software adapters: OpenGL first (no tick throttling needed; with it the two backends are
  // about even, docs/BENCHMARKS.md).
  const pick = found.find((f) => f.backend === 'opengl' && isSoftware(f.adapter.info)) ?? found[0]!;
  const gpu = await makeDevice(pick.instance, pick.adapter, pick.backend);
  if (pick.backend === 'vulkan' && isSoftware(pick.adapter.info)) gpu.release = holdDawnTickThrottle();
  return gpu;
}
