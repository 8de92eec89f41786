//! What a command printed and how it exited ([`Run`]), and the rows of the ChangeSet table that
//! `driftless sync` and `driftless diff` print ([`Row`]).

use std::process::Output;

/// What a command printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    pub(super) fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics, showing both streams, unless the exit code is `code`.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The ChangeSet table rows of the output.
    pub fn rows(&self) -> Vec<Row> {
        table_rows(&self.stdout)
    }

    /// The rows, each as `action kind namespace/name` (see [`Row::brief`]).
    pub fn briefs(&self) -> Vec<String> {
        self.rows().iter().map(Row::brief).collect()
    }

    /// The last line of standard output (the table's summary line).
    pub fn summary(&self) -> &str {
        self.stdout.lines().last().unwrap_or_default()
    }
}

/// One row of the ChangeSet table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// created, configured, unchanged, pruned, skipped or failed.
    pub action: String,
    /// `Kind` or `Kind.group`.
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    /// The object's name.
    pub name: String,
    /// The message, empty when there is none.
    pub message: String,
}

impl Row {
    /// `action kind namespace/name`, or `action kind name` for a cluster-scoped object.
    pub fn brief(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {} {}", self.action, self.kind, self.name)
        } else {
            format!(
                "{} {} {}/{}",
                self.action, self.kind, self.namespace, self.name
            )
        }
    }
}

/// The rows of the ChangeSet table in `stdout`: the lines after the `ACTION KIND ...` header,
/// cut at the header's column positions, up to the summary line.
pub fn table_rows(stdout: &str) -> Vec<Row> {
    let lines: Vec<&str> = stdout.lines().collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("ACTION ")) else {
        panic!("no ChangeSet table in:\n{stdout}");
    };
    let header = lines[start];
    let columns: Vec<usize> = ["KIND", "NAMESPACE", "NAME ", "MESSAGE"]
        .iter()
        .map(|c| {
            header
                .find(c)
                .unwrap_or_else(|| panic!("no {c} in {header}"))
        })
        .collect();
    let cell = |line: &str, from: usize, to: Option<usize>| -> String {
        let chars: Vec<char> = line.chars().collect();
        let end = to.unwrap_or(chars.len()).min(chars.len());
        chars
            .get(from.min(chars.len())..end)
            .map(|c| c.iter().collect::<String>())
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    lines[start + 1..]
        .iter()
        .take_while(|l| !l.starts_with("sync ") && !l.starts_with("diff "))
        .map(|line| Row {
            action: cell(line, 0, Some(columns[0])),
            kind: cell(line, columns[0], Some(columns[1])),
            namespace: cell(line, columns[1], Some(columns[2])),
            name: cell(line, columns[2], Some(columns[3])),
            message: cell(line, columns[3], None),
        })
        .collect()
}
