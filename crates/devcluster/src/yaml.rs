//! YAML request bodies. Errors carry the position and the reason, never a snippet of the document: a body may
//! hold Secret values.

use serde_json::Value;

/// Parses one YAML document (JSON is YAML), within serde-saphyr's default budgets (alias bombs are refused).
pub fn parse(text: &str) -> Result<Value, String> {
    serde_saphyr::from_str(text).map_err(|e| first_line(&e.to_string()))
}

fn first_line(message: &str) -> String {
    message
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_do_not_echo_the_document() {
        let err = parse("kind: Secret\ndata:\n  password: [hunter2\n").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, cur) in ('a'..'j').zip('b'..='j') {
            doc.push_str(&format!("{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse(&doc).is_err());
    }
}
