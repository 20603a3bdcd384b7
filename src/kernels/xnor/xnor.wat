;; XNOR-Net binary products on bit-packed operands, WebAssembly SIMD (v128 xor, i8x16.popcnt).
;;
;; Bit convention (as Larq Compute Engine): bit 0 = +1, bit 1 = -1, sign(0) = +1. A dot product of
;; two +-1 vectors of n bits is n - 2 * popcount(a xor b). Rows are padded to whole v128 (128 bits)
;; with zero bits on both sides, which xor to 0 and so add nothing to the popcount.
;;
;; Assembled by scripts/build-wasm.ts (wabt) into xnor.wasm.ts; never edit that file by hand.
(module
  (memory (export "memory") 1)

  ;; Packs the signs of f32 rows [pixels][channels] into u32 words [pixels][stride] (bit k of
  ;; word w is channel 32w + k; words past the channels are zero). When $absmean is not 0 it
  ;; also writes sum(|x|) / channels per row: four lane sums over the whole 32-channel blocks,
  ;; added as (l0 + l1) + (l2 + l3), then the remaining channels one by one in order.
  (func (export "pack_signs")
    (param $src i32) (param $pixels i32) (param $channels i32)
    (param $dst i32) (param $stride i32) (param $absmean i32)
    (local $p i32) (local $x i32) (local $o i32) (local $c i32) (local $w i32)
    (local $bits i32) (local $k i32) (local $val f32) (local $tail f32)
    (local $sum v128) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $v4 v128) (local $v5 v128) (local $v6 v128) (local $v7 v128) (local $zero v128)
    (local.set $zero (v128.const i32x4 0 0 0 0))
    (block $done_p
      (loop $each_p
        (br_if $done_p (i32.ge_u (local.get $p) (local.get $pixels)))
        (local.set $x (i32.add (local.get $src)
          (i32.shl (i32.mul (local.get $p) (local.get $channels)) (i32.const 2))))
        (local.set $o (i32.add (local.get $dst)
          (i32.shl (i32.mul (local.get $p) (local.get $stride)) (i32.const 2))))
        (local.set $sum (local.get $zero))
        (local.set $c (i32.const 0))
        (local.set $w (i32.const 0))
        ;; Whole blocks of 32 channels: 8 compares, narrowed to 16 + 16 lanes, two bitmasks.
        (block $done_blocks
          (loop $each_block
            (br_if $done_blocks (i32.gt_u (i32.add (local.get $c) (i32.const 32)) (local.get $channels)))
            (local.set $v0 (v128.load offset=0 (local.get $x)))
            (local.set $v1 (v128.load offset=16 (local.get $x)))
            (local.set $v2 (v128.load offset=32 (local.get $x)))
            (local.set $v3 (v128.load offset=48 (local.get $x)))
            (local.set $v4 (v128.load offset=64 (local.get $x)))
            (local.set $v5 (v128.load offset=80 (local.get $x)))
            (local.set $v6 (v128.load offset=96 (local.get $x)))
            (local.set $v7 (v128.load offset=112 (local.get $x)))
            (local.set $sum (f32x4.add (local.get $sum) (f32x4.abs (local.get $v0))))
            (local.set $sum (f32x4.add (local.get $sum) (f32x4.abs (local.get $v1))))
            (local.set $sum (f32x4.add (local.get $sum) (f32x4.abs (local.get $v2))))
            (local.set $sum (f32x4.add (local.get $sum) (f32x4.abs (local.get $v3))))
            (local.set $sum (f32x4.add (local.get $sum) (f32x4.abs (local.get $v4))))
            (local.set $sum (f32x4.add (local.get $sum) (f32x4.abs (local.get $v5))))
            (local.set $sum (f32x4.add (local.get $sum) (f32x4.abs (local.get $v6))))
            (local.set $sum (f32x4.add (local.get $sum) (f32x4.abs (local.get $v7))))
            (local.set $bits
              (i32.or
                (i8x16.bitmask
                  (i8x16.narrow_i16x8_s
                    (i16x8.narrow_i32x4_s (f32x4.lt (local.get $v0) (local.get $zero))
                                          (f32x4.lt (local.get $v1) (local.get $zero)))
                    (i16x8.narrow_i32x4_s (f32x4.lt (local.get $v2) (local.get $zero))
                                          (f32x4.lt (local.get $v3) (local.get $zero)))))
                (i32.shl
                  (i8x16.bitmask
                    (i8x16.narrow_i16x8_s
                      (i16x8.narrow_i32x4_s (f32x4.lt (local.get $v4) (local.get $zero))
                                            (f32x4.lt (local.get $v5) (local.get $zero)))
                      (i16x8.narrow_i32x4_s (f32x4.lt (local.get $v6) (local.get $zero))
                                            (f32x4.lt (local.get $v7) (local.get $zero)))))
                  (i32.const 16))))
            (i32.store (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 2))) (local.get $bits))
            (local.set $w (i32.add (local.get $w) (i32.const 1)))
            (local.set $c (i32.add (local.get $c) (i32.const 32)))
            (local.set $x (i32.add (local.get $x) (i32.const 128)))
            (br $each_block)))
        ;; The last, partial word, one channel at a time.
        (local.set $tail (f32.const 0))
        (if (i32.lt_u (local.get $c) (local.get $channels))
          (then
            (local.set $bits (i32.const 0))
            (local.set $k (i32.const 0))
            (block $done_tail
              (loop $each_tail
                (br_if $done_tail (i32.ge_u (local.get $c) (local.get $channels)))
                (local.set $val (f32.load (local.get $x)))
                (local.set $tail (f32.add (local.get $tail) (f32.abs (local.get $val))))
                (if (f32.lt (local.get $val) (f32.const 0))
                  (then (local.set $bits (i32.or (local.get $bits) (i32.shl (i32.const 1) (local.get $k))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (local.set $c (i32.add (local.get $c) (i32.const 1)))
                (local.set $x (i32.add (local.get $x) (i32.const 4)))
                (br $each_tail)))
            (i32.store (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 2))) (local.get $bits))
            (local.set $w (i32.add (local.get $w) (i32.const 1)))))
        ;; Zero words up to the row stride.
        (block $done_zero
          (loop $each_zero
            (br_if $done_zero (i32.ge_u (local.get $w) (local.get $stride)))
            (i32.store (i32.add (local.get $o) (i32.shl (local.get $w) (i32.const 2))) (i32.const 0))
            (local.set $w (i32.add (local.get $w) (i32.const 1)))
            (br $each_zero)))
        (if (local.get $absmean)
          (then
            (f32.store
              (i32.add (local.get $absmean) (i32.shl (local.get $p) (i32.const 2)))
              (f32.div
                (f32.add
                  (f32.add
                    (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
                    (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum))))
                  (local.get $tail))
                (f32.convert_i32_u (local.get $channels))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $each_p))))

  ;; Binary im2col: for every output pixel, the packed words of its kh x kw taps side by side
  ;; (cw words a tap), then zero words up to $stride. A tap outside the image gets zero words,
  ;; which read as +1: the caller subtracts the weights those taps met (see xnor_epilogue).
  ;; $geom holds 14 i32: n h w cw kh kw sh sw dh dw padTop padLeft oh ow.
  (func (export "gather_rows") (param $src i32) (param $geom i32) (param $dst i32) (param $stride i32)
    (local $n i32) (local $h i32) (local $w i32) (local $cw i32) (local $kh i32) (local $kw i32)
    (local $sh i32) (local $sw i32) (local $dh i32) (local $dw i32) (local $pt i32) (local $pl i32)
    (local $oh i32) (local $ow i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32)
    (local $iy i32) (local $ix i32) (local $row i32) (local $at i32) (local $bytes i32) (local $used i32)
    (local $from i32)
    (local.set $n (i32.load offset=0 (local.get $geom)))
    (local.set $h (i32.load offset=4 (local.get $geom)))
    (local.set $w (i32.load offset=8 (local.get $geom)))
    (local.set $cw (i32.load offset=12 (local.get $geom)))
    (local.set $kh (i32.load offset=16 (local.get $geom)))
    (local.set $kw (i32.load offset=20 (local.get $geom)))
    (local.set $sh (i32.load offset=24 (local.get $geom)))
    (local.set $sw (i32.load offset=28 (local.get $geom)))
    (local.set $dh (i32.load offset=32 (local.get $geom)))
    (local.set $dw (i32.load offset=36 (local.get $geom)))
    (local.set $pt (i32.load offset=40 (local.get $geom)))
    (local.set $pl (i32.load offset=44 (local.get $geom)))
    (local.set $oh (i32.load offset=48 (local.get $geom)))
    (local.set $ow (i32.load offset=52 (local.get $geom)))
    (local.set $bytes (i32.shl (local.get $cw) (i32.const 2)))
    (local.set $used (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $bytes)))
    (local.set $row (local.get $dst))
    (local.set $b (i32.const 0))
    (block $done_b (loop $each_b
      (br_if $done_b (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $done_oy (loop $each_oy
        (br_if $done_oy (i32.ge_u (local.get $oy) (local.get $oh)))
        (local.set $ox (i32.const 0))
        (block $done_ox (loop $each_ox
          (br_if $done_ox (i32.ge_u (local.get $ox) (local.get $ow)))
          (local.set $at (local.get $row))
          (local.set $ky (i32.const 0))
          (block $done_ky (loop $each_ky
            (br_if $done_ky (i32.ge_u (local.get $ky) (local.get $kh)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $pt))
                                    (i32.mul (local.get $ky) (local.get $dh))))
            (local.set $kx (i32.const 0))
            (block $done_kx (loop $each_kx
              (br_if $done_kx (i32.ge_u (local.get $kx) (local.get $kw)))
              (local.set $ix (i32.add (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pl))
                                      (i32.mul (local.get $kx) (local.get $dw))))
              ;; Unsigned compares also reject negative coordinates.
              (if (i32.and (i32.lt_u (local.get $iy) (local.get $h)) (i32.lt_u (local.get $ix) (local.get $w)))
                (then
                  (local.set $from (i32.add (local.get $src)
                    (i32.mul
                      (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w))
                               (local.get $ix))
                      (local.get $bytes))))
                  ;; One word (up to 32 channels) is a plain load and store, not a memory.copy call.
                  (if (i32.eq (local.get $cw) (i32.const 1))
                    (then (i32.store (local.get $at) (i32.load (local.get $from))))
                    (else (memory.copy (local.get $at) (local.get $from) (local.get $bytes)))))
                (else
                  (if (i32.eq (local.get $cw) (i32.const 1))
                    (then (i32.store (local.get $at) (i32.const 0)))
                    (else (memory.fill (local.get $at) (i32.const 0) (local.get $bytes))))))
              (local.set $at (i32.add (local.get $at) (local.get $bytes)))
              (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
              (br $each_kx)))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $each_ky)))
          (memory.fill (local.get $at) (i32.const 0)
            (i32.sub (i32.shl (local.get $stride) (i32.const 2)) (local.get $used)))
          (local.set $row (i32.add (local.get $row) (i32.shl (local.get $stride) (i32.const 2))))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $each_ox)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $each_oy)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $each_b))))

  ;; popcount(a xor b) over $kv v128 words. Byte counts are widened to 16-bit lanes every step:
  ;; a lane gains at most 16 a step, so rows of up to 4095 v128 (524,160 bits) cannot overflow.
  (func $dot (param $a i32) (param $b i32) (param $kv i32) (result i32)
    (local $acc v128) (local $k i32)
    (local.set $acc (v128.const i32x4 0 0 0 0))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $k) (local.get $kv)))
      (local.set $acc (i16x8.add (local.get $acc)
        (i16x8.extadd_pairwise_i8x16_u (i8x16.popcnt
          (v128.xor (v128.load (local.get $a)) (v128.load (local.get $b)))))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $each)))
    (call $hsum16 (local.get $acc)))

  (func $hsum16 (param $v v128) (result i32)
    (local $s v128)
    (local.set $s (i32x4.extadd_pairwise_i16x8_u (local.get $v)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $s)) (i32x4.extract_lane 1 (local.get $s)))
      (i32.add (i32x4.extract_lane 2 (local.get $s)) (i32x4.extract_lane 3 (local.get $s)))))

  ;; out[i][j] = popcount(a[i] xor b[j]) for rows a [m][kv v128] and b [n][kv v128], i32 [m][n].
  ;; Blocks of 2 rows x 4 columns: each loaded word of a is used 4 times, each of b twice. Byte
  ;; counts gather in i8 lanes for up to 31 words (at most 248 a lane), then widen to 16 bits.
  (func (export "xnor_gemm")
    (param $a i32) (param $m i32) (param $b i32) (param $n i32) (param $kv i32) (param $out i32)
    (local $i i32) (local $j i32) (local $k i32) (local $end i32) (local $rowBytes i32)
    (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $o i32)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128) (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $w00 v128) (local $w01 v128) (local $w02 v128) (local $w03 v128) (local $w10 v128) (local $w11 v128) (local $w12 v128) (local $w13 v128)
    (local.set $rowBytes (i32.shl (local.get $kv) (i32.const 4)))
    (block $done_i (loop $each_i
      (br_if $done_i (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $m)))
      (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowBytes))))
      (local.set $a1 (i32.add (local.get $a0) (local.get $rowBytes)))
      (local.set $j (i32.const 0))
      (block $done_j (loop $each_j
        (br_if $done_j (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $rowBytes))))
        (local.set $w00 (v128.const i32x4 0 0 0 0))
        (local.set $w01 (v128.const i32x4 0 0 0 0))
        (local.set $w02 (v128.const i32x4 0 0 0 0))
        (local.set $w03 (v128.const i32x4 0 0 0 0))
        (local.set $w10 (v128.const i32x4 0 0 0 0))
        (local.set $w11 (v128.const i32x4 0 0 0 0))
        (local.set $w12 (v128.const i32x4 0 0 0 0))
        (local.set $w13 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (block $done_chunk (loop $each_chunk
          (br_if $done_chunk (i32.ge_u (local.get $k) (local.get $rowBytes)))
          (local.set $end (select (local.get $rowBytes) (i32.add (local.get $k) (i32.const 496))
            (i32.lt_u (local.get $rowBytes) (i32.add (local.get $k) (i32.const 496)))))
          (local.set $c00 (v128.const i32x4 0 0 0 0))
          (local.set $c01 (v128.const i32x4 0 0 0 0))
          (local.set $c02 (v128.const i32x4 0 0 0 0))
          (local.set $c03 (v128.const i32x4 0 0 0 0))
          (local.set $c10 (v128.const i32x4 0 0 0 0))
          (local.set $c11 (v128.const i32x4 0 0 0 0))
          (local.set $c12 (v128.const i32x4 0 0 0 0))
          (local.set $c13 (v128.const i32x4 0 0 0 0))
          (block $done_k (loop $each_k
            (br_if $done_k (i32.ge_u (local.get $k) (local.get $end)))
            (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $k))))
            (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $k))))
            (local.set $o (i32.add (local.get $b0) (local.get $k)))
            (local.set $y (v128.load (local.get $o)))
            (local.set $c00 (i8x16.add (local.get $c00) (i8x16.popcnt (v128.xor (local.get $x0) (local.get $y)))))
            (local.set $c10 (i8x16.add (local.get $c10) (i8x16.popcnt (v128.xor (local.get $x1) (local.get $y)))))
            (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
            (local.set $y (v128.load (local.get $o)))
            (local.set $c01 (i8x16.add (local.get $c01) (i8x16.popcnt (v128.xor (local.get $x0) (local.get $y)))))
            (local.set $c11 (i8x16.add (local.get $c11) (i8x16.popcnt (v128.xor (local.get $x1) (local.get $y)))))
            (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
            (local.set $y (v128.load (local.get $o)))
            (local.set $c02 (i8x16.add (local.get $c02) (i8x16.popcnt (v128.xor (local.get $x0) (local.get $y)))))
            (local.set $c12 (i8x16.add (local.get $c12) (i8x16.popcnt (v128.xor (local.get $x1) (local.get $y)))))
            (local.set $o (i32.add (local.get $o) (local.get $rowBytes)))
            (local.set $y (v128.load (local.get $o)))
            (local.set $c03 (i8x16.add (local.get $c03) (i8x16.popcnt (v128.xor (local.get $x0) (local.get $y)))))
            (local.set $c13 (i8x16.add (local.get $c13) (i8x16.popcnt (v128.xor (local.get $x1) (local.get $y)))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $each_k)))
          (local.set $w00 (i16x8.add (local.get $w00) (i16x8.extadd_pairwise_i8x16_u (local.get $c00))))
          (local.set $w01 (i16x8.add (local.get $w01) (i16x8.extadd_pairwise_i8x16_u (local.get $c01))))
          (local.set $w02 (i16x8.add (local.get $w02) (i16x8.extadd_pairwise_i8x16_u (local.get $c02))))
          (local.set $w03 (i16x8.add (local.get $w03) (i16x8.extadd_pairwise_i8x16_u (local.get $c03))))
          (local.set $w10 (i16x8.add (local.get $w10) (i16x8.extadd_pairwise_i8x16_u (local.get $c10))))
          (local.set $w11 (i16x8.add (local.get $w11) (i16x8.extadd_pairwise_i8x16_u (local.get $c11))))
          (local.set $w12 (i16x8.add (local.get $w12) (i16x8.extadd_pairwise_i8x16_u (local.get $c12))))
          (local.set $w13 (i16x8.add (local.get $w13) (i16x8.extadd_pairwise_i8x16_u (local.get $c13))))
          (br $each_chunk)))
        (local.set $o (i32.add (local.get $out)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
        (i32.store offset=0 (local.get $o) (call $hsum16 (local.get $w00)))
        (i32.store offset=4 (local.get $o) (call $hsum16 (local.get $w01)))
        (i32.store offset=8 (local.get $o) (call $hsum16 (local.get $w02)))
        (i32.store offset=12 (local.get $o) (call $hsum16 (local.get $w03)))
        (local.set $o (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2))))
        (i32.store offset=0 (local.get $o) (call $hsum16 (local.get $w10)))
        (i32.store offset=4 (local.get $o) (call $hsum16 (local.get $w11)))
        (i32.store offset=8 (local.get $o) (call $hsum16 (local.get $w12)))
        (i32.store offset=12 (local.get $o) (call $hsum16 (local.get $w13)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $each_j)))
      ;; Columns left over (n not a multiple of 4), for both rows.
      (block $done_jt (loop $each_jt
        (br_if $done_jt (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $rowBytes))))
        (local.set $o (i32.add (local.get $out)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
        (i32.store (local.get $o) (call $dot (local.get $a0) (local.get $b0) (local.get $kv)))
        (i32.store (i32.add (local.get $o) (i32.shl (local.get $n) (i32.const 2)))
          (call $dot (local.get $a1) (local.get $b0) (local.get $kv)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $each_jt)))
      (local.set $i (i32.add (local.get $i) (i32.const 2)))
      (br $each_i)))
    ;; The last row when m is odd.
    (if (i32.lt_u (local.get $i) (local.get $m))
      (then
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $rowBytes))))
        (local.set $j (i32.const 0))
        (block $done_jl (loop $each_jl
          (br_if $done_jl (i32.ge_u (local.get $j) (local.get $n)))
          (i32.store
            (i32.add (local.get $out)
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2)))
            (call $dot (local.get $a0)
              (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $rowBytes)))
              (local.get $kv)))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $each_jl))))))

  ;; XNOR-Net's mean-|x| box filter (the K of §3.2) for every output pixel: the sum of A over the
  ;; taps inside the image, in row-major tap order, divided by kh * kw (a padded tap adds 0).
  ;; A is [n][h][w]; $geom as for gather_rows; out is [n][oh][ow].
  (func (export "box_mean") (param $a i32) (param $geom i32) (param $out i32)
    (local $n i32) (local $h i32) (local $w i32) (local $kh i32) (local $kw i32)
    (local $sh i32) (local $sw i32) (local $dh i32) (local $dw i32) (local $pt i32) (local $pl i32)
    (local $oh i32) (local $ow i32)
    (local $b i32) (local $oy i32) (local $ox i32) (local $ky i32) (local $kx i32)
    (local $iy i32) (local $ix i32) (local $sum f32) (local $area f32)
    (local.set $n (i32.load offset=0 (local.get $geom)))
    (local.set $h (i32.load offset=4 (local.get $geom)))
    (local.set $w (i32.load offset=8 (local.get $geom)))
    (local.set $kh (i32.load offset=16 (local.get $geom)))
    (local.set $kw (i32.load offset=20 (local.get $geom)))
    (local.set $sh (i32.load offset=24 (local.get $geom)))
    (local.set $sw (i32.load offset=28 (local.get $geom)))
    (local.set $dh (i32.load offset=32 (local.get $geom)))
    (local.set $dw (i32.load offset=36 (local.get $geom)))
    (local.set $pt (i32.load offset=40 (local.get $geom)))
    (local.set $pl (i32.load offset=44 (local.get $geom)))
    (local.set $oh (i32.load offset=48 (local.get $geom)))
    (local.set $ow (i32.load offset=52 (local.get $geom)))
    (local.set $area (f32.convert_i32_u (i32.mul (local.get $kh) (local.get $kw))))
    (block $done_b (loop $each_b
      (br_if $done_b (i32.ge_u (local.get $b) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $done_oy (loop $each_oy
        (br_if $done_oy (i32.ge_u (local.get $oy) (local.get $oh)))
        (local.set $ox (i32.const 0))
        (block $done_ox (loop $each_ox
          (br_if $done_ox (i32.ge_u (local.get $ox) (local.get $ow)))
          (local.set $sum (f32.const 0))
          (local.set $ky (i32.const 0))
          (block $done_ky (loop $each_ky
            (br_if $done_ky (i32.ge_u (local.get $ky) (local.get $kh)))
            (local.set $iy (i32.add (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $pt))
                                    (i32.mul (local.get $ky) (local.get $dh))))
            (local.set $kx (i32.const 0))
            (block $done_kx (loop $each_kx
              (br_if $done_kx (i32.ge_u (local.get $kx) (local.get $kw)))
              (local.set $ix (i32.add (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $pl))
                                      (i32.mul (local.get $kx) (local.get $dw))))
              (if (i32.and (i32.lt_u (local.get $iy) (local.get $h)) (i32.lt_u (local.get $ix) (local.get $w)))
                (then
                  (local.set $sum (f32.add (local.get $sum)
                    (f32.load (i32.add (local.get $a)
                      (i32.shl
                        (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $iy)) (local.get $w))
                                 (local.get $ix))
                        (i32.const 2))))))))
              (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
              (br $each_kx)))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $each_ky)))
          (f32.store (local.get $out) (f32.div (local.get $sum) (local.get $area)))
          (local.set $out (i32.add (local.get $out) (i32.const 4)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $each_ox)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $each_oy)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $each_b))))

  ;; out[i][j] = f32(nbits - 2 * pop[i][j] - corr[i mod period][j]) * alpha[j] * k[i] + bias[j],
  ;; in that order. corr (i32, may be 0 = none) holds, per output pixel of one image, the sum of
  ;; the signs of the weights that met padded taps; bias may be 0 = none.
  (func (export "xnor_epilogue")
    (param $pop i32) (param $m i32) (param $n i32) (param $nbits i32)
    (param $corr i32) (param $period i32) (param $alpha i32) (param $k i32) (param $bias i32)
    (param $out i32)
    (local $i i32) (local $j i32) (local $ki f32) (local $crow i32) (local $dot i32) (local $v f32)
    (block $done_i (loop $each_i
      (br_if $done_i (i32.ge_u (local.get $i) (local.get $m)))
      (local.set $ki (f32.load (i32.add (local.get $k) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $crow (i32.add (local.get $corr)
        (i32.shl (i32.mul (i32.rem_u (local.get $i) (local.get $period)) (local.get $n)) (i32.const 2))))
      (local.set $j (i32.const 0))
      (block $done_j (loop $each_j
        (br_if $done_j (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $dot (i32.sub (local.get $nbits) (i32.shl (i32.load (local.get $pop)) (i32.const 1))))
        (if (local.get $corr)
          (then (local.set $dot (i32.sub (local.get $dot)
            (i32.load (i32.add (local.get $crow) (i32.shl (local.get $j) (i32.const 2))))))))
        (local.set $v (f32.mul
          (f32.mul (f32.convert_i32_s (local.get $dot))
                   (f32.load (i32.add (local.get $alpha) (i32.shl (local.get $j) (i32.const 2)))))
          (local.get $ki)))
        (if (local.get $bias)
          (then (local.set $v (f32.add (local.get $v)
            (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))
        (f32.store (local.get $out) (local.get $v))
        (local.set $pop (i32.add (local.get $pop) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $each_j)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each_i))))
)
