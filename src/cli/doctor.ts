// `vivid doctor`: which backend and adapter viVID uses, its limits and features, and a
// one-kernel self-check against the CPU.

import { Runtime } from '../graph/runtime.ts';
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

export const spec: CommandSpec = { name: 'doctor', usage: '[options]', options: {} };

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommand(spec, args);
  const rt = await Runtime.create(backendOption(values.backend));
  const info = rt.gpu.info;
  const check = await selfCheck(rt);
  const adapter = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ');
  if (values.json) {
    const limits = Object.fromEntries(SHOWN_LIMITS.map((n) => [n, rt.limits[n]]));
    const { vendor, architecture, device, description } = info;
    const features = [...rt.device.features].sort();
    console.log(JSON.stringify({ backend: rt.gpu.backend, adapter: { vendor, architecture, device, description }, limits, features, selfCheck: check }, null, 2));
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
    console.log(`self-check   axpby on 1001 values: max error ${check.maxError.toExponential(2)} — ${check.ok ? 'passed' : 'FAILED'}`);
  }
  rt.destroy();
  return check.ok ? 0 : 1;
}
