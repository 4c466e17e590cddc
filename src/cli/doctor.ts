// `vivid doctor`: which backend and adapter viVID uses, its limits and features, where compiled
// shaders are cached, and a one-kernel self-check against the CPU. `--clear-cache` removes
// viVID's shader cache instead (src/graph/shader-cache.ts).

import { rmSync } from 'node:fs';
import { Runtime } from '../graph/runtime.ts';
import { shaderCache, type ShaderCache } from '../graph/shader-cache.ts';
import { folderBytes } from '../io/folder.ts';
import { axpby } from '../kernels/elementwise.ts';
import { parseCommand, type CommandSpec } from './args.ts';
import { backendOption } from './common.ts';

const SHOWN_LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
] as const;

export async function selfCheck(rt: Runtime): Promise<{ ok: boolean; maxError: number }> {
  const n = 1001;
  const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7));
  const ta = rt.tensor([n], a), tb = rt.tensor([n], b);
  const y = axpby(rt, ta, tb, 2, -3);
  const got = await y.read();
  let maxError = 0;
  for (let i = 0; i < n; i++) maxError = Math.max(maxError, Math.abs(got[i]! - (2 * a[i]! - 3 * b[i]!)));
  for (const t of [ta, tb, y]) t.dispose();
  return { ok: maxError < 1e-5, maxError };
}

export const spec: CommandSpec = {
  name: 'doctor',
  usage: '[options]',
  options: {
    'clear-cache': { type: 'boolean', help: "remove viVID's shader cache (the next run compiles its shaders again) and exit" },
  },
};

function describeCache(cache: ShaderCache | null): string {
  if (!cache) return 'off (MESA_SHADER_CACHE_DISABLE, or no HOME): every process compiles its shaders again';
  const mb = (folderBytes(cache.dir) / 2 ** 20).toFixed(1);
  const whose = cache.owner === 'vivid' ? "viVID's default; `vivid doctor --clear-cache` removes it" : 'MESA_SHADER_CACHE_DIR';
  return `${cache.dir} (${mb} MiB; ${whose})`;
}

function clearCache(cache: ShaderCache | null): number {
  if (!cache) {
    console.log('shader cache is off: nothing to remove');
    return 0;
  }
  if (cache.owner === 'user') {
    throw new Error(`the shader cache is MESA_SHADER_CACHE_DIR=${cache.dir}, which you chose: remove it yourself, or unset MESA_SHADER_CACHE_DIR to clear viVID's own`);
  }
  const bytes = folderBytes(cache.dir);
  rmSync(cache.dir, { recursive: true, force: true });
  console.log(`removed ${cache.dir} (${(bytes / 2 ** 20).toFixed(1)} MiB)`);
  return 0;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommand(spec, args);
  const cache = shaderCache();
  if (values['clear-cache']) return clearCache(cache);
  const rt = await Runtime.create(backendOption(values.backend));
  const info = rt.gpu.info;
  const check = await selfCheck(rt);
  const adapter = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ');
  if (values.json) {
    const limits = Object.fromEntries(SHOWN_LIMITS.map((n) => [n, rt.limits[n]]));
    const { vendor, architecture, device, description } = info;
    const features = [...rt.device.features].sort();
    const shaders = cache && { ...cache, bytes: folderBytes(cache.dir) };
    console.log(JSON.stringify({ backend: rt.gpu.backend, adapter: { vendor, architecture, device, description }, limits, features, shaderCache: shaders, selfCheck: check }, null, 2));
  } else if (values.quiet) {
    console.log(`[doctor] backend ${rt.gpu.backend}, adapter ${adapter}: self-check ${check.ok ? 'passed' : 'FAILED'}`);
  } else {
    console.log(`backend      ${rt.gpu.backend}`);
    console.log(`vendor       ${info.vendor || '(none)'}`);
    console.log(`architecture ${info.architecture || '(none)'}`);
    console.log(`device       ${info.device || '(none)'}`);
    console.log(`description  ${info.description || '(none)'}`);
    console.log('limits');
    for (const name of SHOWN_LIMITS) console.log(`  ${name.padEnd(34)} ${rt.limits[name]}`);
    console.log(`features     ${[...rt.device.features].sort().join(', ') || '(none)'}`);
    console.log(`shader cache ${describeCache(cache)}`);
    console.log(`self-check   axpby on 1001 values: max error ${check.maxError.toExponential(2)} — ${check.ok ? 'passed' : 'FAILED'}`);
  }
  rt.destroy();
  return check.ok ? 0 : 1;
}
