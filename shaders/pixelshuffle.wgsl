// Pixel shuffle (sub-pixel convolution upsampling) in PyTorch's channel order, in NHWC:
//   out[n, r·y + i, r·x + j, c] = in[n, y, x, c·r² + i·r + j]
// Both directions are gathers with one thread per OUTPUT element, so every output is written
// exactly once and no two threads write the same place.

override WG: u32 = 256;

struct Params {
  n: u32,  // elements (same count on both sides)
  h: u32,  // low-resolution height, width and channels of the shuffled output
  w: u32,
  c: u32,
  r: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Index in the low-resolution [N, H, W, C·r²] tensor of high-resolution element
// (b, Y, X, c) of [N, H·r, W·r, C].
fn low_index(b: u32, Y: u32, X: u32, c: u32) -> u32 {
  let y = Y / p.r;
  let i = Y % p.r;
  let x = X / p.r;
  let j = X % p.r;
  let cr2 = p.c * p.r * p.r;
  return ((b * p.h + y) * p.w + x) * cr2 + c * p.r * p.r + i * p.r + j;
}

// src = [N, H, W, C·r²], dst = [N, H·r, W·r, C]
@compute @workgroup_size(WG)
fn shuffle(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.n) { return; }
  let c = o % p.c;
  var t = o / p.c;
  let X = t % (p.w * p.r);
  t = t / (p.w * p.r);
  let Y = t % (p.h * p.r);
  let b = t / (p.h * p.r);
  dst[o] = src[low_index(b, Y, X, c)];
}

// The inverse permutation (backward): src = dy [N, H·r, W·r, C], dst = dx [N, H, W, C·r²]
@compute @workgroup_size(WG)
fn unshuffle(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.n) { return; }
  let r2 = p.r * p.r;
  let k = o % (p.c * r2);
  var t = o / (p.c * r2);
  let x = t % p.w;
  t = t / p.w;
  let y = t % p.h;
  let b = t / p.h;
  let c = k / r2;
  let i = (k % r2) / p.r;
  let j = k % p.r;
  let wr = p.w * p.r;
  dst[o] = src[((b * p.h * p.r + y * p.r + i) * wr + x * p.r + j) * p.c + c];
}
