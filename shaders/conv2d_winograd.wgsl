// Winograd convolutions for 3×3 stride-1 convs (forward, and the input gradient, which at
// stride 1 is a 3×3 conv of dy with the flipped, transposed kernel), and the weight gradient.
//
// F(6×6, 3×3) (Cout % 16 == 0: wino6_weights, wino6_input, wino_gemm, wino6_output):
// 64 multiplies per 6×6 output tile, 1.78 per output instead of 9. F(2×2, 3×3) (Cout % 8 == 0
// otherwise: wino_weights, wino_input, conv_fwd4 of shaders/conv2d.wgsl as a 1×1 conv with a
// per-image weight stride, wino_output): 4 per output. Per output tile:
//   U = G g Gᵀ (weights per (ci, co)),  V = Bᵀ d B (input patch d per (tile, ci)),
//   M[ξ] = Σ_ci V[ξ, ci] · U[ξ, ci, co]   (one GEMM per ξ = (F+2)·row + col),
//   Y = Aᵀ M A + bias, activation.
// Layouts: U [ξ, cin, cout] (or GB × GB blocks, see wino_gemm), V [ξ, tiles, cin],
// M [ξ, tiles, cout] (vec4 over channels: cin % 4 == 0).
//   F(2×2): Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//           Aᵀ = [1 1 1 0; 0 1 −1 −1]
//   F(6×6): see the wino6_* section.
// Weight gradient: F(3×3, 6×6), the transpose of F(6×6, 3×3) (wino6_input, wino6_dy,
// wino_bwd_w_gemm × 64 over chunks of tiles, wino6_dw_out).
//
// Why Winograd here: on llvmpipe/lavapipe every storage load is a per-lane scalar load with a
// bounds check, so the direct kernel is bound by loads per multiply-add; these GEMMs do far
// fewer of both. The measurements behind each choice (tile sizes, lanes, U in workgroup memory)
// and what did not help are in docs/BENCHMARKS.md, "Winograd kernel history".

override WG: u32 = 64;
override ACT: u32 = 0;        // the epilogue's activation: an ACT_* code of lib/act.wgsl
override HAS_BIAS: u32 = 0;
override R: u32 = 1;          // wino6_output: pixel-shuffle factor of the output (1: none)

// ---- weights: w [3, 3, cin, cout] → U [16, cin, cout], or (blocked = 1) U in GB × GB blocks:
// block (ξ, co block b, ci chunk k) = 1024 vec4 = [64 ci][64 co] of U[ξ] (see wino_gemm).
struct WtParams { cin: u32, cout: u32, total: u32, blocked: u32, co_blocks: u32, ci_chunks: u32 }   // total = cin · cout

@group(0) @binding(0) var<uniform> wp: WtParams;
@group(0) @binding(1) var<storage, read> wsrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> u: array<f32>;

fn u_index(xi: u32, i: u32) -> u32 {
  if (wp.blocked == 0u) { return xi * wp.total + i; }
  let ci = i / wp.cout;
  let co = i % wp.cout;
  let blk = (xi * wp.co_blocks + co / GB) * wp.ci_chunks + ci / GB;
  return blk * (GB * GB) + (ci % GB) * GB + co % GB;
}

@compute @workgroup_size(WG)
fn wino_weights(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;     // (ci, co)
  if (i >= wp.total) { return; }
  var g: array<f32, 9>;
  for (var k = 0u; k < 9u; k++) { g[k] = wsrc[k * wp.total + i]; }
  // t = G g (4×3), then U = t Gᵀ (4×4).
  var t: array<f32, 12>;
  for (var c = 0u; c < 3u; c++) {
    let a = g[c]; let b = g[3u + c]; let d = g[6u + c];
    t[c] = a;
    t[3u + c] = 0.5 * (a + b + d);
    t[6u + c] = 0.5 * (a - b + d);
    t[9u + c] = d;
  }
  for (var r = 0u; r < 4u; r++) {
    let a = t[3u * r]; let b = t[3u * r + 1u]; let d = t[3u * r + 2u];
    u[u_index(4u * r, i)] = a;
    u[u_index(4u * r + 1u, i)] = 0.5 * (a + b + d);
    u[u_index(4u * r + 2u, i)] = 0.5 * (a - b + d);
    u[u_index(4u * r + 3u, i)] = d;
  }
}

