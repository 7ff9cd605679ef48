//! The CPU backend: element types and their SIMD masks (`elem`), the walk over a layout's runs
//! on several threads (`walk`), sampling with the rejection queue (`sample`, `redraw`) and
//! plain writes (`write`).

mod elem;
mod redraw;
pub(crate) mod sample;
mod walk;
pub(crate) mod write;

pub(crate) use sample::{sample, sample_into, sample_mapped};
