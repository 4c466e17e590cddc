// `npm run bench`: viVID against TensorFlow.js on the same Dawn adapters, in one run.
//   npm run bench                      default: the cases that finish in reasonable time here
//   npm run bench -- --quick           small sizes only (a smoke check in a few minutes)
//   npm run bench -- --full            also the heavy opt-in cases (tfjs-webgpu on big inputs, …)
//   npm run bench -- --only viVID|tfjs      one side only (tfjs still gets viVID's outputs to agree with)
//   npm run bench -- --cases gen-64,conv-fwd  --backends vivid-opengl,tfjs-wasm
//   npm run bench -- --timeout-s 300   per (backend, case) limit; a timeout is recorded, not fatal
//   npm run bench -- --cases … --light     with --cases, still leave out the heavy (opt-in) pairs
//   npm run bench -- --save-as NAME    results to bench/results/NAME.json (onnxruntime: the peers' section)
//   npm run bench -- --from bench/results/X.json   regenerate docs/BENCHMARKS.md from saved results
//   npm run bench -- --snapshot        run the workers from a clean export of HEAD (git archive), not
//                                      the working tree (others may be editing kernels meanwhile)
// Every (backend, case) runs in its own child process (bench/vivid.ts, bench/tfjs-case.ts). The
// inputs and weights are written once; each child's first call writes its output, which must
// agree with viVID's (relative L2 ≤ 1e-3) — a mismatch makes the run exit non-zero. Results go to
// bench/results/<date>[-quick].json and (not for --quick, --cases or --only) docs/BENCHMARKS.md.

import { execSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/util/rng.ts';
import { onnxruntimeSection } from './onnxruntime-doc.ts';
import { CASES, caseById, convNames, cores, parseFlags, psnrDb, readF32File, relL2, writeF32File, type CaseDef, type HostMap, type HostTensor, type ProfileEntry, type Timing, type WorkerResult } from './common.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');
/** Where the workers run from: the working tree, or a clean export of HEAD (--snapshot). */
let WORK = ROOT;
const TOLERANCE = 1e-3;
const JOB_MIN_PSNR = 45;

const BACKENDS = ['vivid-opengl', 'vivid-vulkan', 'tfjs-webgpu-opengl', 'tfjs-webgpu-vulkan', 'tfjs-wasm', 'tfjs-cpu', 'ort-cpu'] as const;
type BackendId = (typeof BACKENDS)[number];
const LABEL: Record<BackendId, string> = {
  'vivid-opengl': 'viVID GL',
  'vivid-vulkan': 'viVID Vulkan',
  'tfjs-webgpu-opengl': 'tfjs-webgpu GL',
  'tfjs-webgpu-vulkan': 'tfjs-webgpu Vulkan',
  'tfjs-wasm': 'tfjs-wasm',
  'tfjs-cpu': 'tfjs-cpu',
  'ort-cpu': 'onnxruntime-node CPU',
};

const QUICK_CASES = ['conv-fwd-small', 'conv-bwd-input-small', 'conv-bwd-filter-small', 'gen-32', 'train-step-small', 'gan-step-small'];
const DEFAULT_CASES = ['conv-fwd', 'conv-bwd-input', 'conv-bwd-filter', 'conv-fwd-small', 'conv-bwd-input-small', 'conv-bwd-filter-small', 'gen-64', 'gen-128', 'gen-16x24', 'gen-270x480', 'upscale-png-480x270', 'train-step-small', 'train-step', 'gan-step'];
const FULL_CASES = [...DEFAULT_CASES, 'gen-32', 'gan-step-small'];

/**
 * Can `b` run `c` at all, and is it heavy (only with --full or --cases)? Heavy = minutes per call
 * here, or a second adapter's copy of a case the targets do not need.
 */
function availability(b: BackendId, c: CaseDef): 'yes' | 'heavy' | 'no' {
  // onnxruntime runs the generator (viVID's ONNX export) and the end-to-end job, nothing else.
  if (b === 'ort-cpu') return c.kind === 'gen' || c.kind === 'job' ? 'yes' : 'no';
  // The job is `vivid upscale` (auto picks GL here) against a script; the big whole-image case
  // is for onnxruntime and viVID GL (tfjs-wasm needs minutes per call, tfjs-webgpu longer).
  if (c.kind === 'job') return b === 'vivid-opengl' ? 'yes' : b === 'vivid-vulkan' ? 'heavy' : 'no';
  // Past the binding limit viVID runs it through the tile plan (src/inference/plan.ts: 1.012× the
  // whole-image FLOPs), seconds a call on GL; Vulkan repeats it at the same cost, so it is opt-in.
  if (c.id === 'gen-270x480') return b === 'vivid-opengl' ? 'yes' : b.startsWith('vivid') ? 'heavy' : 'no';
  const small = c.id.endsWith('-small') || c.id === 'gen-32';
  // The issue's MSE and GAN steps are reported on both of our backends (tfjs has no GAN step).
  if (c.kind === 'gan') return b.startsWith('vivid') ? 'yes' : 'no';
  // tfjs-cpu's plain-JS Conv2DBackpropFilter needs minutes even on one image.
  if (b === 'tfjs-cpu') return !small || c.kind === 'train' ? 'no' : c.kind === 'conv-bwd-filter' ? 'heavy' : 'yes';
  if (small) return 'yes';
  const heavy: Partial<Record<BackendId, string[]>> = {
    'tfjs-webgpu-opengl': ['gen-128', 'train-step'],
    'tfjs-webgpu-vulkan': ['conv-bwd-input', 'conv-bwd-filter', 'gen-128', 'gen-16x24', 'train-step'],
  };
  return heavy[b]?.includes(c.id) ? 'heavy' : 'yes';
}

/** Cores a backend can use: tfjs-wasm (no threads in Node) and tfjs-cpu run on one. */
function threadsOf(b: BackendId): number {
  return b === 'tfjs-wasm' || b === 'tfjs-cpu' ? 1 : cores;
}

interface CaseResult {
  backend: BackendId;
  case: string;
  status: 'ok' | 'timeout' | 'error';
  error?: string;
  timeoutS?: number;
  adapter?: string;
  impl?: string;
  firstMs?: number;
  timing?: Timing;
  gflops?: number;
  /** FLOPs · usable cores / CPU-seconds: GFLOP/s if this process had the cores it can use
   *  (all of them; one for tfjs-wasm and tfjs-cpu) to itself. */
  gflopsIdle?: number;
  load1Before: number;
  load1After: number;
  wallS: number;
  agreement?: { relL2: number; loss?: number; psnr?: number; ok: boolean; against: string };
  profile?: ProfileEntry[];
  profileNote?: string;
  extra?: Record<string, unknown>;
}

interface Results {
  generatedBy: string;
  date: string;
  commit: string;
  mode: 'quick' | 'default' | 'full' | 'custom';
  argv: string[];
  machine: { cpu: string; cores: number; loadStart: number[]; loadEnd: number[]; otherProcesses: string };
  adapters: Record<string, string>;
  cases: CaseDef[];
  results: CaseResult[];
  skipped: Array<{ backend: BackendId; case: string; why: string }>;
  runSeconds: number;
  agreementFailed: boolean;
}

// ---------------------------------------------------------------- inputs

function writeInputs(dir: string, c: CaseDef): void {
  const path = join(dir, `in-${c.id}.safetensors`);
  if (existsSync(path)) return;
  const rng = new Rng(1000 + CASES.indexOf(c));
  const normal = (n: number, s: number) => rng.fill(n, (r) => s * r.normal());
  const uniform = (n: number, lo: number, hi: number) => rng.fill(n, (r) => r.uniform(lo, hi));
  const m: HostMap = new Map();
  const [n, h, w, ch] = c.shape;
  const act = n * h * w * ch;
  if (c.kind === 'conv-fwd' || c.kind === 'conv-bwd-input' || c.kind === 'conv-bwd-filter') {
    const [a, b] = convNames(c.kind);
    m.set(a, { shape: [...c.shape], data: normal(act, 1) });
    if (b === 'w') m.set('w', { shape: [3, 3, 64, 64], data: normal(9 * 64 * 64, 1 / Math.sqrt(9 * 64)) });
    else m.set(b, { shape: [...c.shape], data: normal(act, 1) });
  } else if (c.kind === 'gen') {
    m.set('input', { shape: [...c.shape], data: uniform(act, 0, 1) });
  } else if (c.kind === 'job') {
    return; // its PNG comes from the viVID worker's --prepare
  } else {
    m.set('lr', { shape: [...c.shape], data: uniform(act, 0, 1) });
    m.set('hr', { shape: [n, 4 * h, 4 * w, 3], data: uniform(n * 16 * h * w * 3, 0, 1) });
  }
  writeF32File(path, m, { case: c.id });
}

