//! Printing sync results: a table by default, or the same data as JSON or YAML.

use clap::ValueEnum;
use driftless::sync::SyncOutcome;
use driftless_core::{ChangeEntry, ObjectRef};

/// Output format of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// JSON for programs.
    Json,
    /// YAML for programs and people.
    Yaml,
}

/// The outcome in `format`; the table ends with a summary line.
pub fn render_outcome(outcome: &SyncOutcome, format: Format, verb: &str) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json | Format::Yaml => render_data(&outcome.to_json(), format)?,
        Format::Table => {
            let mut text = if outcome.changes.entries.is_empty() {
                String::new()
            } else {
                change_table(&outcome.changes.entries)
            };
            text.push_str(&summary_line(outcome, verb));
            text
        }
    })
}

/// `value` as pretty JSON (with a final newline) or YAML; a table format gives JSON.
pub fn render_data(value: &impl serde::Serialize, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Yaml => serde_saphyr::to_string(value)?,
        Format::Json | Format::Table => format!("{}\n", serde_json::to_string_pretty(value)?),
    })
}

/// `ACTION KIND NAMESPACE NAME MESSAGE` columns, padded to the widest cell.
pub fn change_table(entries: &[ChangeEntry]) -> String {
    let rows = entries.iter().map(|entry| {
        vec![
            entry.action.to_string(),
            kind_label(&entry.object),
            entry.object.namespace.clone(),
            entry.object.name.clone(),
            entry.message.clone(),
        ]
    });
    table(&["ACTION", "KIND", "NAMESPACE", "NAME", "MESSAGE"], rows)
}

/// `Kind` for the core group, `Kind.group` otherwise (as kubectl names kinds).
pub fn kind_label(object: &ObjectRef) -> String {
    if object.group.is_empty() {
        object.kind.clone()
    } else {
        format!("{}.{}", object.kind, object.group)
    }
}

/// A header and rows in columns three spaces apart, each padded to its widest cell but the
/// last; every line ends with a newline and no trailing spaces.
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut rows: Vec<Vec<String>> = rows.into_iter().collect();
    rows.insert(0, header.iter().map(|cell| (*cell).to_owned()).collect());
    let columns = header.len();
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in &rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate().take(columns) {
            if column + 1 == columns {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}   ", width = widths[column]));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

fn summary_line(outcome: &SyncOutcome, verb: &str) -> String {
    let revision: String = outcome.revision.chars().take(12).collect();
    match &outcome.error {
        Some(error) if revision.is_empty() => format!("{verb} failed: {error}\n"),
        Some(error) => format!("{verb} failed at {revision}: {error}\n"),
        None => format!(
            "{verb} {revision}: {}; sync {:?}, health {:?}\n",
            outcome.changes.summary(),
            outcome.sync,
            outcome.health.status
        ),
    }
}
