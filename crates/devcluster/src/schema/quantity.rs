//! The string form of a Kubernetes resource quantity (`500m`, `1.5Gi`, `2e3`), as
//! k8s.io/apimachinery's `ParseQuantity` accepts it.

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

#[cfg(test)]
mod tests {
    use super::is_quantity;

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
