//! `targetRevision` as users write it, and how it picks a commit from a remote's refs.

use crate::refs::{ObjectId, RefList, RefQuery};
use semver::{Version, VersionReq};

/// Why a revision could not be turned into a commit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionError {
    /// The text looks like a semver range but does not parse as one.
    #[error("revision {revision:?} is not a valid semver range: {reason}")]
    InvalidRange {
        /// The revision as written.
        revision: String,
        /// What the parser said.
        reason: String,
    },
    /// No branch, tag, ref or commit of that name exists in the repository.
    #[error("revision {revision:?} not found in {repo}")]
    NotFound {
        /// The repository (display form, no secrets).
        repo: String,
        /// The revision as written.
        revision: String,
    },
    /// A semver range matched no tag.
    #[error("no tag in {repo} matches semver range {range:?}")]
    NoMatchingTag {
        /// The repository (display form, no secrets).
        repo: String,
        /// The range as written.
        range: String,
    },
    /// An abbreviated commit id matches more than one commit.
    #[error("abbreviated commit {revision:?} is ambiguous in {repo}")]
    Ambiguous {
        /// The repository (display form, no secrets).
        repo: String,
        /// The revision as written.
        revision: String,
    },
}

/// A parsed `targetRevision`.
#[derive(Debug, Clone, PartialEq)]
pub enum Revision {
    /// `HEAD` or empty: the remote's default branch.
    Head,
    /// A full commit id.
    Commit(ObjectId),
    /// A full ref name such as `refs/pull/7/head`.
    Ref(String),
    /// A branch or tag name; when neither exists and it is 4-39 hex digits, an abbreviated commit.
    Name(String),
    /// A semver range over tags (`>=1.2.0 <2`, `~1.4`, `^2`, `1.x`, `a || b`): the highest match wins.
    Semver {
        /// The range as written.
        text: String,
        /// The alternatives of the range (`||`).
        alternatives: Vec<VersionReq>,
    },
}

impl Revision {
    /// Classifies `text`: `HEAD`/empty, a full commit id, `refs/...`, a semver range (it starts
    /// with an operator or contains a space, `||`, `x` or `*` wildcard), else a branch or tag name.
    pub fn parse(text: &str) -> Result<Self, RevisionError> {
        let text = text.trim();
        if text.is_empty() || text == "HEAD" {
            return Ok(Revision::Head);
        }
        if let Some(id) = ObjectId::parse(text) {
            return Ok(Revision::Commit(id));
        }
        if text.starts_with("refs/") {
            return Ok(Revision::Ref(text.to_string()));
        }
        if looks_like_range(text) {
            return parse_range(text);
        }
        Ok(Revision::Name(text.to_string()))
    }

    /// Which refs a listing must ask for to resolve this revision; `None` for a full commit id,
    /// which needs no listing.
    pub(crate) fn query(&self) -> Option<RefQuery> {
        match self {
            Revision::Head => Some(RefQuery::Head),
            Revision::Commit(_) => None,
            Revision::Ref(name) => Some(RefQuery::Names(vec![name.clone()])),
            Revision::Name(name) => Some(RefQuery::Names(name_candidates(name))),
            Revision::Semver { .. } => Some(RefQuery::Tags),
        }
    }

    /// Picks the ref (name, commit) this revision means among `refs`; `None` when nothing matches.
    /// A bare name is looked up as git does: `refs/<name>`, then tags, then branches.
    pub fn pick(&self, refs: &RefList) -> Option<(String, ObjectId)> {
        let found = |name: &str| {
            refs.commit_of(name)
                .map(|id| (name.to_string(), id.clone()))
        };
        match self {
            Revision::Head => {
                found("HEAD").map(|(_, id)| (refs.head_target().unwrap_or("HEAD").to_string(), id))
            }
            Revision::Commit(id) => Some((id.to_string(), id.clone())),
            Revision::Ref(name) => found(name),
            Revision::Name(name) => name_candidates(name).iter().find_map(|c| found(c)),
            Revision::Semver { alternatives, .. } => highest_matching_tag(refs, alternatives),
        }
    }

    /// The hex prefix to try as an abbreviated commit id when a bare name matched no ref.
    pub(crate) fn abbreviated_commit(&self) -> Option<&str> {
        match self {
            Revision::Name(name)
                if (4..40).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                Some(name)
            }
            _ => None,
        }
    }
}

fn name_candidates(name: &str) -> Vec<String> {
    vec![
        format!("refs/{name}"),
        format!("refs/tags/{name}"),
        format!("refs/heads/{name}"),
    ]
}

fn looks_like_range(text: &str) -> bool {
    let starts_with_operator = text.starts_with(['>', '<', '=', '~', '^', '*']);
    let has_wildcard = text
        .split('.')
        .skip(1)
        .any(|part| matches!(part, "x" | "X" | "*"));
    starts_with_operator || text.contains(' ') || text.contains("||") || has_wildcard
}

