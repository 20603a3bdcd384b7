// XNOR-Net binary convolution on packed bits with countOneBits, as an implicit GEMM (dense layers
// are the 1 x 1 case on a 1 x 1 image). Rows are output pixels q, columns filters o, and the
// reduction runs over kh * kw * cw words (tap-major, cw words of channel bits per tap):
//   dot = sum over all taps of (c - 2 * countOneBits(x_bits ^ w_bits)) - corr[q][o],
//   y = dot * alpha[o] * K[q] + bias[o],  K[q] = (sum of A over the taps inside) / (kh * kw).
// A tap in the zero padding reads as zero words, i.e. +1 bits, and adds sign(w) summed over its
// channels instead of 0; corr (made once per weight tensor, per output pixel of one image) holds
// that sum, as Larq Compute Engine corrects it. Channel bits past c are zero in both operands.
// With rawDots = 1 the kernel writes dot alone.
// Tiling: a 16 x 16 workgroup computes 64 pixels x 64 filters, each thread 4 x 4 outputs spaced
// 16 apart; words advance KT at a time through workgroup memory (the input side gathered from
// the packed image on the fly, im2col without the buffer).
struct Params {
  n: u32, h: u32, w: u32, c: u32,
  cw: u32, kh: u32, kw: u32, k: u32,
  sh: u32, sw: u32, dh: u32, dw: u32,
  padTop: u32, padLeft: u32, oh: u32, ow: u32,
  hasBias: u32, rawDots: u32, hasCorr: u32, pad1: u32,
}

@group(0) @binding(0) var<storage, read> bits: array<u32>;     // [n * h * w][cw]
@group(0) @binding(1) var<storage, read> absMean: array<f32>;  // [n * h * w]
@group(0) @binding(2) var<storage, read> wbits: array<u32>;    // [k][kh * kw * cw]
@group(0) @binding(3) var<storage, read> alpha: array<f32>;    // [k]
@group(0) @binding(4) var<storage, read> bias: array<f32>;     // [k]
@group(0) @binding(5) var<storage, read_write> y: array<f32>;  // [n * oh * ow][k]
@group(0) @binding(6) var<uniform> p: Params;
@group(0) @binding(7) var<storage, read> corr: array<i32>;     // [oh * ow][k] or 1 word

const TS: u32 = 64u;
const KT: u32 = 8u;
var<workgroup> As: array<u32, 512>; // [KT][TS]
var<workgroup> Bs: array<u32, 512>; // [KT][TS]

// Where output pixel q's window starts in the packed image (its batch row and top-left
// corner), or an empty window past M.
struct Window { base: u32, y0: i32, x0: i32, inside: bool }

fn windowOf(q: u32, M: u32) -> Window {
  if (q >= M) { return Window(0u, 0, 0, false); }
  let b = q / (p.oh * p.ow);
  let pixel = q % (p.oh * p.ow);
  return Window(b * p.h, i32((pixel / p.ow) * p.sh) - i32(p.padTop),
                i32((pixel % p.ow) * p.sw) - i32(p.padLeft), true);
}

