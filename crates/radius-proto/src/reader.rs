//! A bounds-checked cursor over received bytes.
//!
//! Every byte this crate decodes comes from the network, so every decoder
//! (the packet header and attribute walk, Vendor-Specific sub-attributes,
//! attribute values) reads through a [`Reader`] instead of indexing slices.
//! Each read checks the length first and answers `None` when the bytes run
//! out, so malformed input becomes an error the caller names, never a panic
//! or a read out of bounds. A reader borrows the bytes, never allocates, and
//! its methods are small enough to inline into the decoders.

/// A cursor over a byte slice: what has not been read yet, and how far in
/// the reading is.
///
/// After a read answers `None` the position is unspecified: a decoder stops
/// at the first failed read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    /// The bytes not read yet.
    rest: &'a [u8],
    /// Where `rest` ends, counted from the start of the slice the first
    /// reader was made over; offsets are derived from it, so a read only
    /// moves `rest`.
    end: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    #[inline]
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader {
            rest: bytes,
            end: bytes.len(),
        }
    }

    /// Whether every byte has been read.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// How many bytes are left.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.rest.len()
    }

    /// How many bytes have been read, counted from the start of the slice
    /// the first reader was made over (a reader from [`Reader::sub_reader`]
    /// keeps counting from there).
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        self.end - self.rest.len()
    }

    /// The bytes not read yet, leaving the reader where it is.
    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// The next `n` bytes, or `None` when fewer are left.
    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.rest = tail;
        Some(head)
    }

    /// A reader over the next `n` bytes, whose offsets go on from this one's;
    /// this reader moves past them. `None` when fewer are left.
    #[inline]
    pub(crate) fn sub_reader(&mut self, n: usize) -> Option<Reader<'a>> {
        let rest = self.take(n)?;
        Some(Reader {
            rest,
            end: self.offset(),
        })
    }

    /// The next `N` bytes as an array.
    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> Option<&'a [u8; N]> {
        let (head, tail) = self.rest.split_first_chunk::<N>()?;
        self.rest = tail;
        Some(head)
    }

    /// One byte.
    #[inline]
    pub(crate) fn u8(&mut self) -> Option<u8> {
        let (&byte, tail) = self.rest.split_first()?;
        self.rest = tail;
        Some(byte)
    }

    /// A 16-bit number in network order.
    #[inline]
    pub(crate) fn u16_be(&mut self) -> Option<u16> {
        self.array().map(|bytes| u16::from_be_bytes(*bytes))
    }

    /// A 32-bit number in network order.
    #[inline]
    pub(crate) fn u32_be(&mut self) -> Option<u32> {
        self.array().map(|bytes| u32::from_be_bytes(*bytes))
    }

    /// A 64-bit number in network order.
    #[inline]
    pub(crate) fn u64_be(&mut self) -> Option<u64> {
        self.array().map(|bytes| u64::from_be_bytes(*bytes))
    }

    /// One attribute in the format of RFC 2865 §5, which Vendor-Specific
    /// sub-attributes share (§5.26): a type byte, a length byte that counts
    /// itself and the type, then the value. `None` for a length below 2 or
    /// one that runs past the end, so a walk always moves forward.
    #[inline]
    pub(crate) fn attribute(&mut self) -> Option<(u8, &'a [u8])> {
        let &[typ, length] = self.array()?;
        let value = self.take(usize::from(length).checked_sub(2)?)?;
        Some((typ, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_in_network_order() {
        let bytes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.u8(), Some(1));
        assert_eq!(reader.u16_be(), Some(0x0203));
        assert_eq!(reader.u32_be(), Some(0x0405_0607));
        assert_eq!(reader.u64_be(), Some(0x0809_0a0b_0c0d_0e0f));
        assert!(reader.is_empty());
        assert_eq!(reader.offset(), 15);
        assert_eq!(reader.u8(), None);
    }

    #[test]
    fn reads_past_the_end_answer_none() {
        let mut reader = Reader::new(&[1, 2, 3]);
        assert_eq!(reader.u32_be(), None);
        assert_eq!(reader.take(4), None);
        assert_eq!(reader.array::<4>(), None);
        assert_eq!(reader.take(usize::MAX), None);
        assert_eq!(reader.len(), 3);
        assert_eq!(reader.take(3), Some(&[1, 2, 3][..]));
        assert_eq!(reader.take(0), Some(&[][..]));
        assert_eq!(reader.take(1), None);
    }

    #[test]
    fn sub_readers_keep_counting_offsets() {
        let mut reader = Reader::new(&[9, 9, 1, 2, 3, 7]);
        assert_eq!(reader.take(2), Some(&[9, 9][..]));
        let mut inner = reader.sub_reader(3).expect("3 bytes are left");
        assert_eq!(reader.rest(), &[7]);
        assert_eq!(inner.offset(), 2);
        assert_eq!(inner.u8(), Some(1));
        assert_eq!(inner.offset(), 3);
        assert_eq!(inner.rest(), &[2, 3]);
        assert!(reader.sub_reader(2).is_none());
    }

    #[test]
    fn attributes_need_a_length_of_two_to_the_end() {
        assert_eq!(Reader::new(&[1, 3, b'a']).attribute(), Some((1, &b"a"[..])));
        assert_eq!(Reader::new(&[1, 2]).attribute(), Some((1, &[][..])));
        assert_eq!(Reader::new(&[1, 1]).attribute(), None);
        assert_eq!(Reader::new(&[1, 0]).attribute(), None);
        assert_eq!(Reader::new(&[1]).attribute(), None);
        assert_eq!(Reader::new(&[1, 4, b'a']).attribute(), None);
    }
}
