//! Repository URLs reduced to one comparable form, so that a push announced for
//! `git@github.com:Org/Repo.git` matches an Application of `https://github.com/org/repo`:
//! scheme and user dropped, an scp-like `user@host:path` read as `ssh://user@host/path`, default
//! ports dropped, host and path lower-cased, trailing `/` and `.git` dropped.

/// The comparable form `host[:port]/path` of `url`, `None` for an empty one. Local paths and
/// `file://` URLs come out as `/path`, which no Git host's URL matches.
pub fn normalise(url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let (scheme, rest) = split_scheme(url);
    if scheme == "file" {
        return Some(format!("/{}", clean_path(&rest)));
    }
    let (authority, path) = rest.split_once('/').unwrap_or((&rest, ""));
    let host = host_of(authority, &scheme);
    Some(format!("{host}/{}", clean_path(path)))
}

/// The scheme (lower-cased) and what follows `://`; scp-like URLs are `ssh`, and anything
/// else without a scheme is a local path (`file`).
fn split_scheme(url: &str) -> (String, String) {
    if let Some((scheme, rest)) = url.split_once("://") {
        return (scheme.to_ascii_lowercase(), rest.to_owned());
    }
    match url.split_once(':') {
        Some((before, after)) if is_scp_host(before) && !after.is_empty() => (
            "ssh".to_owned(),
            format!("{before}/{}", after.trim_start_matches('/')),
        ),
        _ => ("file".to_owned(), url.to_owned()),
    }
}

/// True when `before` (what precedes the first `:`) is an scp-like `[user@]host`: not empty,
/// no `/`, and not a one-letter Windows drive.
fn is_scp_host(before: &str) -> bool {
    let drive_letter = before.len() == 1 && before.chars().all(|c| c.is_ascii_alphabetic());
    !before.is_empty() && !before.contains('/') && !drive_letter
}

/// The host (and non-default port) of an authority, user dropped, lower-cased.
fn host_of(authority: &str, scheme: &str) -> String {
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
        .to_ascii_lowercase();
    let default_port = match scheme {
        "https" => Some("443"),
        "http" => Some("80"),
        "ssh" | "git+ssh" | "ssh+git" => Some("22"),
        "git" => Some("9418"),
        _ => None,
    };
    match (host.rsplit_once(':'), default_port) {
        (Some((name, port)), Some(default)) if port == default => name.to_owned(),
        _ => host,
    }
}

/// The path lower-cased, without query, fragment, leading and trailing `/` and a final `.git`.
fn clean_path(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.trim_matches('/').to_lowercase();
    let path = path.strip_suffix(".git").unwrap_or(&path);
    path.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::normalise;

    fn n(url: &str) -> String {
        normalise(url).unwrap()
    }

    #[test]
    fn the_forms_of_one_repository_agree() {
        let expected = "github.com/org/repo";
        for url in [
            "https://github.com/org/repo",
            "https://GitHub.com/Org/Repo.git",
            "https://github.com/org/repo/",
            "https://github.com/org/repo.git/",
            "http://github.com:80/org/repo",
            "https://github.com:443/org/repo",
            "https://user:password@github.com/org/repo.git",
            "git@github.com:org/repo.git",
            "git@github.com:/org/repo.git",
            "ssh://git@github.com/org/repo.git",
            "ssh://git@github.com:22/org/repo",
            "SSH://git@GITHUB.com/ORG/REPO",
            "git://github.com/org/repo.git",
            " https://github.com/org/repo \n",
        ] {
            assert_eq!(n(url), expected, "{url}");
        }
    }

    #[test]
    fn different_repositories_and_ports_stay_apart() {
        assert_ne!(
            n("https://github.com/org/repo"),
            n("https://github.com/org/repo2")
        );
        assert_ne!(
            n("https://github.com/org/repo"),
            n("https://gitlab.com/org/repo")
        );
        assert_eq!(
            n("ssh://git@gitlab.example.com:2222/group/sub/project.git"),
            "gitlab.example.com:2222/group/sub/project"
        );
        assert_ne!(n("https://github.com/org/repo"), n("/srv/git/org/repo"));
    }

    #[test]
    fn local_paths_are_not_hosts() {
        assert_eq!(n("/srv/git/repo.git"), "/srv/git/repo");
        assert_eq!(n("file:///srv/git/repo"), "/srv/git/repo");
        assert_eq!(n("C:/git/repo"), "/c:/git/repo");
        assert_eq!(normalise("  "), None);
    }
}
