// Dense (fully connected) layers as one strided matrix product C[M, N] = A[M, K] · B[K, N]:
// A(m, k) = a[m·a_ms + k·a_ks] and B(k, n) = b[k·b_ks + n·b_ns], so the forward x·w, the input
// gradient dy·wᵀ and the weight gradient xᵀ·dy are the same kernel with different strides.
// C is written row-major and contiguous.
//
// Register blocking: each thread computes a 4×4 tile of C, so per step of k it loads 4 values
// of A and 4 of B for 16 multiply-adds (1×1 would be 2 loads per multiply-add). No shared
// memory: on llvmpipe the caches already serve the reuse; on GPUs neighbouring threads read
// neighbouring columns of B. Rows/columns past M/N are clamped for loading (always in bounds)
// and masked when storing, so any M, N work.

override WX: u32 = 16; // threads along n
override WY: u32 = 16; // threads along m

struct Params {
  m: u32,
  n: u32,
  k: u32,
  a_ms: u32,
  a_ks: u32,
  b_ks: u32,
  b_ns: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// acc[r][j] = C(m0 + r, n0 + j)
fn tile(m0: u32, n0: u32) -> array<vec4<f32>, 4> {
  var acc: array<vec4<f32>, 4>;
  let am = min(vec4<u32>(m0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.m - 1u)) * p.a_ms;
  let bn = min(vec4<u32>(n0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.n - 1u)) * p.b_ns;
  for (var k = 0u; k < p.k; k++) {
    let ak = k * p.a_ks;
    let bk = k * p.b_ks;
    let av = vec4<f32>(a[am.x + ak], a[am.y + ak], a[am.z + ak], a[am.w + ak]);
    let bv = vec4<f32>(b[bk + bn.x], b[bk + bn.y], b[bk + bn.z], b[bk + bn.w]);
    acc[0] += av.x * bv;
    acc[1] += av.y * bv;
    acc[2] += av.z * bv;
    acc[3] += av.w * bv;
  }
  return acc;
}

fn store(m0: u32, n0: u32, acc: array<vec4<f32>, 4>, add: vec4<f32>) {
  for (var r = 0u; r < 4u; r++) {
    let m = m0 + r;
    if (m >= p.m) { return; }
    let row = acc[r] + add;
    for (var j = 0u; j < 4u; j++) {
      if (n0 + j < p.n) {
        c[m * p.n + n0 + j] = row[j];
      }
    }
  }
}

@compute @workgroup_size(WX, WY)
fn gemm(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (m0 >= p.m || n0 >= p.n) { return; }
  store(m0, n0, tile(m0, n0), vec4<f32>(0.0));
}

// C = A·B + bias[n] (the forward with a bias)
@compute @workgroup_size(WX, WY)
fn gemm_bias(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (m0 >= p.m || n0 >= p.n) { return; }
  let bn = min(vec4<u32>(n0) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(p.n - 1u));
  store(m0, n0, tile(m0, n0), vec4<f32>(bias[bn.x], bias[bn.y], bias[bn.z], bias[bn.w]));
}

// ---- db[o] = Σ_n dy[n, o]: one thread per column; the batch is short, so a plain loop. ----

struct SumParams {
  rows: u32,
  cols: u32,
}

@group(0) @binding(0) var<uniform> s: SumParams;
@group(0) @binding(5) var<storage, read> g: array<f32>;
@group(0) @binding(6) var<storage, read_write> colsum: array<f32>;

@compute @workgroup_size(256)
fn column_sum(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x;
  if (col >= s.cols) { return; }
  var acc = 0.0;
  for (var r = 0u; r < s.rows; r++) {
    acc += g[r * s.cols + col];
  }
  colsum[col] = acc;
}
