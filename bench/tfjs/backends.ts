// TensorFlow.js on one backend, for comparison benchmarks against viVID.
// 'webgpu-vulkan' / 'webgpu-opengl' run tfjs-backend-webgpu on a Dawn instance (npm `webgpu`)
// with the same adapter selection as src/graph/device.ts: Vulkan at the core feature level
// (lavapipe on CPU-only machines), OpenGL ES at the compatibility feature level on EGL
// surfaceless (llvmpipe). 'wasm' is tfjs-backend-wasm (SIMD; single-threaded in Node, see
// below), 'cpu' the plain-JS reference backend.
//
// One process should use one backend: tfjs-webgpu reads navigator.gpu once, when its backend
// is first initialised, and never lets go of the device. Use worker.ts for one child process
// per backend.

import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export type TfjsBackend = 'webgpu-vulkan' | 'webgpu-opengl' | 'wasm' | 'cpu';
export const TFJS_BACKENDS: readonly TfjsBackend[] = ['webgpu-vulkan', 'webgpu-opengl', 'wasm', 'cpu'];

export type Tf = typeof tf;

export interface TfjsInfo {
  backend: TfjsBackend;
  /** tfjs' own name for the backend ('webgpu', 'wasm', 'cpu'). */
  tfBackend: string;
  tfjsVersion: string;
  adapter?: { vendor: string; architecture: string; device: string; description: string; featureLevel: string };
  wasm?: { simd: boolean; threads: number };
}

// The Dawn instance must outlive every device made from it: if create()'s object is collected
// while tfjs still holds a device, dawn.node segfaults. Kept here for the life of the process.
const liveInstances: GPU[] = [];

export function isTfjsBackend(s: string): s is TfjsBackend {
  return (TFJS_BACKENDS as readonly string[]).includes(s);
}

/** Installs a Dawn-backed navigator.gpu; for OpenGL every adapter request asks for compatibility. */
async function installDawn(dawnBackend: 'vulkan' | 'opengl'): Promise<void> {
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  if (dawnBackend === 'opengl') process.env.EGL_PLATFORM ??= 'surfaceless';
  const webgpu = await import('webgpu');
  // GPUBufferUsage, GPUMapMode, ... are used by tfjs-webgpu as globals.
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create([`backend=${dawnBackend}`]) as GPU;
  liveInstances.push(gpu);
  if (dawnBackend === 'opengl') {
    const request = gpu.requestAdapter.bind(gpu);
    gpu.requestAdapter = (options?: GPURequestAdapterOptions) =>
      request({ ...options, featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  }
  // Node 20 has no navigator; Node >= 21 has a read-only getter, so define the property.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

// tfjs-core's node bundle (what `import '@tensorflow/tfjs-core'` loads) registers no gradients.
// dist/register_all_gradients is ESM with directory imports, so it is loaded through require
// (tsx transpiles it). It is a second copy of tfjs-core's modules, but the engine and the
// kernel and gradient registries live on globalThis, so its registrations reach ours.
function registerGradients(): void {
  const require = createRequire(import.meta.url);
  require('@tensorflow/tfjs-core/dist/register_all_gradients');
}

function wasmDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist/';
}

/** Returns the tf namespace with `kind` registered, initialised and selected. */
export async function initTfjs(kind: TfjsBackend): Promise<{ tf: Tf; info: TfjsInfo }> {
  let tfBackend: string;
  registerGradients();
  const info: TfjsInfo = { backend: kind, tfBackend: '', tfjsVersion: tf.version_core };
  if (kind === 'webgpu-vulkan' || kind === 'webgpu-opengl') {
    await installDawn(kind === 'webgpu-vulkan' ? 'vulkan' : 'opengl');
    // Registration happens at import time and only if navigator.gpu exists.
    await import('@tensorflow/tfjs-backend-webgpu');
    tfBackend = 'webgpu';
  } else if (kind === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node tfjs-wasm disables threads (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE,
    // tfjs issue #3830), so it always loads tfjs-backend-wasm-simd.wasm (or the plain one).
    wasm.setWasmPaths(wasmDir());
    tfBackend = 'wasm';
  } else {
    await import('@tensorflow/tfjs-backend-cpu');
    tfBackend = 'cpu';
  }
  if (!(await tf.setBackend(tfBackend))) throw new Error(`tfjs backend ${tfBackend} (${kind}) failed to initialise`);
  await tf.ready();
  info.tfBackend = tf.getBackend();
  if (tfBackend === 'webgpu') {
    const backend = tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string }; device: GPUDevice };
    const adapter = await (navigator as unknown as { gpu: GPU }).gpu.requestAdapter();
    const a = adapter?.info;
    info.adapter = {
      vendor: a?.vendor ?? backend.adapterInfo?.vendor ?? '',
      architecture: a?.architecture ?? backend.adapterInfo?.architecture ?? '',
      device: a?.device ?? '',
      description: a?.description ?? '',
      featureLevel: kind === 'webgpu-opengl' ? 'compatibility' : 'core',
    };
  }
  if (tfBackend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    info.wasm = { simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')), threads: wasm.getThreadsCount() };
  }
  return { tf, info };
}