// ---- the GEMMs: U blocks in workgroup memory --------------------------------------------------
//   M[ξ][t, co] (+)= Σ_{ci in chunk} V[ξ][t, ci] · U[ξ][ci, co]
// One dispatch per ci chunk of GB channels, all 64 ξ at once (accumulating into M after the
// first chunk); workgroup = (x: lanes over tiles, y: ξ, z: co block of GB channels). The
// workgroup copies its U block ([GB ci][GB co], 16 KiB) into workgroup memory. Each lane owns
// LT = 2 tiles × all GB output channels: it loads its tiles' V once into a function-scope
// array (which llvmpipe keeps on the stack), then runs over the 16 vec4 output groups with
// one group's 2 vec4 accumulators (8 SIMD registers) at a time: per input channel 4 broadcast
// loads of U, 2 reloads of V and 16 multiply/adds, no accumulator spills (all 32 accumulators
// at once spilled on every multiply-add: 12% slower MSE step).
// Why this shape, on llvmpipe (Mesa 25, read in its LLVM IR with GALLIVM_DEBUG=ir): a
// workgroup-memory load at an offset that is a compile-time constant, outside any loop or
// lane-divergent branch, is one scalar load broadcast to the 8 lanes of a SIMD row; any other
// offset (a loop counter, workgroup_id) or a load under a lane mask is 8 per-lane loads. So the
// GEMM body is straight-line code: gemm_group is called 16 times with a constant group, gemm_c4
// 16 times with a constant c4, and lanes past the last tile compute on a clamped tile instead of
// returning early (an early return puts the rest of the shader under a lane mask; the guarded
// stores come after each group's loads). A dispatch per ξ with U in a 16 KiB uniform window (the
// previous form) paid Dawn's and llvmpipe's fixed cost per dispatch 64 times per GEMM: ~0.15–0.25
// ms each on GL, 5248 of 6397 dispatches of an MSE step.
const GB: u32 = 64;           // block edge (ci and co): 64·64·4 B = 16 KiB of workgroup memory
const LT: u32 = 2;            // tiles per lane (x0 / x1 below)
override KC4: u32 = 16u;      // vec4 steps in this ci chunk: GB / 4, less in a partial last chunk

struct GemmParams {
  tiles: u32,
  cin: u32,
  cout4: u32,
  co_blocks: u32,
  ci_chunks: u32,
  chunk: u32,      // the ci chunk of this dispatch
  accum: u32,      // 1: add to M (ci chunks after the first)
}

@group(0) @binding(30) var<uniform> gp: GemmParams;
@group(0) @binding(31) var<storage, read> ublk: array<vec4<f32>>;   // U blocks, see u_index
@group(0) @binding(32) var<storage, read> va4: array<vec4<f32>>;    // V [64, tiles, cin]
@group(0) @binding(33) var<storage, read_write> mo: array<vec4<f32>>; // M [64, tiles, cout4]
var<workgroup> ublock: array<vec4<f32>, GB * GB / 4u>;             // [GB ci][GB / 4 co4]

