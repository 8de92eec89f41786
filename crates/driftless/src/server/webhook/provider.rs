//! Which Git host sent a webhook, whether it announces a push, and whether it proves the shared
//! secret: an HMAC-SHA256 of the body for GitHub, Gitea/Forgejo and Bitbucket Cloud, the secret
//! itself in a header for GitLab. Every comparison is constant-time.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::server::config::WebhookSecret;

/// A Git host that sends push webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// GitHub (and GitHub Enterprise).
    GitHub,
    /// GitLab.
    GitLab,
    /// Gitea or Forgejo.
    Gitea,
    /// Bitbucket Cloud.
    Bitbucket,
}

impl Provider {
    /// The provider's name in logs and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::GitHub => "github",
            Provider::GitLab => "gitlab",
            Provider::Gitea => "gitea",
            Provider::Bitbucket => "bitbucket",
        }
    }
}

/// One delivery's provider and event name, as its headers say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Who sent it.
    pub provider: Provider,
    /// The event header's value (`push`, `Push Hook`, `repo:push`, `ping`, ...).
    pub event: String,
}

impl Delivery {
    /// The provider and event of a request, `None` when no known event header is present.
    /// Gitea and Forgejo also send GitHub's headers, so theirs are looked at first.
    pub fn detect(headers: &HeaderMap) -> Option<Delivery> {
        let candidates = [
            ("x-gitea-event", Provider::Gitea),
            ("x-forgejo-event", Provider::Gitea),
            ("x-gitlab-event", Provider::GitLab),
            ("x-github-event", Provider::GitHub),
            ("x-event-key", Provider::Bitbucket),
        ];
        candidates.into_iter().find_map(|(name, provider)| {
            let event = headers.get(name)?.to_str().ok()?.trim().to_owned();
            Some(Delivery { provider, event })
        })
    }

    /// True for a push (tag pushes included); everything else (ping, issues, ...) is ignored.
    pub fn is_push(&self) -> bool {
        match self.provider {
            Provider::GitHub | Provider::Gitea => self.event == "push",
            Provider::GitLab => self.event == "Push Hook" || self.event == "Tag Push Hook",
            Provider::Bitbucket => self.event == "repo:push",
        }
    }
}

/// Why a delivery's proof of the secret was refused. Never holds the secret or the signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header that should carry the signature or token is absent.
    #[error("missing {0} header")]
    Missing(&'static str),
    /// The header is not `sha256=<hex>` (or plain hex for Gitea).
    #[error("malformed {0} header")]
    Malformed(&'static str),
    /// The signature or token does not match the secret.
    #[error("the {0} header does not match the webhook secret")]
    Mismatch(&'static str),
}

/// Checks that `body`, as delivered with `headers`, was sent by someone who knows `secret`.
pub fn verify(
    provider: Provider,
    headers: &HeaderMap,
    body: &[u8],
    secret: &WebhookSecret,
) -> Result<(), SignatureError> {
    match provider {
        Provider::GitHub => verify_hmac(
            headers,
            "x-hub-signature-256",
            Some("sha256="),
            body,
            secret,
        ),
        Provider::Bitbucket => {
            verify_hmac(headers, "x-hub-signature", Some("sha256="), body, secret)
        }
        Provider::Gitea => {
            let forgejo_only = !headers.contains_key("x-gitea-signature")
                && headers.contains_key("x-forgejo-signature");
            let header = if forgejo_only {
                "x-forgejo-signature"
            } else {
                "x-gitea-signature"
            };
            verify_hmac(headers, header, None, body, secret)
        }
        Provider::GitLab => verify_token(headers, "x-gitlab-token", secret),
    }
}

/// The HMAC-SHA256 of `body` under `secret`, hex in `header` after `prefix`.
fn verify_hmac(
    headers: &HeaderMap,
    header: &'static str,
    prefix: Option<&str>,
    body: &[u8],
    secret: &WebhookSecret,
) -> Result<(), SignatureError> {
    let value = header_text(headers, header)?;
    let hex = match prefix {
        Some(prefix) => value
            .strip_prefix(prefix)
            .ok_or(SignatureError::Malformed(header))?,
        None => value,
    };
    let signature = decode_hex(hex.trim()).ok_or(SignatureError::Malformed(header))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.bytes())
        .map_err(|_| SignatureError::Mismatch(header))?;
    mac.update(body);
    mac.verify_slice(&signature)
        .map_err(|_| SignatureError::Mismatch(header))
}

/// The secret itself in `header` (GitLab).
fn verify_token(
    headers: &HeaderMap,
    header: &'static str,
    secret: &WebhookSecret,
) -> Result<(), SignatureError> {
    let value = headers.get(header).ok_or(SignatureError::Missing(header))?;
    if secret.matches(value.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch(header))
    }
}

fn header_text<'a>(
    headers: &'a HeaderMap,
    header: &'static str,
) -> Result<&'a str, SignatureError> {
    headers
        .get(header)
        .ok_or(SignatureError::Missing(header))?
        .to_str()
        .map_err(|_| SignatureError::Malformed(header))
}

