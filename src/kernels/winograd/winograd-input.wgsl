// Winograd input transform (Lavin & Gray 2016): V = B^T d B for every input tile d of
// T x T = (m + r - 1)^2 pixels and every channel. Tiles step m pixels and overlap r - 1; pixels
// outside the image (zero padding, or past the last partial tile) read as 0.
// Layout: x NHWC; V [T * T][P][C] with P = n * tilesH * tilesW tiles, so the GEMM that follows
// sums over C for each of the T * T positions. One thread per (tile, channel), channels
// fastest, so reads of x and writes of V are both coalesced.
// T and B^T are written into the source per variant (winograd-webgpu.ts), so every loop has a
// constant trip count, unrolls, and d and t stay in registers, not in slow local memory.
const T: u32 = /*T*/0u;
const BT = array<f32, /*TT*/1>(/*BT*/0.0); // [T][T]
struct Params {
  n: u32, h: u32, w: u32, c: u32,
  tilesH: u32, tilesW: u32, padTop: u32, padLeft: u32,
  T: u32, m: u32, total: u32, pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> V: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let idx = (wg.y * groups.x + wg.x) * 256u + lid.x;
  if (idx >= p.total) { return; }
  let ch = idx % p.c;
  let tile = idx / p.c;
  let tilesPerImage = p.tilesH * p.tilesW;
  let b = tile / tilesPerImage;
  let ty = (tile % tilesPerImage) / p.tilesW;
  let tx = tile % p.tilesW;
  let y0 = i32(ty * p.m) - i32(p.padTop);
  let x0 = i32(tx * p.m) - i32(p.padLeft);
  var d: array<f32, T * T>;
  for (var i = 0u; i < T; i++) {
    let iy = y0 + i32(i);
    for (var j = 0u; j < T; j++) {
      let ix = x0 + i32(j);
      var v = 0.0;
      if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
        v = x[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch];
      }
      d[i * T + j] = v;
    }
  }
  // t = B^T d, then V = t B (B = (B^T)^T).
  var t: array<f32, T * T>;
  for (var i = 0u; i < T; i++) {
    for (var j = 0u; j < T; j++) {
      var s = 0.0;
      for (var k = 0u; k < T; k++) { s += BT[i * T + k] * d[k * T + j]; }
      t[i * T + j] = s;
    }
  }
  let P = p.total / p.c;
  for (var i = 0u; i < T; i++) {
    for (var j = 0u; j < T; j++) {
      var s = 0.0;
      for (var k = 0u; k < T; k++) { s += t[i * T + k] * BT[j * T + k]; }
      V[((i * T + j) * P + tile) * p.c + ch] = s;
    }
  }
}
