// A banded matrix applied along one axis of an image: out = M·x down the rows (axis 0: out[i, x]
// = Σ_j M[i, j]·src[j, x]) or across the columns (axis 1: out[y, i] = Σ_j M[i, j]·src[y, j]),
// every channel alike. The pieces of the temporal mode's back-projection onto the LR frame
// (src/kernels/backproject.ts): the MATLAB bicubic downscale, its transpose and the inverse of
// its Gram matrix are all separable, so the 2-D operators are two 1-D passes each.
//
// M [rows, n] is stored as a band: per output index i, the column of its first tap (an integer
// held in f32) and then `taps` weights for columns first .. first + taps − 1 (zeros past the
// band, which the host keeps inside 0 .. n − 1).

override WG: u32 = 256;

struct Params {
  pixels: u32,  // output elements / c (threads)
  w: u32,       // input width and height
  h: u32,
  c: u32,       // channels
  ow: u32,      // output width and height: one axis keeps its length, the other is M's rows
  oh: u32,
  axis: u32,    // 0: M acts on the rows (H → oh), 1: on the columns (W → ow)
  taps: u32,    // weights per band row
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> band: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

//! include lib/grid.wgsl

// src = [H, W, C], band = [rows, 1 + taps], dst = [oh, ow, C].
@compute @workgroup_size(WG)
fn band_axis(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let x = o % p.ow;
  let y = o / p.ow;
  let i = select(x, y, p.axis == 0u);
  let row = i * (p.taps + 1u);
  let first = u32(band[row]);
  // Input element of tap t: (first + t, x) down the rows, (y, first + t) across the columns.
  let base = select(y * p.w + first, first * p.w + x, p.axis == 0u) * p.c;
  let step = select(1u, p.w, p.axis == 0u) * p.c;
  for (var k = 0u; k < p.c; k++) {
    var acc = 0.0;
    for (var t = 0u; t < p.taps; t++) {
      acc = fma(band[row + 1u + t], src[base + t * step + k], acc);
    }
    dst[o * p.c + k] = acc;
  }
}