// Input channels 4·c4 … 4·c4 + 3 (if c4 < KC4, a constant) into a[j] (tile j, output group g);
// x: the tiles' V [LT][GB / 4]. The four channels are written out rather than looped over: the
// 256 inlined copies of a 4-step loop cost lavapipe's NIR front end ~9 s per pipeline (every
// process: its VkPipelineCache is a stub) and llvmpipe's GL path ~8 s more cold, for the same
// NIR and LLVM IR once unrolled (compared with GALLIVM_DEBUG=ir; docs/BENCHMARKS.md, "Warm start").
fn gemm_c4(a: ptr<function, array<vec4<f32>, LT> >, x: ptr<function, array<vec4<f32>, LT * GB / 4u> >, c4: u32, g: u32) {
  if (c4 >= KC4) { return; }
  let x0 = (*x)[c4];
  let x1 = (*x)[GB / 4u + c4];
  let u = 4u * c4 * (GB / 4u) + g;   // ublock row of channel 4·c4, column g
  let w0 = ublock[u];
  (*a)[0] = fma(vec4<f32>(x0.x), w0, (*a)[0]);
  (*a)[1] = fma(vec4<f32>(x1.x), w0, (*a)[1]);
  let w1 = ublock[u + GB / 4u];
  (*a)[0] = fma(vec4<f32>(x0.y), w1, (*a)[0]);
  (*a)[1] = fma(vec4<f32>(x1.y), w1, (*a)[1]);
  let w2 = ublock[u + 2u * (GB / 4u)];
  (*a)[0] = fma(vec4<f32>(x0.z), w2, (*a)[0]);
  (*a)[1] = fma(vec4<f32>(x1.z), w2, (*a)[1]);
  let w3 = ublock[u + 3u * (GB / 4u)];
  (*a)[0] = fma(vec4<f32>(x0.w), w3, (*a)[0]);
  (*a)[1] = fma(vec4<f32>(x1.w), w3, (*a)[1]);
}
// Output group g (4 channels) of both tiles over the chunk.
fn gemm_group(x: ptr<function, array<vec4<f32>, LT * GB / 4u> >, g: u32) -> array<vec4<f32>, LT> {
  var a: array<vec4<f32>, LT>;
  gemm_c4(&a, x, 0u, g); gemm_c4(&a, x, 1u, g); gemm_c4(&a, x, 2u, g); gemm_c4(&a, x, 3u, g);
  gemm_c4(&a, x, 4u, g); gemm_c4(&a, x, 5u, g); gemm_c4(&a, x, 6u, g); gemm_c4(&a, x, 7u, g);
  gemm_c4(&a, x, 8u, g); gemm_c4(&a, x, 9u, g); gemm_c4(&a, x, 10u, g); gemm_c4(&a, x, 11u, g);
  gemm_c4(&a, x, 12u, g); gemm_c4(&a, x, 13u, g); gemm_c4(&a, x, 14u, g); gemm_c4(&a, x, 15u, g);
  return a;
}
// The tiles' V at c4 (if c4 < KC4) into x: a constant index, so x stays one array on the stack.
fn load_v(x: ptr<function, array<vec4<f32>, LT * GB / 4u> >, v0: u32, v1: u32, c4: u32) {
  if (c4 >= KC4) { return; }
  (*x)[c4] = va4[v0 + c4];
  (*x)[GB / 4u + c4] = va4[v1 + c4];
}
// M (+)= a for the tiles that exist (ok) and groups inside the co block.
fn store_group(a: array<vec4<f32>, LT>, o0: u32, o1: u32, g: u32, ok0: bool, ok1: bool, groups: u32) {
  if (g >= groups) { return; }
  if (ok0) { if (gp.accum != 0u) { mo[o0 + g] += a[0]; } else { mo[o0 + g] = a[0]; } }
  if (ok1) { if (gp.accum != 0u) { mo[o1 + g] += a[1]; } else { mo[o1 + g] = a[1]; } }
}
@compute @workgroup_size(WG)
fn wino_gemm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let xi = wid.y;
  let b = wid.z;
  let blk = ((xi * gp.co_blocks + b) * gp.ci_chunks + gp.chunk) * (GB * GB / 4u);
  for (var i = lid; i < GB * GB / 4u; i += WG) { ublock[i] = ublk[blk + i]; }
  workgroupBarrier();
  let r0 = LT * gid.x;
  let k4 = gp.chunk * (GB / 4u);
  let v0 = (xi * gp.tiles + min(r0, gp.tiles - 1u)) * (gp.cin / 4u) + k4;
  let v1 = (xi * gp.tiles + min(r0 + 1u, gp.tiles - 1u)) * (gp.cin / 4u) + k4;
  var x: array<vec4<f32>, LT * GB / 4u>;
  load_v(&x, v0, v1, 0u); load_v(&x, v0, v1, 1u); load_v(&x, v0, v1, 2u); load_v(&x, v0, v1, 3u);
  load_v(&x, v0, v1, 4u); load_v(&x, v0, v1, 5u); load_v(&x, v0, v1, 6u); load_v(&x, v0, v1, 7u);
  load_v(&x, v0, v1, 8u); load_v(&x, v0, v1, 9u); load_v(&x, v0, v1, 10u); load_v(&x, v0, v1, 11u);
  load_v(&x, v0, v1, 12u); load_v(&x, v0, v1, 13u); load_v(&x, v0, v1, 14u); load_v(&x, v0, v1, 15u);
  let c40 = b * (GB / 4u);
  let o0 = (xi * gp.tiles + min(r0, gp.tiles - 1u)) * gp.cout4 + c40;
  let o1 = (xi * gp.tiles + min(r0 + 1u, gp.tiles - 1u)) * gp.cout4 + c40;
  let ok0 = r0 < gp.tiles;
  let ok1 = r0 + 1u < gp.tiles;
  let groups = min(GB / 4u, gp.cout4 - c40);
  store_group(gemm_group(&x, 0u), o0, o1, 0u, ok0, ok1, groups); store_group(gemm_group(&x, 1u), o0, o1, 1u, ok0, ok1, groups);
  store_group(gemm_group(&x, 2u), o0, o1, 2u, ok0, ok1, groups); store_group(gemm_group(&x, 3u), o0, o1, 3u, ok0, ok1, groups);
  store_group(gemm_group(&x, 4u), o0, o1, 4u, ok0, ok1, groups); store_group(gemm_group(&x, 5u), o0, o1, 5u, ok0, ok1, groups);
  store_group(gemm_group(&x, 6u), o0, o1, 6u, ok0, ok1, groups); store_group(gemm_group(&x, 7u), o0, o1, 7u, ok0, ok1, groups);
  store_group(gemm_group(&x, 8u), o0, o1, 8u, ok0, ok1, groups); store_group(gemm_group(&x, 9u), o0, o1, 9u, ok0, ok1, groups);
  store_group(gemm_group(&x, 10u), o0, o1, 10u, ok0, ok1, groups); store_group(gemm_group(&x, 11u), o0, o1, 11u, ok0, ok1, groups);
  store_group(gemm_group(&x, 12u), o0, o1, 12u, ok0, ok1, groups); store_group(gemm_group(&x, 13u), o0, o1, 13u, ok0, ok1, groups);
  store_group(gemm_group(&x, 14u), o0, o1, 14u, ok0, ok1, groups); store_group(gemm_group(&x, 15u), o0, o1, 15u, ok0, ok1, groups);
}

