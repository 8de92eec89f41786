//! Printing sync results: a table by default, or the same data as JSON or YAML.

use clap::ValueEnum;
use driftless::sync::SyncOutcome;
use driftless_core::ChangeEntry;

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
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&outcome.to_json())?),
        Format::Yaml => serde_saphyr::to_string(&outcome.to_json())?,
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

/// `ACTION KIND NAMESPACE NAME MESSAGE` columns, padded to the widest cell.
pub fn change_table(entries: &[ChangeEntry]) -> String {
    let mut rows = vec![["ACTION", "KIND", "NAMESPACE", "NAME", "MESSAGE"].map(str::to_owned)];
    for entry in entries {
        let kind = if entry.object.group.is_empty() {
            entry.object.kind.clone()
        } else {
            format!("{}.{}", entry.object.kind, entry.object.group)
        };
        rows.push([
            entry.action.to_string(),
            kind,
            entry.object.namespace.clone(),
            entry.object.name.clone(),
            entry.message.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in &rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column == 4 {
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
