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

#[cfg(test)]
mod tests {
    use super::*;

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