// ---- input: x [N, H, W, cin] (tiles t0 … t0 + tiles − 1 of all images) → V [16, tiles, cin] ---
struct InParams {
  h: u32,
  w: u32,
  cin4: u32,
  t0: u32,         // first tile of this chunk (tiles run over images, rows, columns)
  th: u32,         // tile rows = ceil(ho / 2)
  tw: u32,         // tile columns = ceil(wo / 2)
  tiles: u32,      // images in the chunk · th · tw
  pad_h: i32,
  pad_w: i32,
  total: u32,      // tiles · cin4
}

@group(0) @binding(10) var<uniform> ip: InParams;
@group(0) @binding(11) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(12) var<storage, read_write> v4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn wino_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;     // (tile, ci4), ci4 fastest
  if (i >= ip.total) { return; }
  let c = i % ip.cin4;
  let tile = i / ip.cin4;
  let g = ip.t0 + tile;                 // the tile in the whole tensor
  let tx = g % ip.tw;
  let r = g / ip.tw;
  let ty = r % ip.th;
  let n = r / ip.th;
  let y0 = i32(2u * ty) - ip.pad_h;
  let x0 = i32(2u * tx) - ip.pad_w;
  var d: array<vec4<f32>, 16>;
  for (var a = 0u; a < 4u; a++) {
    let yy = y0 + i32(a);
    for (var b = 0u; b < 4u; b++) {
      let xx = x0 + i32(b);
      let ok = yy >= 0 && u32(yy) < ip.h && xx >= 0 && u32(xx) < ip.w;
      let o = select(0u, ((n * ip.h + u32(yy)) * ip.w + u32(xx)) * ip.cin4 + c, ok);
      d[4u * a + b] = select(vec4<f32>(), x4[o], ok);
    }
  }
  // Rows: s = Bᵀ d, then columns: V = s B.
  var s: array<vec4<f32>, 16>;
  for (var b = 0u; b < 4u; b++) {
    s[b] = d[b] - d[8u + b];
    s[4u + b] = d[4u + b] + d[8u + b];
    s[8u + b] = d[8u + b] - d[4u + b];
    s[12u + b] = d[4u + b] - d[12u + b];
  }
  let stride = ip.tiles * ip.cin4;
  let o = tile * ip.cin4 + c;
  for (var a = 0u; a < 4u; a++) {
    v4[(4u * a) * stride + o] = s[4u * a] - s[4u * a + 2u];
    v4[(4u * a + 1u) * stride + o] = s[4u * a + 1u] + s[4u * a + 2u];
    v4[(4u * a + 2u) * stride + o] = s[4u * a + 2u] - s[4u * a + 1u];
    v4[(4u * a + 3u) * stride + o] = s[4u * a + 1u] - s[4u * a + 3u];
  }
}

// ---- output: M [16, tiles, cout] → y [N, ho, wo, cout] with bias + activation ---------------
struct OutParams {
  ho: u32,
  wo: u32,
  cout4: u32,
  t0: u32,
  th: u32,
  tw: u32,
  tiles: u32,
  total: u32,      // tiles · cout4
  slope: f32,
  alpha_stride: u32,
}

@group(0) @binding(20) var<uniform> op: OutParams;
@group(0) @binding(21) var<storage, read> m4: array<vec4<f32>>;
@group(0) @binding(22) var<storage, read> bias4: array<vec4<f32>>;
@group(0) @binding(23) var<storage, read> alpha: array<f32>;
@group(0) @binding(24) var<storage, read_write> y4: array<vec4<f32>>;

//! include lib/conv_act.wgsl

