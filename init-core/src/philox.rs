//! Philox4x32-10, the counter-based generator of Salmon et al. (SC'11), as used by cuRAND and
//! PyTorch's CUDA backend.
//!
//! A counter-based generator maps `(key, counter)` to random bits with no hidden state, so the
//! value of element `i` can be computed independently of every other element: on any thread, in
//! any order, on the CPU or the GPU.

use std::mem::MaybeUninit;

#[cfg(target_arch = "x86_64")]
use crate::isa::Avx2;
use crate::isa::Isa;

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Philox blocks in a group (see `Key::groups`), sized so that the four lanes of
/// counters fill AVX-512 registers.
pub(crate) const LANES: usize = 16;

/// Positions redrawn together by `Key::blocks_at` and the samplers' `retry_lanes`: enough
/// independent vector lanes to hide the latency of ten Philox rounds and a logarithm.
pub(crate) const RETRY: usize = 32;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = (a as u64) * (b as u64);
    ((p >> 32) as u32, p as u32)
}

/// One Philox4x32-10 block: 128 random bits for a 128-bit counter and a 64-bit key.
///
/// ```
/// // Random123's known-answer vector for a zero counter and key.
/// let out = init_candle::init::philox4x32_10([0; 4], [0; 2]);
/// assert_eq!(out, [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
/// ```
#[inline(always)]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        let (hi0, lo0) = mulhilo(M0, c0);
        let (hi1, lo1) = mulhilo(M1, c2);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    [c0, c1, c2, c3]
}

/// `out` as initialized words.
///
/// # Safety
/// Every element of `out` must have been written.
#[inline(always)]
unsafe fn assume_written(out: &mut [MaybeUninit<u32>]) -> &mut [u32] {
    // SAFETY: `MaybeUninit<u32>` has the layout of `u32`, and the caller guarantees that every
    // element is initialized.
    unsafe { &mut *(out as *mut [MaybeUninit<u32>] as *mut [u32]) }
}

/// Where a block of random bits comes from: the key (the seed), the stream (a parameter or a
/// draw of a generator) and a tag that separates independent uses of the same positions
/// (rejection-sampling attempts, permutations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub key: [u32; 2],
    pub stream: u64,
}

impl Key {
    /// The counter of block `block` (at most 2^48 blocks) with tag `tag`.
    #[inline(always)]
    pub fn counter(&self, block: u64, tag: u16) -> [u32; 4] {
        [
            block as u32,
            ((block >> 32) as u32 & 0xFFFF) | ((tag as u32) << 16),
            self.stream as u32,
            (self.stream >> 32) as u32,
        ]
    }

    #[inline(always)]
    pub fn block(&self, block: u64, tag: u16) -> [u32; 4] {
        philox4x32_10(self.counter(block, tag), self.key)
    }

