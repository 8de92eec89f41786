//! Messages whose JSON form is not an object: Time, MicroTime, Duration, Quantity, IntOrString,
//! RawExtension/FieldsV1 and the `repeated string` wrappers, rendered the way their Go MarshalJSON does.

use base64::Engine;
use serde_json::Value;

use super::wire::{Fields, WireValue};
use super::{invalid, wire_error, ProtobufError};

/// Reads a small message into `(field number, value)` pairs, tagging failures with `path`.
fn fields<'a>(bytes: &'a [u8], path: &str) -> Result<Vec<(u32, WireValue<'a>)>, ProtobufError> {
    Fields::new(bytes)
        .collect::<Result<_, _>>()
        .map_err(wire_error(path))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// meta.v1.Time / MicroTime `{1: seconds, 2: nanos}`: `null` for the zero time (as Go does), else RFC 3339 in
/// UTC, with six fractional digits when `micro`.
pub fn time(bytes: &[u8], micro: bool, path: &str) -> Result<Value, ProtobufError> {
    let (mut seconds, mut nanos) = (0i64, 0i64);
    for (number, value) in fields(bytes, path)? {
        match (number, value) {
            (1, WireValue::Varint(v)) => seconds = v as i64,
            (2, WireValue::Varint(v)) => nanos = i64::from(v as i32),
            _ => {}
        }
    }
    if seconds == 0 && nanos == 0 {
        return Ok(Value::Null);
    }
    let seconds = seconds
        .checked_add(nanos.div_euclid(1_000_000_000))
        .ok_or_else(|| invalid(path, "timestamp out of range"))?;
    let nanos = nanos.rem_euclid(1_000_000_000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    if !(0..=9999).contains(&year) {
        return Err(invalid(path, format!("year {year} is outside [0,9999]")));
    }
    let secs = seconds.rem_euclid(86_400);
    let clock = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    let fraction = if micro {
        format!(".{:06}", nanos / 1000)
    } else {
        String::new()
    };
    Ok(Value::String(format!(
        "{year:04}-{month:02}-{day:02}T{clock}{fraction}Z"
    )))
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// meta.v1.Duration `{1: nanoseconds}` as Go's `time.Duration.String()` ("1h0m0s", "1.5s", "300ms").
pub fn duration(bytes: &[u8], path: &str) -> Result<Value, ProtobufError> {
    let mut nanos = 0i64;
    for (number, value) in fields(bytes, path)? {
        if let (1, WireValue::Varint(v)) = (number, value) {
            nanos = v as i64;
        }
    }
    Ok(Value::String(go_duration(nanos)))
}

fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let u = nanos.unsigned_abs();
    let body = if u < 1_000_000_000 {
        let (unit, prec) = match u {
            0..1_000 => ("ns", 0),
            1_000..1_000_000 => ("µs", 3),
            _ => ("ms", 6),
        };
        let (int, frac) = split_fraction(u, prec);
        format!("{int}{frac}{unit}")
    } else {
        let (secs, frac) = split_fraction(u, 9);
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        match (h, secs / 60) {
            (0, 0) => format!("{s}{frac}s"),
            (0, _) => format!("{m}m{s}{frac}s"),
            _ => format!("{h}h{m}m{s}{frac}s"),
        }
    };
    format!("{sign}{body}")
}

/// Splits `u` into its integer part and `.digits` (trailing zeros dropped) at `prec` decimal places.
fn split_fraction(u: u64, prec: u32) -> (u64, String) {
    let divisor = 10u64.pow(prec);
    let rem = u % divisor;
    let frac = if rem == 0 {
        String::new()
    } else {
        let digits = format!("{rem:0width$}", width = prec as usize);
        format!(".{}", digits.trim_end_matches('0'))
    };
    (u / divisor, frac)
}

/// resource.Quantity `{1: string}`: the string (Go writes "0" for the zero quantity).
pub fn quantity(bytes: &[u8], path: &str) -> Result<Value, ProtobufError> {
    let mut out = String::new();
    for (number, value) in fields(bytes, path)? {
        if let (1, WireValue::Bytes(b)) = (number, value) {
            out = text(b);
        }
    }
    Ok(Value::String(if out.is_empty() { "0".into() } else { out }))
}

/// intstr.IntOrString `{1: type, 2: intVal, 3: strVal}`: a number for type 0, a string for type 1.
pub fn int_or_string(bytes: &[u8], path: &str) -> Result<Value, ProtobufError> {
    let (mut kind, mut int_val, mut str_val) = (0u64, 0i32, String::new());
    for (number, value) in fields(bytes, path)? {
        match (number, value) {
            (1, WireValue::Varint(v)) => kind = v,
            (2, WireValue::Varint(v)) => int_val = v as i32,
            (3, WireValue::Bytes(b)) => str_val = text(b),
            _ => {}
        }
    }
    match kind {
        0 => Ok(Value::from(int_val)),
        1 => Ok(Value::String(str_val)),
        other => Err(invalid(
            path,
            format!("IntOrString type {other} is neither 0 (int) nor 1 (string)"),
        )),
    }
}

/// runtime.RawExtension / meta.v1.FieldsV1 `{1: raw}`: the embedded JSON document, `null` when empty.
pub fn raw(bytes: &[u8], path: &str) -> Result<Value, ProtobufError> {
    let mut raw: &[u8] = &[];
    for (number, value) in fields(bytes, path)? {
        if let (1, WireValue::Bytes(b)) = (number, value) {
            raw = b;
        }
    }
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(raw)
        .map_err(|e| invalid(path, format!("embedded object is not JSON: {e}")))
}

/// A `{repeated string items = 1}` wrapper (authentication ExtraValue, meta Verbs): a JSON array.
pub fn strings(bytes: &[u8], path: &str) -> Result<Value, ProtobufError> {
    let mut items = Vec::new();
    for (number, value) in fields(bytes, path)? {
        if let (1, WireValue::Bytes(b)) = (number, value) {
            items.push(Value::String(text(b)));
        }
    }
    Ok(Value::Array(items))
}

/// A `bytes` field: standard base64, as Go's encoding/json writes `[]byte`.
pub fn base64(bytes: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timestamp(seconds: i64, nanos: i32) -> Vec<u8> {
        let mut out = vec![0x08];
        push_varint(&mut out, seconds as u64);
        out.push(0x10);
        push_varint(&mut out, nanos as i64 as u64);
        out
    }

    fn push_varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    #[test]
    fn formats_time_and_micro_time() {
        // 2026-11-25T15:00:00Z
        let t = timestamp(1_795_618_800, 123_456_789);
        assert_eq!(time(&t, false, "t").unwrap(), "2026-11-25T15:00:00Z");
        assert_eq!(time(&t, true, "t").unwrap(), "2026-11-25T15:00:00.123456Z");
        assert_eq!(
            time(&timestamp(951_782_400, 0), false, "t").unwrap(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            time(&timestamp(-1, 0), false, "t").unwrap(),
            "1969-12-31T23:59:59Z"
        );
        assert_eq!(time(&[], false, "t").unwrap(), Value::Null);
        assert!(matches!(
            time(&timestamp(400_000_000_000, 0), false, "t"),
            Err(ProtobufError::Invalid { .. })
        ));
    }

    #[test]
    fn formats_durations_like_go() {
        let cases = [
            (0, "0s"),
            (1, "1ns"),
            (1_500, "1.5µs"),
            (300_000_000, "300ms"),
            (1_500_000_000, "1.5s"),
            (90_000_000_000, "1m30s"),
            (3_600_000_000_000, "1h0m0s"),
            (-5_000_000_000, "-5s"),
        ];
        for (nanos, want) in cases {
            assert_eq!(go_duration(nanos), want, "{nanos}");
        }
        let mut body = vec![0x08];
        push_varint(&mut body, 3_600_000_000_000);
        assert_eq!(duration(&body, "d").unwrap(), "1h0m0s");
    }

    #[test]
    fn decodes_int_or_string_quantity_raw_and_strings() {
        assert_eq!(int_or_string(&[0x08, 0x00, 0x10, 0x03], "p").unwrap(), 3);
        assert_eq!(
            int_or_string(&[0x08, 0x01, 0x1a, 0x02, b'2', b'5'], "p").unwrap(),
            "25"
        );
        assert!(int_or_string(&[0x08, 0x07], "p").is_err());
        assert_eq!(
            quantity(&[0x0a, 0x03, b'1', b'G', b'i'], "q").unwrap(),
            "1Gi"
        );
        assert_eq!(quantity(&[], "q").unwrap(), "0");
        assert_eq!(
            raw(&[0x0a, 0x07, b'{', b'"', b'a', b'"', b':', b'1', b'}'], "r").unwrap(),
            serde_json::json!({"a": 1})
        );
        assert!(raw(&[0x0a, 0x01, b'{'], "r").is_err());
        assert_eq!(
            strings(&[0x0a, 0x01, b'a', 0x0a, 0x01, b'b'], "s").unwrap(),
            serde_json::json!(["a", "b"])
        );
        assert_eq!(base64(b"admin"), "YWRtaW4=");
    }
}