@compute @workgroup_size(WG)
fn wino_output(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;     // (tile, co4), co4 fastest
  if (i >= op.total) { return; }
  let c = i % op.cout4;
  let tile = i / op.cout4;
  let g = op.t0 + tile;                 // the tile in the whole tensor
  let tx = g % op.tw;
  let r = g / op.tw;
  let ty = r % op.th;
  let n = r / op.th;
  let stride = op.tiles * op.cout4;
  let o = tile * op.cout4 + c;
  var m: array<vec4<f32>, 16>;
  for (var k = 0u; k < 16u; k++) { m[k] = m4[k * stride + o]; }
  // Rows: s = Aᵀ m (2×4), then columns: Y = s A (2×2).
  var s: array<vec4<f32>, 8>;
  for (var b = 0u; b < 4u; b++) {
    s[b] = m[b] + m[4u + b] + m[8u + b];
    s[4u + b] = m[4u + b] - m[8u + b] - m[12u + b];
  }
  var bv = vec4<f32>();
  if (HAS_BIAS != 0u) { bv = bias4[c]; }
  for (var a = 0u; a < 2u; a++) {
    let oy = 2u * ty + a;
    if (oy >= op.ho) { break; }
    let y0 = s[4u * a] + s[4u * a + 1u] + s[4u * a + 2u];
    let y1 = s[4u * a + 1u] - s[4u * a + 2u] - s[4u * a + 3u];
    let base = (n * op.ho + oy) * op.wo + 2u * tx;
    y4[base * op.cout4 + c] = act4(y0 + bv, 4u * c, op.slope, op.alpha_stride);
    if (2u * tx + 1u < op.wo) { y4[(base + 1u) * op.cout4 + c] = act4(y1 + bv, 4u * c, op.slope, op.alpha_stride); }
  }
}

// ---- weight gradient (Winograd F(3×3, 6×6), below): shared parameters and the GEMM ----------
//   dw[kh,kw,ci,co] = Σ_tiles Σ_{i,j<6} d[kh+i, kw+j, ci] · g[i, j, co]
// for every 6×6 tile g of dy and the 8×8 input patch d at its origin − pad. The GEMMs
// P[ξ][ci, co] = Σ_t V[ξ][t, ci] · Gd[ξ][t, co] reduce over tiles: chunks of tiles write partial
// sums (wino_bwd_w_gemm), wino6_dw_out adds them and transforms back to 3×3.
// (F(3×3, 2×2) — 16 GEMMs — measured 1.5× slower than F(3×3, 4×4), since replaced by F(3×3, 6×6).)

struct DyParams {
  ho: u32,
  wo: u32,
  cout4: u32,
  t0: u32,
  th: u32,
  tw: u32,
  tiles: u32,
  total: u32,      // tiles · cout4
}

@group(0) @binding(40) var<uniform> dp: DyParams;
@group(0) @binding(41) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(42) var<storage, read_write> gd4: array<vec4<f32>>;

// Partial GEMMs: workgroup x = (ξ, tile chunk); lanes (wid.y · WG + lid) over (ci block of WI,
// co group of WC vec4s). Per tile: WI loads of V and WC vec4 loads of Gd for WI·WC·4 multiply-adds.
const WI: u32 = 8;            // input channels per lane
const WC: u32 = 4;            // vec4 output-channel groups per lane

struct BwParams {
  tiles: u32,
  cin: u32,
  cout4: u32,
  chunk: u32,      // tiles per chunk
  chunks: u32,     // chunks in this image chunk
  part0: u32,      // index of this image chunk's first partial sum
  co_groups: u32,  // cout4 / WC
  lanes: u32,      // cin / WI · co_groups
  nxi: u32,        // ξ count: 64 for F(3×3, 6×6)
}

@group(0) @binding(50) var<uniform> bp: BwParams;
@group(0) @binding(51) var<storage, read> vb4: array<vec4<f32>>;     // V [16, tiles, cin]
@group(0) @binding(52) var<storage, read> gb4: array<vec4<f32>>;     // Gd [16, tiles, cout4]
@group(0) @binding(53) var<storage, read_write> pb4: array<vec4<f32>>; // [part, ξ, cin, cout4]

