//! The server's secrets: the API tokens (each with a role) and the webhook secret, read from a
//! file or from a Kubernetes Secret. Tokens are kept only as SHA-256 digests and compared in
//! constant time; no value read here ever appears in a `Debug` output, a log or an error.

use std::path::Path;

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use kube::Client;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The key of the Secret that holds the API tokens.
pub const TOKENS_KEY: &str = "tokens";
/// The key of the Secret that holds the webhook secret.
pub const WEBHOOK_SECRET_KEY: &str = "webhook-secret";

/// Why tokens or a webhook secret could not be read. Messages name the file, Secret or line,
/// never a value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A line of a tokens file is not `TOKEN ROLE`.
    #[error("tokens, line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The text holds no token at all.
    #[error("tokens: no `TOKEN ROLE` line")]
    NoTokens,
    /// The webhook secret is empty.
    #[error("the webhook secret is empty")]
    EmptySecret,
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A Kubernetes Secret could not be read.
    #[error("reading Secret {secret}: {message}")]
    Secret {
        /// `namespace/name`.
        secret: String,
        /// The API's answer, reduced to its message.
        message: String,
    },
    /// The Secret has no such key.
    #[error("Secret {secret} has no key {key}")]
    MissingKey {
        /// `namespace/name`.
        secret: String,
        /// The key looked for.
        key: &'static str,
    },
    /// The value is not UTF-8 text.
    #[error("{origin} is not UTF-8 text")]
    NotText {
        /// The file or `Secret namespace/name key`.
        origin: String,
    },
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Every route: reads and requests (sync, rollback, refresh).
    Admin,
    /// Reads only (GET).
    ReadOnly,
}

impl Role {
    /// The role's name as written in a tokens file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::ReadOnly => "read-only",
        }
    }

    fn parse(word: &str) -> Option<Role> {
        match word {
            "admin" => Some(Role::Admin),
            "read-only" => Some(Role::ReadOnly),
            _ => None,
        }
    }
}

/// The bearer tokens the API accepts, each with its role. Holds SHA-256 digests only; `Debug`
/// shows how many there are, nothing else.
#[derive(Clone, Default)]
pub struct ApiTokens {
    tokens: Vec<([u8; 32], Role)>,
}

impl std::fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiTokens({} tokens)", self.tokens.len())
    }
}

impl ApiTokens {
    /// No token: every API request is refused with 401 (health, metrics and webhooks still work).
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads lines `TOKEN ROLE` (role `admin` or `read-only`); blank lines and lines starting
    /// with `#` are skipped. A malformed or repeated line is an error naming its line number,
    /// never its content; text with no token at all is an error too.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let mut tokens: Vec<([u8; 32], Role)> = Vec::new();
        let mut lines_of = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let Some((token, role)) = parse_line(raw, line)? else {
                continue;
            };
            let digest = digest(token.as_bytes());
            if let Some(first) = tokens.iter().position(|(d, _)| *d == digest) {
                return Err(ConfigError::Line {
                    line,
                    reason: format!("the token of line {} again", lines_of[first]),
                });
            }
            tokens.push((digest, role));
            lines_of.push(line);
        }
        if tokens.is_empty() {
            return Err(ConfigError::NoTokens);
        }
        Ok(Self { tokens })
    }

    /// Exactly one token, `token` (trimmed) with `role`: what an in-process controller that
    /// generated its own admin token uses. An empty token is [`ConfigError::NoTokens`].
    pub fn single(token: &str, role: Role) -> Result<Self, ConfigError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(ConfigError::NoTokens);
        }
        Ok(Self {
            tokens: vec![(digest(token.as_bytes()), role)],
        })
    }

    /// [`ApiTokens::parse`] of the file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        Self::parse(&read_file(path)?)
    }

    /// [`ApiTokens::parse`] of the key `tokens` of the Secret `namespace/name`.
    pub async fn from_secret(
        client: &Client,
        namespace: &str,
        name: &str,
    ) -> Result<Self, ConfigError> {
        Self::parse(&read_secret(client, namespace, name, TOKENS_KEY).await?)
    }

    /// The role of `presented`, or `None` when it is no token of ours. Every known token is
    /// compared (digest against digest, in constant time), whichever matches.
    pub fn role_of(&self, presented: &str) -> Option<Role> {
        let presented = digest(presented.as_bytes());
        let mut found = None;
        for (known, role) in &self.tokens {
            if bool::from(known.ct_eq(&presented)) {
                found = Some(*role);
            }
        }
        found
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True when there is no token (every API request is refused).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// The shared secret that Git hosts sign webhooks with (or send, for GitLab). `Debug` never
/// shows it.
#[derive(Clone)]
pub struct WebhookSecret {
    value: Vec<u8>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

impl WebhookSecret {
    /// A secret of `value` with surrounding white space trimmed; empty is an error.
    pub fn new(value: &str) -> Result<Self, ConfigError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(ConfigError::EmptySecret);
        }
        Ok(Self {
            value: value.as_bytes().to_vec(),
        })
    }

    /// The trimmed content of the file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        Self::new(&read_file(path)?)
    }

    /// The trimmed key `webhook-secret` of the Secret `namespace/name`.
    pub async fn from_secret(
        client: &Client,
        namespace: &str,
        name: &str,
    ) -> Result<Self, ConfigError> {
        Self::new(&read_secret(client, namespace, name, WEBHOOK_SECRET_KEY).await?)
    }

    /// The secret's bytes, for signature checks.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.value
    }

    /// True when `presented` is the secret itself (GitLab's token), compared in constant time.
    pub fn matches(&self, presented: &[u8]) -> bool {
        bool::from(digest(&self.value).ct_eq(&digest(presented)))
    }
}

