//! Repository URLs: parsing every form users write, a secret-free display form and a stable id.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Why a repository URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The URL was empty.
    #[error("repository URL is empty")]
    Empty,
    /// The URL carries a password; credentials belong in the secret, not the URL.
    #[error("repository URL {url} embeds a password; put credentials in the repository secret")]
    EmbeddedPassword {
        /// The URL with the password removed.
        url: String,
    },
    /// The scheme is not one Driftless fetches from.
    #[error("repository URL {url} uses unsupported scheme {scheme:?} (use https, http, ssh, git, file or a path)")]
    UnsupportedScheme {
        /// The URL as given (it holds no password).
        url: String,
        /// The scheme found.
        scheme: String,
    },
    /// The URL has no host or no path.
    #[error("repository URL {url} is malformed: {reason}")]
    Malformed {
        /// The URL as given (it holds no password).
        url: String,
        /// What is missing.
        reason: &'static str,
    },
    /// A plain path could not be made absolute.
    #[error("repository path {path} cannot be made absolute")]
    RelativePath {
        /// The path as given.
        path: String,
    },
}

/// How a repository is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Smart HTTP over TLS.
    Https,
    /// Smart HTTP without TLS.
    Http,
    /// SSH, from `ssh://` or the scp-like `user@host:path`.
    Ssh,
    /// The unauthenticated `git://` daemon protocol.
    Git,
    /// A `file://` URL.
    File,
    /// A plain local path.
    Local,
}

/// A parsed repository location. Holds no secret: its display form, the string handed to git and
/// its id never contain a password.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoUrl {
    transport: Transport,
    for_git: String,
    canonical: String,
}

impl RepoUrl {
    /// Parses `https://`, `http://`, `ssh://`, `user@host:path`, `git://`, `file://` and plain paths
    /// (relative paths are made absolute against the current directory).
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(UrlError::Empty);
        }
        match input.split_once("://") {
            Some((scheme, rest)) => parse_with_scheme(input, &scheme.to_ascii_lowercase(), rest),
            None if is_scp_like(input) => parse_scp_like(input),
            None => parse_local_path(input),
        }
    }

    /// The transport this URL uses.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The location as passed to git (no password, ever).
    pub fn as_git_arg(&self) -> &str {
        &self.for_git
    }

    /// The normalised form used for comparison and display: lower-case scheme and host, no
    /// trailing `/` or `.git`, scp-like URLs spelled as `ssh://`.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    /// A stable, filesystem-safe id of the repository (24 hex digits of the SHA-256 of
    /// [`RepoUrl::canonical`]); equal for every spelling of the same repository.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.canonical.as_bytes());
        digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Display for RepoUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.for_git)
    }
}

fn parse_with_scheme(input: &str, scheme: &str, rest: &str) -> Result<RepoUrl, UrlError> {
    let transport = match scheme {
        "https" => Transport::Https,
        "http" => Transport::Http,
        "ssh" | "git+ssh" | "ssh+git" => Transport::Ssh,
        "git" => Transport::Git,
        "file" => Transport::File,
        other => {
            return Err(UrlError::UnsupportedScheme {
                url: input.to_string(),
                scheme: other.to_string(),
            })
        }
    };
    if transport == Transport::File {
        let canonical = format!("file://{}", trim_repo_suffix(rest));
        return Ok(RepoUrl {
            transport,
            for_git: input.to_string(),
            canonical,
        });
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, host_port) = split_userinfo(authority, input)?;
    if host_port.is_empty() {
        return Err(malformed(input, "no host"));
    }
    if trim_repo_suffix(path).is_empty() {
        return Err(malformed(input, "no repository path"));
    }
    let scheme = if transport == Transport::Ssh {
        "ssh"
    } else {
        scheme
    };
    let for_git = format!("{scheme}://{}{host_port}/{path}", user_prefix(user));
    let canonical = format!(
        "{scheme}://{}{}/{}",
        user_prefix(user),
        host_port.to_ascii_lowercase(),
        trim_repo_suffix(path).trim_start_matches("~/")
    );
    Ok(RepoUrl {
        transport,
        for_git,
        canonical,
    })
}

/// `user@host:path` with no `/` before the first `:` (git's own rule for scp-like syntax).
fn is_scp_like(input: &str) -> bool {
    match input.find(':') {
        Some(colon) => !input[..colon].contains('/') && colon > 1,
        None => false,
    }
}

/// Parses `[user@]host:path`, and git's `[user@][host:port]:path` form for a non-default port.
fn parse_scp_like(input: &str) -> Result<RepoUrl, UrlError> {
    let separator = match (input.find('['), input.find("]:")) {
        (Some(open), Some(close)) if open < close => close + 1,
        _ => input.find(':').unwrap_or(input.len()),
    };
    let (authority, path) = (
        &input[..separator],
        input.get(separator + 1..).unwrap_or(""),
    );
    let authority = authority.replace(['[', ']'], "");
    let (user, host) = split_userinfo(&authority, input)?;
    if host.is_empty() || trim_repo_suffix(path).is_empty() {
        return Err(malformed(input, "expected user@host:path"));
    }
    let canonical = format!(
        "ssh://{}{}/{}",
        user_prefix(user),
        host.to_ascii_lowercase(),
        trim_repo_suffix(path)
            .trim_start_matches('/')
            .trim_start_matches("~/")
    );
    Ok(RepoUrl {
        transport: Transport::Ssh,
        for_git: input.to_string(),
        canonical,
    })
}

