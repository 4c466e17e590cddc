// Luma and the image pyramid for optical flow: BT.601 luma of an RGB(A) image (0..255 scale,
// the Y the quality metrics use), and a 2× downsampling of a plane by 2×2 box averaging.
// The box keeps the pyramid's coordinate map simple: coarse pixel x covers fine pixels 2x and
// 2x + 1, so coarse centre x sits at fine position 2x + 0.5 (flow.wgsl upsamples with that map).
// An odd size rounds up; the missing row or column repeats the edge.

override WG: u32 = 256;

struct Params {
  pixels: u32,  // output pixels (threads)
  w: u32,       // input width and height
  h: u32,
  c: u32,       // input channels (luma: 3 or 4; downsample: 1)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

//! include lib/grid.wgsl

// src = [H, W, C] in [0, 1], dst = [H, W]: Y = 16 + 65.481 R + 128.553 G + 24.966 B.
@compute @workgroup_size(WG)
fn luma(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let i = o * p.c;
  dst[o] = 16.0 + 65.481 * src[i] + 128.553 * src[i + 1u] + 24.966 * src[i + 2u];
}

// src = [H, W], dst = [ceil(H/2), ceil(W/2)].
@compute @workgroup_size(WG)
fn downsample(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.pixels) { return; }
  let ow = (p.w + 1u) / 2u;
  let x0 = (o % ow) * 2u;
  let y0 = (o / ow) * 2u;
  let x1 = min(x0 + 1u, p.w - 1u);
  let y1 = min(y0 + 1u, p.h - 1u);
  dst[o] = 0.25 * (src[y0 * p.w + x0] + src[y0 * p.w + x1] + src[y1 * p.w + x0] + src[y1 * p.w + x1]);
}
