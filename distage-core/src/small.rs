//! [`Small`]: a list kept inline up to `N` values, on the heap beyond — the buffers a
//! production fills per run (arguments, locals), so that producing a small plan (a request
//! scope's) allocates neither.

use crate::inject::Arg;

/// A value an unused place of a [`Small`] holds.
pub(crate) trait Blank {
    fn blank() -> Self;
}

impl Blank for Arg<'_> {
    fn blank() -> Self {
        Arg::Absent
    }
}

impl<T> Blank for Option<T> {
    fn blank() -> Self {
        None
    }
}

/// Up to `N` values inline (with how many are used), more in a vector.
pub(crate) enum Small<T, const N: usize> {
    Inline([T; N], usize),
    Heap(Vec<T>),
}

impl<T: Blank, const N: usize> Default for Small<T, N> {
    fn default() -> Self {
        Self::blanks(0)
    }
}

impl<T: Blank, const N: usize> Small<T, N> {
    /// `len` blank values.
    pub(crate) fn blanks(len: usize) -> Self {
        if len <= N {
            Small::Inline(std::array::from_fn(|_| T::blank()), len)
        } else {
            Small::Heap((0..len).map(|_| T::blank()).collect())
        }
    }

    pub(crate) fn clear(&mut self) {
        match self {
            Small::Inline(_, len) => *len = 0,
            Small::Heap(values) => values.clear(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, value: T) {
        match self {
            Small::Inline(inline, len) if *len < N => {
                inline[*len] = value;
                *len += 1;
            }
            Small::Heap(values) => values.push(value),
            Small::Inline(..) => self.spill(value),
        }
    }

    /// Moves the values to the heap, then pushes `value`.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, value: T) {
        if let Small::Inline(inline, len) = self {
            let mut heap = Vec::with_capacity(2 * N.max(1));
            heap.extend(
                inline[..*len]
                    .iter_mut()
                    .map(|v| std::mem::replace(v, T::blank())),
            );
            heap.push(value);
            *self = Small::Heap(heap);
        }
    }
}

impl<T, const N: usize> std::ops::Deref for Small<T, N> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        match self {
            Small::Inline(inline, len) => &inline[..*len],
            Small::Heap(values) => values,
        }
    }
}

impl<T, const N: usize> std::ops::DerefMut for Small<T, N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        match self {
            Small::Inline(inline, len) => &mut inline[..*len],
            Small::Heap(values) => values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Small;

    #[test]
    fn keeps_order_across_the_spill() {
        let mut small: Small<Option<u32>, 2> = Small::default();
        for i in 0..5 {
            small.push(Some(i));
        }
        assert!(matches!(small, Small::Heap(_)));
        assert_eq!(&*small, &[Some(0), Some(1), Some(2), Some(3), Some(4)]);
        small.clear();
        assert!(small.is_empty());
        small.push(Some(9));
        assert_eq!(&*small, &[Some(9)]);
    }

    #[test]
    fn blanks_inline_and_on_the_heap() {
        let inline: Small<Option<u32>, 4> = Small::blanks(3);
        assert!(matches!(inline, Small::Inline(_, 3)));
        assert_eq!(&*inline, &[None, None, None]);
        let heap: Small<Option<u32>, 4> = Small::blanks(6);
        assert!(matches!(heap, Small::Heap(_)));
        assert_eq!(heap.len(), 6);
    }
}