/// Bytes of an even-length hex string (either case), `None` when it is not one.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            u8::try_from(high * 16 + low).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// GitHub's documented example: this secret and body give this signature.
    const GITHUB_SECRET: &str = "It's a Secret to Everybody";
    const GITHUB_BODY: &[u8] = b"Hello, World!";
    const GITHUB_SIGNATURE: &str =
        "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn secret() -> WebhookSecret {
        WebhookSecret::new(GITHUB_SECRET).unwrap()
    }

    #[test]
    fn github_documented_signature_verifies() {
        let good = headers(&[("x-hub-signature-256", &format!("sha256={GITHUB_SIGNATURE}"))]);
        assert_eq!(
            verify(Provider::GitHub, &good, GITHUB_BODY, &secret()),
            Ok(())
        );
        assert_eq!(
            verify(Provider::GitHub, &good, b"Hello, World?", &secret()),
            Err(SignatureError::Mismatch("x-hub-signature-256"))
        );
        let other = WebhookSecret::new("another secret").unwrap();
        assert!(verify(Provider::GitHub, &good, GITHUB_BODY, &other).is_err());
    }

    #[test]
    fn github_needs_the_sha256_header_in_its_format() {
        let secret = secret();
        assert_eq!(
            verify(Provider::GitHub, &HeaderMap::new(), GITHUB_BODY, &secret),
            Err(SignatureError::Missing("x-hub-signature-256"))
        );
        for bad in [
            GITHUB_SIGNATURE.to_owned(),
            format!("sha1={GITHUB_SIGNATURE}"),
            "sha256=zz".to_owned(),
            "sha256=abc".to_owned(),
        ] {
            let h = headers(&[("x-hub-signature-256", &bad)]);
            assert_eq!(
                verify(Provider::GitHub, &h, GITHUB_BODY, &secret),
                Err(SignatureError::Malformed("x-hub-signature-256")),
                "{bad}"
            );
        }
        let upper = headers(&[(
            "x-hub-signature-256",
            &format!("sha256={}", GITHUB_SIGNATURE.to_uppercase()),
        )]);
        assert_eq!(
            verify(Provider::GitHub, &upper, GITHUB_BODY, &secret),
            Ok(())
        );
    }

    #[test]
    fn gitea_and_bitbucket_sign_the_same_way_in_their_headers() {
        let secret = secret();
        let gitea = headers(&[("x-gitea-signature", GITHUB_SIGNATURE)]);
        assert_eq!(
            verify(Provider::Gitea, &gitea, GITHUB_BODY, &secret),
            Ok(())
        );
        let forgejo = headers(&[("x-forgejo-signature", GITHUB_SIGNATURE)]);
        assert_eq!(
            verify(Provider::Gitea, &forgejo, GITHUB_BODY, &secret),
            Ok(())
        );
        assert_eq!(
            verify(Provider::Gitea, &HeaderMap::new(), GITHUB_BODY, &secret),
            Err(SignatureError::Missing("x-gitea-signature"))
        );
        let prefixed = headers(&[("x-gitea-signature", &format!("sha256={GITHUB_SIGNATURE}"))]);
        assert!(verify(Provider::Gitea, &prefixed, GITHUB_BODY, &secret).is_err());
        let bitbucket = headers(&[("x-hub-signature", &format!("sha256={GITHUB_SIGNATURE}"))]);
        assert_eq!(
            verify(Provider::Bitbucket, &bitbucket, GITHUB_BODY, &secret),
            Ok(())
        );
        assert_eq!(
            verify(Provider::Bitbucket, &bitbucket, b"tampered", &secret),
            Err(SignatureError::Mismatch("x-hub-signature"))
        );
        // GitHub's header does not stand in for Bitbucket's.
        let github = headers(&[("x-hub-signature-256", &format!("sha256={GITHUB_SIGNATURE}"))]);
        assert_eq!(
            verify(Provider::Bitbucket, &github, GITHUB_BODY, &secret),
            Err(SignatureError::Missing("x-hub-signature"))
        );
    }

    #[test]
    fn gitlab_sends_the_secret_itself() {
        let secret = secret();
        let good = headers(&[("x-gitlab-token", GITHUB_SECRET)]);
        assert_eq!(verify(Provider::GitLab, &good, b"{}", &secret), Ok(()));
        let bad = headers(&[("x-gitlab-token", "It's a Secret to Everybod")]);
        assert_eq!(
            verify(Provider::GitLab, &bad, b"{}", &secret),
            Err(SignatureError::Mismatch("x-gitlab-token"))
        );
        assert_eq!(
            verify(Provider::GitLab, &HeaderMap::new(), b"{}", &secret),
            Err(SignatureError::Missing("x-gitlab-token"))
        );
    }

    #[test]
    fn deliveries_are_recognised_by_their_event_header() {
        let github = Delivery::detect(&headers(&[("x-github-event", "push")])).unwrap();
        assert_eq!(
            (github.provider, github.is_push()),
            (Provider::GitHub, true)
        );
        let ping = Delivery::detect(&headers(&[("x-github-event", "ping")])).unwrap();
        assert!(!ping.is_push());
        let gitea = Delivery::detect(&headers(&[
            ("x-github-event", "push"),
            ("x-gitea-event", "push"),
        ]))
        .unwrap();
        assert_eq!(gitea.provider, Provider::Gitea);
        let gitlab = Delivery::detect(&headers(&[("x-gitlab-event", "Push Hook")])).unwrap();
        assert_eq!(
            (gitlab.provider, gitlab.is_push()),
            (Provider::GitLab, true)
        );
        let tag = Delivery::detect(&headers(&[("x-gitlab-event", "Tag Push Hook")])).unwrap();
        assert!(tag.is_push());
        let issue = Delivery::detect(&headers(&[("x-gitlab-event", "Issue Hook")])).unwrap();
        assert!(!issue.is_push());
        let bitbucket = Delivery::detect(&headers(&[("x-event-key", "repo:push")])).unwrap();
        assert_eq!(
            (bitbucket.provider, bitbucket.is_push()),
            (Provider::Bitbucket, true)
        );
        assert!(Delivery::detect(&headers(&[("x-other", "push")])).is_none());
    }

    #[test]
    fn hex_decodes_both_cases_and_refuses_the_rest() {
        assert_eq!(decode_hex("00ffAB"), Some(vec![0, 255, 171]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(decode_hex("é1"), None);
    }
}