// ---------------------------------------------------------------- children

function runChild(script: string, childArgs: string[], timeoutS: number): { rec?: WorkerResult; error?: string; timedOut: boolean; wallS: number } {
  const t0 = performance.now();
  // node --import tsx (not npx tsx): one process, so the timeout's SIGKILL really ends it.
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(WORK, 'bench', script), ...childArgs], {
    cwd: WORK,
    env: { ...process.env, VIVID_SHARED: process.env.VIVID_SHARED ?? join(ROOT, '../shared') },
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  const wallS = (performance.now() - t0) / 1000;
  const timedOut = r.error !== undefined && /ETIMEDOUT/.test(String((r.error as NodeJS.ErrnoException).code ?? r.error.message));
  const line = r.stdout?.split('\n').reverse().find((l) => l.startsWith('{'));
  if (r.status === 0 && line) return { rec: JSON.parse(line) as WorkerResult, timedOut: false, wallS };
  const err = (r.stderr ?? '').trim().split('\n').filter((l) => /Error|error/.test(l)).slice(-1)[0] ?? `exit ${r.status ?? r.signal}`;
  return { error: timedOut ? 'timed out' : err.slice(0, 300), timedOut, wallS };
}

// ---------------------------------------------------------------- agreement

/** The top-left h×w pixels of an [1, H, W, C] image. */
function topLeft(t: HostTensor, h: number, w: number): Float32Array {
  const [, , W, C] = t.shape as [number, number, number, number];
  const out = new Float32Array(h * w * C);
  for (let y = 0; y < h; y++) out.set(t.data.subarray(y * W * C, y * W * C + w * C), y * w * C);
  return out;
}

function agreement(dir: string, b: BackendId, c: CaseDef, ref: BackendId): CaseResult['agreement'] {
  const file = (x: BackendId) => join(dir, `out-${x.startsWith('vivid') ? x : x.replace(/^tfjs-/, 'tfjs-')}-${c.id}.safetensors`);
  const mine = readF32File(file(b));
  const want = readF32File(file(ref));
  if (c.kind === 'train') {
    const loss = Math.abs(mine.get('loss')!.data[0]! - want.get('loss')!.data[0]!) / Math.abs(want.get('loss')!.data[0]!);
    const a: number[] = [], w: number[] = [];
    let missing = false;
    for (const [name, t] of want) {
      if (!name.startsWith('grad.')) continue;
      const m = mine.get(name);
      if (!m || m.data.length !== t.data.length) missing = true;
      else for (let i = 0; i < t.data.length; i++) (a.push(m.data[i]!), w.push(t.data[i]!));
    }
    const r = missing ? Infinity : relL2(a, w);
    return { relL2: r, loss, ok: r <= TOLERANCE && loss <= TOLERANCE, against: ref };
  }
  const [, , o] = c.kind === 'gen' || c.kind === 'job' ? ['', '', 'output'] : convNames(c.kind);
  // A reference computed on a corner window only (bench/vivid.ts) is compared on that corner.
  const win = want.get('window')?.data;
  const m = win ? topLeft(mine.get(o)!, win[0]!, win[1]!) : mine.get(o)!.data;
  const r = relL2(m, want.get(o)!.data);
  if (c.kind === 'conv-fwd' || c.kind === 'conv-bwd-input' || c.kind === 'conv-bwd-filter') return { relL2: r, ok: r <= TOLERANCE, against: ref };
  // Images: also PSNR. The job's outputs are 8-bit PNGs, where a level of rounding apart in a
  // few pixels already exceeds the float tolerance: they must agree to 45 dB instead.
  const psnr = psnrDb(m, want.get(o)!.data);
  return { relL2: r, psnr, ok: c.kind === 'job' ? psnr >= JOB_MIN_PSNR : r <= TOLERANCE, against: ref };
}

// ---------------------------------------------------------------- main

function machineCpu(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {}
  return cpus()[0]?.model ?? 'unknown';
}

function otherLoad(): string {
  try {
    const out = execSync('ps -eo pcpu,ni,args --sort=-pcpu', { encoding: 'utf8' }).split('\n').slice(1, 4);
    return out.map((l) => l.trim().replace(/\s+/g, ' ').slice(0, 90)).filter(Boolean).join('; ');
  } catch {
    return '';
  }
}

/** HEAD, and whether the code the workers run differs from it. */
function gitState(snapshot: boolean): string {
  const head = execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8' }).trim();
  if (snapshot) return `${head} (clean export)`;
  const dirty = execSync('git status --porcelain -- src shaders bench', { cwd: ROOT, encoding: 'utf8' }).trim();
  return dirty ? `${head} + uncommitted changes (${dirty.split('\n').length} files in src/, shaders/, bench/)` : head;
}

const fmtLoad = (l: number[]) => l.map((v) => v.toFixed(2)).join(', ');

