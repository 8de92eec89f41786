//! Symlinks of a checkout: refused when they lead outside it, created after all files.

use super::{write_error, CheckoutError, Subject};
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn check_symlinks(
    links: &BTreeMap<String, String>,
    subject: &Subject,
) -> Result<(), CheckoutError> {
    for (path, target) in links {
        let mut dir: Vec<String> = path.split('/').map(str::to_string).collect();
        dir.pop();
        let mut hops = 0;
        if resolve_inside(dir, target, links, &mut hops).is_none() {
            return Err(CheckoutError::SymlinkEscapes {
                repo: subject.repo.to_string(),
                commit: subject.commit.clone(),
                path: path.clone(),
                target: target.clone(),
            });
        }
    }
    Ok(())
}

/// Resolves `target` relative to directory `dir` (components from the checkout root), following
/// the tree's own symlinks; `None` when the walk leaves the root, is absolute or loops.
fn resolve_inside(
    mut stack: Vec<String>,
    target: &str,
    links: &BTreeMap<String, String>,
    hops: &mut u32,
) -> Option<Vec<String>> {
    if target.starts_with('/') {
        return None;
    }
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                stack.pop()?;
            }
            name => {
                stack.push(name.to_string());
                if let Some(next) = links.get(&stack.join("/")) {
                    *hops += 1;
                    if *hops > 40 {
                        return None;
                    }
                    stack.pop();
                    stack = resolve_inside(stack, next, links, hops)?;
                }
            }
        }
    }
    Some(stack)
}

pub(super) fn create_symlinks(
    dest: &Path,
    links: &BTreeMap<String, String>,
) -> Result<(), CheckoutError> {
    for (path, target) in links {
        let link = dest.join(path);
        std::os::unix::fs::symlink(target, &link).map_err(write_error(&link))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refs::ObjectId;

    fn escapes(links: &[(&str, &str)]) -> Vec<String> {
        let map: BTreeMap<String, String> = links
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let commit = ObjectId::parse(&"a".repeat(40)).unwrap();
        let subject = Subject {
            repo: "r",
            commit: &commit,
        };
        match check_symlinks(&map, &subject) {
            Err(CheckoutError::SymlinkEscapes { path, .. }) => vec![path],
            Err(other) => panic!("{other}"),
            Ok(()) => vec![],
        }
    }

    #[test]
    fn symlinks_inside_are_allowed() {
        assert!(escapes(&[
            ("a/l", "../b"),
            ("top", "a/l"),
            ("dangling", "nowhere/x"),
            ("dot", ".")
        ])
        .is_empty());
    }

    #[test]
    fn symlinks_leaving_the_root_are_refused() {
        assert_eq!(escapes(&[("abs", "/etc/passwd")]), ["abs"]);
        assert_eq!(escapes(&[("a/up", "../../x")]), ["a/up"]);
        // Each link looks harmless on its own; together they climb out.
        assert_eq!(escapes(&[("x/y/s", "../.."), ("e", "x/y/s/..")]), ["e"]);
        assert_eq!(
            escapes(&[("loop1", "loop2"), ("loop2", "loop1")]),
            ["loop1"]
        );
    }
}
