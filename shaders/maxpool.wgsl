// 2×2 max pooling with stride 2 (VGG19), NHWC. Output [N, floor(H/2), floor(W/2), C]: an odd
// last row/column is dropped. Ties: the FIRST maximum in row-major window order
// (0,0), (0,1), (1,0), (1,1) wins, in the forward and the backward alike.
// Backward is a gather with one thread per INPUT element: each recomputes its window's argmax
// and takes dy if it is that argmax, else 0 — no atomics, every dx element written once.

override WG: u32 = 256;

struct Params {
  n: u32,  // elements of the tensor this entry writes
  h: u32,  // input height, width, channels
  w: u32,
  c: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

//! include lib/grid.wgsl

// Window (b, oy, ox) of channel c: its maximum and the argmax k = 2·di + dj.
fn window_max(b: u32, oy: u32, ox: u32, c: u32) -> vec2<f32> {
  var best = -3.4e38;
  var arg = 0u;
  for (var k = 0u; k < 4u; k++) {
    let v = x[((b * p.h + 2u * oy + k / 2u) * p.w + 2u * ox + k % 2u) * p.c + c];
    // Strictly greater: a later equal value does not take over (first wins).
    if (k == 0u || v > best) {
      best = v;
      arg = k;
    }
  }
  return vec2<f32>(best, f32(arg));
}

@compute @workgroup_size(WG)
fn pool_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat(gid, nwg);
  if (o >= p.n) { return; }
  let ho = p.h / 2u;
  let wo = p.w / 2u;
  let c = o % p.c;
  var t = o / p.c;
  let ox = t % wo;
  t = t / wo;
  let oy = t % ho;
  let b = t / ho;
  y[o] = window_max(b, oy, ox, c).x;
}

@compute @workgroup_size(WG)
fn pool_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= p.n) { return; }
  let ho = p.h / 2u;
  let wo = p.w / 2u;
  let c = i % p.c;
  var t = i / p.c;
  let xx = t % p.w;
  t = t / p.w;
  let yy = t % p.h;
  let b = t / p.h;
  let oy = yy / 2u;
  let ox = xx / 2u;
  // The dropped odd row/column gets no gradient.
  if (oy >= ho || ox >= wo) {
    dx[i] = 0.0;
    return;
  }
  let arg = u32(window_max(b, oy, ox, c).y);
  let mine = (yy % 2u) * 2u + xx % 2u;
  dx[i] = select(0.0, dy[((b * ho + oy) * wo + ox) * p.c + c], arg == mine);
}