// Word i of tap `tap` of a window: 0 (+1 bits) in the padding or past M.
fn inputWord(win: Window, tap: u32, i: u32) -> u32 {
  if (!win.inside || tap >= p.kh * p.kw) { return 0u; }
  let iy = win.y0 + i32((tap / p.kw) * p.dh);
  let ix = win.x0 + i32((tap % p.kw) * p.dw);
  if (iy < 0 || iy >= i32(p.h) || ix < 0 || ix >= i32(p.w)) { return 0u; }
  return bits[((win.base + u32(iy)) * p.w + u32(ix)) * p.cw + i];
}

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let M = p.n * p.oh * p.ow;
  let K = p.kh * p.kw * p.cw;
  let row0 = (wg.z * groups.y + wg.y) * TS;
  let col0 = wg.x * TS;
  let tid = lid.y * 16u + lid.x;
  // Each thread loads the same two tile rows (and filter rows) at every step: tid / KT and
  // tid / KT + 32, word tid % KT of the step. Their windows are worked out once.
  let kk0 = tid % KT;
  let r0 = tid / KT;
  let win0 = windowOf(row0 + r0, M);
  let win1 = windowOf(row0 + r0 + 32u, M);
  let o0 = col0 + r0;
  let o1 = col0 + r0 + 32u;

  // Popcounts of rows ty, ty+16, ty+32, ty+48 against columns tx + 16 * (0..3), one vector each
  // (no dynamically indexed arrays, which GPU compilers may put in slow local memory).
  var pop0 = vec4u(0u);
  var pop1 = vec4u(0u);
  var pop2 = vec4u(0u);
  var pop3 = vec4u(0u);

  for (var k0 = 0u; k0 < K; k0 += KT) {
    let kidx = k0 + kk0;
    let tap = kidx / p.cw;
    let i = kidx % p.cw;
    As[kk0 * TS + r0] = inputWord(win0, tap, i);
    As[kk0 * TS + r0 + 32u] = inputWord(win1, tap, i);
    var w0 = 0u;
    var w1 = 0u;
    if (kidx < K) {
      if (o0 < p.k) { w0 = wbits[o0 * K + kidx]; }
      if (o1 < p.k) { w1 = wbits[o1 * K + kidx]; }
    }
    Bs[kk0 * TS + r0] = w0;
    Bs[kk0 * TS + r0 + 32u] = w1;
    workgroupBarrier();
    for (var kk = 0u; kk < KT; kk++) {
      let b = vec4u(Bs[kk * TS + lid.x], Bs[kk * TS + lid.x + 16u],
                    Bs[kk * TS + lid.x + 32u], Bs[kk * TS + lid.x + 48u]);
      pop0 += countOneBits(vec4u(As[kk * TS + lid.y]) ^ b);
      pop1 += countOneBits(vec4u(As[kk * TS + lid.y + 16u]) ^ b);
      pop2 += countOneBits(vec4u(As[kk * TS + lid.y + 32u]) ^ b);
      pop3 += countOneBits(vec4u(As[kk * TS + lid.y + 48u]) ^ b);
    }
    workgroupBarrier();
  }

  writeRow(row0 + lid.y, col0 + lid.x, M, pop0);
  writeRow(row0 + lid.y + 16u, col0 + lid.x, M, pop1);
  writeRow(row0 + lid.y + 32u, col0 + lid.x, M, pop2);
  writeRow(row0 + lid.y + 48u, col0 + lid.x, M, pop3);
}

// Outputs of pixel q for filters o, o + 16, o + 32, o + 48 from their popcounts.
fn writeRow(q: u32, o: u32, M: u32, pops: vec4u) {
  if (q >= M) { return; }
  let taps = p.kh * p.kw;
  let pixel = q % (p.oh * p.ow);
  var kSum = 0.0;
  if (p.rawDots == 0u) {
    let win = windowOf(q, M);
    for (var t = 0u; t < taps; t++) {
      let iy = win.y0 + i32((t / p.kw) * p.dh);
      let ix = win.x0 + i32((t % p.kw) * p.dw);
      if (iy < 0 || iy >= i32(p.h) || ix < 0 || ix >= i32(p.w)) { continue; }
      kSum += absMean[(win.base + u32(iy)) * p.w + u32(ix)];
    }
  }
  let scale = kSum / f32(taps);
  for (var j = 0u; j < 4u; j++) {
    let oc = o + 16u * j;
    if (oc >= p.k) { continue; }
    var dot = i32(taps * p.c) - 2i * i32(pops[j]);
    if (p.hasCorr != 0u) { dot -= corr[pixel * p.k + oc]; }
    var v = f32(dot);
    if (p.rawDots == 0u) {
      v = v * alpha[oc] * scale;
      if (p.hasBias != 0u) { v += bias[oc]; }
    }
    y[q * p.k + oc] = v;
  }
}
