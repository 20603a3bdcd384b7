// MEC lowering (Cho & Brand 2017, Algorithm 1): for every image n and output column w, one row
// of L holds the kw-wide, full-height strip of the zero-padded input under that column:
//   L[n * ow + w][(h * kw + kx) * c + ch] = xpad[n][h][sw * w + kx][ch],  h < hp (padded height).
// L is [n * ow][hp * kw * c], against im2col's [n * oh * ow][kh * kw * c]. Output row oy is then
// the GEMM of the columns [oy * sh * kw * c, (oy * sh + kh) * kw * c) of L with the HWIO filter
// as a [kh * kw * c][k] matrix (gemm.wgsl, batch = n * oh, no copies).
struct Params {
  n: u32, h: u32, w: u32, c: u32,
  kw: u32, sw: u32, padTop: u32, padLeft: u32,
  ow: u32, hp: u32, total: u32, pad0: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> L: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u,
        @builtin(local_invocation_id) lid: vec3u) {
  let idx = (wg.y * groups.x + wg.x) * 256u + lid.x;
  if (idx >= p.total) { return; }
  let rowLength = p.hp * p.kw * p.c;
  let row = idx / rowLength;
  let col = idx % rowLength;
  let b = row / p.ow;
  let w = row % p.ow;
  let ch = col % p.c;
  let kx = (col / p.c) % p.kw;
  let hh = col / (p.c * p.kw);
  let iy = i32(hh) - i32(p.padTop);
  let ix = i32(p.sw * w + kx) - i32(p.padLeft);
  var v = 0.0;
  if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
    v = x[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ch];
  }
  L[idx] = v;
}
