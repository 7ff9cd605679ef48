//! Instruction sets as tokens: a sampling loop is generic over `I: Isa` and carries a value
//! `isa: I`. [`Portable`] always exists; [`Avx2`] and [`Avx512`] exist only after run-time
//! detection found their features on this CPU (their fields are private), so safe code that
//! holds one may run their instructions.

/// The instruction set a sampling loop runs, as a token passed by value. Both kinds of token
/// make the same words and values; the AVX2 one through hand-written intrinsics.
pub(crate) trait Isa: Copy + Send + Sync + 'static {
    /// This token as an [`Avx2`] one: `None` for [`Portable`], known at compile time, so a
    /// branch on it costs nothing.
    #[cfg(target_arch = "x86_64")]
    fn avx2(self) -> Option<Avx2>;
}

/// Portable code, vectorized by the compiler where it can.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

impl Isa for Portable {
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn avx2(self) -> Option<Avx2> {
        None
    }
}

/// Proof that this CPU has AVX2, FMA, BMI2 and F16C: made only by [`Avx2::detect`].
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2 {
    _detected: (),
}

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    /// The token, when this CPU has the features (`#[target_feature(enable = "avx2,fma,bmi2,f16c")]`).
    pub fn detect() -> Option<Avx2> {
        let ok = std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("bmi2")
            && std::is_x86_feature_detected!("f16c");
        ok.then_some(Avx2 { _detected: () })
    }

    /// The token for tests that compare the AVX2 path with the portable one. Panics on a CPU
    /// without AVX2 (such a test would check nothing) unless `INIT_CORE_TESTS_WITHOUT_AVX2` is
    /// set, which accepts that only the portable path is checked.
    #[cfg(test)]
    pub(crate) fn for_tests() -> Option<Avx2> {
        let token = Avx2::detect();
        if token.is_none() && std::env::var_os("INIT_CORE_TESTS_WITHOUT_AVX2").is_none() {
            panic!(
                "this CPU has no AVX2 (+FMA, BMI2, F16C): the AVX2 path cannot be compared with \
                 the portable one; set INIT_CORE_TESTS_WITHOUT_AVX2=1 to check only the portable path"
            );
        }
        token
    }
}

#[cfg(target_arch = "x86_64")]
impl Isa for Avx2 {
    #[inline(always)]
    fn avx2(self) -> Option<Avx2> {
        Some(self)
    }
}

/// Proof that this CPU has AVX-512 F, BW, DQ and VL on top of [`Avx2`]'s features: made only
/// by [`Avx512::detect`]. Loops compiled for it run the AVX2 kernels, which the compiler then
/// encodes with AVX-512's wider choice of registers.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512 {
    avx2: Avx2,
}

#[cfg(target_arch = "x86_64")]
impl Avx512 {
    /// The token, when this CPU has the features
    /// (`#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi2,f16c")]`).
    pub fn detect() -> Option<Avx512> {
        let avx2 = Avx2::detect()?;
        let ok = std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl");
        ok.then_some(Avx512 { avx2 })
    }

    /// The AVX2 token its features include.
    #[inline(always)]
    pub fn avx2(self) -> Avx2 {
        self.avx2
    }
}
