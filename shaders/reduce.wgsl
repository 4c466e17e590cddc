// Column sums of a row-major [rows, cols] matrix (an NHWC tensor viewed as [N·H·W, C], or a
// flat array as [n, 1]), as a tree: each workgroup sums a block of rows_per_group rows for TC
// columns and writes one row of partial sums; the host repeats the plain `sum_rows` pass over
// the partials until one row is left. Each thread adds at most rows_per_group / TR values
// serially, the rest is pairwise in workgroup memory, so f32 error stays small over millions
// of rows.
//
// Thread layout in a workgroup: lid = lc + TC·lr, column tile·TC + lc, rows r0 + lr + k·TR.
// Neighbouring threads read neighbouring columns of a row, so reads are contiguous when cols
// is large and contiguous down the rows when cols = 1 (TC = 1).
//
// Entries with two accumulators (K = 2) write partial rows of width 2·cols: the first cols
// values are the first quantity, the next cols the second; later passes treat them as 2·cols
// plain columns.

override WG: u32 = 256;
/** Columns per workgroup: a power of two dividing WG. */
override TC: u32 = 64;
/** Row lanes per workgroup. */
override TR: u32 = WG / TC;

struct Params {
  rows: u32,
  cols: u32,
  rows_per_group: u32,
  /** Multiplies the written sums (1/n on the last pass of a mean, else 1). */
  scale: f32,
  /** Multiplies `center` (1/rows when center holds column sums, 1 when it holds means). */
  center_scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> center: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> s0: array<f32, WG>;
var<workgroup> s1: array<f32, WG>;

/** The rows this workgroup covers and where one thread starts. */
struct Block {
  col: u32,
  lc: u32,
  start: u32,
  end: u32,
  live: bool,
}

fn block_of(lid: u32, wg: vec3<u32>) -> Block {
  let lc = lid % TC;
  let col = wg.y * TC + lc;
  let r0 = wg.x * p.rows_per_group;
  let end = min(r0 + p.rows_per_group, p.rows);
  // Threads past the last column still take part in the barriers below, with zero sums.
  return Block(col, lc, r0 + lid / TC, end, col < p.cols);
}

/** Pairwise sums over the row lanes: afterwards s0[lc] (and s1[lc]) hold the column sums. */
fn tree(lid: u32, two: bool) {
  workgroupBarrier();
  var stride = WG / 2u;
  while (stride >= TC) {
    if (lid < stride) {
      s0[lid] += s0[lid + stride];
      if (two) { s1[lid] += s1[lid + stride]; }
    }
    workgroupBarrier();
    stride /= 2u;
  }
}

fn store_sums(b: Block, lid: u32, wg: vec3<u32>, two: bool) {
  if (lid >= TC || !b.live) { return; }
  let width = select(p.cols, 2u * p.cols, two);
  out[wg.x * width + b.col] = s0[b.lc] * p.scale;
  if (two) { out[wg.x * width + p.cols + b.col] = s1[b.lc] * p.scale; }
}

// Σ x
@compute @workgroup_size(WG)
fn sum_rows(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let b = block_of(lid, wg);
  var acc = 0.0;
  if (b.live) {
    for (var r = b.start; r < b.end; r += TR) { acc += x[r * p.cols + b.col]; }
  }
  s0[lid] = acc;
  tree(lid, false);
  store_sums(b, lid, wg, false);
}

// Σ (x − m) and Σ (x − m)², m = center·center_scale: the second pass of a two-pass variance.
// The first sum corrects for the rounding of m (corrected two-pass algorithm).
@compute @workgroup_size(WG)
fn sqdev_rows(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let b = block_of(lid, wg);
  var a0 = 0.0;
  var a1 = 0.0;
  if (b.live) {
    let m = center[b.col] * p.center_scale;
    for (var r = b.start; r < b.end; r += TR) {
      let d = x[r * p.cols + b.col] - m;
      a0 += d;
      a1 += d * d;
    }
  }
  s0[lid] = a0;
  s1[lid] = a1;
  tree(lid, true);
  store_sums(b, lid, wg, true);
}

// Σ y and Σ y·(x − m), m = center·center_scale: batch norm backward (y = dy).
@compute @workgroup_size(WG)
fn dot_dev_rows(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let b = block_of(lid, wg);
  var a0 = 0.0;
  var a1 = 0.0;
  if (b.live) {
    let m = center[b.col] * p.center_scale;
    for (var r = b.start; r < b.end; r += TR) {
      let i = r * p.cols + b.col;
      let g = y[i];
      a0 += g;
      a1 += g * (x[i] - m);
    }
  }
  s0[lid] = a0;
  s1[lid] = a1;
  tree(lid, true);
  store_sums(b, lid, wg, true);
}

// Σ (x − y)²: MSE without materialising the difference.
@compute @workgroup_size(WG)
fn sqdiff_rows(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>) {
  let b = block_of(lid, wg);
  var acc = 0.0;
  if (b.live) {
    for (var r = b.start; r < b.end; r += TR) {
      let i = r * p.cols + b.col;
      let d = x[i] - y[i];
      acc += d * d;
    }
  }
  s0[lid] = acc;
  tree(lid, false);
  store_sums(b, lid, wg, false);
}

struct MomentParams {
  cols: u32,
  /** 1 / rows. */
  inv_n: f32,
}

@group(0) @binding(0) var<uniform> mp: MomentParams;
@group(0) @binding(1) var<storage, read> sums: array<f32>;
/** [2·cols]: Σ (x − m) then Σ (x − m)², from sqdev_rows with center = sums. */
@group(0) @binding(2) var<storage, read> dev: array<f32>;
@group(0) @binding(3) var<storage, read_write> mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> variance: array<f32>;

// mean = m + Σd/n and biased var = Σd²/n − (Σd/n)², with m the same f32 value sqdev_rows used.
@compute @workgroup_size(64)
fn moments_finalize(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= mp.cols) { return; }
  let m = sums[c] * mp.inv_n;
  let dm = dev[c] * mp.inv_n;
  mean[c] = m + dm;
  variance[c] = max(dev[mp.cols + c] * mp.inv_n - dm * dm, 0.0);
}