/// Parses a Masterminds-style range (as Flux and Argo CD accept it) into semver-crate requirements:
/// space-separated comparators become comma-separated, `>= 1` becomes `>=1`, a leading `v` is dropped.
fn parse_range(text: &str) -> Result<Revision, RevisionError> {
    let alternatives = text
        .split("||")
        .map(|alternative| {
            let normalised = normalise_comparators(alternative);
            VersionReq::parse(&normalised).map_err(|e| RevisionError::InvalidRange {
                revision: text.to_string(),
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Revision::Semver {
        text: text.to_string(),
        alternatives,
    })
}

fn normalise_comparators(alternative: &str) -> String {
    let mut comparators: Vec<String> = Vec::new();
    let mut pending_operator = String::new();
    for token in alternative.split([' ', ',']).filter(|t| !t.is_empty()) {
        if token.chars().all(|c| "<>=~^".contains(c)) {
            pending_operator.push_str(token);
            continue;
        }
        let operator_len = token
            .find(|c: char| !"<>=~^".contains(c))
            .unwrap_or(token.len());
        let (operator, version) = token.split_at(operator_len);
        let version = version.strip_prefix(['v', 'V']).unwrap_or(version);
        comparators.push(format!("{pending_operator}{operator}{version}"));
        pending_operator.clear();
    }
    comparators.join(", ")
}

/// Reads a tag name as a version: `v1.2.3`, `1.2.3`, `1.2` (= 1.2.0) and `1` (= 1.0.0).
fn tag_version(tag: &str) -> Option<Version> {
    let text = tag.strip_prefix(['v', 'V']).unwrap_or(tag);
    let core_len = text.find(['-', '+']).unwrap_or(text.len());
    let (core, rest) = text.split_at(core_len);
    let padding = match core.split('.').count() {
        1 => ".0.0",
        2 => ".0",
        _ => "",
    };
    Version::parse(&format!("{core}{padding}{rest}")).ok()
}

fn highest_matching_tag(refs: &RefList, alternatives: &[VersionReq]) -> Option<(String, ObjectId)> {
    refs.iter()
        .filter_map(|(name, id)| Some((tag_version(name.strip_prefix("refs/tags/")?)?, name, id)))
        .filter(|(version, _, _)| alternatives.iter().any(|req| req.matches(version)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, name, id)| (name.to_string(), id.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(tags: &[&str]) -> RefList {
        let mut out = String::from("ref: refs/heads/main\tHEAD\n");
        out.push_str(&format!(
            "{}\tHEAD\n{}\trefs/heads/main\n",
            "a".repeat(40),
            "a".repeat(40)
        ));
        for (i, tag) in tags.iter().enumerate() {
            out.push_str(&format!("{:040x}\trefs/tags/{tag}\n", i + 1));
        }
        RefList::parse(&out)
    }

    fn pick_tag(range: &str, tags: &[&str]) -> Option<String> {
        let revision = Revision::parse(range).unwrap();
        assert!(
            matches!(revision, Revision::Semver { .. }),
            "{range} is not a range"
        );
        revision.pick(&refs(tags)).map(|(name, _)| name)
    }

    #[test]
    fn classifies_revisions() {
        assert_eq!(Revision::parse("").unwrap(), Revision::Head);
        assert_eq!(Revision::parse("HEAD").unwrap(), Revision::Head);
        assert!(matches!(
            Revision::parse(&"ab".repeat(20)).unwrap(),
            Revision::Commit(_)
        ));
        assert_eq!(
            Revision::parse("refs/pull/7/head").unwrap(),
            Revision::Ref("refs/pull/7/head".into())
        );
        assert_eq!(
            Revision::parse("main").unwrap(),
            Revision::Name("main".into())
        );
        assert_eq!(
            Revision::parse("v1.2.3").unwrap(),
            Revision::Name("v1.2.3".into())
        );
        assert_eq!(
            Revision::parse("release/1.x-fixes").unwrap(),
            Revision::Name("release/1.x-fixes".into())
        );
        assert_eq!(
            Revision::parse("abc1234").unwrap().abbreviated_commit(),
            Some("abc1234")
        );
        assert_eq!(Revision::parse("main").unwrap().abbreviated_commit(), None);
    }

    #[test]
    fn semver_ranges_pick_the_highest_matching_tag() {
        let tags = [
            "v1.2.0",
            "v1.4.1",
            "1.4.3",
            "v1.5.0",
            "v2.0.0",
            "v2.3.0-rc.1",
            "not-a-version",
            "v3",
        ];
        assert_eq!(
            pick_tag(">=1.2.0 <2.0.0", &tags).as_deref(),
            Some("refs/tags/v1.5.0")
        );
        assert_eq!(
            pick_tag(">= v1.2.0, < 2", &tags).as_deref(),
            Some("refs/tags/v1.5.0")
        );
        assert_eq!(pick_tag("~1.4", &tags).as_deref(), Some("refs/tags/1.4.3"));
        assert_eq!(pick_tag("^2", &tags).as_deref(), Some("refs/tags/v2.0.0"));
        assert_eq!(pick_tag("1.x", &tags).as_deref(), Some("refs/tags/v1.5.0"));
        assert_eq!(
            pick_tag("^1.2 || >=3", &tags).as_deref(),
            Some("refs/tags/v3")
        );
        assert_eq!(pick_tag(">=4", &tags), None);
    }

    #[test]
    fn invalid_range_is_reported() {
        assert!(matches!(
            Revision::parse(">=banana"),
            Err(RevisionError::InvalidRange { .. })
        ));
    }

    #[test]
    fn names_resolve_like_git_and_head_reports_its_branch() {
        let list = refs(&["main"]);
        let (name, _) = Revision::parse("main").unwrap().pick(&list).unwrap();
        assert_eq!(
            name, "refs/tags/main",
            "tags win over branches, as in git rev-parse"
        );
        let (name, id) = Revision::Head.pick(&list).unwrap();
        assert_eq!(
            (name.as_str(), id.as_str()),
            ("refs/heads/main", "a".repeat(40).as_str())
        );
        assert!(Revision::parse("nope").unwrap().pick(&list).is_none());
    }
}
