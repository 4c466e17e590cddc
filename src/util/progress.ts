// A small terminal progress bar for long jobs (upscaling, video, training):
//
//   upscale  [#########-----------]  12.4/27.6 Mpx  0.15 Mpx/s  ETA 1:41  baby.png 480×270
//
// On a TTY it redraws one line in place (at most ~10 times a second, so tick() stays cheap in
// tight loops); when stderr is a pipe or a log file it prints a full line every few seconds
// instead, so CI logs show progress without thousands of carriage returns.

export interface ProgressOptions {
  label: string;
  /** Units of work in all; 0 or undefined when unknown (no bar, no ETA). */
  total?: number;
  /** Name of one unit, plural ('images', 'frames', 'steps'). */
  unit?: string;
  /** Where to draw; default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Seconds between lines when not on a TTY (default 5, or $VIVID_PROGRESS_INTERVAL). */
  interval?: number;
  /** false: draw nothing (e.g. --quiet). */
  enabled?: boolean;
  /** Decimals of the count and total (default 0: whole units, a unit in progress not shown). */
  decimals?: number;
}

const BAR = 20;
/** The rate is measured over this recent window, so it follows speed changes (warm-up, etc.). */
const RATE_WINDOW_MS = 10_000;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mmss = `${h ? String(m).padStart(2, '0') : m}:${String(sec).padStart(2, '0')}`;
  return h ? `${h}:${mmss}` : mmss;
}

/** "12.3 frames/s", or "4.2 s/frame" when slower than one unit a second (easier to read). */
function formatRate(r: number, unit: string): string {
  const u = unit || 'units';
  if (!Number.isFinite(r) || r <= 0) return `- ${u}/s`;
  if (r < 1) return `${(1 / r).toFixed(1)} s/${u.replace(/s$/, '')}`;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)} ${u}/s`;
}

export class Progress {
  readonly label: string;
  total: number;
  readonly unit: string;
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private readonly enabled: boolean;
  private readonly intervalMs: number;
  private readonly decimals: number;
  private start = Date.now();
  private count = 0;
  /** Units done before this session (a resumed run): counted in the bar, not in the rate. */
  private base = 0;
  private status = '';
  private lastDraw = 0;
  private drawn = false;
  private finished = false;
  /** (time, count) samples for the windowed rate. */
  private samples: Array<[number, number]> = [];

  constructor(opts: ProgressOptions) {
    this.label = opts.label;
    this.total = opts.total ?? 0;
    this.unit = opts.unit ?? '';
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.enabled = opts.enabled ?? process.env.VIVID_PROGRESS !== '0';
    const envInterval = Number(process.env.VIVID_PROGRESS_INTERVAL);
    this.intervalMs = 1000 * (opts.interval ?? (Number.isFinite(envInterval) && envInterval > 0 ? envInterval : 5));
    this.decimals = opts.decimals ?? 0;
    this.samples.push([this.start, 0]);
  }

  /** Units done so far. */
  get value(): number {
    return this.count;
  }

  /** n more units done; status replaces the free text at the end of the line when given. */
  tick(n = 1, status?: string): void {
    this.update(this.count + n, status);
  }

  /** Resumed work: n units were done before now; the rate and total time count from here. */
  startAt(n: number): void {
    this.start = Date.now();
    this.count = this.base = n;
    this.samples = [[this.start, n]];
    this.maybeDraw(this.start);
  }

  /** Set the absolute count. */
  update(done: number, status?: string): void {
    this.count = done;
    if (status !== undefined) this.status = status;
    const now = Date.now();
    const last = this.samples[this.samples.length - 1]!;
    if (done < last[1]) this.samples = [[now, done]];
    else if (done !== last[1] && now - last[0] >= 250) this.samples.push([now, done]);
    // Drop samples older than the window, but keep one below the current count: with units
    // slower than the window (video frames at 30 s each) the rate must not fall to zero.
    while (this.samples.length > 2 && now - this.samples[1]![0] > RATE_WINDOW_MS && this.samples[1]![1] < done) this.samples.shift();
    this.maybeDraw(now);
  }

  /** Just change the status text. */
  setStatus(status: string): void {
    this.update(this.count, status);
  }

  /**
   * Units per second over the last ~10 s of completed units (the whole run once done): measured
   * between count changes, so a unit still in progress does not drag the rate down.
   */
  rate(now = Date.now()): number {
    const first = this.samples[0]!, last = this.samples[this.samples.length - 1]!;
    if (this.finished) return now > this.start ? ((this.count - this.base) * 1000) / (now - this.start) : 0;
    if (this.samples.length < 2) {
      const dt = (now - first[0]) / 1000;
      return dt > 0 ? (this.count - first[1]) / dt : 0;
    }
    return (last[1] - first[1]) / ((last[0] - first[0]) / 1000);
  }

  /** The current line, without control characters. */
  line(now = Date.now()): string {
    const parts = [this.label];
    const unit = this.unit ? ` ${this.unit}` : '';
    if (this.total > 0) {
      const frac = Math.min(1, this.count / this.total);
      const fill = Math.round(frac * BAR);
      parts.push(`[${'#'.repeat(fill)}${'-'.repeat(BAR - fill)}]`, `${this.amount(this.count)}/${this.amount(this.total)}${unit}`);
    } else {
      parts.push(`${this.amount(this.count)}${unit}`);
    }
    const r = this.rate(now);
    parts.push(formatRate(r, this.unit));
    if (this.finished) parts.push(`in ${formatDuration((now - this.start) / 1000)}`);
    else if (this.total > 0) parts.push(`ETA ${r > 0 ? formatDuration((this.total - this.count) / r) : '?'}`);
    if (this.status) parts.push(this.status);
    return parts.join('  ');
  }

  private amount(n: number): string {
    return this.decimals ? n.toFixed(this.decimals) : String(Math.floor(n));
  }

  private maybeDraw(now: number): void {
    if (!this.enabled || this.finished) return;
    const wait = this.tty ? 100 : this.intervalMs;
    if (this.drawn && now - this.lastDraw < wait) return;
    this.draw(now);
  }

  private draw(now: number): void {
    this.lastDraw = now;
    this.drawn = true;
    let text = this.line(now);
    if (this.tty) {
      const cols = this.stream.columns ?? 100;
      if (text.length > cols - 1) text = text.slice(0, cols - 2) + '…';
      this.stream.write(`\r${text}\x1b[K`);
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Final line (with the total time); further ticks are ignored. */
  done(status?: string): void {
    if (this.finished) return;
    if (status !== undefined) this.status = status;
    this.finished = true;
    if (!this.enabled) return;
    const now = Date.now();
    const text = this.line(now);
    this.stream.write(this.tty ? `\r${text}\x1b[K\n` : `${text}\n`);
  }

  /** Write a message without garbling the bar (it is redrawn on the next tick). */
  log(message: string): void {
    if (this.enabled && this.tty && this.drawn && !this.finished) this.stream.write('\r\x1b[K');
    this.stream.write(`${message}\n`);
    this.drawn = false;
  }
}

/**
 * upscaleTiled's onProgress (work done and in all) as progress on p: `units` of it (an image's
 * megapixels, one frame) on top of `base`, so the bar moves as each region's convs and each band
 * finish, inside a single image too.
 */
export function within(p: Progress, base: number, units = 1): (done: number, total: number) => void {
  return (done, total) => p.update(base + (total > 0 ? (units * done) / total : 0));
}