    /// `N / 16` consecutive groups of 16 blocks from block `first`, one after the other
    /// (`4 * N` words). A group is laid out as structure of arrays: word `k` of its block `l`
    /// goes to `16 * k + l`.
    ///
    /// Written lane-wise over plain arrays so that the compiler vectorizes the independent
    /// blocks (the multiplications become `vpmuludq`) and the samplers read whole vectors;
    /// several groups at once give the processor independent dependency chains to overlap.
    ///
    /// `out` may be uninitialized (the samplers' word buffers are, so that no cycle goes into
    /// zeroing them); the returned slice is its first `4 * N` words, all written.
    #[inline(always)]
    pub fn groups<'a, const N: usize, I: Isa>(
        &self,
        isa: I,
        first: u64,
        tag: u16,
        out: &'a mut [MaybeUninit<u32>],
    ) -> &'a mut [u32] {
        // Whole groups only: every word of `out` is written below (`assume_written` relies on it).
        const { assert!(N.is_multiple_of(LANES)) };
        let out = &mut out[..4 * N];
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = isa.avx2() {
            // SAFETY: `out` holds `4 * N` words, which the kernel writes, all of them.
            unsafe {
                avx2::groups::<N>(avx2, self, first, tag, out.as_mut_ptr().cast::<u32>());
                return assume_written(out);
            }
        }
        let mut c0 = [0u32; N];
        let mut c1 = [0u32; N];
        let mut c2 = [0u32; N];
        let mut c3 = [0u32; N];
        for l in 0..N {
            let ctr = self.counter(first + l as u64, tag);
            c0[l] = ctr[0];
            c1[l] = ctr[1];
            c2[l] = ctr[2];
            c3[l] = ctr[3];
        }
        let (mut k0, mut k1) = (self.key[0], self.key[1]);
        for round in 0..10 {
            if round > 0 {
                k0 = k0.wrapping_add(W0);
                k1 = k1.wrapping_add(W1);
            }
            for l in 0..N {
                let (hi0, lo0) = mulhilo(M0, c0[l]);
                let (hi1, lo1) = mulhilo(M1, c2[l]);
                let n0 = hi1 ^ c1[l] ^ k0;
                let n2 = hi0 ^ c3[l] ^ k1;
                c0[l] = n0;
                c1[l] = lo1;
                c2[l] = n2;
                c3[l] = lo0;
            }
        }
        for (g, o) in out.chunks_exact_mut(4 * LANES).enumerate() {
            let lanes = g * LANES..(g + 1) * LANES;
            for (k, c) in [&c0, &c1, &c2, &c3].into_iter().enumerate() {
                for (d, &v) in o[k * LANES..(k + 1) * LANES]
                    .iter_mut()
                    .zip(&c[lanes.clone()])
                {
                    d.write(v);
                }
            }
        }
        // SAFETY: the loop above wrote every word of `out` (`N / 16` groups of 64 words).
        unsafe { assume_written(out) }
    }
}

impl Key {
    /// Blocks at [`RETRY`] arbitrary indices and tags, as structure of arrays: `out[k][l]` is word `k`
    /// of block `blocks[l]` with tag `tags[l]`. For redrawing rejected positions in batches.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // lane-wise indexing is what vectorizes
    pub fn blocks_at<I: Isa>(
        &self,
        isa: I,
        blocks: &[u64; RETRY],
        tags: &[u16; RETRY],
    ) -> [[u32; RETRY]; 4] {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = isa.avx2() {
            return avx2::blocks_at(avx2, self, blocks, tags);
        }
        let mut c = [[0u32; RETRY]; 4];
        for l in 0..RETRY {
            let ctr = self.counter(blocks[l], tags[l]);
            for k in 0..4 {
                c[k][l] = ctr[k];
            }
        }
        let (mut k0, mut k1) = (self.key[0], self.key[1]);
        for round in 0..10 {
            if round > 0 {
                k0 = k0.wrapping_add(W0);
                k1 = k1.wrapping_add(W1);
            }
            for l in 0..RETRY {
                let (hi0, lo0) = mulhilo(M0, c[0][l]);
                let (hi1, lo1) = mulhilo(M1, c[2][l]);
                let n0 = hi1 ^ c[1][l] ^ k0;
                let n2 = hi0 ^ c[3][l] ^ k1;
                c[0][l] = n0;
                c[1][l] = lo1;
                c[2][l] = n2;
                c[3][l] = lo0;
            }
        }
        c
    }
}

