//! String formats that kube-apiserver's decoder checks for built-in types: resource quantities
//! (`500m`, `1.5Gi`, `2e3`, as k8s.io/apimachinery's `ParseQuantity` accepts them) and base64
//! bytes (`format: byte`, e.g. Secret data, as Go's standard base64 decoder accepts them).

/// The message kube-apiserver gives for a malformed quantity.
pub(crate) const QUANTITY_FORMAT_MESSAGE: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const SUFFIXES: &[&str] = &[
    "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
];

/// Whether `text` is a quantity: an optionally signed decimal number followed by a binary suffix
/// (`Ki`..`Ei`), a decimal suffix (`n`, `u`, `m`, `k`, `M`..`E`) or a decimal exponent (`e3`).
pub(crate) fn is_quantity(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    is_decimal(number) && (SUFFIXES.contains(&suffix) || is_exponent(suffix))
}

/// `digits`, `digits.`, `digits.digits` or `.digits`.
fn is_decimal(number: &str) -> bool {
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let has_digits = !whole.is_empty() || !fraction.is_empty();
    has_digits && !fraction.contains('.')
}

/// `e` or `E`, an optional sign, then at least one digit.
fn is_exponent(suffix: &str) -> bool {
    let Some(rest) = suffix.strip_prefix(['e', 'E']) else {
        return false;
    };
    let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
}

/// Where standard, padded base64 `text` first goes wrong (line breaks are ignored), as Go's
/// decoder reports it: `illegal base64 data at input byte <offset>`; `None` when it decodes.
pub(crate) fn base64_error_offset(text: &str) -> Option<usize> {
    let significant: Vec<(usize, u8)> = text
        .bytes()
        .enumerate()
        .filter(|(_, byte)| !matches!(byte, b'\r' | b'\n'))
        .collect();
    let padding_start = significant
        .iter()
        .position(|(_, byte)| *byte == b'=')
        .unwrap_or(significant.len());
    let (data, padding) = significant.split_at(padding_start);
    if let Some((offset, _)) = data.iter().find(|(_, byte)| !is_base64_byte(*byte)) {
        return Some(*offset);
    }
    let padding_ok = padding.len() <= 2
        && padding.iter().all(|(_, byte)| *byte == b'=')
        && significant.len().is_multiple_of(4)
        && (padding.is_empty() || data.len() % 4 >= 2);
    if padding_ok {
        None
    } else {
        let bad = padding.first().map_or(text.len(), |(offset, _)| *offset);
        Some(bad)
    }
}

fn is_base64_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/'
}

#[cfg(test)]
mod tests {
    use super::{base64_error_offset, is_quantity};

    #[test]
    fn base64_as_go_decodes_it() {
        for text in ["", "YQ==", "YWI=", "YWJj", "YWJj\nZA==", "c2VjcmV0"] {
            assert_eq!(base64_error_offset(text), None, "{text}");
        }
        assert_eq!(base64_error_offset("plain text"), Some(5));
        assert_eq!(base64_error_offset("YWJ"), Some(3));
        assert_eq!(base64_error_offset("Y==="), Some(1));
        assert_eq!(base64_error_offset("YQ==YQ=="), Some(2));
    }

    #[test]
    fn accepts_what_kubernetes_parses() {
        for text in [
            "1", "500m", "1.5Gi", "+2", "-1k", "0.1", ".5", "5.", "2e3", "1E-2", "100Mi", "3n",
        ] {
            assert!(is_quantity(text), "{text}");
        }
    }

    #[test]
    fn refuses_malformed_quantities() {
        for text in [
            "", "lots", "1GB", "1.2.3", "Gi", "1 Gi", "1e", "1e+", "--1", ".", "1Kii",
        ] {
            assert!(!is_quantity(text), "{text}");
        }
    }
}
