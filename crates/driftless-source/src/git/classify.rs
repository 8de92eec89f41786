//! Turning git's, curl's and ssh's messages into the error that names the cause.

use super::{GitError, Step};

/// Patterns of git's, curl's and ssh's messages, checked in this order.
const HOST_KEY: &[&str] = &[
    "host key verification failed",
    "remote host identification has changed",
    "host key is known",
];
const AUTH: &[&str] = &[
    "authentication failed",
    "could not read username",
    "could not read password",
    "permission denied (publickey",
    "permission denied, please try again",
    "returned error: 401",
    "returned error: 403",
    "terminal prompts disabled",
    "incorrect passphrase",
];
const NOT_FOUND: &[&str] = &[
    "returned error: 404",
    "repository not found",
    "does not appear to be a git repository",
    "access denied or repository not exported",
    "no such repository",
    "' not found",
];
const UNKNOWN_REVISION: &[&str] = &[
    "not our ref",
    "couldn't find remote ref",
    "no such remote ref",
    "unadvertised object",
];
const CORRUPT: &[&str] = &[
    "early eof",
    "index-pack failed",
    "bad pack",
    "pack has bad object",
    "inflate",
    "protocol error",
    "unexpected disconnect",
    "invalid index-pack output",
    "did not receive expected object",
    "premature end of pack",
    "pack signature",
    "pack is corrupted",
    "bad line length",
    "missing necessary objects",
];
const UNREACHABLE: &[&str] = &[
    "could not resolve host",
    "could not resolve hostname",
    "connection refused",
    "failed to connect",
    "couldn't connect",
    "unable to connect",
    "connection timed out",
    "no route to host",
    "network is unreachable",
    "unable to look up",
    "name or service not known",
    "temporary failure in name resolution",
    "connection reset",
    "kex_exchange_identification",
];

/// Turns git's stderr into the error that names the cause.
pub(super) fn classify(step: Step, repo: &str, stderr: &str) -> GitError {
    let lower = stderr.to_ascii_lowercase();
    let has = |patterns: &[&str]| patterns.iter().any(|p| lower.contains(p));
    let repo = repo.to_string();
    let detail = summarise(stderr);
    if has(HOST_KEY) {
        GitError::HostKeyRejected { repo, detail }
    } else if has(AUTH) {
        GitError::AuthenticationFailed { repo, detail }
    } else if has(NOT_FOUND) {
        GitError::RepositoryNotFound { repo, detail }
    } else if has(UNKNOWN_REVISION) {
        GitError::UnknownRevision { repo, detail }
    } else if has(CORRUPT) {
        GitError::CorruptPack { repo, step, detail }
    } else if has(UNREACHABLE) {
        GitError::Unreachable { repo, step, detail }
    } else {
        GitError::Failed { repo, step, detail }
    }
}

/// The last few non-empty lines of git's message, on one line, at most 400 characters.
fn summarise(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = lines[lines.len().saturating_sub(4)..].join(" | ");
    match tail.char_indices().nth(400) {
        Some((cut, _)) => format!("{}...", &tail[..cut]),
        None if tail.is_empty() => "(no message)".to_string(),
        None => tail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(stderr: &str) -> String {
        let err = classify(Step::Fetch, "https://h/r", stderr);
        format!("{err:?}")
            .split([' ', '{'])
            .next()
            .unwrap()
            .to_string()
    }

    #[test]
    fn classifies_common_failures() {
        assert_eq!(
            kind("fatal: unable to access 'https://h/r/': Could not resolve host: h"),
            "Unreachable"
        );
        assert_eq!(kind("fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused"), "Unreachable");
        assert_eq!(
            kind("fatal: Authentication failed for 'http://127.0.0.1:1/r/'"),
            "AuthenticationFailed"
        );
        assert_eq!(kind("git@h: Permission denied (publickey).\nfatal: Could not read from remote repository."), "AuthenticationFailed");
        assert_eq!(
            kind("Host key verification failed.\nfatal: Could not read from remote repository."),
            "HostKeyRejected"
        );
        assert_eq!(
            kind("remote: Repository not found.\nfatal: repository 'https://h/r/' not found"),
            "RepositoryNotFound"
        );
        assert_eq!(
            kind("fatal: remote error: upload-pack: not our ref 1234"),
            "UnknownRevision"
        );
        assert_eq!(
            kind("error: RPC failed\nfatal: early EOF\nfatal: index-pack failed"),
            "CorruptPack"
        );
        assert_eq!(kind("fatal: something new"), "Failed");
    }

    #[test]
    fn detail_keeps_the_last_lines_only() {
        let long = (0..10)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(summarise(&long), "line 6 | line 7 | line 8 | line 9");
        assert_eq!(summarise("\n\n"), "(no message)");
        assert!(summarise(&"x".repeat(1000)).len() < 410);
    }
}