/// Philox4x32-10 in AVX2 intrinsics.
///
/// A word lives in the low half of a 64-bit lane, four blocks per register: `vpmuludq` then
/// multiplies the low halves directly, the high half of a product is one shift, and no step ever
/// reads a high half that holds anything but a product's top (the low products are kept whole,
/// their high halves are never read), so the words need no widening or masking. Eight blocks
/// run as two registers per word, blocks 0, 2, 4, 6 and 1, 3, 5, 7, so that one blend puts the
/// eight words of a word index back in block order. Two independent chains per set keep the
/// multiplier busy without spilling AVX2's sixteen registers.
///
/// Every function takes the [`Avx2`] token, the proof that this CPU runs the intrinsics.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Avx2, Key, LANES, M0, M1, RETRY, W0, W1};
    use std::arch::x86_64::*;

    /// A word index of eight blocks: even blocks, odd blocks.
    type Pair = [__m256i; 2];

    /// The ten round keys, each word broadcast.
    #[inline(always)]
    fn round_keys(_: Avx2, key: [u32; 2]) -> [[__m256i; 2]; 10] {
        // SAFETY: the token proves AVX2; no memory is touched.
        unsafe {
            // Plain loops, not `array::from_fn`: a closure that is not inlined would run the
            // intrinsics outside the AVX2 function, as calls.
            let mut keys = [[_mm256_setzero_si256(); 2]; 10];
            let (mut k0, mut k1) = (key[0], key[1]);
            for (round, k) in keys.iter_mut().enumerate() {
                if round > 0 {
                    k0 = k0.wrapping_add(W0);
                    k1 = k1.wrapping_add(W1);
                }
                *k = [_mm256_set1_epi64x(k0 as i64), _mm256_set1_epi64x(k1 as i64)];
            }
            keys
        }
    }

    /// Ten rounds on `S` sets of eight blocks (word k of set s in `c[s][k]`), the sets
    /// interleaved round by round.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // c[s][0..4][h]: four words of one chain
    fn rounds<const S: usize>(_: Avx2, keys: &[[__m256i; 2]; 10], c: &mut [[Pair; 4]; S]) {
        // SAFETY: the token proves AVX2; no memory is touched.
        unsafe {
            let m0 = _mm256_set1_epi64x(M0 as i64);
            let m1 = _mm256_set1_epi64x(M1 as i64);
            for [k0, k1] in keys {
                for c in c.iter_mut() {
                    for h in 0..2 {
                        let p0 = _mm256_mul_epu32(c[0][h], m0);
                        let p1 = _mm256_mul_epu32(c[2][h], m1);
                        let n0 = _mm256_xor_si256(
                            _mm256_srli_epi64(p1, 32),
                            _mm256_xor_si256(c[1][h], *k0),
                        );
                        let n2 = _mm256_xor_si256(
                            _mm256_srli_epi64(p0, 32),
                            _mm256_xor_si256(c[3][h], *k1),
                        );
                        c[0][h] = n0;
                        c[1][h] = p1;
                        c[2][h] = n2;
                        c[3][h] = p0;
                    }
                }
            }
        }
    }

    /// The counters (`Key::counter`) of lanes `8 * set ..` of `blocks` and `tags`, as
    /// `rounds` takes them: word k of the even lanes in `[k][0]`, of the odd lanes in `[k][1]`.
    ///
    /// # Safety
    /// `set < RETRY / 8`.
    #[inline(always)]
    unsafe fn counters(
        avx2: Avx2,
        key: &Key,
        blocks: &[u64; RETRY],
        tags: &[u16; RETRY],
        set: usize,
    ) -> [Pair; 4] {
        // SAFETY: the token proves AVX2; the loads read lanes 8 * set .. 8 * set + 8 of
        // `blocks` and `tags`, inside them as `set < RETRY / 8` (the caller's contract).
        unsafe {
            let at = 8 * set;
            let v0 = _mm256_loadu_si256(blocks.as_ptr().add(at).cast());
            let v1 = _mm256_loadu_si256(blocks.as_ptr().add(at + 4).cast());
            // [b0, b4, b2, b6] and [b1, b5, b3, b7], their middle lanes then swapped.
            let even = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_unpacklo_epi64(v0, v1));
            let odd = _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_unpackhi_epi64(v0, v1));
            // Tags t0..t7 as 32-bit lanes: the low halves of the 64-bit lanes hold the even ones.
            let t = _mm256_cvtepu16_epi32(_mm_loadu_si128(tags.as_ptr().add(at).cast()));
            let low32 = _mm256_set1_epi64x(0xFFFF_FFFF);
            let tag_even = _mm256_and_si256(t, low32);
            let tag_odd = _mm256_srli_epi64::<32>(t);
            let (w1_even, w1_odd) = (word1(avx2, even, tag_even), word1(avx2, odd, tag_odd));
            let s2 = _mm256_set1_epi64x(i64::from(key.stream as u32));
            let s3 = _mm256_set1_epi64x(i64::from((key.stream >> 32) as u32));
            [
                [_mm256_and_si256(even, low32), _mm256_and_si256(odd, low32)],
                [w1_even, w1_odd],
                [s2, s2],
                [s3, s3],
            ]
        }
    }

    /// Counter word 1 (`Key::counter`) of four blocks and their tags (each in the low bits
    /// of a 64-bit lane): the block's bits 32..48, the tag above them.
    #[inline(always)]
    fn word1(_: Avx2, blocks: __m256i, tags: __m256i) -> __m256i {
        // SAFETY: the token proves AVX2; no memory is touched.
        unsafe {
            _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi64::<32>(blocks), _mm256_set1_epi64x(0xFFFF)),
                _mm256_slli_epi64::<16>(tags),
            )
        }
    }

    /// The eight words of one word index, in block order.
    #[inline(always)]
    fn pack(_: Avx2, p: Pair) -> __m256i {
        // SAFETY: the token proves AVX2; no memory is touched.
        unsafe { _mm256_blend_epi32::<0b1010_1010>(p[0], _mm256_slli_epi64::<32>(p[1])) }
    }

    /// As `Key::groups`.
    ///
    /// # Safety
    /// `out` must be valid for writing `4 * N` words.
    #[inline(always)]
    pub(super) unsafe fn groups<const N: usize>(
        avx2: Avx2,
        key: &Key,
        first: u64,
        tag: u16,
        out: *mut u32,
    ) {
        // SAFETY: the token proves AVX2; the stores write words `4 * LANES * (set / 2) + 8 *
        // (set % 2) + LANES * k ..` plus 8, for `set < N / 8` and `k < 4`: all below `4 * N`,
        // inside `out` (the caller's contract).
        unsafe {
            debug_assert!(N.is_multiple_of(LANES) && first.is_multiple_of(LANES as u64));
            let keys = round_keys(avx2, key.key);
            for set in 0..N / 8 {
                let block = first + 8 * set as u64;
                // `block` is a multiple of 8, so the eight blocks share every word but the first,
                // and the first's low 32 bits do not carry.
                let ctr = key.counter(block, tag);
                let base = _mm256_set1_epi64x(ctr[0] as i64);
                let c: [Pair; 4] = [
                    [
                        _mm256_add_epi64(base, _mm256_setr_epi64x(0, 2, 4, 6)),
                        _mm256_add_epi64(base, _mm256_setr_epi64x(1, 3, 5, 7)),
                    ],
                    [_mm256_set1_epi64x(ctr[1] as i64); 2],
                    [_mm256_set1_epi64x(ctr[2] as i64); 2],
                    [_mm256_set1_epi64x(ctr[3] as i64); 2],
                ];
                let mut sets = [c];
                rounds(avx2, &keys, &mut sets);
                let [c] = sets;
                // Group `set / 2`, lanes 8 * (set % 2) ..: word k of lane l at 16 k + l.
                let at = out.add(4 * LANES * (set / 2) + 8 * (set % 2));
                for (k, p) in c.into_iter().enumerate() {
                    _mm256_storeu_si256(at.add(LANES * k) as *mut __m256i, pack(avx2, p));
                }
            }
        }
    }

    /// As `Key::blocks_at`.
    #[inline(always)]
    pub(super) fn blocks_at(
        avx2: Avx2,
        key: &Key,
        blocks: &[u64; RETRY],
        tags: &[u16; RETRY],
    ) -> [[u32; RETRY]; 4] {
        // SAFETY: the token proves AVX2; `counters` gets sets `< SETS`, and the stores write
        // lanes `8 * set .. 8 * set + 8 <= RETRY` of each row of `out`.
        unsafe {
            const SETS: usize = RETRY / 8;
            let keys = round_keys(avx2, key.key);
            let mut out = [[0u32; RETRY]; 4];
            // Two sets at a time: four chains in flight, few enough not to spill much.
            for two in 0..SETS / 2 {
                let mut c = [
                    counters(avx2, key, blocks, tags, 2 * two),
                    counters(avx2, key, blocks, tags, 2 * two + 1),
                ];
                rounds(avx2, &keys, &mut c);
                for (s, set) in c.into_iter().enumerate() {
                    let at = 8 * (2 * two + s);
                    for (k, p) in set.into_iter().enumerate() {
                        let v = pack(avx2, p);
                        _mm256_storeu_si256(out[k].as_mut_ptr().add(at) as *mut __m256i, v);
                    }
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::Portable;

    /// Known-answer vectors of Random123's `kat_vectors` for philox4x32 with 10 rounds.
    #[test]
    fn known_answer_vectors() {
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn blocks_at_equal_scalar_blocks() {
        let k = Key {
            key: [5, 6],
            stream: 99,
        };
        let blocks: [u64; RETRY] = std::array::from_fn(|l| (l as u64 * 7919) << 20);
        let tags: [u16; RETRY] = std::array::from_fn(|l| l as u16 * 3);
        let out = k.blocks_at(Portable, &blocks, &tags);
        for l in 0..RETRY {
            let b = k.block(blocks[l], tags[l]);
            for w in 0..4 {
                assert_eq!(out[w][l], b[w]);
            }
        }
    }

    #[test]
    fn vector_blocks_equal_scalar_blocks() {
        let k = Key {
            key: [0xdead_beef, 0x1234_5678],
            stream: 0x0123_4567_89ab_cdef,
        };
        let mut buf = [MaybeUninit::uninit(); 64];
        let first = (7u64 << 32) + 0xFFFF_FFF8; // crosses the 32-bit boundary of the block index
        let out = k.groups::<LANES, _>(Portable, first, 3, &mut buf);
        for l in 0..LANES {
            let block = k.block(first + l as u64, 3);
            for (w, &word) in block.iter().enumerate() {
                assert_eq!(out[w * LANES + l], word);
            }
        }
    }

    /// The AVX2 kernels compute exactly the portable kernels' words (when this CPU has AVX2).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_kernels_equal_portable_kernels() {
        #[target_feature(enable = "avx2,fma,bmi2,f16c")]
        fn both(isa: Avx2, k: &Key, first: u64, blocks: &[u64; RETRY], tags: &[u16; RETRY]) {
            let (mut b1, mut b2) = (
                [MaybeUninit::uninit(); 4 * 64],
                [MaybeUninit::uninit(); 4 * 64],
            );
            let portable = k.groups::<64, _>(Portable, first, 5, &mut b1);
            let avx = k.groups::<64, _>(isa, first, 5, &mut b2);
            assert_eq!(portable, avx, "groups from {first}");
            assert_eq!(
                k.blocks_at(Portable, blocks, tags),
                k.blocks_at(isa, blocks, tags)
            );
        }
        let Some(isa) = Avx2::for_tests() else {
            return;
        };
        for (key, stream, first) in [
            ([0u32, 0], 0u64, 0u64),
            (
                [0xdead_beef, 0x1234_5678],
                0x0123_4567_89ab_cdef,
                (7u64 << 32) - 64,
            ),
            ([u32::MAX, u32::MAX], u64::MAX, (0xFFFF << 32) + 0xFFFF_FF00),
        ] {
            let k = Key { key, stream };
            let blocks: [u64; RETRY] =
                std::array::from_fn(|l| first.wrapping_mul(l as u64 + 1) & 0xFFFF_FFFF_FFFF);
            let tags: [u16; RETRY] = std::array::from_fn(|l| (l as u16).wrapping_mul(4099));
            // SAFETY: `isa` proves that this CPU has the features `both` is compiled for.
            unsafe { both(isa, &k, first, &blocks, &tags) };
        }
    }
}