async function main(): Promise<void> {
  const args = parseFlags(process.argv.slice(2));
  if (args.has('from')) {
    const res = JSON.parse(readFileSync(args.get('from')!, 'utf8')) as Results;
    writeFileSync(join(ROOT, 'docs/BENCHMARKS.md'), renderDoc(res));
    console.log(`wrote docs/BENCHMARKS.md from ${args.get('from')}`);
    return;
  }
  const quick = args.has('quick');
  const full = args.has('full');
  const only = args.get('only')?.toLowerCase();
  if (only && only !== 'vivid' && only !== 'tfjs') throw new Error('--only viVID|tfjs');
  let caseIds = args.get('cases')?.split(',') ?? (quick ? QUICK_CASES : full ? FULL_CASES : DEFAULT_CASES);
  caseIds = caseIds.filter(Boolean);
  const cases = caseIds.map(caseById);
  let backends = (args.get('backends')?.split(',') ?? [...BACKENDS]) as BackendId[];
  for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`--backends: unknown ${b} (have ${BACKENDS.join(', ')})`);
  if (only) backends = backends.filter((b) => b.startsWith(only));
  const mode: Results['mode'] = args.has('cases') || args.has('only') || args.has('backends') ? 'custom' : quick ? 'quick' : full ? 'full' : 'default';
  const timeoutS = Number(args.get('timeout-s') ?? (quick ? 150 : 420));
  const runFlags = ['--runs-min', args.get('runs-min') ?? (quick ? '1' : '2'), '--runs-max', args.get('runs-max') ?? (quick ? '3' : '5'), '--budget-s', args.get('budget-s') ?? (quick ? '8' : '25')];

  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'vivid-bench-'));
  if (args.has('snapshot')) {
    WORK = join(dir, 'tree');
    mkdirSync(WORK);
    execSync(`git archive HEAD | tar -x -C ${WORK}`, { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(WORK, 'node_modules'));
  }
  const res: Results = {
    generatedBy: 'npm run bench (bench/run.ts)',
    date: new Date().toISOString(),
    commit: gitState(args.has('snapshot')),
    mode,
    argv: process.argv.slice(2),
    machine: { cpu: machineCpu(), cores, loadStart: loadavg(), loadEnd: [], otherProcesses: otherLoad() },
    adapters: {},
    cases,
    results: [],
    skipped: [],
    runSeconds: 0,
    agreementFailed: false,
  };
  console.error(`bench: ${mode}, ${cases.length} cases, backends ${backends.join(', ')}; load ${fmtLoad(loadavg())}; scratch ${dir}`);

  try {
    for (const c of cases) writeInputs(dir, c);
    if (cases.some((c) => c.kind !== 'conv-fwd' && c.kind !== 'conv-bwd-input' && c.kind !== 'conv-bwd-filter')) {
      const p = runChild('vivid.ts', ['--prepare', '--dir', dir], 120);
      if (!p.rec && p.error) throw new Error(`preparing generator weights: ${p.error}`);
    }
    // The reference outputs come from viVID on GL (Vulkan if GL is not in the run); where it is
    // not timed (--only tfjs, an opt-in case), it still runs once per case, untimed, to give them.
    const refBackend: BackendId = backends.includes('vivid-opengl') || !backends.includes('vivid-vulkan') ? 'vivid-opengl' : 'vivid-vulkan';
    const refOk = new Set<string>();
    const reference = (c: CaseDef) => {
      if (c.kind === 'gan' || (backends.includes(refBackend) && want(refBackend, c)) || !backends.some((b) => want(b, c))) return;
      const r = runChild('vivid.ts', ['--backend', refBackend.slice(6), '--case', c.id, '--dir', dir, '--agree-only'], timeoutS * 2);
      if (r.rec) refOk.add(c.id);
      else console.error(`reference ${c.id}: ${r.error}`);
    };

    function want(b: BackendId, c: CaseDef): boolean {
      const a = availability(b, c);
      return a === 'yes' || (a === 'heavy' && (full || (args.has('cases') && !args.has('light'))));
    }

    // Case by case, every backend in turn (the reference first): the rows compared with each
    // other run minutes apart, not a whole run apart, which matters on a loaded machine.
    backends.sort((x, y) => Number(y === refBackend) - Number(x === refBackend));
    for (const c of cases) {
      reference(c);
      for (const b of backends) {
        const a = availability(b, c);
        if (!want(b, c)) {
          if (a !== 'no') res.skipped.push({ backend: b, case: c.id, why: 'heavy: opt-in with --full' });
          continue;
        }
        const isVivid = b.startsWith('vivid');
        // The whole-image and end-to-end cases take minutes a call here: one timed call is enough.
        const flags = c.kind === 'job' || c.id === 'gen-270x480' ? ['--runs-min', '1', '--runs-max', '2', '--budget-s', runFlags[5]!] : runFlags;
        const childArgs = ['--backend', b.replace(/^(vivid|tfjs|ort)-/, ''), '--case', c.id, '--dir', dir, ...flags];
        // Per-kernel profile of generator inference and the MSE step (the largest ones of the run).
        if (b === 'vivid-opengl' && (quick ? ['gen-32', 'train-step-small'] : ['gen-64', 'train-step']).includes(c.id)) childArgs.push('--profile');
        const load1Before = loadavg()[0]!;
        const caseTimeout = isVivid ? Math.max(timeoutS, 900) : timeoutS;
        console.error(`${LABEL[b].padEnd(19)} ${c.id.padEnd(22)} …`);
        const r = runChild(isVivid ? 'vivid.ts' : b === 'ort-cpu' ? 'ort-case.ts' : 'tfjs-case.ts', childArgs, caseTimeout);
        const row: CaseResult = { backend: b, case: c.id, status: r.rec ? 'ok' : r.timedOut ? 'timeout' : 'error', load1Before, load1After: loadavg()[0]!, wallS: r.wallS };
        if (r.timedOut) row.timeoutS = caseTimeout;
        if (r.error) row.error = r.error;
        if (r.rec) {
          const w = r.rec;
          Object.assign(row, { adapter: w.adapter, impl: w.impl, firstMs: w.firstMs, timing: w.timing, profile: w.profile, profileNote: w.profileNote, extra: w.extra });
          if (w.adapter) res.adapters[b] = w.adapter;
          if (w.timing) {
            row.gflops = c.flops / (w.timing.medianMs * 1e6);
            row.gflopsIdle = (c.flops * threadsOf(b)) / (w.timing.cpuMs * 1e6);
          }
          if (b === refBackend && row.status === 'ok') refOk.add(c.id);
          else if (c.kind !== 'gan' && refOk.has(c.id)) {
            row.agreement = agreement(dir, b, c, refBackend);
            if (!row.agreement!.ok) res.agreementFailed = true;
          }
        }
        res.results.push(row);
        const t = row.timing;
        console.error(
          `${LABEL[b].padEnd(19)} ${c.id.padEnd(22)} ${row.status === 'ok' ? `median ${t ? t.medianMs.toFixed(0) : '-'} ms p90 ${t ? t.p90Ms.toFixed(0) : '-'} ms cpu ${t ? t.cpuMs.toFixed(0) : '-'} ms ${row.gflops?.toFixed(2) ?? '-'} GFLOP/s` : row.status === 'timeout' ? `timed out (> ${caseTimeout} s)` : `ERROR ${row.error}`}` +
            `${row.agreement ? ` relL2 ${row.agreement.relL2.toExponential(1)}${row.agreement.psnr !== undefined ? ` PSNR ${row.agreement.psnr.toFixed(1)} dB` : ''}${row.agreement.ok ? '' : ' MISMATCH'}` : ''} (load ${load1Before.toFixed(1)}, ${r.wallS.toFixed(0)} s)`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  res.machine.loadEnd = loadavg();
  res.runSeconds = (performance.now() - t0) / 1000;

  const resultsDir = join(ROOT, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${args.get('save-as') ?? `${res.date.slice(0, 10)}${mode === 'default' ? '' : '-' + mode}`}.json`);
  writeFileSync(file, JSON.stringify(res, null, 1) + '\n');
  console.error(`wrote ${file} (${res.runSeconds.toFixed(0)} s)`);
  const doc = renderDoc(res);
  if ((mode === 'default' || mode === 'full' || args.has('doc')) && !res.agreementFailed) {
    writeFileSync(join(ROOT, 'docs/BENCHMARKS.md'), doc);
    console.error('wrote docs/BENCHMARKS.md');
  } else console.log(doc);
  if (res.agreementFailed) {
    console.error(`FAILED: some backend disagrees with viVID by more than relative L2 ${TOLERANCE} (see the agreement table)`);
    process.exitCode = 1;
  }
}

// ---------------------------------------------------------------- the document

const f = (v: number | undefined, d = 1) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
const dur = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);
const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : v >= 100 ? v.toFixed(0) : v.toFixed(1));

function pick(res: Results, b: BackendId, c: string): CaseResult | undefined {
  return res.results.find((r) => r.backend === b && r.case === c);
}

/** viVID's speed-up over `other` on case c: [wall, cpu] (tfjs time / viVID time). */
function speedup(res: Results, vivid: BackendId, other: BackendId, c: string): { wall: number; cpu: number } | null {
  const v = pick(res, vivid, c)?.timing, o = pick(res, other, c)?.timing;
  if (!v || !o) return null;
  return { wall: o.medianMs / v.medianMs, cpu: o.cpuMs / v.cpuMs };
}

function status(r: CaseResult | undefined): string {
  if (!r) return '';
  if (r.status === 'timeout') return `timed out (> ${r.timeoutS} s)`;
  if (r.status === 'error') return `error: ${r.error?.replace(/\|/g, '/').slice(0, 80)}`;
  return '';
}

const PAIRS: Array<[BackendId, BackendId]> = [
  ['vivid-opengl', 'tfjs-webgpu-opengl'],
  ['vivid-vulkan', 'tfjs-webgpu-vulkan'],
  ['vivid-opengl', 'tfjs-wasm'],
  ['vivid-opengl', 'tfjs-cpu'],
];

interface Target {
  what: string;
  verdict: 'met' | 'met where measured' | 'missed' | 'not measured';
  detail: string;
}

function targets(res: Results): Target[] {
  const out: Target[] = [];
  const ratioTarget = (what: string, caseIds: string[], pairs: Array<[BackendId, BackendId]>, need: number) => {
    const parts: string[] = [];
    let measured = 0, below = 0, unmeasured = 0;
    for (const c of caseIds) {
      for (const [v, o] of pairs) {
        const s = speedup(res, v, o, c);
        if (s) {
          measured++;
          if (s.wall < need) below++;
          parts.push(`${c} vs ${LABEL[o]}: ${f(s.wall, 2)}× (CPU time ${f(s.cpu, 2)}×)`);
          continue;
        }
        const or = pick(res, o, c);
        const skipped = res.skipped.some((k) => k.backend === o && k.case === c);
        if (or || skipped) {
          unmeasured++;
          parts.push(`${c} vs ${LABEL[o]}: ${or ? status(or) || 'no timing' : 'opt-in, not run'}`);
        }
      }
    }
    const verdict: Target['verdict'] = !measured ? 'not measured' : below ? 'missed' : unmeasured ? 'met where measured' : 'met';
    out.push({ what, verdict, detail: parts.join('; ') || 'no data' });
  };
  const gens = res.cases.filter((c) => c.kind === 'gen').map((c) => c.id);
  const trains = res.cases.filter((c) => c.kind === 'train').map((c) => c.id);
  ratioTarget('viVID ≥ 4× faster than tfjs-webgpu on the same adapter, generator inference', gens, [PAIRS[0]!, PAIRS[1]!], 4);
  ratioTarget('viVID ≥ 5× faster than tfjs-webgpu on the same adapter, MSE training step', trains, [PAIRS[0]!, PAIRS[1]!], 5);
  ratioTarget('viVID faster than tfjs-wasm, generator inference', gens, [PAIRS[2]!], 1);
  ratioTarget('viVID faster than tfjs-wasm, MSE training step', trains, [PAIRS[2]!], 1);
  const step = pick(res, 'vivid-opengl', 'train-step');
  out.push(
    step?.timing
      ? { what: 'MSE step (batch 16, 24→96) ≤ 5 s', verdict: step.timing.medianMs <= 5000 ? 'met' : 'missed', detail: `viVID GL median ${dur(step.timing.medianMs)} (CPU time ${dur(step.timing.cpuMs)})` }
      : { what: 'MSE step (batch 16, 24→96) ≤ 5 s', verdict: 'not measured', detail: 'train-step not in this run' },
  );
  for (const [c, need, name] of [['conv-fwd', 30, 'conv forward'], ['conv-bwd-filter', 20, 'conv backward-weights']] as const) {
    const r = pick(res, 'vivid-opengl', c);
    out.push(
      r?.gflops !== undefined
        ? { what: `${name} ≥ ${need} GFLOP/s on GL`, verdict: r.gflops >= need ? 'met' : 'missed', detail: `${f(r.gflops)} GFLOP/s wall-clock; ${f(r.gflopsIdle)} GFLOP/s from CPU time scaled to ${res.machine.cores} idle cores${r.gflopsIdle! >= need ? ' (would meet it on an idle machine)' : ''}` }
        : { what: `${name} ≥ ${need} GFLOP/s on GL`, verdict: 'not measured', detail: `${c} not in this run` },
    );
  }
  return out;
}

/** Older results carry a fixed label for viVID's conv kernels; newer ones list the kernels used. */
function implOf(r: CaseResult, c: CaseDef): string {
  if (r.backend.startsWith('vivid') && c.kind.startsWith('conv') && !r.extra?.implFromKernels) return 'conv2d.ts default algorithm (see method notes)';
  return r.impl ?? '';
}

function renderDoc(res: Results): string {
  const L: string[] = [];
  // Recomputed here so older results files get the same definition.
  for (const r of res.results) {
    const c = res.cases.find((k) => k.id === r.case);
    if (r.timing && c) r.gflopsIdle = (c.flops * (r.backend === 'tfjs-wasm' || r.backend === 'tfjs-cpu' ? 1 : res.machine.cores)) / (r.timing.cpuMs * 1e6);
  }
  const backendsIn = BACKENDS.filter((b) => res.results.some((r) => r.backend === b));
  const loads = res.results.map((r) => r.load1Before);
  L.push('# Benchmarks', '');
  L.push(`> **Generated by \`npm run bench\` (bench/run.ts)** from \`bench/results/${res.date.slice(0, 10)}${res.mode === 'default' ? '' : '-' + res.mode}.json\` — do not edit by hand; change bench/run.ts and re-run (\`npm run bench -- --from <results.json>\` re-renders this file).`, '');
  L.push(`Run: ${res.date} on commit ${res.commit}, mode **${res.mode}**${res.argv.length ? ` (\`${res.argv.join(' ')}\`)` : ''}, ${(res.runSeconds / 60).toFixed(1)} min in all.`, '');
  L.push('Commands: `npm run bench` (this default set; about half an hour here), `npm run bench -- --quick` (small sizes only: 1×96×96 convs, gen-32, batch-2 training and GAN steps; a smoke check of several minutes), `npm run bench -- --full` (adds the opt-in cases listed at the end; not run for these results), `--only viVID|tfjs`, `--cases a,b`, `--backends …`, `--timeout-s N` (per backend and case; a timeout is recorded as "timed out", not a failure), `--snapshot` (run a clean export of HEAD while others edit the tree).', '');
  L.push('## Machine', '');
  L.push(`- CPU: ${res.machine.cpu}, ${res.machine.cores} cores (no GPU: WebGPU runs on Mesa's software drivers).`);
  L.push(`- Load average (1, 5, 15 min) at start: ${fmtLoad(res.machine.loadStart)}; at end: ${fmtLoad(res.machine.loadEnd)}; 1-min load before each case: ${f(Math.min(...loads))}–${f(Math.max(...loads))}. Busiest processes at start: ${res.machine.otherProcesses || 'n/a'}.`);
  L.push(`  Wall-clock times are therefore noisy; every row also gives process CPU time (all threads: llvmpipe/lavapipe run the kernels on the benchmark process's own threads) and the GFLOP/s that CPU time would give on an idle machine ("GFLOP/s idle" = FLOPs · usable cores / CPU-seconds, where usable cores = ${res.machine.cores} for the GPU backends, whose driver threads use every core, and 1 for tfjs-wasm and tfjs-cpu, which run on one thread).`);
  L.push('- Adapters (as each backend reports them):');
  for (const b of backendsIn) if (res.adapters[b]) L.push(`  - ${LABEL[b]}: ${res.adapters[b]}`);
  L.push('');
  L.push('## Method', '');
  L.push('- Backends: viVID on the Dawn OpenGL backend (compatibility feature level, llvmpipe) and Dawn Vulkan (lavapipe); TensorFlow.js 4.22 tfjs-backend-webgpu on the same two Dawn adapters; tfjs-backend-wasm (SIMD, one thread: tfjs turns wasm threads off in Node); tfjs-backend-cpu (plain JS) on small cases only; onnxruntime-node 1.30 (CPU execution provider, default threads; in runs from 2026-12-02 on) on the generator cases and the end-to-end job, running viVID\'s ONNX export of the same weights (bench/ort-case.ts). One child process per (backend, case); from 2026-12-02 on case by case, each case\'s backends back to back (before: backend by backend).');
  L.push('- Same inputs everywhere: seeded inputs and one set of generator weights (viVID\'s paper SRResNet — 16 blocks, 64 channels, ×4 — with random BN statistics, BN affine and PReLU slopes) written once, in viVID\'s names for viVID and mapped to bench/tfjs/srresnet.ts names for tfjs (`tfjsName()` in bench/common.ts: `post.*` → `trunk.*`, `running_mean/var` → `mean/var`; both sides use HWIO and PyTorch pixel-shuffle order).');
  L.push(`- **Agreement before timing**: each child's first call writes its output (conv result; generator image; for the training step the loss and every parameter gradient of the first step), compared with viVID on GL: relative L2 ≤ ${TOLERANCE} or the run fails.`);
  L.push('- Timing: the first call (agreement; shader compilation on GPU backends) is not timed; then one warm-up call when the first took < 10 s; then as many timed calls as fit a per-case budget, at least 2 and at most 5 (3 for --quick). Each call ends when its work has finished (viVID: `rt.sync()`; tfjs: reading one element of the result, which waits for the queue). Median and p90 over the timed calls; CPU time = process user+system time over the timed calls, per call.');
  L.push('- GFLOP/s from explicit FLOP counts (src/models/flops.ts): conv 2·N·H·W·Cin·Cout·9; generator: its convolutions; training step: 3 × forward − the first conv\'s input gradient; GAN step (approximate): G step + D forward/backward on real and fake (6·D) + D forward/input-gradient on SR (2·D) + VGG19 to block3_conv3 on HR (forward) and SR (forward + input gradient) (3·V).');
  L.push('- viVID\'s generator inference is `InferenceGenerator` (BN folded, PReLU/tanh fused into the conv epilogue); tfjs\'s is bench/tfjs `--mode folded` (BN folded, `tf.fused.conv2d` with bias + PReLU). Training: viVID `TrainingStep` (stage mse / gan); tfjs `optimizer.minimize` with BN in training mode and Adam (bench/tfjs/srresnet.ts).');
  L.push('');

  // Main tables.
  L.push('## Results', '');
  L.push('Per case: median / p90 wall-clock ms, GFLOP/s (wall), CPU ms per call and GFLOP/s idle. "–" = not run in this mode.', '');
  for (const c of res.cases) {
    const rows = res.results.filter((r) => r.case === c.id);
    if (!rows.length) continue;
    L.push(`### ${c.id}: ${c.describe}`, '', `${(c.flops / 1e9).toFixed(2)} GFLOP per call.`, '');
    L.push('| backend | median ms | p90 ms | GFLOP/s | CPU ms/call | GFLOP/s idle | runs | load | agreement (rel L2) | implementation |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const t = r.timing;
      const ag = r.agreement ? `${r.agreement.relL2.toExponential(1)}${r.agreement.loss !== undefined ? ` (loss ${r.agreement.loss.toExponential(1)})` : ''}${r.agreement.ok ? '' : ' **MISMATCH**'}` : r.backend.startsWith('vivid-opengl') ? 'reference' : '';
      if (!t) L.push(`| ${LABEL[r.backend]} | ${status(r) || 'no timing'} | | | | | | ${f(r.load1Before)} | ${ag} | ${r.impl ?? ''} |`);
      else L.push(`| ${LABEL[r.backend]} | **${ms(t.medianMs)}** | ${ms(t.p90Ms)} | ${f(r.gflops, 2)} | ${ms(t.cpuMs)} | ${f(r.gflopsIdle, 2)} | ${t.runs} | ${f(r.load1Before)} | ${ag} | ${implOf(r, c)} |`);
    }
    for (const s of res.skipped.filter((s) => s.case === c.id)) L.push(`| ${LABEL[s.backend]} | opt-in (\`--full\`) | | | | | | | | |`);
    L.push('');
  }

  // Ratios.
  L.push('## viVID vs TensorFlow.js', '');
  L.push('Speed-up = tfjs median time / viVID median time (> 1: viVID faster); in brackets the same from CPU time per call, which is less sensitive to the load. viVID GL is compared with tfjs-webgpu GL, viVID Vulkan with tfjs-webgpu Vulkan, viVID GL with wasm and cpu.', '');
  L.push(`| case | ${PAIRS.map(([v, o]) => `${LABEL[v]} vs ${LABEL[o]}`).join(' | ')} |`, `|---|${PAIRS.map(() => '---').join('|')}|`);
  for (const c of res.cases) {
    if (c.kind === 'gan') continue;
    const cells = PAIRS.map(([v, o]) => {
      const s = speedup(res, v, o, c.id);
      if (s) return `**${f(s.wall, 2)}×** (${f(s.cpu, 2)}×)`;
      const or = pick(res, o, c.id);
      if (or && or.status !== 'ok') return status(or);
      if (res.skipped.some((k) => k.backend === o && k.case === c.id)) return 'opt-in';
      return '–';
    });
    L.push(`| ${c.id} | ${cells.join(' | ')} |`);
  }
  L.push('');

  // Targets.
  L.push('## Targets', '');
  L.push('| target | verdict | from the data |', '|---|---|---|');
  for (const t of targets(res)) L.push(`| ${t.what} | **${t.verdict}** | ${t.detail} |`);
  L.push('');

  // Profiles.
  const profiled = res.results.filter((r) => r.profile?.length);
  if (profiled.length) {
    L.push('## Where the time goes (viVID GL)', '');
    L.push('A bench-side wrapper records every dispatch of one call (rt.run), then replays them one at a time with `rt.sync()` after each and sums the time per kernel (by entry point; `conv2d_winograd.*gemm*` — or, in older runs, conv2d.conv_fwd4 on 1×1 weights — are the Winograd GEMMs). Replay times include per-dispatch submission cost, so the total exceeds the batched call; the shares are what matters.', '');
    for (const r of profiled) {
      const total = r.profile!.reduce((s, e) => s + e.ms, 0);
      L.push(`### ${r.case} (${res.cases.find((c) => c.id === r.case)?.describe ?? ''}; batched median ${dur(r.timing?.medianMs)})`, '', `${r.profileNote}.`, '');
      L.push('| kernel | dispatches | ms | share |', '|---|---|---|---|');
      let rest = 0, restN = 0;
      r.profile!.forEach((e, i) => {
        if (i < 12) L.push(`| ${e.kernel} | ${e.dispatches} | ${f(e.ms, 0)} | ${f((100 * e.ms) / total)}% |`);
        else ((rest += e.ms), (restN += e.dispatches));
      });
      if (restN) L.push(`| (${r.profile!.length - 12} other kernels) | ${restN} | ${f(rest, 0)} | ${f((100 * rest) / total)}% |`);
      L.push('');
    }
  }

  L.push(...upscaleSection());
  L.push(...onnxruntimeSection(ROOT));
  L.push(...gpuTrainingSection());
  L.push('## What bounds it', '');
  L.push(...bounds(res), '');
  L.push('### conv2d method notes', '');
  L.push(CONV_NOTES, '');
  if (res.skipped.length) {
    L.push('## Opt-in cases (`npm run bench -- --full`)', '');
    L.push('Not run by default, to keep the default run near half an hour: tfjs-webgpu on gen-128 and on the batch-16 training step takes minutes per call here, and the other skipped pairs repeat on the slower Vulkan adapter a comparison that GL (or the small case) already makes:', '');
    const by = new Map<string, string[]>();
    for (const s of res.skipped) by.set(LABEL[s.backend], [...(by.get(LABEL[s.backend]) ?? []), s.case]);
    for (const [b, cs] of by) L.push(`- ${b}: ${cs.join(', ')}`);
    L.push('');
  }
  return L.join('\n');
}

/** Upscaling figures from bench/upscale.ts (bench/results/upscale-<backend>.json), when run. */
function upscaleSection(): string[] {
  const rows: string[] = [];
  for (const backend of ['opengl', 'vulkan']) {
    const file = join(ROOT, `bench/results/upscale-${backend}.json`);
    if (!existsSync(file)) continue;
    const u = JSON.parse(readFileSync(file, 'utf8'));
    rows.push(
      `| ${backend} | ${u.model.split('/').pop()} (${u.config.blocks} blocks) | ${(u.frame480x270.ms / 1000).toFixed(1)} s (${u.frame480x270.gflops.toFixed(1)} GFLOP/s) | ${u.vid4Calendar.fps.toFixed(3)} (${u.vid4Calendar.frames} frames) | ${(u.big960x540.ms / 1000).toFixed(0)} s, ${u.big960x540.bands === undefined ? `${u.big960x540.tiles} tiles` : `${u.big960x540.tiles} regions, ${u.big960x540.bands} bands`} | ${(u.big960x540.peakRssBytes / 2 ** 30).toFixed(2)} GiB | ${(u.big960x540.peakGpuBytes / 2 ** 20).toFixed(0)} MiB | ${u.date.slice(0, 16)} |`,
    );
  }
  if (!rows.length) return [];
  return [
    '## Upscaling (`npx tsx bench/upscale.ts`)',
    '',
    'The shipped default model through the tiled inference path (BN folded, activations fused). Peak RSS includes the GPU buffers: on a software adapter they live in this process.',
    '',
    '| backend | model | 480×270 → 1920×1080 | Vid4 calendar 180×144 → 720×576, frames/s | 960×540 → 3840×2160 | peak RSS | peak GPU buffers | measured |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}

/** Training-step times on a lent GPU machine (bench/results/gpu-training-*.json, from its training logs), when recorded. */
function gpuTrainingSection(): string[] {
  const rows: string[] = [];
  const sources: string[] = [];
  for (const name of ['h200', 'h100']) {
    const file = join(ROOT, `bench/results/gpu-training-${name}.json`);
    if (!existsSync(file)) continue;
    const g = JSON.parse(readFileSync(file, 'utf8'));
    sources.push(`${g.device}, ${g.backend}, ${g.date}: ${g.kernelTests}. Source: ${g.source}.`);
    for (const r of g.runs) {
      const gflops = r.flops ? `${f(r.flops / r.medianMs / 1e6, 0)}` : '—';
      rows.push(`| ${name.toUpperCase()} | ${r.case} | ${f(r.medianMs, 0)} ms (p10 ${f(r.p10Ms, 0)}, p90 ${f(r.p90Ms, 0)}) | ${gflops} | ${r.steps} |`);
    }
  }
  if (!rows.length) return [];
  return [
    '## Training on a real GPU (one lent session)',
    '',
    ...sources,
    '',
    '| GPU | step | median step time | GFLOP/s (median) | steps |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'The same WGSL kernels, tuned for llvmpipe (register-blocked, no shared memory): a few per cent of the H200\'s f32 peak, and no tfjs comparison on that machine yet. The issue\'s MSE step (16 blocks, batch 16) is 0.16 s there against about 9 s on the 2-core CPU machine.',
    '',
  ];
}

function bounds(res: Results): string[] {
  const out: string[] = [];
  const g = (b: BackendId, c: string) => pick(res, b, c);
  const fwd = g('vivid-opengl', 'conv-fwd') ?? g('vivid-opengl', 'conv-fwd-small');
  const bw = g('vivid-opengl', 'conv-bwd-filter') ?? g('vivid-opengl', 'conv-bwd-filter-small');
  if (fwd?.gflopsIdle) {
    out.push(
      `- **viVID conv kernels**: ${f(fwd.gflops)} GFLOP/s wall-clock for the forward on GL (${f(fwd.gflopsIdle)} GFLOP/s from CPU time on ${res.machine.cores} idle cores)` +
        (bw?.gflopsIdle ? `, ${f(bw.gflops)} (${f(bw.gflopsIdle)}) for the weight gradient` : '') +
        `. Two AVX2 cores with two 8-lane FMA units each peak above 100 GFLOP/s, so this is a few per cent of the arithmetic peak: the kernels are bound by llvmpipe's storage-buffer loads (method notes below), not by arithmetic.`,
    );
  }
  const vk = g('vivid-vulkan', fwd?.case ?? 'conv-fwd');
  if (vk?.timing && fwd?.timing) out.push(`- **GL vs Vulkan**: the same WGSL runs ${f(vk.timing.cpuMs / fwd.timing.cpuMs, 2)}× the CPU time on lavapipe as on llvmpipe for ${fwd.case} (both drivers compile shaders through LLVM; the difference was not investigated further).`);
  for (const r of res.results.filter((x) => x.profile?.length)) {
    const total = r.profile!.reduce((s, e) => s + e.ms, 0);
    const share = (re: RegExp) => (100 * r.profile!.filter((e) => re.test(e.kernel)).reduce((s, e) => s + e.ms, 0)) / total;
    const conv = share(/^conv2d/), gemm = share(/gemm|GEMM/), trans = share(/^conv2d_winograd\.(?!.*gemm)/), direct = share(/^conv2d\.(?!.*GEMM)/), rgb = share(/^conv2d_rgb\./);
    const top = r.profile!.slice(0, 3).map((e) => `${e.kernel} ${f((100 * e.ms) / total, 0)}%`).join(', ');
    const big = r.profile!.filter((e) => /^conv2d\./.test(e.kernel) && e.dispatches <= 2 && e.ms / total >= 0.05).map((e) => `${e.kernel} (${e.dispatches} dispatch${e.dispatches > 1 ? 'es' : ''}, ${f((100 * e.ms) / total, 0)}%)`);
    out.push(
      `- **${r.case}**: convolutions take ${f(conv, 0)}% of the replayed time — Winograd GEMMs ${f(gemm, 0)}%, Winograd transforms ${f(trans, 0)}%, ${rgb > 0 ? `RGB kernels (shaders/conv2d_rgb.wgsl: the 9×9 head and tail) ${f(rgb, 0)}%, ` : ''}direct conv kernels ${f(direct, 0)}%; the rest (batch norm, PReLU, adds, pixel shuffle, loss, Adam, reductions) ${f(100 - conv, 0)}%. Top kernels: ${top}.` +
        (big.length ? ` A few single dispatches weigh far more than their FLOPs: ${big.join(', ')} — these are the 9×9 head and tail convs (3 channels on one side), which run on the direct kernels, not Winograd, and on the generic \`*_any\` entry points where the 3-channel side is the vectorised one.` : ''),
    );
  }
  const perCpuS = (r: CaseResult | undefined) => {
    const c = res.cases.find((k) => k.id === r?.case);
    return r?.timing && c ? c.flops / (r.timing.cpuMs * 1e6) : undefined;
  };
  const ratiosWeb = res.cases.map((c) => speedup(res, 'vivid-opengl', 'tfjs-webgpu-opengl', c.id)).filter((s): s is { wall: number; cpu: number } => s !== null);
  if (ratiosWeb.length) {
    out.push(
      `- **tfjs-webgpu** on the same llvmpipe adapter takes ${f(Math.min(...ratiosWeb.map((s) => s.wall)), 1)}–${f(Math.max(...ratiosWeb.map((s) => s.wall)), 1)}× viVID's wall time (${f(Math.min(...ratiosWeb.map((s) => s.cpu)), 1)}–${f(Math.max(...ratiosWeb.map((s) => s.cpu)), 1)}× its CPU time) across the measured cases. ` +
        'Same driver, same per-lane load lowering, so the gap is in the kernels: tfjs-webgpu\'s convolution is a general matmul-style kernel without Winograd, its filter gradient is slower still (conv-bwd-filter rows), and training adds many small unfused ops. (tfjs-webgpu is not profiled per kernel here.)',
    );
  }
  const wasm = res.results.filter((r) => r.backend === 'tfjs-wasm' && r.gflopsIdle !== undefined && pick(res, 'vivid-opengl', r.case)?.gflopsIdle !== undefined);
  if (wasm.length) {
    const cmp = wasm.map((r) => ({ c: r.case, w: perCpuS(r)!, v: perCpuS(pick(res, 'vivid-opengl', r.case))!, impl: r.impl ?? '' }));
    const fmt = (x: (typeof cmp)[number]) => `${x.c} ${f(x.w, 2)} vs ${f(x.v, 2)}`;
    const ahead = cmp.filter((x) => x.w > x.v), behind = cmp.filter((x) => x.w <= x.v);
    out.push(
      '- **tfjs-wasm** computes on one thread (XNNPACK kernels, wasm SIMD128). GFLOP per CPU-second, wasm vs viVID GL: ' +
        (ahead.length ? `wasm ahead on ${ahead.map(fmt).join('; ')}` : 'wasm ahead nowhere') +
        (behind.length ? `; viVID ahead on ${behind.map(fmt).join('; ')}` : '') +
        '. Native SIMD code reads memory with vector loads where llvmpipe\'s shader loads are per lane, so where wasm has a tuned kernel (forward convolution, hence generator inference) it gets more out of a CPU-second; where it has none (Conv2DBackpropFilter: 9 shifted matmuls here) or a slow one, and in the training step (many unfused ops), viVID is ahead.',
    );
  }
  return out;
}

const CONV_NOTES = `- viVID's conv2d (src/kernels/conv2d.ts, default \`algorithm: 'auto'\`) runs **3×3 stride-1 convolutions with
  channels in vec4s on Winograd** (shaders/conv2d_winograd.wgsl): input/weight transforms, the
  GEMMs (\`wino_gemm\`; \`wino_bwd_w_gemm\` for the weight gradient, weights read through
  uniform-buffer windows), then the output transform with the fused bias/activation epilogue. The
  Winograd variants (F(2×2, 3×3), F(4×4, 3×3), the weight-gradient tiling) are being changed commit
  by commit: the header of src/kernels/conv2d.ts (src/kernels/conv2d/router.ts since the split) at the commit named at the top says which one a
  run measured. **Stride-1 convs with 3 channels on one side** (the 9×9 head 3→64 and tail 64→3,
  kernels up to 9×9) take the RGB kernels of shaders/conv2d_rgb.wgsl (src/kernels/conv2d/rgb.ts,
  since commit 7d661d7; notes below). **Everything else uses the direct kernels** in
  shaders/conv2d.wgsl: strided convs, other shapes (\`algorithm: 'direct'\` forces them everywhere).
- **Mesa 25's llvmpipe splits every storage-buffer element load into per-lane scalar loads**
  (uniform address or not, inside a loop or not; seen with \`GALLIVM_DEBUG=asm\`): exec-mask test,
  bounds compare + branch, scalar load, insert — about 8–10 instructions per element per lane,
  while a multiply-add is 2 vector instructions for 8 lanes. So the kernels are **load-bound**:
  time follows element loads per multiply-add, not FLOPs. Winograd cuts both in its GEMMs (2.25×
  for F(2×2, 3×3), 4× for F(4×4, 3×3)); its transforms and the extra passes over the transformed
  tensors eat part of that. Uniform-buffer loads with a uniform address are real scalar loads in
  llvmpipe, hence the weight windows.
- Tried without gain on the direct forward kernel (OpenGL, N = 4, CPU-scaled GFLOP/s, direct ~11–13):
  larger register blocks (8 px × 16 ch 6.4, 16 px × 8 ch 7.9, 16 × 16 3.0, 32 × 16 3.4); x loaded as
  vec4 along Cin 5.8; inner loop unrolled by hand 9.9 (the compiler already unrolls it); no
  zero-padding selects 9.0.
- **RGB kernels** (shaders/conv2d_rgb.wgsl): weights in 16 KiB uniform windows (16 output channels
  for 3→C, 16 input channels for C→3, the C→3 windows accumulated into y); a lane computes 8
  consecutive output pixels (× 8 channels for 3→C; × 4 rows × 3 channels for C→3) and loads the
  16-value input row segment once per (kernel row, channel), so each loaded value feeds up to 9
  taps (× 4 rows); the input gradient of 64→3 is the 3→64 kernel on dy with the flipped weights.
  Weight gradients: lanes over the wide side's channels, one kernel row per workgroup, a sliding
  window of the 9 shifted inputs in registers along each output row, partial sums per chunk of
  8 rows + \`sum_chunks\`. Batch 16, GL, CPU ms per call (bench/conv-rgb.ts, 'auto' vs the former
  'direct' kernels in the same run, load 3.6 from other work): head forward 90 → 31, head weight
  gradient 216 → 37, tail forward 1992 → 677, tail input gradient 1525 → 370, tail weight gradient
  5690 → 644: 9.5 s → 1.8 s for the five.
- **Unrolling matters more than blocking on llvmpipe** (\`GALLIVM_DEBUG=asm\`): Mesa's NIR does not
  unroll a loop whose unrolled body would be large (a 9-tap loop around 8 px × 2 vec4 FMAs stays a
  loop). Then an index like \`xr[j + kw]\` into a register array is dynamic, which llvmpipe lowers
  to a per-lane gather from the stack, and every accumulator written inside the loop is a masked
  blend + spill store + reload per multiply-add (5 instructions per 8-lane FMA). The RGB kernels
  therefore call a small function once per tap/pixel with a constant argument (inlined, all
  indices constant) and order the multiply-adds pixel-major so each accumulator stays in a
  register through its 9 taps: tail input gradient 610 → 350 ms, tail forward 640 → 450 ms.
  wino_gemm got the same treatment (tile-major over the 4 channels of a step): 5–11% less CPU in
  an interleaved A/B; 8 channels per step instead of 4: no gain. Tried on the RGB kernels without
  gain: 16 channels per lane for 3→C (slower), dy of the C→3 weight gradient through uniform
  windows (one dispatch per 1024 pixels: no faster, more code).
- **MSE training step** (paper SRResNet, batch 16, 24→96, GL, \`npm run bench -- --only viVID --cases
  train-step --backends vivid-opengl\` at both commits back to back; this 2-core machine had another
  process on about one core, so CPU time is the comparable figure): before (0171bd8) 21.7 s CPU per
  step, median wall 13.1 s, 9.3 GFLOP/s; after (1901d40: RGB kernels + the wino_gemm change) 11.8 s
  CPU, median wall 7.4 s (7.1–7.4), 16.6 GFLOP/s; load 2.1–2.4. Pairs at load 3.5–4: 20.3 → 11.8 s
  CPU (19ac8e5), 17.7 → 11.3 s (4b7292d). The RGB kernels are now 8–12% of the replayed step, the
  Winograd GEMMs ~53%, the Winograd transforms ~19%. At 11.8 s CPU an idle machine would need both
  cores fully busy for 5.9 s: the ≤ 5 s target is not met yet; the Winograd GEMMs are where the
  rest is.
- **Where wino_gemm's time goes** (0a0cd37, \`GALLIVM_DEBUG=asm\`, Mesa 25.0.7): one step of 4 input
  channels is ~6250 instructions around 512 \`vmulps\` + 512 \`vaddps\` (llvmpipe emits no FMA
  instructions on this EPYC): the 64 U components are clamped 8-lane gathers (~24 instructions
  each, ~1500), the 8 tiles' vec4 V loads 256 bounds-checked per-lane scalar loads (~2600). A
  uniform-buffer element is a single scalar load only when its index is a compile-time constant;
  a loop counter or workgroup_id in the index (even with nothing per-lane in it) gives the gather.
  Tried without gain: \`wino_gemm64\` (2 tiles × all 64 output channels per lane, the 16 steps of a
  64-channel chunk unrolled by constant-argument calls, so every U index is constant): the U loads
  became scalar, but 8 forward convs on [16,24,24,64] took 553 ms CPU vs 436–473 (interleaved A/B
  in one process) — the straight-line shader keeps the 1024 U scalars in a 127 KB stack frame.
  Dispatch size is not the limit: 16 convs on [16,24,24,64] (36 GEMM dispatches each) took
  839–981 ms CPU, one conv on [16,96,96,64] with the same FLOPs 826–836 ms.
- **MSE step at 0a0cd37, load 1.3** (same command): median wall 8.8 s (8.1–9.4), 12.2 s CPU,
  13.9 GFLOP/s; replayed shares: wino_gemm 43%, wino_bwd_w_gemm 12%, wino4_input 8%, wino4_output
  6%, the other Winograd passes 5%, RGB kernels 11%, everything else 15% (4446 dispatches). Still
  above 5 s.
- **BN → PReLU fused; PReLU forward one channel per lane** (replay profile of the MSE step at
  ea7bcde, GL, load ~3): the 16 residual blocks' BN1 → PReLU pairs took 337 ms of 7554 ms replayed
  (4.5%) — the flat \`prelu_forward\` (an \`i % C\` per element) 93 ms of it, 3× bn_apply on the same
  tensor — and the head/up PReLU forwards another 111 ms. \`op.batchNormPreluTrain\`
  (shaders/batchnorm.wgsl \`bn_prelu_*\`) applies both in one pass after the statistics, and runs the
  backward as two passes over (x, dy) — Σ g, Σ g·(x − mean) and the slope gradient, then dx —
  recomputing the BN output instead of keeping it on the tape; \`prelu_forward\` uses
  prelu_backward's channel-per-lane layout. Interleaved A/B in one process, CPU time: the 16 pairs
  forward + backward 227–287 → 138–144 ms on GL (341 → 216 on Vulkan), the head + up PReLU
  forwards 110 → 39 ms (187 → 64). Whole MSE step (HEAD and the change as two module trees in one
  process, 10 interleaved pairs, GL, load 3.0): 6.66 → 6.30 s CPU median, lower in all 10 pairs;
  wall 6.69 → 6.30 s with another process on about one core (in the quieter pairs of an earlier
  run, load ~2: 3.5–3.8 s before, 3.4–3.7 s after). Vulkan, 4 pairs: 12.2 → 11.8 s CPU.
  Replayed BN/PReLU/reduction share 9.8% → 7.0%; pixel shuffle (2 + 2 dispatches of ~80 ms on
  [16,96,96,64], 5%, a flat kernel with ~10 integer divisions per element) is now the largest
  non-conv item. The residual adds' backward now copies the gradient with a buffer copy instead
  of the affine kernel with factor 1: the step's 34 copies of [16,24,24,64] 84 → 4 ms CPU on GL,
  135 → 8 on Vulkan (interleaved, one process); too small to resolve in the whole step at load ~3.8.
  Both changes at 50b5c87 against the same tree without them (F(6×6) Winograd convs in both), 10
  interleaved pairs, GL, load 2.2–2.5: MSE step CPU median 6.79 → 6.53 s, wall 3.97 → 3.84 s.
- **F(6×6, 3×3) instead of F(4×4, 3×3)** for the forward, the input gradient and (transposed,
  F(3×3, 6×6)) the weight gradient, on the same GEMM kernels with 64 ξ: 1.78 multiplies per
  output instead of 2.25, and fewer transform loads and stores per output (an 8×8 patch per 36
  outputs instead of 6×6 per 16); fp32 outputs within 4–10e-6 relative L2 of F(4×4)'s.
  Interleaved A/B in one process (HEAD's conv2d.ts and shader loaded next to the change), CPU ms
  per call, GL, load 1.5–3 from another helper's benchmarks: [16,96,96,64] 64→64 forward 448 →
  358, input gradient 437 → 359, weight gradient 457 → 393 (their GEMMs 281 → 220, 285 → 219,
  327 → 266); [16,24,24,64] forward 29 → 26, input gradient 29 → 27, weight gradient 26.3 → 22.2
  summed over its kernels replayed one by one (the whole call 29 → 30 in that run, within its
  spread); at load 3.3–4.3 the minima of 5 rounds: 459 → 366, 436 → 369, 481 → 395, 33 → 29,
  37 → 33, 32 → 29. Vulkan, load 3.3–4.4 (noisy): [16,96,96,64] forward 1206 → 844, input
  gradient 913 → 812, weight-gradient GEMM 774 → 408; [16,24,24,64] within the noise. **MSE step**
  (paper SRResNet, batch 16, 24→96; HEAD 6e7591c and the change as two module trees in one
  process, steps interleaved, GL, load 3.7): CPU median 6930 → 6258 ms, lower in all 6 pairs;
  wall 6560 → 6026 ms; same first-step loss, later losses within 1e-6 relative. Vulkan, 3 pairs,
  load 4.9: 11450 → 11327 ms CPU (within the noise).
- **Tried without gain on the Winograd GEMMs** (same A/B, GL, CPU ms of the GEMM dispatches,
  [16,24,24,64] / [16,96,96,64] forward unless said, HEAD first). Instruction counts did not
  predict time: (1) V in uniform windows too (8 windows of 64 tiles × 64 channels per dispatch):
  the 4-channel step went from 6201 to 3960 instructions, no per-lane branches, but GL's 16 KiB
  windows need 19× the dispatches, ~100 µs each with 8 windows bound (40–70 µs with one): 19 →
  31, 287 → 305. (2) The lane's output-channel group and the step count as pipeline constants and
  the 16 steps unrolled by constant-argument calls, so every U index is constant (scalar U
  loads), one dispatch per group: 19 → 38, 276 → 353 — the compiled shader issues every step's
  loads up front (50 KB stack frame). (3) wino_gemm64 again with an atomicLoad between steps to
  pin the loads: it compiles to a plain load + mfence per lane and pins nothing (143 KB frame):
  297 → 398 (302 → 349 without it). (4) 4 tiles × 32 channels per lane: 18 → 22, 281 → 294;
  4 tiles × 16: 21 → 26, 343 → 331. (5) wino_bwd_w_gemm accumulator-major over 4 tiles per
  loop iteration (each accumulator stored once per 4 multiply-adds): 3174 → 2838 loop
  instructions per tile, yet [16,96,96,64] weight gradient 325 → 394 (2 tiles: 312 → 425).
  (6) V through textureLoad (rgba32float) instead of a storage buffer, microbenchmark of 4096
  lanes × 256 steps × 8 vec4: GL 19–21 ms vs 23–31, Vulkan 39–44 vs 44–73: too little for a
  texture path. (7) U from a read-only storage buffer at a uniform index: Mesa's lp_bld_nir
  (read in a Mesa 23-era copy) takes the scalar path for UBO and SSBO loads under the same test,
  nir_src_is_always_uniform (constants, push constants, ALU ops on them; not loop counters,
  workgroup_id or values loaded from a buffer), and a storage U measured 2× slower before (header
  of shaders/conv2d_winograd.wgsl): not repeated.
  (8) Two ξ per GEMM dispatch (a second uniform window; 32 dispatches instead of 64, which cost
  40–70 µs each): [16,24,24,64] forward GEMMs 18 → 16 ms and input gradient 16 → 15 (minima of 9
  rounds at load 3.4; medians noisier), [16,96,96,64] 240 → 242: not kept. F(8×8, 3×3) not
  tried: its fp32 error is 7e-5 relative L2 at best (points 0, ±1, ±2, ±½, 4, −¼; 3e-4 with ±4
  or ±¼), at the tests' 1e-4 tolerance.
- **All 64 Winograd GEMMs in one dispatch, U in workgroup memory** (8a53d06, 024bbf1, b7e15be).
  What the earlier attempts missed, read in the LLVM IR of Mesa 25.0 (\`GALLIVM_DEBUG=ir\`;
  \`=asm\` stops part-way through large shaders, so earlier instruction counts of big kernels
  were partial): a workgroup-memory load at a compile-time-constant offset, outside loops and
  lane-divergent branches, is one scalar load broadcast to the SIMD row, with no bounds check;
  a uniform-buffer load at a constant offset is a scalar load behind a bounds-check branch (the
  branches are what made (2) hoist everything); every other load is per lane. And each dispatch
  costs ~0.15–0.25 ms on GL (~0.12 ms recording, of which createBindGroup 0.03, the rest
  executing at submit on one thread; ~0.05 ms on Vulkan), so the 64 GEMM dispatches per conv
  were 5248 of the MSE step's 6397. Now wino_gemm runs one dispatch per 64-channel input chunk,
  workgroup y = ξ; the workgroup copies its 16 KiB U block to workgroup memory and reads it in
  straight-line code (16 × 16 constant-argument calls); each lane owns 2 tiles × 64 output
  channels, keeps its V in a function array (on the stack) and works one 4-channel group at a
  time (2 vec4 accumulators in registers). Step by step, MSE step A/B in one process (GL,
  medians of 4–5 pairs): one dispatch + constant offsets with 32 accumulators per lane 5864 →
  5153 ms (replayed GEMM time 3248 → 1556 ms, dispatches 6397 → 1225); one 4-channel group at a
  time 4662 → 4191 ms; 128 lanes per workgroup (one U copy for more lanes): [16,48,48,64] → 256
  GEMMs 146 → 136 ms (256 lanes: slower at 24 × 24). Losses equal in every pair.
- **The weight gradient reuses the forward's input transform** (0f0f360): x's F(6×6) V is what
  F(3×3, 6×6) transforms again; \`conv2dTrain\` returns it and ops.conv2d keeps it until the
  backward ran (35 wino6_input dispatches fewer per MSE step; ~4 MiB per residual conv at batch
  16): 5717 → 5405 ms (5 pairs).
- **Tried without gain this time**: the weight-gradient GEMM in the same style (Gd's 32-tile block
  in workgroup memory, 4 input channels per lane with V on the stack, 2 accumulators): [16,24,24,64]
  24.1 → 27.1 ms, [16,48,48,64→256] 309 → 317 (per-lane loads and the partial-sum stores dominate
  it); the F(6×6) transforms' column and row loops as constant-argument calls: 308 → 303 ms for the
  step's 70 wino6_input dispatches (they were unrolled already: these kernels are bound by their
  per-lane loads and stores).
- **This session's whole MSE-step change** (6b899d5 → b7e15be, both trees in one process, GL, 5
  interleaved pairs, 07:40 UTC, a slow period): median wall 6177 → 4681 ms, CPU 9889 → 8033 ms,
  losses equal; Vulkan, 3 pairs: 8419 → 7023 ms (CPU 16.4 → 13.6 s). Where the step goes now
  (replayed, 1190 dispatches): wino_gemm 24%, wino_bwd_w_gemm 17%, F(6×6) transforms 25%, RGB
  kernels 18%. The same code measured 3.7–4.8 s per step in quiet periods of this VM.
- **Vulkan's JS thread spun while the GPU worked** (07c30ef): dawn.node settles mapAsync and
  onSubmittedWorkDone by re-queuing a device tick with setImmediate while one is pending, so on
  Vulkan (asynchronous submit) the JS thread ran at 100% for the whole step and took a core from
  lavapipe's two threads: per-thread CPU of one MSE step, JS thread 4.0–5.4 s of 5.3–6.9 s wall.
  With dawn's tick on a 1 ms timer (src/graph/device.ts): 4.2–4.4 s wall, JS thread 0.3 s, in
  adjacent runs (2.8 s in a later quiet period). GL runs the work inside submit, so its JS thread
  used 0.1–0.16 s per step either way, and its GAN step looked a few % slower with the timer
  (sequential runs 23.3/29.6/22.7/19.7 s against 23.0/18.9/20.8/19.0 s): the timer is for lavapipe
  only (563c0fe). A full run with it on every backend (f21fa5b) measured MSE step GL 4397 ms,
  Vulkan 3912 ms; GAN step GL 32.4 s, Vulkan 20.9 s.
- **Pixel shuffle, one thread per output pixel** (997a52b): the flat kernel did ~10 integer
  divisions by runtime sizes per element, which llvmpipe runs lane by lane; looping over a
  pixel's channels pays them once per pixel. GL, idle, 10 calls each, wall: [16,48,48,256]
  shuffle 79.6 → 21.5 ms, unshuffle 85.0 → 18.7 ms; [16,24,24,256] 24.8 → 7.1 and 26.0 → 5.2 ms —
  about 160 ms of the MSE step's four dispatches.
- **This machine's speed varies by ~40% between runs of the same code** (a VM on shared hosts):
  the MSE step at 997a52b, \`--only viVID --cases train-step --backends vivid-opengl\`, idle:
  median 4163 ms / 7.0 s CPU at 05:55 UTC, then 6207 ms / 9.8 s CPU in the full run above
  (05:58), 5780 / 9.4 s and 6161 / 9.5 s at 06:15 (load 0.2–1.7). CPU time per call moves with
  the wall time, so it is not the load: figures from different runs compare only within that
  band, and A/B pairs must be interleaved in one process (as all of the above were). The same
  step measured 6.8 s CPU under load at 04:53 and 12.2 s on the previous session's VM at 0a0cd37
  (before F(6×6), the BN → PReLU fusion and this pixel shuffle). This session's start (c95bdc2)
  against 997a52b, both trees in one process, 4 interleaved pairs at 06:27 (a slow period): median
  wall 7.79 → 6.26 s, CPU 12.05 → 9.94 s, losses equal to 5 digits. The ≤ 5 s target: met in the fast period (4.16 s), missed in the rest
  (5.3–6.2 s); a margin needs ~20% more.
- **Input gradient of stride-2 convs** (the discriminator's k3s2 layers): it ran as conv_fwd4 over
  dy dilated by 2, where a lane's 8 consecutive pixels alternate between real and hole taps, so
  3/4 of its loads and multiply-adds were on zeros: 2.0 GFLOP/s (useful FLOPs) in the replayed
  GAN step, a quarter of that step's time. \`conv_dx4\` (shaders/conv2d.wgsl, when Cin % 8 == 0)
  runs one dispatch per output phase (dx rows ph + 2r, columns pw + 2c) over only the taps that
  meet real dy pixels (uniform per dispatch), a lane's pixels reading consecutive dy columns:
  8.05 → 2.77 s replayed for the 12 input gradients of one GAN step (5.9 GFLOP/s, the level of
  the stride-2 forward and weight gradient kernels); docs/TRAINING.md "GAN step on the CPU".`;

await main();