@compute @workgroup_size(WG)
fn wino_bwd_w_gemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let lane = wid.y * WG + lid;
  if (lane >= bp.lanes) { return; }
  let cg = (lane % bp.co_groups) * WC;
  let ci0 = (lane / bp.co_groups) * WI;
  let xi = wid.x / bp.chunks;
  let c = wid.x % bp.chunks;
  let t0 = c * bp.chunk;
  let t1 = min(t0 + bp.chunk, bp.tiles);
  var acc: array<vec4<f32>, WI * WC>;
  for (var t = t0; t < t1; t++) {
    let vo = (xi * bp.tiles + t) * bp.cin + ci0;
    let go = (xi * bp.tiles + t) * bp.cout4 + cg;
    var g: array<vec4<f32>, WC>;
    for (var v = 0u; v < WC; v++) { g[v] = gb4[go + v]; }
    for (var q4 = 0u; q4 < WI / 4u; q4++) {
      let xq = vb4[vo / 4u + q4];
      for (var e = 0u; e < 4u; e++) {
        let xv = vec4<f32>(xq[e]);
        for (var v = 0u; v < WC; v++) { acc[(4u * q4 + e) * WC + v] = fma(xv, g[v], acc[(4u * q4 + e) * WC + v]); }
      }
    }
  }
  let base = ((bp.part0 + c) * bp.nxi + xi) * bp.cin;
  for (var i = 0u; i < WI; i++) {
    for (var v = 0u; v < WC; v++) { pb4[(base + ci0 + i) * bp.cout4 + cg + v] = acc[i * WC + v]; }
  }
}

struct DwParams {
  size: u32,       // cin · cout
  parts: u32,
}

@group(0) @binding(60) var<uniform> op2: DwParams;
@group(0) @binding(61) var<storage, read> pw: array<f32>;            // [parts, 16, cin · cout]
@group(0) @binding(62) var<storage, read_write> dw: array<f32>;      // [3, 3, cin, cout]

// ---- Winograd F(6×6, 3×3): 64 multiplies per 6×6 output tile (1.78 per output, F(4×4)'s 2.25) ----
// Same GEMMs (wino_gemm over 64 ξ) and layouts; 8×8 input patches at (6ty − pad, 6tx − pad).
// Interpolation points 0, ±1, ±2, ±½, ∞ (fp32 error on 64-channel random data: 4e-6 relative L2,
// F(4×4) 2e-6):
//   Bᵀ = [1 0 −21/4 0 21/4 0 −1 0; 0 1 1 −17/4 −17/4 1 1 0; 0 −1 1 17/4 −17/4 −1 1 0;
//         0 ½ ¼ −5/2 −5/4 2 1 0; 0 −½ ¼ 5/2 −5/4 −2 1 0; 0 2 4 −5/2 −5 ½ 1 0;
//         0 −2 4 5/2 −5 −½ 1 0; 0 −1 0 21/4 0 −21/4 0 1]
//   G  = [1 0 0; −2/9 −2/9 −2/9; −2/9 2/9 −2/9; 1/90 1/45 2/45; 1/90 −1/45 2/45;
//         32/45 16/45 8/45; 32/45 −16/45 8/45; 0 0 1]
//   Aᵀ = [1 1 1 1 1 1 1 0; 0 1 −1 2 −2 ½ −½ 0; 0 1 1 4 4 ¼ ¼ 0; 0 1 −1 8 −8 ⅛ −⅛ 0;
//         0 1 1 16 16 1/16 1/16 0; 0 1 −1 32 −32 1/32 −1/32 1]

fn g8(a: f32, b: f32, d: f32) -> array<f32, 8> {
  return array<f32, 8>(a, -2.0 * (a + b + d) / 9.0, -2.0 * (a - b + d) / 9.0,
                       a / 90.0 + b / 45.0 + 2.0 * d / 45.0, a / 90.0 - b / 45.0 + 2.0 * d / 45.0,
                       (32.0 * a + 16.0 * b + 8.0 * d) / 45.0, (32.0 * a - 16.0 * b + 8.0 * d) / 45.0, d);
}

@compute @workgroup_size(WG)
fn wino6_weights(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;     // (ci, co)
  if (i >= wp.total) { return; }
  var g: array<f32, 9>;
  for (var k = 0u; k < 9u; k++) { g[k] = wsrc[k * wp.total + i]; }
  var t: array<array<f32, 8>, 3>;         // t[c] = G g[:, c] (column c of G g, 8×3)
  for (var c = 0u; c < 3u; c++) { t[c] = g8(g[c], g[3u + c], g[6u + c]); }
  for (var r = 0u; r < 8u; r++) {
    let row = g8(t[0][r], t[1][r], t[2][r]);
    for (var k = 0u; k < 8u; k++) { u[u_index(8u * r + k, i)] = row[k]; }
  }
}

fn bt8(z: array<vec4<f32>, 8>) -> array<vec4<f32>, 8> {
  let p1 = z[2] + z[6] - 4.25 * z[4];
  let m1 = z[1] + z[5] - 4.25 * z[3];
  let p2 = 0.25 * z[2] - 1.25 * z[4] + z[6];
  let m2 = 0.5 * z[1] - 2.5 * z[3] + 2.0 * z[5];
  let p3 = 4.0 * z[2] - 5.0 * z[4] + z[6];
  let m3 = 2.0 * z[1] - 2.5 * z[3] + 0.5 * z[5];
  return array<vec4<f32>, 8>(z[0] - z[6] + 5.25 * (z[4] - z[2]), p1 + m1, p1 - m1, p2 + m2, p2 - m2,
                             p3 + m3, p3 - m3, z[7] - z[1] + 5.25 * (z[3] - z[5]));
}

