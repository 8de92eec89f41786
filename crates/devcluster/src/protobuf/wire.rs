//! The protobuf wire format: varints, 64-bit, length-delimited and 32-bit values, nothing more.

use thiserror::Error;

/// What went wrong while reading raw protobuf bytes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// The bytes ended inside a tag, a varint, a fixed-size value or a length-delimited value.
    #[error("the message is truncated")]
    Truncated,
    /// A varint ran past 10 bytes.
    #[error("a varint is longer than 10 bytes")]
    VarintTooLong,
    /// Field number 0 or beyond 2^29-1.
    #[error("invalid field number {0}")]
    BadFieldNumber(u64),
    /// Wire types 3 and 4 (groups) and 6, 7 (undefined); Kubernetes never sends them.
    #[error("unsupported wire type {0}")]
    UnsupportedWireType(u8),
}

/// One value as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireValue<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1 (fixed64, sfixed64, double).
    Fixed64(u64),
    /// Wire type 2 (string, bytes, embedded message, packed repeated).
    Bytes(&'a [u8]),
    /// Wire type 5 (fixed32, sfixed32, float).
    Fixed32(u32),
}

impl WireValue<'_> {
    /// The name of the wire type, for error messages.
    pub fn wire_name(&self) -> &'static str {
        match self {
            WireValue::Varint(_) => "varint",
            WireValue::Fixed64(_) => "64-bit",
            WireValue::Bytes(_) => "length-delimited",
            WireValue::Fixed32(_) => "32-bit",
        }
    }
}

/// Iterates over the `(field number, value)` pairs of one message, in wire order.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// Reads the fields of `message`.
    pub fn new(message: &'a [u8]) -> Self {
        Fields { rest: message }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.rest.len() < n {
            return Err(WireError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn varint(&mut self) -> Result<u64, WireError> {
        let (value, used) = read_varint(self.rest)?;
        self.rest = &self.rest[used..];
        Ok(value)
    }

    fn field(&mut self) -> Result<(u32, WireValue<'a>), WireError> {
        let key = self.varint()?;
        let number = key >> 3;
        if number == 0 || number > (1 << 29) - 1 {
            return Err(WireError::BadFieldNumber(number));
        }
        let value = match key & 7 {
            0 => WireValue::Varint(self.varint()?),
            1 => WireValue::Fixed64(u64::from_le_bytes(fixed(self.take(8)?))),
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| WireError::Truncated)?;
                WireValue::Bytes(self.take(len)?)
            }
            5 => WireValue::Fixed32(u32::from_le_bytes(fixed(self.take(4)?))),
            other => return Err(WireError::UnsupportedWireType(other as u8)),
        };
        // `number` fits: it was checked against 2^29-1 above.
        Ok((number as u32, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, WireValue<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let item = self.field();
        if item.is_err() {
            self.rest = &[];
        }
        Some(item)
    }
}

fn fixed<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}

/// Reads one varint from the start of `bytes`: the value and how many bytes it used.
pub fn read_varint(bytes: &[u8]) -> Result<(u64, usize), WireError> {
    let mut value = 0u64;
    for (i, byte) in bytes.iter().enumerate() {
        if i == 10 {
            return Err(WireError::VarintTooLong);
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(if bytes.len() >= 10 {
        WireError::VarintTooLong
    } else {
        WireError::Truncated
    })
}

/// Decodes a packed run of varints (a `repeated int32` sent packed).
pub fn packed_varints(mut bytes: &[u8]) -> Result<Vec<u64>, WireError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (value, used) = read_varint(bytes)?;
        out.push(value);
        bytes = &bytes[used..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Result<Vec<(u32, WireValue<'_>)>, WireError> {
        Fields::new(bytes).collect()
    }

    #[test]
    fn reads_each_wire_type() {
        let bytes = [
            0x08, 0x96, 0x01, // 1: varint 150
            0x11, 1, 0, 0, 0, 0, 0, 0, 0, // 2: fixed64 1
            0x1a, 0x02, b'h', b'i', // 3: "hi"
            0x25, 2, 0, 0, 0, // 4: fixed32 2
        ];
        assert_eq!(
            all(&bytes).unwrap(),
            vec![
                (1, WireValue::Varint(150)),
                (2, WireValue::Fixed64(1)),
                (3, WireValue::Bytes(b"hi")),
                (4, WireValue::Fixed32(2)),
            ]
        );
    }

    #[test]
    fn reads_negative_int32_as_ten_byte_varint() {
        let bytes = [
            0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        assert_eq!(all(&bytes).unwrap(), vec![(1, WireValue::Varint(u64::MAX))]);
    }

    #[test]
    fn rejects_truncated_and_malformed_input() {
        assert_eq!(all(&[0x0a, 0x05, b'a']), Err(WireError::Truncated));
        assert_eq!(all(&[0x08]), Err(WireError::Truncated));
        assert_eq!(all(&[0x08, 0x80]), Err(WireError::Truncated));
        assert_eq!(all(&[0x0b]), Err(WireError::UnsupportedWireType(3)));
        assert_eq!(all(&[0x00, 0x01]), Err(WireError::BadFieldNumber(0)));
        assert_eq!(
            all(&[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Err(WireError::VarintTooLong)
        );
        assert_eq!(all(&[0x11, 1, 2, 3]), Err(WireError::Truncated));
    }

    #[test]
    fn decodes_packed_varints() {
        assert_eq!(
            packed_varints(&[1, 0x96, 0x01, 3]).unwrap(),
            vec![1, 150, 3]
        );
        assert_eq!(packed_varints(&[0x96]), Err(WireError::Truncated));
    }
}
