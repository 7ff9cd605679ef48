//! Philox4x32-10, the counter-based generator of Salmon et al. (SC'11), as used by cuRAND and
//! PyTorch's CUDA backend.
//!
//! A counter-based generator maps `(key, counter)` to random bits with no hidden state, so the
//! value of element `i` can be computed independently of every other element: on any thread, in
//! any order, on the CPU or the GPU.

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Number of Philox blocks computed together by [`blocks16`], sized so that the four lanes of
/// counters fill AVX-512 registers.
pub(crate) const LANES: usize = 16;

#[inline(always)]
fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = (a as u64) * (b as u64);
    ((p >> 32) as u32, p as u32)
}

/// One Philox4x32-10 block: 128 random bits for a 128-bit counter and a 64-bit key.
///
/// ```
/// // Random123's known-answer vector for a zero counter and key.
/// let out = init_core::philox4x32_10([0; 4], [0; 2]);
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
    #[inline(always)]
    pub fn groups<const N: usize>(&self, first: u64, tag: u16, out: &mut [u32]) {
        let out = &mut out[..4 * N];
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
            o[..LANES].copy_from_slice(&c0[lanes.clone()]);
            o[LANES..2 * LANES].copy_from_slice(&c1[lanes.clone()]);
            o[2 * LANES..3 * LANES].copy_from_slice(&c2[lanes.clone()]);
            o[3 * LANES..].copy_from_slice(&c3[lanes]);
        }
    }
}

impl Key {
    /// Blocks at 16 arbitrary indices and tags, as structure of arrays: `out[k][l]` is word `k`
    /// of block `blocks[l]` with tag `tags[l]`. For redrawing rejected positions in batches.
    #[inline(always)]
    #[allow(clippy::needless_range_loop)] // lane-wise indexing is what vectorizes
    pub fn blocks_at(&self, blocks: &[u64; LANES], tags: &[u16; LANES]) -> [[u32; LANES]; 4] {
        let mut c = [[0u32; LANES]; 4];
        for l in 0..LANES {
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
            for l in 0..LANES {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let blocks: [u64; LANES] = std::array::from_fn(|l| (l as u64 * 7919) << 20);
        let tags: [u16; LANES] = std::array::from_fn(|l| l as u16 * 3);
        let out = k.blocks_at(&blocks, &tags);
        for l in 0..LANES {
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
        let mut out = [0u32; 64];
        let first = (7u64 << 32) + 0xFFFF_FFF8; // crosses the 32-bit boundary of the block index
        k.groups::<LANES>(first, 3, &mut out);
        for l in 0..LANES {
            let block = k.block(first + l as u64, 3);
            for (w, &word) in block.iter().enumerate() {
                assert_eq!(out[w * LANES + l], word);
            }
        }
    }
}