@compute @workgroup_size(WG)
fn wino6_input(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;     // (tile, ci4), ci4 fastest
  if (i >= ip.total) { return; }
  let c = i % ip.cin4;
  let tile = i / ip.cin4;
  let g = ip.t0 + tile;                 // the tile in the whole tensor
  let tx = g % ip.tw;
  let r = g / ip.tw;
  let ty = r % ip.th;
  let n = r / ip.th;
  let y0 = i32(6u * ty) - ip.pad_h;
  let x0 = i32(6u * tx) - ip.pad_w;
  var s: array<array<vec4<f32>, 8>, 8>;   // s[b] = Bᵀ d[:, b] (column b)
  for (var b = 0u; b < 8u; b++) {
    let xx = x0 + i32(b);
    var z: array<vec4<f32>, 8>;
    for (var a = 0u; a < 8u; a++) {
      let yy = y0 + i32(a);
      let ok = yy >= 0 && u32(yy) < ip.h && xx >= 0 && u32(xx) < ip.w;
      let o = select(0u, ((n * ip.h + u32(yy)) * ip.w + u32(xx)) * ip.cin4 + c, ok);
      z[a] = select(vec4<f32>(), x4[o], ok);
    }
    s[b] = bt8(z);
  }
  let stride = ip.tiles * ip.cin4;
  let o = tile * ip.cin4 + c;
  for (var a = 0u; a < 8u; a++) {
    let v = bt8(array<vec4<f32>, 8>(s[0][a], s[1][a], s[2][a], s[3][a], s[4][a], s[5][a], s[6][a], s[7][a]));
    for (var b = 0u; b < 8u; b++) { v4[(8u * a + b) * stride + o] = v[b]; }
  }
}

fn at8(z: array<vec4<f32>, 8>) -> array<vec4<f32>, 6> {
  let s1 = z[1] + z[2]; let d1 = z[1] - z[2];
  let s2 = z[3] + z[4]; let d2 = z[3] - z[4];
  let s3 = z[5] + z[6]; let d3 = z[5] - z[6];
  return array<vec4<f32>, 6>(z[0] + s1 + s2 + s3, d1 + 2.0 * d2 + 0.5 * d3, s1 + 4.0 * s2 + 0.25 * s3,
                             d1 + 8.0 * d2 + 0.125 * d3, s1 + 16.0 * s2 + 0.0625 * s3,
                             d1 + 32.0 * d2 + 0.03125 * d3 + z[7]);
}

//! include lib/shuffle.wgsl

@compute @workgroup_size(WG)
fn wino6_output(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;     // (tile, co4), co4 fastest
  if (i >= op.total) { return; }
  let c = i % op.cout4;
  let tile = i / op.cout4;
  let g = op.t0 + tile;                 // the tile in the whole tensor
  let tx = g % op.tw;
  let r = g / op.tw;
  let ty = r % op.th;
  let n = r / op.th;
  let stride = op.tiles * op.cout4;
  let o = tile * op.cout4 + c;
  var s: array<array<vec4<f32>, 6>, 8>;   // s[b] = Aᵀ m[:, b]
  for (var b = 0u; b < 8u; b++) {
    var z: array<vec4<f32>, 8>;
    for (var a = 0u; a < 8u; a++) { z[a] = m4[(8u * a + b) * stride + o]; }
    s[b] = at8(z);
  }
  var bv = vec4<f32>();
  if (HAS_BIAS != 0u) { bv = bias4[c]; }
  for (var a = 0u; a < 6u; a++) {
    let oy = 6u * ty + a;
    if (oy >= op.ho) { break; }
    let yr = at8(array<vec4<f32>, 8>(s[0][a], s[1][a], s[2][a], s[3][a], s[4][a], s[5][a], s[6][a], s[7][a]));
    let base = (n * op.ho + oy) * op.wo + 6u * tx;
    for (var b = 0u; b < 6u; b++) {
      if (6u * tx + b >= op.wo) { break; }
      let z = act4(yr[b] + bv, 4u * c, op.slope, op.alpha_stride);
      if (R == 1u) { y4[(base + b) * op.cout4 + c] = z; continue; }
      for (var k = 0u; k < 4u; k++) {
        let e = shuffled(n, oy, 6u * tx + b, 4u * c + k, op.ho, op.wo, 4u * op.cout4);
        y4[e / 4u][e % 4u] = z[k];
      }
    }
  }
}

