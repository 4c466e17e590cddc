// Runs a command with its stderr passed through a filter that drops Dawn's adapter-limit
// notices ("Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90
// to 16 …"). Dawn prints those from native code straight to file descriptor 2 each time it
// enumerates adapters; nothing in Dawn's or dawn.node's API turns them off, and a process
// cannot redirect its own descriptor from JavaScript, so the filter sits in a parent process.
// Every other line, real driver errors included, passes through unchanged and unbuffered
// (progress bars without a newline are written as they come). Plain JavaScript: it runs
// before tsx is registered.

import { spawn } from 'node:child_process';

/** The lines dropped. Anything else Dawn says is kept. */
export const DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.\r?$/;
const NOISE_START = 'Warning: maxDynamic';

/** A stateful filter over text chunks: feed() returns what may be written now, end() the rest. */
export function noiseFilter() {
  let held = '';
  const mayBeNoise = (partial) => NOISE_START.startsWith(partial.slice(0, NOISE_START.length)) && (partial.length < NOISE_START.length || partial.startsWith(NOISE_START));
  return {
    feed(chunk) {
      const text = held + chunk;
      const lines = text.split('\n');
      const last = lines.pop();
      const kept = lines.filter((l) => !DAWN_NOISE.test(l)).map((l) => l + '\n').join('');
      // Hold back an unfinished line only while it could still become a noise line.
      const lastStart = last.lastIndexOf('\r') + 1;
      if (mayBeNoise(last.slice(lastStart))) {
        held = last.slice(lastStart);
        return kept + last.slice(0, lastStart);
      }
      held = '';
      return kept + last;
    },
    end() {
      const rest = DAWN_NOISE.test(held) ? '' : held;
      held = '';
      return rest;
    },
  };
}

/**
 * Spawn `command args` with stdin/stdout inherited and stderr filtered; resolve with its exit
 * code. Signals sent to this process only (kill PID) are forwarded; a terminal's Ctrl-C reaches
 * the child itself. A child killed by a signal is mirrored by 128 + the signal number.
 */
export function runQuiet(command, args, env = process.env) {
  const stderr = process.stderr;
  const childEnv = { ...env, VIVID_STDERR_FILTERED: '1' };
  // The child's stderr is a pipe; tell it the terminal's width so it still draws bars in place.
  if (stderr.isTTY) childEnv.VIVID_STDERR_COLUMNS = String(stderr.columns || 100);
  const child = spawn(command, args, { stdio: ['inherit', 'inherit', 'pipe'], env: childEnv });
  const filter = noiseFilter();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    const out = filter.feed(d);
    if (out) stderr.write(out);
  });
  const forward = (sig) => child.kill(sig);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, forward);
  return new Promise((resolve) => {
    child.on('error', (e) => {
      stderr.write(`${command}: ${e.message}\n`);
      resolve(127);
    });
    child.on('close', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      const rest = filter.end();
      if (rest) stderr.write(rest);
      const signo = signal ? { SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 }[signal] ?? 1 : 0;
      resolve(signal ? 128 + signo : code ?? 1);
    });
  });
}

/** Whether to filter: not already filtered above us, and no --verbose / VIVID_VERBOSE. */
export function wantsFilter(args, env = process.env) {
  return !env.VIVID_STDERR_FILTERED && !env.VIVID_VERBOSE && !args.includes('--verbose') && !args.includes('-v');
}
