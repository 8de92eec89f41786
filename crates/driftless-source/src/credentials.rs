//! Repository credentials, built from the keys of a Kubernetes Secret as Flux names them.

use std::collections::BTreeMap;

/// Why a secret could not be turned into credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// A key's value is not UTF-8 text.
    #[error("secret key {key:?} is not UTF-8 text")]
    NotUtf8 {
        /// The offending key.
        key: String,
    },
}

/// What a repository needs to let us in. Never printed: `Debug` shows which fields are set, not
/// their values, and no error or path built by this crate contains them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// HTTP basic-auth user name (secret key `username`).
    pub username: Option<String>,
    /// HTTP basic-auth password, or the passphrase of `identity` for SSH (secret key `password`).
    pub password: Option<String>,
    /// HTTP bearer token (secret key `bearerToken`); wins over username/password.
    pub bearer_token: Option<String>,
    /// SSH private key in OpenSSH or PEM form (secret key `identity`).
    pub identity: Option<String>,
    /// `known_hosts` lines the SSH server's key must match (secret key `known_hosts`). Without
    /// them every SSH host is refused unless `insecure_skip_host_key_check` is set.
    pub known_hosts: Option<String>,
    /// Accept any SSH host key. Off by default; not read from the secret.
    pub insecure_skip_host_key_check: bool,
}

impl Credentials {
    /// Builds credentials from a Secret's `data` (already base64-decoded); unknown keys are ignored
    /// and empty values count as absent.
    pub fn from_secret_data(data: &BTreeMap<String, Vec<u8>>) -> Result<Self, CredentialsError> {
        let text = |key: &str| -> Result<Option<String>, CredentialsError> {
            match data.get(key) {
                None => Ok(None),
                Some(bytes) if bytes.is_empty() => Ok(None),
                Some(bytes) => String::from_utf8(bytes.clone()).map(Some).map_err(|_| {
                    CredentialsError::NotUtf8 {
                        key: key.to_string(),
                    }
                }),
            }
        };
        Ok(Self {
            username: text("username")?,
            password: text("password")?,
            bearer_token: text("bearerToken")?,
            identity: text("identity")?,
            known_hosts: text("known_hosts")?,
            insecure_skip_host_key_check: false,
        })
    }

    /// Every secret value held, for scrubbing them out of git's messages.
    pub(crate) fn secret_values(&self) -> impl Iterator<Item = &str> {
        [&self.password, &self.bearer_token, &self.identity]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|s| s.len() >= 3)
    }

    /// Replaces every secret value inside `text` with `***`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        self.secret_values()
            .fold(text.to_string(), |acc, secret| acc.replace(secret, "***"))
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |v: &Option<String>| if v.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("Credentials")
            .field("username", &set(&self.username))
            .field("password", &set(&self.password))
            .field("bearer_token", &set(&self.bearer_token))
            .field("identity", &set(&self.identity))
            .field("known_hosts", &set(&self.known_hosts))
            .field(
                "insecure_skip_host_key_check",
                &self.insecure_skip_host_key_check,
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(pairs: &[(&str, &[u8])]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_vec()))
            .collect()
    }

    #[test]
    fn flux_keys_are_read_and_empty_values_ignored() {
        let creds = Credentials::from_secret_data(&secret(&[
            ("username", b"bot"),
            ("password", b"s3cret"),
            ("bearerToken", b""),
            ("known_hosts", b"h ssh-ed25519 AAAA"),
            ("other", b"x"),
        ]))
        .unwrap();
        assert_eq!(creds.username.as_deref(), Some("bot"));
        assert_eq!(creds.password.as_deref(), Some("s3cret"));
        assert_eq!(creds.bearer_token, None);
        assert!(creds.known_hosts.is_some());
    }

    #[test]
    fn non_utf8_value_names_the_key() {
        let err =
            Credentials::from_secret_data(&secret(&[("identity", &[0xff, 0xfe])])).unwrap_err();
        assert_eq!(
            err,
            CredentialsError::NotUtf8 {
                key: "identity".into()
            }
        );
    }

    #[test]
    fn debug_and_scrub_hide_values() {
        let creds = Credentials {
            password: Some("hunter2".into()),
            ..Default::default()
        };
        assert!(!format!("{creds:?}").contains("hunter2"));
        assert_eq!(creds.scrub("auth hunter2 failed"), "auth *** failed");
    }
}