// ---- weight gradient: Winograd F(3×3, 6×6), the transpose of F(6×6, 3×3) ----------------------
//   dw = Gᵀ [Σ_tiles (Bᵀ d B) ⊙ (A g Aᵀ)] G
// with 8×8 input patches d at (6ty − pad, 6tx − pad) (wino6_input), 6×6 dy tiles g (zero past
// ho/wo) and A = (Aᵀ of F(6×6, 3×3))ᵀ; 64 multiply-adds per 36 dy pixels instead of 324.

fn a8(z: array<vec4<f32>, 6>) -> array<vec4<f32>, 8> {
  let e1 = z[0] + z[2] + z[4];                       let o1 = z[1] + z[3] + z[5];
  let e2 = z[0] + 4.0 * z[2] + 16.0 * z[4];          let o2 = 2.0 * z[1] + 8.0 * z[3] + 32.0 * z[5];
  let e3 = z[0] + 0.25 * z[2] + 0.0625 * z[4];       let o3 = 0.5 * z[1] + 0.125 * z[3] + 0.03125 * z[5];
  return array<vec4<f32>, 8>(z[0], e1 + o1, e1 - o1, e2 + o2, e2 - o2, e3 + o3, e3 - o3, z[5]);
}

@compute @workgroup_size(WG)
fn wino6_dy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;     // (tile, co4), co4 fastest
  if (i >= dp.total) { return; }
  let c = i % dp.cout4;
  let tile = i / dp.cout4;
  let g = dp.t0 + tile;                 // the tile in the whole tensor
  let tx = g % dp.tw;
  let r = g / dp.tw;
  let ty = r % dp.th;
  let n = r / dp.th;
  var s: array<array<vec4<f32>, 8>, 6>;   // s[b] = A g[:, b] (column b of the 6×6 dy tile)
  for (var b = 0u; b < 6u; b++) {
    let ox = 6u * tx + b;
    var z: array<vec4<f32>, 6>;
    for (var a = 0u; a < 6u; a++) {
      let oy = 6u * ty + a;
      let ok = oy < dp.ho && ox < dp.wo;
      let o = select(0u, ((n * dp.ho + oy) * dp.wo + ox) * dp.cout4 + c, ok);
      z[a] = select(vec4<f32>(), dy4[o], ok);
    }
    s[b] = a8(z);
  }
  let stride = dp.tiles * dp.cout4;
  let o = tile * dp.cout4 + c;
  for (var a = 0u; a < 8u; a++) {
    let v = a8(array<vec4<f32>, 6>(s[0][a], s[1][a], s[2][a], s[3][a], s[4][a], s[5][a]));
    for (var b = 0u; b < 8u; b++) { gd4[(8u * a + b) * stride + o] = v[b]; }
  }
}

fn gt8(z: array<f32, 8>) -> array<f32, 3> {
  let s1 = z[1] + z[2]; let s2 = z[3] + z[4]; let s3 = z[5] + z[6];
  return array<f32, 3>(z[0] - 2.0 * s1 / 9.0 + s2 / 90.0 + 32.0 * s3 / 45.0,
                       2.0 * (z[2] - z[1]) / 9.0 + (z[3] - z[4]) / 45.0 + 16.0 * (z[5] - z[6]) / 45.0,
                       -2.0 * s1 / 9.0 + 2.0 * s2 / 45.0 + 8.0 * s3 / 45.0 + z[7]);
}

@compute @workgroup_size(WG)
fn wino6_dw_out(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;     // (ci, co)
  if (i >= op2.size) { return; }
  var m: array<f32, 64>;
  for (var c = 0u; c < op2.parts; c++) {
    for (var k = 0u; k < 64u; k++) { m[k] += pw[(c * 64u + k) * op2.size + i]; }
  }
  var s: array<array<f32, 3>, 8>;         // s[b] = Gᵀ m[:, b]
  for (var b = 0u; b < 8u; b++) {
    s[b] = gt8(array<f32, 8>(m[b], m[8u + b], m[16u + b], m[24u + b], m[32u + b], m[40u + b], m[48u + b], m[56u + b]));
  }
  for (var a = 0u; a < 3u; a++) {
    let y = gt8(array<f32, 8>(s[0][a], s[1][a], s[2][a], s[3][a], s[4][a], s[5][a], s[6][a], s[7][a]));
    for (var b = 0u; b < 3u; b++) { dw[(3u * a + b) * op2.size + i] = y[b]; }
  }
}
