//! Ages and durations in kube's short human format (`5s`, `3m10s`, `2d3h`), as `kubectl get` prints them.

use jiff::Timestamp;
use serde_json::Value;

/// The age of `timestamp` (RFC 3339) at `now`: `<unknown>` when missing, `<invalid>` when unparsable.
pub fn since(timestamp: Option<&Value>, now: Timestamp) -> String {
    let Some(text) = timestamp.and_then(Value::as_str) else {
        return "<unknown>".to_string();
    };
    match text.parse::<Timestamp>() {
        Ok(then) => human(now.as_second() - then.as_second()),
        Err(_) => "<invalid>".to_string(),
    }
}

/// The time from `start` to `end` (both RFC 3339), when both parse.
pub fn between(start: &str, end: &str) -> Option<String> {
    let start = start.parse::<Timestamp>().ok()?;
    let end = end.parse::<Timestamp>().ok()?;
    Some(human(end.as_second() - start.as_second()))
}

/// A duration of `seconds` in kube's format: exact up to two minutes, then ever coarser.
pub fn human(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    if seconds < 0 {
        return "0s".to_string();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return pair(minutes, "m", seconds % 60, "s");
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return pair(hours, "h", minutes % 60, "m");
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return pair(days, "d", hours % 24, "h");
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    if hours < 24 * 365 * 8 {
        return pair(days / 365, "y", days % 365, "d");
    }
    format!("{}y", days / 365)
}

/// `3m10s`, or `3m` when the smaller unit is zero.
fn pair(big: i64, big_unit: &str, small: i64, small_unit: &str) -> String {
    if small == 0 {
        format!("{big}{big_unit}")
    } else {
        format!("{big}{big_unit}{small}{small_unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn human_durations_match_kube() {
        let cases = [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (190, "3m10s"),
            (599, "9m59s"),
            (600, "10m"),
            (179 * 60, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 25 * 60, "3h25m"),
            (8 * 3600, "8h"),
            (47 * 3600, "47h"),
            (51 * 3600, "2d3h"),
            (3 * 86400, "3d"),
            (8 * 86400, "8d"),
            (729 * 86400, "729d"),
            (3 * 365 * 86400 + 12 * 86400, "3y12d"),
            (9 * 365 * 86400, "9y"),
        ];
        for (seconds, expected) in cases {
            assert_eq!(human(seconds), expected, "{seconds}s");
        }
    }

    #[test]
    fn since_reads_rfc3339_and_reports_missing_or_bad_stamps() {
        let now: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
        assert_eq!(since(Some(&json!("2026-11-25T11:56:50Z")), now), "3m10s");
        assert_eq!(since(None, now), "<unknown>");
        assert_eq!(since(Some(&json!("yesterday")), now), "<invalid>");
        assert_eq!(
            between("2026-11-25T11:00:00Z", "2026-11-25T11:00:42Z").as_deref(),
            Some("42s")
        );
        assert_eq!(between("x", "2026-11-25T11:00:42Z"), None);
    }
}