/// `None` for a blank or comment line, the token and role otherwise.
fn parse_line(raw: &str, line: usize) -> Result<Option<(&str, Role)>, ConfigError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return Ok(None);
    }
    let fields: Vec<&str> = trimmed.split_whitespace().collect();
    let [token, role] = fields[..] else {
        return Err(ConfigError::Line {
            line,
            reason: format!("expected `TOKEN ROLE`, found {} fields", fields.len()),
        });
    };
    let role = Role::parse(role).ok_or_else(|| ConfigError::Line {
        line,
        reason: "the role is neither `admin` nor `read-only`".to_owned(),
    })?;
    Ok(Some((token, role)))
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn read_file(path: &Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::File {
        path: path.display().to_string(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| ConfigError::NotText {
        origin: path.display().to_string(),
    })
}

async fn read_secret(
    client: &Client,
    namespace: &str,
    name: &str,
    key: &'static str,
) -> Result<String, ConfigError> {
    let secret = format!("{namespace}/{name}");
    let object = Api::<Secret>::namespaced(client.clone(), namespace)
        .get(name)
        .await
        .map_err(|e| ConfigError::Secret {
            secret: secret.clone(),
            message: super::error::kube_message(&e),
        })?;
    let value = object
        .data
        .as_ref()
        .and_then(|data| data.get(key))
        .ok_or_else(|| ConfigError::MissingKey {
            secret: secret.clone(),
            key,
        })?;
    String::from_utf8(value.0.clone()).map_err(|_| ConfigError::NotText {
        origin: format!("Secret {secret} key {key}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_parse_with_roles_comments_and_blank_lines() {
        let tokens = ApiTokens::parse(
            "# who may call the API\n\n  s3cret-admin   admin\nviewer-token read-only\n",
        )
        .unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens.role_of("s3cret-admin"), Some(Role::Admin));
        assert_eq!(tokens.role_of("viewer-token"), Some(Role::ReadOnly));
        assert_eq!(tokens.role_of("s3cret-admi"), None);
        assert_eq!(tokens.role_of(""), None);
    }

    #[test]
    fn a_bad_line_is_named_by_number_and_its_token_never_echoed() {
        for (text, line) in [
            ("ok admin\nleaked-token-1 superuser\n", 2),
            ("# c\n\nleaked-token-1\n", 3),
            ("leaked-token-1 admin extra\n", 1),
            ("admin leaked-token-1\n", 1),
        ] {
            let error = ApiTokens::parse(text).unwrap_err();
            let message = error.to_string();
            assert!(
                matches!(error, ConfigError::Line { line: l, .. } if l == line),
                "{message}"
            );
            assert!(message.contains(&format!("line {line}")), "{message}");
            assert!(!message.contains("leaked-token-1"), "{message}");
        }
    }

    #[test]
    fn a_single_token_has_its_role() {
        let tokens = ApiTokens::single(" generated \n", Role::Admin).unwrap();
        assert_eq!(tokens.role_of("generated"), Some(Role::Admin));
        assert_eq!(tokens.len(), 1);
        assert!(matches!(
            ApiTokens::single(" ", Role::Admin),
            Err(ConfigError::NoTokens)
        ));
    }

    #[test]
    fn a_repeated_token_and_an_empty_file_are_refused() {
        let error = ApiTokens::parse("dup admin\ndup read-only\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "tokens, line 2: the token of line 1 again"
        );
        assert!(matches!(
            ApiTokens::parse("# nothing\n\n"),
            Err(ConfigError::NoTokens)
        ));
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let tokens = ApiTokens::parse("hunter2 admin\n").unwrap();
        assert_eq!(format!("{tokens:?}"), "ApiTokens(1 tokens)");
        let secret = WebhookSecret::new("  hunter2\n").unwrap();
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(secret.bytes(), b"hunter2");
    }

    #[test]
    fn the_webhook_secret_is_trimmed_and_must_not_be_empty() {
        assert!(matches!(
            WebhookSecret::new(" \n"),
            Err(ConfigError::EmptySecret)
        ));
        let secret = WebhookSecret::new("abc\n").unwrap();
        assert!(secret.matches(b"abc"));
        assert!(!secret.matches(b"abc\n"));
        assert!(!secret.matches(b"ab"));
    }

    #[test]
    fn files_are_read_and_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::write(&tokens, "t1 admin\n").unwrap();
        assert_eq!(
            ApiTokens::from_file(&tokens).unwrap().role_of("t1"),
            Some(Role::Admin)
        );
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "shh\n").unwrap();
        assert!(WebhookSecret::from_file(&secret).unwrap().matches(b"shh"));
        let missing = ApiTokens::from_file(&dir.path().join("nope")).unwrap_err();
        assert!(missing.to_string().starts_with("reading "), "{missing}");
    }
}