fn parse_local_path(input: &str) -> Result<RepoUrl, UrlError> {
    let absolute = std::path::absolute(Path::new(input)).map_err(|_| UrlError::RelativePath {
        path: input.to_string(),
    })?;
    let for_git = absolute.to_string_lossy().into_owned();
    let canonical = format!("file://{}", trim_repo_suffix(&normalise_path(&absolute)));
    Ok(RepoUrl {
        transport: Transport::Local,
        for_git,
        canonical,
    })
}

fn normalise_path(path: &Path) -> String {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned()
}

/// Splits `user@host` into the user (if any) and the host; refuses `user:password@host`.
fn split_userinfo<'a>(
    authority: &'a str,
    input: &str,
) -> Result<(Option<&'a str>, &'a str), UrlError> {
    match authority.rsplit_once('@') {
        Some((userinfo, _)) if userinfo.contains(':') => Err(UrlError::EmbeddedPassword {
            url: input.replacen(userinfo, userinfo.split(':').next().unwrap_or(""), 1),
        }),
        Some((user, host)) => Ok((Some(user), refuse_option_like(host, input)?)),
        None => Ok((None, refuse_option_like(authority, input)?)),
    }
}

/// A host starting with `-` would be read as an option by ssh.
fn refuse_option_like<'a>(host: &'a str, input: &str) -> Result<&'a str, UrlError> {
    if host.starts_with('-') {
        return Err(malformed(input, "host starts with '-'"));
    }
    Ok(host)
}

fn user_prefix(user: Option<&str>) -> String {
    user.map(|u| format!("{u}@")).unwrap_or_default()
}

fn trim_repo_suffix(path: &str) -> &str {
    let path = path.trim_end_matches('/');
    path.strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/')
}

fn malformed(input: &str, reason: &'static str) -> UrlError {
    UrlError::Malformed {
        url: input.to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_repository_share_an_id() {
        let a = RepoUrl::parse("git@GitHub.com:org/repo.git").unwrap();
        let b = RepoUrl::parse("ssh://git@github.com/org/repo").unwrap();
        let c = RepoUrl::parse("ssh://git@github.com/org/repo/").unwrap();
        assert_eq!(a.canonical(), "ssh://git@github.com/org/repo");
        assert_eq!(a.id(), b.id());
        assert_eq!(b.id(), c.id());
        assert_eq!(a.transport(), Transport::Ssh);
        assert_eq!(a.id().len(), 24);
        let with_port = RepoUrl::parse("git@[Host:2222]:/srv/repo.git").unwrap();
        assert_eq!(with_port.canonical(), "ssh://git@host:2222/srv/repo");
        assert_eq!(
            with_port.id(),
            RepoUrl::parse("ssh://git@host:2222/srv/repo").unwrap().id()
        );
    }

    #[test]
    fn https_host_is_case_insensitive_but_path_is_not() {
        let a = RepoUrl::parse("https://Example.COM/Org/Repo.git").unwrap();
        let b = RepoUrl::parse("https://example.com/Org/Repo").unwrap();
        let c = RepoUrl::parse("https://example.com/org/repo").unwrap();
        assert_eq!(a.id(), b.id());
        assert_ne!(a.id(), c.id());
    }

    #[test]
    fn password_in_url_is_refused_without_echoing_it() {
        let err = RepoUrl::parse("https://user:hunter2@example.com/r.git").unwrap_err();
        assert!(matches!(err, UrlError::EmbeddedPassword { .. }));
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn each_transport_is_recognised() {
        let cases = [
            ("https://h/r", Transport::Https),
            ("http://h:8080/r", Transport::Http),
            ("git://127.0.0.1:9418/r.git", Transport::Git),
            ("file:///srv/r.git", Transport::File),
            ("/srv/r.git", Transport::Local),
            ("./r", Transport::Local),
            ("host:r", Transport::Ssh),
        ];
        for (input, transport) in cases {
            assert_eq!(
                RepoUrl::parse(input).unwrap().transport(),
                transport,
                "{input}"
            );
        }
    }

    #[test]
    fn local_paths_become_absolute_and_match_file_urls() {
        let local = RepoUrl::parse("/srv/x/../repo.git").unwrap();
        let file = RepoUrl::parse("file:///srv/repo").unwrap();
        assert_eq!(local.id(), file.id());
        assert!(RepoUrl::parse("rel/path")
            .unwrap()
            .as_git_arg()
            .starts_with('/'));
    }

    #[test]
    fn bad_urls_are_refused() {
        assert_eq!(RepoUrl::parse("  ").unwrap_err(), UrlError::Empty);
        assert!(matches!(
            RepoUrl::parse("ftp://h/r"),
            Err(UrlError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            RepoUrl::parse("https:///r"),
            Err(UrlError::Malformed { .. })
        ));
        assert!(matches!(
            RepoUrl::parse("https://host/"),
            Err(UrlError::Malformed { .. })
        ));
        assert!(matches!(
            RepoUrl::parse("-oProxyCommand=x:r"),
            Err(UrlError::Malformed { .. })
        ));
    }
}
