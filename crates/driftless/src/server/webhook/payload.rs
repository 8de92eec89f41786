//! The repository URLs a push payload names, per provider. Only URLs are read: a webhook never
//! carries desired state, it only says which repository to look at again.

use serde_json::Value;

use super::provider::Provider;

/// Where each provider puts its repository's URLs (JSON pointers).
fn pointers(provider: Provider) -> &'static [&'static str] {
    match provider {
        Provider::GitHub | Provider::Gitea => &[
            "/repository/clone_url",
            "/repository/ssh_url",
            "/repository/html_url",
        ],
        Provider::GitLab => &[
            "/project/git_http_url",
            "/project/git_ssh_url",
            "/project/web_url",
            "/repository/git_http_url",
            "/repository/git_ssh_url",
            "/repository/homepage",
        ],
        Provider::Bitbucket => &["/repository/links/html/href"],
    }
}

/// Every non-empty repository URL of `payload` for `provider`, in the order above.
pub fn repository_urls(provider: Provider, payload: &Value) -> Vec<String> {
    pointers(provider)
        .iter()
        .filter_map(|pointer| payload.pointer(pointer)?.as_str())
        .filter(|url| !url.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a push moved, as far as the payload says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Only these branches; the repository's default branch (what `HEAD` follows) when the
    /// payload names it.
    Branches {
        /// The branches pushed.
        branches: Vec<String>,
        /// The repository's default branch, when known.
        default_branch: Option<String>,
    },
    /// Tags, or refs the payload does not name: every revision may have moved.
    Anything,
}

impl Pushed {
    /// True when an Application tracking `target_revision` may see a new commit: always for
    /// tags and unknown refs; for a branch push, the branch itself, and `HEAD` (or none) when
    /// the pushed branch is the default one or the default is not known. A branch push cannot
    /// move a tag, a semver range or a commit.
    pub fn may_move(&self, target_revision: &str) -> bool {
        let revision = target_revision.trim();
        let revision = revision.strip_prefix("refs/heads/").unwrap_or(revision);
        match self {
            Pushed::Anything => true,
            Pushed::Branches {
                branches,
                default_branch,
            } => {
                let pushed = |name: &str| branches.iter().any(|branch| branch == name);
                match revision {
                    "" | "HEAD" => default_branch.as_deref().is_none_or(pushed),
                    branch => pushed(branch),
                }
            }
        }
    }
}

/// What `payload` says was pushed: GitHub, GitLab and Gitea name one `ref`; Bitbucket lists
/// `push.changes[].new` with a type and a name.
pub fn pushed(provider: Provider, payload: &Value) -> Pushed {
    let refs: Vec<String> = match provider {
        Provider::Bitbucket => payload
            .pointer("/push/changes")
            .and_then(Value::as_array)
            .map(|changes| {
                changes
                    .iter()
                    .filter_map(|change| {
                        let new = change.get("new")?;
                        let name = new.get("name")?.as_str()?;
                        match new.get("type")?.as_str()? {
                            "branch" => Some(format!("refs/heads/{name}")),
                            _ => Some(format!("refs/tags/{name}")),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => payload
            .get("ref")
            .and_then(Value::as_str)
            .map(|r| vec![r.to_owned()])
            .unwrap_or_default(),
    };
    let branches: Option<Vec<String>> = refs
        .iter()
        .map(|r| r.strip_prefix("refs/heads/").map(str::to_owned))
        .collect();
    let default_branch = ["/repository/default_branch", "/project/default_branch"]
        .iter()
        .find_map(|pointer| payload.pointer(pointer)?.as_str())
        .filter(|branch| !branch.is_empty())
        .map(str::to_owned);
    match branches {
        Some(branches) if !branches.is_empty() => Pushed::Branches {
            branches,
            default_branch,
        },
        _ => Pushed::Anything,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_branch_push_moves_that_branch_and_head_only() {
        let github = serde_json::json!({"ref": "refs/heads/main"});
        let pushed = pushed(Provider::GitHub, &github);
        assert_eq!(
            pushed,
            Pushed::Branches {
                branches: vec!["main".to_owned()],
                default_branch: None
            }
        );
        for moved in ["main", "refs/heads/main", "HEAD", ""] {
            assert!(pushed.may_move(moved), "{moved}");
        }
        for kept in ["release", "v1.2.0", ">=1.0.0", "4f1c0ffee"] {
            assert!(!pushed.may_move(kept), "{kept}");
        }
    }

    #[test]
    fn head_follows_the_default_branch_when_the_payload_names_it() {
        let feature = serde_json::json!({"ref": "refs/heads/feature",
            "repository": {"default_branch": "main"}});
        let pushed_feature = pushed(Provider::GitHub, &feature);
        assert!(!pushed_feature.may_move("HEAD") && !pushed_feature.may_move(""));
        assert!(pushed_feature.may_move("feature"));
        let main = serde_json::json!({"ref": "refs/heads/main",
            "project": {"default_branch": "main"}});
        assert!(pushed(Provider::GitLab, &main).may_move("HEAD"));
    }

    #[test]
    fn tag_pushes_and_payloads_without_refs_may_move_anything() {
        let tag = serde_json::json!({"ref": "refs/tags/v1.2.0"});
        assert_eq!(pushed(Provider::Gitea, &tag), Pushed::Anything);
        assert_eq!(
            pushed(Provider::GitLab, &serde_json::json!({})),
            Pushed::Anything
        );
        assert!(Pushed::Anything.may_move("release"));
    }

    #[test]
    fn bitbucket_lists_its_changes() {
        let payload = serde_json::json!({"push": {"changes": [
            {"new": {"type": "branch", "name": "main"}},
            {"new": {"type": "branch", "name": "dev"}}
        ]}});
        assert_eq!(
            pushed(Provider::Bitbucket, &payload),
            Pushed::Branches {
                branches: vec!["main".to_owned(), "dev".to_owned()],
                default_branch: None
            }
        );
        let tag =
            serde_json::json!({"push": {"changes": [{"new": {"type": "tag", "name": "v1"}}]}});
        assert_eq!(pushed(Provider::Bitbucket, &tag), Pushed::Anything);
    }

    fn urls(provider: Provider, payload: &str) -> Vec<String> {
        repository_urls(provider, &serde_json::from_str(payload).unwrap())
    }

    #[test]
    fn github_and_gitea_pushes_name_clone_ssh_and_html_urls() {
        let payload = r#"{"ref":"refs/heads/main","after":"4f1c","repository":{
            "full_name":"org/apps","html_url":"https://github.com/org/apps",
            "clone_url":"https://github.com/org/apps.git","ssh_url":"git@github.com:org/apps.git"}}"#;
        let expected = [
            "https://github.com/org/apps.git",
            "git@github.com:org/apps.git",
            "https://github.com/org/apps",
        ];
        assert_eq!(urls(Provider::GitHub, payload), expected);
        assert_eq!(urls(Provider::Gitea, payload), expected);
    }

    #[test]
    fn gitlab_pushes_name_the_project_urls() {
        let payload = r#"{"object_kind":"push","ref":"refs/heads/main","project":{
            "web_url":"https://gitlab.com/group/apps",
            "git_http_url":"https://gitlab.com/group/apps.git",
            "git_ssh_url":"git@gitlab.com:group/apps.git"},
            "repository":{"homepage":"https://gitlab.com/group/apps"}}"#;
        assert_eq!(
            urls(Provider::GitLab, payload),
            [
                "https://gitlab.com/group/apps.git",
                "git@gitlab.com:group/apps.git",
                "https://gitlab.com/group/apps",
                "https://gitlab.com/group/apps",
            ]
        );
    }

    #[test]
    fn bitbucket_pushes_name_the_html_link() {
        let payload = r#"{"push":{"changes":[]},"repository":{"full_name":"team/apps",
            "links":{"html":{"href":"https://bitbucket.org/team/apps"}}}}"#;
        assert_eq!(
            urls(Provider::Bitbucket, payload),
            ["https://bitbucket.org/team/apps"]
        );
    }

    #[test]
    fn missing_or_odd_fields_give_no_url() {
        assert!(urls(
            Provider::GitHub,
            r#"{"repository":{"clone_url":7,"ssh_url":""}}"#
        )
        .is_empty());
        assert!(urls(Provider::Bitbucket, "[]").is_empty());
    }
}
