//! Property tests ("fuzz") of the parsers that face the outside world in the controller's HTTP
//! server: webhook payloads, repository URLs, signatures and API token files. Whatever arrives,
//! they answer without panicking, and a refusal never echoes a token or secret.

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use driftless::server::webhook::payload::{pushed, repository_urls};
use driftless::server::webhook::provider::{verify, Provider};
use driftless::server::webhook::url::normalise;
use driftless::server::{ApiTokens, WebhookSecret};
use proptest::prelude::*;
use serde_json::Value;

const PROVIDERS: [Provider; 4] = [
    Provider::GitHub,
    Provider::GitLab,
    Provider::Gitea,
    Provider::Bitbucket,
];

/// Arbitrary JSON, biased towards the keys the payload readers look for.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("ref".to_owned()),
        Just("repository".to_owned()),
        Just("project".to_owned()),
        Just("clone_url".to_owned()),
        Just("links".to_owned()),
        Just("html".to_owned()),
        Just("href".to_owned()),
        Just("push".to_owned()),
        Just("changes".to_owned()),
        Just("new".to_owned()),
        Just("name".to_owned()),
        Just("type".to_owned()),
        Just("default_branch".to_owned()),
        "[a-z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        Just(Value::String("refs/heads/main".to_owned())),
        Just(Value::String("https://github.com/org/repo.git".to_owned())),
    ];
    leaf.prop_recursive(4, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn payload_readers_take_any_json(payload in json()) {
        for provider in PROVIDERS {
            let urls = repository_urls(provider, &payload);
            prop_assert!(urls.iter().all(|u| !u.trim().is_empty()));
            let moved = pushed(provider, &payload);
            let _ = moved.may_move("HEAD");
            let _ = moved.may_move("main");
        }
    }

    #[test]
    fn any_url_normalises_without_a_scheme_or_a_user(url in ".{0,80}") {
        if let Some(normal) = normalise(&url) {
            prop_assert!(!normal.contains("://"), "{normal}");
            prop_assert_eq!(normal.to_ascii_lowercase(), normal.clone());
        }
    }

    #[test]
    fn signatures_of_any_headers_and_body_are_refused_unless_right(
        value in "[ -~]{0,80}",
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let secret = WebhookSecret::new("fuzz-secret-value").unwrap();
        for name in ["x-hub-signature-256", "x-hub-signature", "x-gitea-signature", "x-gitlab-token"] {
            let mut headers = HeaderMap::new();
            if let Ok(header) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), header);
            }
            for provider in PROVIDERS {
                if let Err(error) = verify(provider, &headers, &body, &secret) {
                    prop_assert!(!error.to_string().contains("fuzz-secret-value"));
                }
            }
        }
    }

    #[test]
    fn token_files_never_echo_a_token(
        lines in prop::collection::vec(("[A-Za-z0-9]{12,24}", "[a-z-]{0,10}", " {0,3}"), 0..6),
    ) {
        let text: String = lines
            .iter()
            .map(|(token, role, pad)| format!("{pad}{token} {role}\n"))
            .collect();
        if let Err(error) = ApiTokens::parse(&text) {
            let message = error.to_string();
            for (token, _, _) in &lines {
                prop_assert!(!message.contains(token.as_str()), "{message}");
            }
        }
    }
}
