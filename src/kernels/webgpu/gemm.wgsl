// Batched GEMM with strided operands: C[b] = A[b] (M x K) * B[b] (K x N) (+ bias[col]).
//
// Used by Winograd (one GEMM per transformed tile position, summing over input channels) and by
// MEC (one GEMM per output row over overlapping, copy-free slices of the lowered matrix: the
// slice is just an offset and a leading dimension). The batch index b splits as
// b = b1 * nb2 + b2, and each operand's start is off + b1 * stride1 + b2 * stride2.
//
// Tiling: a 16 x 16 workgroup computes a 64 x 64 tile of C, each thread 4 x 4 outputs spaced 16
// apart (rows ty + 16i, columns tx + 16j: neighbours read neighbouring shared-memory words).
// A and B advance through K 16 at a time via workgroup memory; loads are coalesced along the
// row-major operands' contiguous axis.
struct Params {
  M: u32, N: u32, K: u32, nb2: u32,
  lda: u32, ldb: u32, ldc: u32, batches: u32,
  aOff: u32, aStride1: u32, aStride2: u32, bOff: u32,
  bStride1: u32, bStride2: u32, cStride1: u32, cStride2: u32,
  hasBias: u32, pad0: u32, pad1: u32, pad2: u32,
}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const TS: u32 = 64u;
const KT: u32 = 16u;
var<workgroup> As: array<f32, 1024>; // [KT][TS]
var<workgroup> Bs: array<f32, 1024>; // [KT][TS]

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let batch = wg.z;
  let b1 = batch / p.nb2;
  let b2 = batch % p.nb2;
  let aBase = p.aOff + b1 * p.aStride1 + b2 * p.aStride2;
  let bBase = p.bOff + b1 * p.bStride1 + b2 * p.bStride2;
  let cBase = b1 * p.cStride1 + b2 * p.cStride2;
  let row0 = wg.y * TS;
  let col0 = wg.x * TS;
  let tid = lid.y * 16u + lid.x;

  // Rows ty, ty+16, ty+32, ty+48 against columns tx + 16 * (0..3), one vector each (no
  // dynamically indexed arrays, which GPU compilers may put in slow local memory).
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);

  for (var k0 = 0u; k0 < p.K; k0 += KT) {
    for (var i = 0u; i < 4u; i++) {
      let e = tid + 256u * i;
      // A tile: 64 rows x 16 k, read along k.
      let ar = e / KT;
      let ak = e % KT;
      var av = 0.0;
      if (row0 + ar < p.M && k0 + ak < p.K) { av = A[aBase + (row0 + ar) * p.lda + k0 + ak]; }
      As[ak * TS + ar] = av;
      // B tile: 16 k x 64 columns, read along the columns.
      let bk = e / TS;
      let bc = e % TS;
      var bv = 0.0;
      if (k0 + bk < p.K && col0 + bc < p.N) { bv = B[bBase + (k0 + bk) * p.ldb + col0 + bc]; }
      Bs[bk * TS + bc] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      let b = vec4f(Bs[kk * TS + lid.x], Bs[kk * TS + lid.x + 16u],
                    Bs[kk * TS + lid.x + 32u], Bs[kk * TS + lid.x + 48u]);
      acc0 = fma(vec4f(As[kk * TS + lid.y]), b, acc0);
      acc1 = fma(vec4f(As[kk * TS + lid.y + 16u]), b, acc1);
      acc2 = fma(vec4f(As[kk * TS + lid.y + 32u]), b, acc2);
      acc3 = fma(vec4f(As[kk * TS + lid.y + 48u]), b, acc3);
    }
    workgroupBarrier();
  }

  storeRow(cBase, row0 + lid.y, col0 + lid.x, acc0);
  storeRow(cBase, row0 + lid.y + 16u, col0 + lid.x, acc1);
  storeRow(cBase, row0 + lid.y + 32u, col0 + lid.x, acc2);
  storeRow(cBase, row0 + lid.y + 48u, col0 + lid.x, acc3);
}

// C[row][col + 16 j] = v[j] (+ bias), j = 0..3, inside the matrix.
fn storeRow(cBase: u32, row: u32, col: u32, v: vec4f) {
  if (row >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let c = col + 16u * j;
    if (c >= p.N) { continue; }
    var x = v[j];
    if (p.hasBias != 0u) { x += bias[c]; }
    C[cBase + row * p.ldc + c] = x;
  }
}
