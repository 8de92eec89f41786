//! The refs a remote advertises (the output of `git ls-remote --symref`), and which of them a
//! listing asks for.

use std::collections::BTreeMap;

/// A full hexadecimal object id (40 digits for SHA-1 repositories, 64 for SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(String);

impl ObjectId {
    /// Accepts exactly 40 or 64 hexadecimal digits (case-insensitive); stores them lower-case.
    pub fn parse(text: &str) -> Option<Self> {
        let full = matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit());
        full.then(|| Self(text.to_ascii_lowercase()))
    }

    /// The id as lower-case hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which refs one `ls-remote` asks the server for; the server filters, so a poll of one branch
/// does not transfer the whole ref list of a monorepo.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RefQuery {
    /// `HEAD` and what it points to.
    Head,
    /// Exact ref names (e.g. `refs/heads/main`, `refs/tags/main`).
    Names(Vec<String>),
    /// Every tag.
    Tags,
    /// Everything the server advertises.
    All,
}

impl RefQuery {
    /// The full `git ls-remote` argument list for this query against `url`.
    pub(crate) fn ls_remote_args(&self, url: &str) -> Vec<String> {
        let mut args = vec!["ls-remote".to_string(), "--symref".to_string()];
        if *self == RefQuery::Tags {
            args.push("--tags".into());
        }
        args.push("--".into());
        args.push(url.to_string());
        match self {
            RefQuery::Head => args.push("HEAD".into()),
            // A pattern only matches the peeled `^{}` line of an annotated tag when spelled so.
            RefQuery::Names(names) => {
                args.extend(names.iter().flat_map(|n| [n.clone(), format!("{n}^{{}}")]))
            }
            RefQuery::Tags | RefQuery::All => {}
        }
        args
    }
}

/// The refs of a remote: name -> object id, with annotated tags peeled to their commit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefList {
    direct: BTreeMap<String, ObjectId>,
    peeled: BTreeMap<String, ObjectId>,
    head_target: Option<String>,
}

impl RefList {
    /// Parses `git ls-remote --symref` output; lines it does not understand are skipped.
    pub fn parse(output: &str) -> Self {
        let mut list = RefList::default();
        for line in output.lines() {
            let Some((left, name)) = line.split_once('\t') else {
                continue;
            };
            if let Some(target) = left.strip_prefix("ref: ") {
                if name == "HEAD" {
                    list.head_target = Some(target.to_string());
                }
                continue;
            }
            let Some(id) = ObjectId::parse(left) else {
                continue;
            };
            match name.strip_suffix("^{}") {
                Some(tag) => list.peeled.insert(tag.to_string(), id),
                None => list.direct.insert(name.to_string(), id),
            };
        }
        list
    }

    /// The commit a ref points to (annotated tags peeled), if the ref exists.
    pub fn commit_of(&self, name: &str) -> Option<&ObjectId> {
        self.peeled.get(name).or_else(|| self.direct.get(name))
    }

    /// Every ref name with its peeled commit.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ObjectId)> {
        self.direct
            .keys()
            .filter_map(|name| Some((name.as_str(), self.commit_of(name)?)))
    }

    /// The branch `HEAD` points to, when the server says.
    pub fn head_target(&self) -> Option<&str> {
        self.head_target.as_deref()
    }

    /// True when the server advertised nothing that matched.
    pub fn is_empty(&self) -> bool {
        self.direct.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn annotated_tags_are_peeled_and_head_symref_kept() {
        let out = format!(
            "ref: refs/heads/main\tHEAD\n{A}\tHEAD\n{A}\trefs/heads/main\n{B}\trefs/tags/v1\n{A}\trefs/tags/v1^{{}}\ngarbage\n"
        );
        let refs = RefList::parse(&out);
        assert_eq!(refs.head_target(), Some("refs/heads/main"));
        assert_eq!(refs.commit_of("refs/tags/v1").unwrap().as_str(), A);
        assert_eq!(refs.commit_of("HEAD").unwrap().as_str(), A);
        assert_eq!(refs.iter().count(), 3);
        assert!(refs.commit_of("refs/heads/other").is_none());
    }

    #[test]
    fn object_ids_must_be_full_hex() {
        assert!(ObjectId::parse(&A[..39]).is_none());
        assert!(ObjectId::parse(&"g".repeat(40)).is_none());
        assert_eq!(ObjectId::parse(&A.to_uppercase()).unwrap().as_str(), A);
        assert!(ObjectId::parse(&"a".repeat(64)).is_some());
    }
}
