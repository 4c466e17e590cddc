// Where compiled shaders persist between processes. Dawn's own blob cache needs a caching
// interface from its embedder, and dawn.node (npm `webgpu`) passes none, so Dawn recompiles
// WGSL in every process (cheap: Tint). What is expensive is the driver's compile, and on a
// CPU-only machine the driver is Mesa: llvmpipe (GL) and lavapipe (Vulkan) keep their LLVM
// machine code, and Mesa's GL front end its optimised NIR, in Mesa's disk cache, keyed by
// shader content. lavapipe's VkPipelineCache is a stub, so its SPIR-V → NIR front end runs
// again in every process (docs/BENCHMARKS.md, "Warm start").
//
// Unless the user chose a location (MESA_SHADER_CACHE_DIR) or turned the cache off
// (MESA_SHADER_CACHE_DISABLE), viVID points Mesa at a folder of its own, so that
// `vivid doctor` can say where it is and `vivid doctor --clear-cache` can remove it without
// touching other programs' shaders. No Node imports: device.ts is also bundled for pages.

type Env = Record<string, string | undefined>;

export interface ShaderCache {
  dir: string;
  /** 'vivid': viVID's default folder (safe to remove); 'user': the user's MESA_SHADER_CACHE_DIR. */
  owner: 'vivid' | 'user';
}

/** viVID's default folder: $XDG_CACHE_HOME/vivid/mesa, else ~/.cache/vivid/mesa. */
export function defaultShaderCacheDir(env: Env): string | null {
  const base = env.XDG_CACHE_HOME || (env.HOME ? `${env.HOME}/.cache` : '');
  return base ? `${base}/vivid/mesa` : null;
}

/** Mesa reads MESA_SHADER_CACHE_DISABLE as a boolean where only 0/n/no/f/false mean false. */
function cacheDisabled(env: Env): boolean {
  const v = env.MESA_SHADER_CACHE_DISABLE;
  return v !== undefined && !/^(0|n|no|f|false)$/i.test(v);
}

/** The shader cache Mesa will use in a process with this environment; null when it is off. */
export function shaderCache(env: Env = process.env): ShaderCache | null {
  if (cacheDisabled(env)) return null;
  const ours = defaultShaderCacheDir(env);
  const dir = env.MESA_SHADER_CACHE_DIR || ours;
  if (!dir) return null;
  return { dir, owner: dir === ours ? 'vivid' : 'user' };
}

/** Before the first driver loads: point Mesa at viVID's folder unless the user chose one. */
export function configureShaderCache(env: Env = process.env): void {
  const cache = shaderCache(env);
  if (cache?.owner === 'vivid') env.MESA_SHADER_CACHE_DIR = cache.dir;
}
