// Runs fuzz cases in a child process under a time and memory cap per case. The parent watches
// the child's resident memory (/proc) and a per-case timer; a case that hangs, grows past the
// cap, crashes the process, or ends in an unclean error becomes a finding, and the child is
// restarted after it.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FORMATS, type CaseFormat } from './cases.ts';
import type { ChildMessage, Outcome } from './child.ts';

export interface FuzzOptions {
  seed: number;
  /** Formats taking turns (default: all). */
  formats?: readonly CaseFormat[];
  /** First case index (default 0). */
  first?: number;
  /** Run this many cases ... */
  cases?: number;
  /** ... or as many as fit in this time. */
  durationMs?: number;
  /** Per-case wall-time cap. */
  timeoutMs: number;
  /** Resident-memory cap of the worker process. */
  memoryMb: number;
  onCase?: (i: number, outcome: Outcome | Finding['kind']) => void;
}

export interface Finding {
  index: number;
  seed: string;
  mutation: string;
  kind: 'unclean' | 'bad-result' | 'timeout' | 'memory' | 'crash';
  detail: string;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  outcomes: Record<string, number>;
  findings: Finding[];
  slowestMs: number;
  slowestCase: number;
  peakRssMb: number;
  wallMs: number;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const childPath = fileURLToPath(new URL('./child.ts', import.meta.url));

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now();
  let next = o.first ?? 0;
  const end = o.cases === undefined ? Number.MAX_SAFE_INTEGER : next + o.cases;
  const deadline = o.durationMs === undefined ? Infinity : t0 + o.durationMs;
  const report: FuzzReport = { seed: o.seed, cases: 0, outcomes: {}, findings: [], slowestMs: 0, slowestCase: -1, peakRssMb: 0, wallMs: 0 };
  const count = (k: string) => (report.outcomes[k] = (report.outcomes[k] ?? 0) + 1);
  while (next < end && Date.now() < deadline) {
    next = await runChild(o, next, end, deadline, report, count);
  }
  report.wallMs = Date.now() - t0;
  return report;
}

/** One worker from case `start`; resolves with the index to continue from. */
function runChild(o: FuzzOptions, start: number, end: number, deadline: number, report: FuzzReport, count: (k: string) => void): Promise<number> {
  return new Promise((resolveNext) => {
    const child: ChildProcess = spawn(process.execPath, [`--max-old-space-size=${o.memoryMb}`, '--import', 'tsx', childPath, String(o.seed), String(start), String(end), (o.formats ?? FORMATS).join(',')], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    let current: Extract<ChildMessage, { t: 'start' }> | null = null;
    let killedFor: Finding['kind'] | null = null;
    let resumeAt = start;
    let timer: NodeJS.Timeout | undefined;
    const finding = (kind: Finding['kind'], detail: string) => {
      if (!current) return;
      report.findings.push({ index: current.i, seed: current.seed, mutation: current.mutation, kind, detail });
      report.cases++;
      count(kind);
      o.onCase?.(current.i, kind);
    };
    const stop = (kind: Finding['kind'] | null) => {
      killedFor = kind;
      child.kill('SIGKILL');
    };
    const poll = setInterval(() => {
      const mb = rssMb(child.pid!);
      report.peakRssMb = Math.max(report.peakRssMb, mb);
      if (mb > o.memoryMb && current) stop('memory');
      else if (Date.now() > deadline && !current) stop(null);
    }, 25);
    child.on('message', (m: ChildMessage) => {
      if (m.t === 'start') {
        if (Date.now() > deadline) return stop(null);
        current = m;
        resumeAt = m.i + 1;
        timer = setTimeout(() => stop('timeout'), o.timeoutMs);
      } else if (m.t === 'done') {
        clearTimeout(timer);
        report.cases++;
        count(m.outcome);
        if (m.ms > report.slowestMs) (report.slowestMs = m.ms), (report.slowestCase = m.i);
        if (m.outcome === 'unclean' || m.outcome === 'bad-result') {
          report.findings.push({ index: m.i, seed: current!.seed, mutation: current!.mutation, kind: m.outcome, detail: m.message });
        }
        o.onCase?.(m.i, m.outcome);
        current = null;
      }
    });
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      if (current) {
        if (killedFor === 'memory') finding('memory', `resident memory passed ${o.memoryMb} MB`);
        else if (killedFor === 'timeout') finding('timeout', `still running after ${o.timeoutMs} ms`);
        else if (killedFor === null && Date.now() > deadline) resumeAt = current.i; // stopped for time: not a result
        else finding('crash', `worker exited (code ${code}, signal ${signal}): ${stderr.trim().slice(-600)}`);
      } else if (code !== 0 && killedFor === null && resumeAt < end && Date.now() < deadline) {
        // Died between cases (e.g. while loading seeds): report and give up on this run.
        report.findings.push({ index: resumeAt, seed: '-', mutation: '-', kind: 'crash', detail: `worker failed outside a case (code ${code}): ${stderr.trim().slice(-600)}` });
        resumeAt = end;
      }
      resolveNext(resumeAt);
    });
  });
}
