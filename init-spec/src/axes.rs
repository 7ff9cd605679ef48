//! [`Axes`]: an axis or a list of axes of a tensor, as JAX's initializers take them.

use std::fmt;

/// The most axes an [`Axes`] holds (more than any tensor an initializer writes has).
pub const MAX_AXES: usize = 7;

/// One axis or a list of axes of a tensor, negative ones counted from the end (`-1` is the
/// last): JAX's `in_axis`, `out_axis` and `batch_axis`, which take an int or a sequence. A
/// small `Copy` value (8 bytes: up to [`MAX_AXES`] axes in -128..=127), written `1` when it
/// holds one axis and `[0, 1]` (or `[]`) otherwise, as the derive's grammar reads it.
///
/// ```
/// use init_spec::Axes;
/// assert_eq!(Axes::one(-2).to_string(), "-2");
/// assert_eq!(Axes::new(&[0, 1]).unwrap().to_string(), "[0, 1]");
/// assert_eq!(Axes::NONE.to_string(), "[]");
/// assert_eq!(Axes::one(3).as_slice(), &[3]);
/// assert!(Axes::new(&[0; 8]).is_none());
/// assert!(Axes::new(&[300]).is_none());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Axes {
    len: u8,
    /// `axes[len..]` are always 0, so that the derived equality is the lists' equality.
    axes: [i8; MAX_AXES],
}

impl Axes {
    /// No axis (`[]`).
    pub const NONE: Axes = Axes {
        len: 0,
        axes: [0; MAX_AXES],
    };

    /// One axis.
    pub const fn one(axis: i8) -> Axes {
        let mut axes = [0; MAX_AXES];
        axes[0] = axis;
        Axes { len: 1, axes }
    }

    /// The list `axes`, or `None` when it has more than [`MAX_AXES`] or an axis outside
    /// -128..=127.
    pub const fn new(list: &[i64]) -> Option<Axes> {
        if list.len() > MAX_AXES {
            return None;
        }
        let mut axes = [0; MAX_AXES];
        let mut i = 0;
        while i < list.len() {
            if list[i] < i8::MIN as i64 || list[i] > i8::MAX as i64 {
                return None;
            }
            axes[i] = list[i] as i8;
            i += 1;
        }
        Some(Axes {
            len: list.len() as u8,
            axes,
        })
    }

    /// The list `list` of at most [`MAX_AXES`] axes (more is a compile-time error).
    ///
    /// ```
    /// use init_spec::Axes;
    /// assert_eq!(Axes::from_array([0, -1]), Axes::new(&[0, -1]).unwrap());
    /// assert_eq!(Axes::from_array([]), Axes::NONE);
    /// ```
    pub const fn from_array<const N: usize>(list: [i8; N]) -> Axes {
        const { assert!(N <= MAX_AXES, "more axes than an initializer takes") };
        let mut axes = [0; MAX_AXES];
        let mut i = 0;
        while i < N {
            axes[i] = list[i];
            i += 1;
        }
        Axes { len: N as u8, axes }
    }

    /// The axes, as written.
    pub fn as_slice(&self) -> &[i8] {
        &self.axes[..self.len as usize]
    }

    /// Each axis as an index into a tensor of `rank` dimensions, or the first axis outside
    /// it (`-rank..rank` are inside).
    ///
    /// ```
    /// use init_spec::Axes;
    /// assert_eq!(Axes::new(&[-1, 0]).unwrap().resolve(3), Ok(vec![2, 0]));
    /// assert_eq!(Axes::one(3).resolve(3), Err(3));
    /// ```
    pub fn resolve(&self, rank: usize) -> Result<Vec<usize>, i64> {
        self.as_slice()
            .iter()
            .map(|&axis| resolve_axis(axis.into(), rank).ok_or(axis.into()))
            .collect()
    }
}

/// `axis` as an index into a tensor of `rank` dimensions (negative: from the end), if inside.
///
/// ```
/// assert_eq!(init_spec::resolve_axis(-1, 4), Some(3));
/// assert_eq!(init_spec::resolve_axis(-5, 4), None);
/// ```
pub fn resolve_axis(axis: i64, rank: usize) -> Option<usize> {
    let rank = i64::try_from(rank).ok()?;
    let index = if axis < 0 { axis + rank } else { axis };
    (0..rank).contains(&index).then_some(index as usize)
}

impl fmt::Display for Axes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [axis] = self.as_slice() {
            return write!(f, "{axis}");
        }
        f.write_str("[")?;
        for (i, axis) in self.as_slice().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{axis}")?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for Axes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
