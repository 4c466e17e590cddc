// The progress bar: count/total, rate, ETA and status; full lines when not on a TTY,
// in-place redraws on a TTY, nothing when disabled.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Progress, formatDuration, within } from '../../src/util/progress.ts';

// Every test runs on a fake clock that starts at 0.
beforeEach(() => void vi.useFakeTimers({ now: 0 }));
afterEach(() => void vi.useRealTimers());

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: Object.assign({ write: (s: string) => (chunks.push(s), true), isTTY, columns: 200 }) as unknown as NodeJS.WritableStream & { isTTY: boolean } };
}

describe('Progress', () => {
  it('prints count/total, rate, ETA and status lines when not a TTY', () => {
    const { chunks, stream } = sink(false);
    const p = new Progress({ label: 'train', total: 10, unit: 'steps', stream, interval: 5 });
    vi.setSystemTime(2000);
    p.tick(1, 'loss 0.31'); // first draw happens at once
    vi.setSystemTime(3000);
    p.tick(1); // within the interval: no new line
    vi.setSystemTime(8000);
    p.tick(2, 'loss 0.12');
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toMatch(/^train  \[##-+\]  1\/10 steps  2\.0 s\/step  ETA 0:18  loss 0\.31\n$/);
    expect(chunks[1]).toMatch(/4\/10 steps .*ETA .*loss 0\.12\n$/);
    p.done();
    expect(chunks[2]).toMatch(/4\/10 steps .* in 0:08/);
    p.tick(); // after done(): ignored
    expect(chunks).toHaveLength(3);
    const fast = new Progress({ label: 'f', total: 100, unit: 'frames', stream, interval: 5 });
    vi.setSystemTime(10_000);
    fast.update(25);
    expect(chunks.at(-1), chunks.at(-1)).toMatch(/ 12\.5 frames\/s  ETA 0:06/);
  });

  it('moves inside one image: within() maps (work done, in all) onto its share, with decimals', () => {
    const { chunks, stream } = sink(false);
    const p = new Progress({ label: 'upscale', total: 8.29, unit: 'Mpx', decimals: 2, stream, interval: 1 });
    // A folder: a 2.07 Mpx output done, then a 6.22 Mpx one whose bands report FLOPs.
    p.update(2.07);
    const report = within(p, 2.07, 6.22);
    vi.setSystemTime(4000);
    report(0, 4e11);
    vi.setSystemTime(8000);
    report(1e11, 4e11);
    expect(chunks.at(-1)).toMatch(/^upscale  \[#{9}-{11}\]  3\.63\/8\.29 Mpx  2\.2 s\/Mpx  ETA 0:10\n$/);
    vi.setSystemTime(12_000);
    report(4e11, 4e11);
    expect(p.value).toBeCloseTo(8.29, 9);
    expect(chunks.at(-1)).toMatch(/8\.29\/8\.29 Mpx/);
    // Whole units by default: a unit in progress is not shown as done.
    const frames = new Progress({ label: 'video', total: 10, unit: 'frames', stream, interval: 1 });
    frames.update(3.9);
    expect(chunks.at(-1)).toMatch(/ 3\/10 frames/);
  });

  it('redraws in place on a TTY and stays silent when disabled', () => {
    const { chunks, stream } = sink(true);
    const p = new Progress({ label: 'x', total: 3, stream });
    p.tick();
    expect(chunks[0]).toMatch(/^\r.*1\/3.*\x1b\[K$/);
    p.done();
    expect(chunks.at(-1)).toMatch(/\n$/);
    const quiet = sink(false);
    const q = new Progress({ label: 'q', total: 2, stream: quiet.stream, enabled: false });
    q.tick();
    q.done();
    expect(quiet.chunks).toEqual([]);
  });

  it('formats durations', () => {
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(125)).toBe('2:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Infinity)).toBe('?');
  });
});

describe('Progress rate with slow units', () => {
  it('keeps a rate and ETA while a unit takes longer than the rate window', () => {
    const { chunks, stream } = sink(false);
    const p = new Progress({ label: 'video', total: 24, unit: 'frames', stream, interval: 5 });
    for (let i = 1; i <= 3; i++) {
      vi.setSystemTime(i * 30_000);
      p.tick(1);
    }
    vi.setSystemTime(3 * 30_000 + 20_000);
    p.setStatus('tile 2/2');
    expect(chunks.at(-1), chunks.at(-1)).toMatch(/3\/24 frames  30\.0 s\/frame  ETA /);
  });
});

describe('Progress of resumed work', () => {
  it('counts units done before startAt() in the bar but not in the rate or the time', () => {
    const { chunks, stream } = sink(false);
    const p = new Progress({ label: 'train', total: 2000, unit: 'steps', stream, interval: 5 });
    vi.setSystemTime(1000);
    p.startAt(1900);
    vi.setSystemTime(11_000);
    p.update(1920);
    expect(chunks.at(-1), chunks.at(-1)).toMatch(/1920\/2000 steps  2\.00 steps\/s  ETA 0:40/);
    vi.setSystemTime(21_000);
    p.update(1940);
    p.done();
    expect(chunks.at(-1), chunks.at(-1)).toMatch(/1940\/2000 steps  2\.00 steps\/s  in 0:20/);
  });
});
