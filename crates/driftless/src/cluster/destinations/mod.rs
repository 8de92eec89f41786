//! Destination clusters: `in-cluster` (the cluster that holds the Applications) and clusters
//! registered as Secrets labelled `driftless.dev/secret-type: cluster`, as Argo CD registers
//! them. One [`Engine`] per destination, created on first use and shared by every Application
//! that deploys there; an engine of a registered cluster is rebuilt when its Secret changes
//! (uid or resourceVersion), so rotated credentials take effect on the next reconcile.
//!
//! A cluster Secret carries `name`, `server` and either `config` (Argo CD's JSON:
//! `bearerToken`, `username`/`password`, `tlsClientConfig` with `insecure`, `caData`,
//! `certData`, `keyData`, `serverName`) or `kubeconfig` (a kubeconfig whose current context is
//! used; `server` may then be left out and is taken from it). Credentials must be inline:
//! exec plugins, auth providers and file paths are refused, since a Secret must not make the
//! controller run a command or read its own files. Errors name the Secret and the field that
//! is wrong and never echo a token, key or password.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use driftless_core::application::Application;
use driftless_render::Renderer;
use driftless_source::Source;
use k8s_openapi::api::core::v1::Secret;
use kube::api::ListParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use serde_json::{json, Map, Value};

use super::ResourceManager;

mod secret;

use crate::sync::{Engine, Settings};
use secret::*;

/// The name of the cluster that holds the Applications.
pub const IN_CLUSTER: &str = "in-cluster";

/// The server URL that also names the cluster that holds the Applications.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";

/// The label (with value [`CLUSTER_SECRET_TYPE`]) that marks a Secret as a registered cluster.
pub const SECRET_TYPE_LABEL: &str = "driftless.dev/secret-type";

/// The value of [`SECRET_TYPE_LABEL`] on cluster Secrets.
pub const CLUSTER_SECRET_TYPE: &str = "cluster";

/// Why an Application's destination has no engine.
#[derive(Debug, thiserror::Error)]
pub enum DestinationError {
    /// No registered cluster has this name or server.
    #[error(
        "destination {destination} is not a registered cluster (no Secret labelled \
         {SECRET_TYPE_LABEL}={CLUSTER_SECRET_TYPE} in namespace {namespace} names it)"
    )]
    Unknown {
        /// The name or server asked for.
        destination: String,
        /// Where cluster Secrets were looked for.
        namespace: String,
    },
    /// More than one cluster Secret matches the destination.
    #[error("destination {destination} matches several cluster Secrets: {}", secrets.join(", "))]
    Ambiguous {
        /// The name or server asked for.
        destination: String,
        /// The matching Secrets, `namespace/name`.
        secrets: Vec<String>,
    },
    /// The cluster Secret is malformed; `reason` never contains a credential.
    #[error("cluster Secret {secret}: {field} {reason}")]
    InvalidSecret {
        /// The Secret, `namespace/name`.
        secret: String,
        /// The key (and path inside it) that is wrong, e.g. `config.tlsClientConfig.caData`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The cluster Secrets could not be listed.
    #[error("listing cluster Secrets in namespace {namespace}")]
    ListSecrets {
        /// Where cluster Secrets were looked for.
        namespace: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The Secret was well-formed but no client could be built from it; `reason` has every
    /// credential of the Secret masked.
    #[error("building a client for cluster {cluster} from Secret {secret}: {reason}")]
    BuildClient {
        /// The cluster's destination key.
        cluster: String,
        /// The Secret, `namespace/name`.
        secret: String,
        /// The cause, credentials masked.
        reason: String,
    },
}

impl DestinationError {
    /// True when only a change to the Application or a cluster Secret fixes it; false when a
    /// retry may succeed (the Secrets could not be listed).
    pub fn is_terminal(&self) -> bool {
        match self {
            DestinationError::Unknown { .. }
            | DestinationError::Ambiguous { .. }
            | DestinationError::InvalidSecret { .. }
            | DestinationError::BuildClient { .. } => true,
            DestinationError::ListSecrets { .. } => false,
        }
    }
}

/// An Application's destination: a stable key and the engine that syncs into it.
#[derive(Clone)]
pub struct Destination {
    /// [`IN_CLUSTER`], or the registered cluster's `name` (the Secret's name when the Secret
    /// has no `name` key). Stable across credential rotations: group watches by it.
    pub key: String,
    /// The engine shared by every Application of this destination.
    pub engine: Arc<Engine>,
}

/// An engine built from a cluster Secret, valid while the Secret is unchanged.
struct Cached {
    uid: String,
    resource_version: String,
    engine: Arc<Engine>,
}

/// The engines of every destination, sharing one Git source and one renderer.
pub struct Destinations {
    control: Client,
    secrets_namespace: String,
    git: Arc<Source>,
    renderer: Arc<Renderer>,
    settings: Settings,
    in_cluster: Arc<Engine>,
    /// Engines of registered clusters by Secret name.
    engines: Mutex<HashMap<String, Cached>>,
}

impl Destinations {
    /// Destinations whose `in-cluster` is `control`, where the Applications live and where
    /// cluster Secrets are read from `secrets_namespace`. Every engine reads repository
    /// credentials from `control`.
    pub fn new(
        control: Client,
        git: Arc<Source>,
        renderer: Arc<Renderer>,
        settings: Settings,
        secrets_namespace: impl Into<String>,
    ) -> Self {
        let in_cluster = Arc::new(
            Engine::new(
                Arc::new(ResourceManager::new(control.clone())),
                Arc::clone(&git),
                Arc::clone(&renderer),
                settings.clone(),
            )
            .with_control_client(control.clone()),
        );
        Self {
            control,
            secrets_namespace: secrets_namespace.into(),
            git,
            renderer,
            settings,
            in_cluster,
            engines: Mutex::new(HashMap::new()),
        }
    }

    /// The client of the cluster that holds the Applications.
    pub fn control(&self) -> &Client {
        &self.control
    }

    /// The engine that syncs `app` into its destination (see [`Destinations::destination_for`]).
    pub async fn engine_for(&self, app: &Application) -> Result<Arc<Engine>, DestinationError> {
        Ok(self.destination_for(app).await?.engine)
    }

    /// The destination of `app` with its key and engine. In-cluster needs no API call; any
    /// other destination lists the cluster Secrets (one call) and reuses the engine built from
    /// the matching Secret unless the Secret changed since.
    pub async fn destination_for(
        &self,
        app: &Application,
    ) -> Result<Destination, DestinationError> {
        let destination = &app.spec.destination;
        if is_in_cluster(&destination.name, &destination.server) {
            return Ok(Destination {
                key: IN_CLUSTER.to_owned(),
                engine: Arc::clone(&self.in_cluster),
            });
        }
        let api: Api<Secret> = Api::namespaced(self.control.clone(), &self.secrets_namespace);
        let selector = format!("{SECRET_TYPE_LABEL}={CLUSTER_SECRET_TYPE}");
        let secrets = api
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|source| DestinationError::ListSecrets {
                namespace: self.secrets_namespace.clone(),
                source,
            })?
            .items;
        self.forget_deleted(&secrets);
        let cluster =
            select(&destination.name, &destination.server, &secrets)?.ok_or_else(|| {
                DestinationError::Unknown {
                    destination: if destination.name.is_empty() {
                        destination.server.clone()
                    } else {
                        destination.name.clone()
                    },
                    namespace: self.secrets_namespace.clone(),
                }
            })?;
        if let Some(engine) = self.cached(&cluster) {
            return Ok(Destination {
                key: cluster.key,
                engine,
            });
        }
        let client = cluster.client().await?;
        let engine = Arc::new(
            Engine::new(
                Arc::new(ResourceManager::new(client)),
                Arc::clone(&self.git),
                Arc::clone(&self.renderer),
                self.settings.clone(),
            )
            .with_control_client(self.control.clone()),
        );
        let built = Cached {
            uid: cluster.uid.clone(),
            resource_version: cluster.resource_version.clone(),
            engine,
        };
        let mut engines = self.lock();
        let slot = engines.entry(cluster.secret_name.clone());
        // Another reconcile may have built an engine for this version meanwhile: share it.
        let slot = slot.or_insert_with(|| Cached {
            engine: Arc::clone(&built.engine),
            uid: built.uid.clone(),
            resource_version: built.resource_version.clone(),
        });
        if slot.uid != built.uid || slot.resource_version != built.resource_version {
            *slot = built;
        }
        let cached = Arc::clone(&slot.engine);
        drop(engines);
        Ok(Destination {
            key: cluster.key,
            engine: cached,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.engines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The engine built from this very version of the cluster's Secret, if any.
    fn cached(&self, cluster: &Cluster) -> Option<Arc<Engine>> {
        let engines = self.lock();
        let cached = engines.get(&cluster.secret_name)?;
        (cached.uid == cluster.uid && cached.resource_version == cluster.resource_version)
            .then(|| Arc::clone(&cached.engine))
    }

    /// Drops the engines whose Secret is gone.
    fn forget_deleted(&self, secrets: &[Secret]) {
        let names: Vec<&str> = secrets
            .iter()
            .filter_map(|s| s.metadata.name.as_deref())
            .collect();
        self.lock().retain(|name, _| names.contains(&name.as_str()));
    }
}

/// True when `name` and `server` designate the cluster that holds the Applications.
fn is_in_cluster(name: &str, server: &str) -> bool {
    (name.is_empty() || name == IN_CLUSTER)
        && (server.is_empty() || normalise_server(server) == IN_CLUSTER_SERVER)
}

/// A server URL without trailing slashes, for comparison.
fn normalise_server(server: &str) -> &str {
    server.trim().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;
    use kube::api::ObjectMeta;

    use super::*;

    const TOKEN: &str = "s3cr3t-token-value";

    fn secret(name: &str, data: &[(&str, &str)]) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some("driftless".to_owned()),
                uid: Some(format!("uid-{name}")),
                resource_version: Some("1".to_owned()),
                ..ObjectMeta::default()
            },
            data: Some(
                data.iter()
                    .map(|(k, v)| ((*k).to_owned(), ByteString(v.as_bytes().to_vec())))
                    .collect::<BTreeMap<_, _>>(),
            ),
            ..Secret::default()
        }
    }

    fn config_secret(name: &str, cluster: &str, server: &str) -> Secret {
        let config =
            format!(r#"{{"bearerToken": "{TOKEN}", "tlsClientConfig": {{"caData": "Q0E="}}}}"#);
        secret(
            name,
            &[("name", cluster), ("server", server), ("config", &config)],
        )
    }

    fn kubeconfig_text(user: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: b\n  cluster:\n    server: https://127.0.0.1:7443/\n    certificate-authority-data: Q0E=\n- name: other\n  cluster:\n    server: https://other\ncontexts:\n- name: b\n  context:\n    cluster: b\n    user: b\n- name: other\n  context:\n    cluster: other\ncurrent-context: b\nusers:\n- name: b\n  user:\n{user}"
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Whatever a cluster Secret holds, reading it never panics, and a refusal never
        /// quotes the token planted in it.
        #[test]
        fn any_cluster_secret_is_read_without_panic_or_echo(
            config in proptest::option::of(proptest::string::string_regex(
                r#"\{("bearerToken": "s3cr3t-token-value", )?("tlsClientConfig": \{("caData": "[A-Za-z0-9=]{0,8}")?\})?[ -~]{0,12}\}?"#
            ).unwrap()),
            kubeconfig in proptest::option::of(proptest::string::string_regex(
                r#"(apiVersion: v1\n)?(current-context: [a-z]{0,3}\n)?(users:\n- name: b\n  user:\n    token: s3cr3t-token-value\n)?[ -~\n]{0,40}"#
            ).unwrap()),
            server in "[ -~]{0,30}",
        ) {
            let mut data = vec![("name", "far".to_owned()), ("server", server)];
            if let Some(config) = config {
                data.push(("config", config));
            }
            if let Some(kubeconfig) = kubeconfig {
                data.push(("kubeconfig", kubeconfig));
            }
            let data: Vec<(&str, &str)> = data.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if let Err(error) = parse(&secret("far", &data)) {
                proptest::prop_assert!(!error.to_string().contains(TOKEN), "{error}");
            }
        }
    }

    fn invalid_field(error: DestinationError) -> String {
        match error {
            DestinationError::InvalidSecret { field, .. } => field,
            other => panic!("expected InvalidSecret, got {other:?}"),
        }
    }

    #[test]
    fn config_json_becomes_a_one_context_kubeconfig_with_token_and_ca() {
        let config = format!(
            r#"{{"bearerToken": "{TOKEN}", "tlsClientConfig": {{"insecure": false, "caData": "Q0E=", "serverName": "api.b"}}}}"#
        );
        let (kubeconfig, credentials) = kubeconfig_from_config(&config, "https://b:6443").unwrap();
        let cluster = kubeconfig.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(cluster.server.as_deref(), Some("https://b:6443"));
        assert_eq!(cluster.certificate_authority_data.as_deref(), Some("Q0E="));
        assert_eq!(cluster.tls_server_name.as_deref(), Some("api.b"));
        assert_eq!(cluster.insecure_skip_tls_verify, None);
        assert_eq!(kubeconfig.current_context.as_deref(), Some("cluster"));
        assert_eq!(credentials, vec![TOKEN.to_owned()]);
    }

    #[test]
    fn config_json_with_basic_auth_client_certificate_and_insecure() {
        let config = r#"{"username": "admin", "password": "pw-1234", "tlsClientConfig": {"insecure": true, "certData": "Q0VSVA==", "keyData": "S0VZ"}}"#;
        let (kubeconfig, credentials) = kubeconfig_from_config(config, "https://b").unwrap();
        let cluster = kubeconfig.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(cluster.insecure_skip_tls_verify, Some(true));
        let user = kubeconfig.auth_infos[0].auth_info.as_ref().unwrap();
        assert_eq!(user.username.as_deref(), Some("admin"));
        assert_eq!(user.client_certificate_data.as_deref(), Some("Q0VSVA=="));
        assert_eq!(credentials, vec!["pw-1234".to_owned(), "S0VZ".to_owned()]);
    }

    #[test]
    fn config_json_errors_name_the_field_and_never_the_value() {
        let cases = [
            (format!(r#"{{"bearerToken": "{TOKEN}", "#), "config"),
            (
                format!(r#"{{"bearerToken": "x", "tlsClientConfig": {{"insecure": "{TOKEN}"}}}}"#),
                "config.tlsClientConfig.insecure",
            ),
            (
                format!(r#"{{"bearerToken": ["{TOKEN}"]}}"#),
                "config.bearerToken",
            ),
            (
                format!(r#"{{"tlsClientConfig": {{"caData": "{TOKEN}!"}}}}"#),
                "config.tlsClientConfig.caData",
            ),
            (format!(r#"{{"username": "{TOKEN}"}}"#), "config.username"),
            (
                r#"{"execProviderConfig": {"command": "sh"}}"#.to_owned(),
                "config.execProviderConfig",
            ),
            (r#"["not", "an", "object"]"#.to_owned(), "config"),
        ];
        for (config, field) in cases {
            let (got, reason) = kubeconfig_from_config(&config, "https://b").unwrap_err();
            assert_eq!(got, field, "{config}");
            assert!(!reason.contains(TOKEN), "{reason}");
            let error = parse(&secret(
                "b",
                &[("server", "https://b"), ("config", &config)],
            ))
            .unwrap_err();
            assert!(!error.to_string().contains(TOKEN), "{error}");
            assert!(error.to_string().contains("driftless/b"), "{error}");
        }
    }

    #[test]
    fn kubeconfig_is_reduced_to_its_current_context() {
        let text = kubeconfig_text(&format!("    token: {TOKEN}\n"));
        let (kubeconfig, credentials) = checked_kubeconfig(&text).unwrap();
        assert_eq!(kubeconfig.clusters.len(), 1);
        assert_eq!(kubeconfig.clusters[0].name, "b");
        assert_eq!(kubeconfig.contexts.len(), 1);
        assert_eq!(kubeconfig.auth_infos.len(), 1);
        assert_eq!(credentials, vec![TOKEN.to_owned()]);
        // The server comes from the kubeconfig when the Secret has no `server` key.
        let cluster = parse(&secret("b", &[("name", "bee"), ("kubeconfig", &text)])).unwrap();
        assert_eq!(cluster.server, "https://127.0.0.1:7443");
        assert_eq!(cluster.key, "bee");
    }

    #[test]
    fn kubeconfig_that_runs_commands_or_reads_files_is_refused() {
        let cases = [
            (
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n",
                "kubeconfig.users[].user.exec",
            ),
            (
                "    tokenFile: /var/run/token\n",
                "kubeconfig.users[].user.tokenFile",
            ),
            (
                "    client-certificate: /etc/cert\n    client-key: /etc/key\n",
                "kubeconfig.users[].user.client-certificate",
            ),
        ];
        for (user, field) in cases {
            let (got, _) = checked_kubeconfig(&kubeconfig_text(user)).unwrap_err();
            assert_eq!(got, field);
        }
        let no_context = kubeconfig_text("    token: x\n").replace("current-context: b", "");
        assert_eq!(
            checked_kubeconfig(&no_context).unwrap_err().0,
            "kubeconfig.current-context"
        );
        let garbage = format!("clusters: [{TOKEN}");
        let (field, reason) = checked_kubeconfig(&garbage).unwrap_err();
        assert_eq!(field, "kubeconfig");
        assert!(!reason.contains(TOKEN));
    }

    #[test]
    fn secret_shape_errors() {
        let both = secret(
            "b",
            &[
                ("server", "https://b"),
                ("config", "{}"),
                ("kubeconfig", "x"),
            ],
        );
        assert_eq!(invalid_field(parse(&both).unwrap_err()), "config");
        let neither = secret("b", &[("server", "https://b")]);
        assert_eq!(invalid_field(parse(&neither).unwrap_err()), "config");
        let no_server = secret("b", &[("config", "{}")]);
        assert_eq!(invalid_field(parse(&no_server).unwrap_err()), "server");
        let reserved = secret(
            "b",
            &[
                ("name", "in-cluster"),
                ("server", "https://b"),
                ("config", "{}"),
            ],
        );
        assert_eq!(invalid_field(parse(&reserved).unwrap_err()), "name");
    }

    #[test]
    fn in_cluster_is_the_empty_destination_or_its_name_or_server() {
        assert!(is_in_cluster("", ""));
        assert!(is_in_cluster("in-cluster", ""));
        assert!(is_in_cluster("", "https://kubernetes.default.svc/"));
        assert!(is_in_cluster(
            "in-cluster",
            "https://kubernetes.default.svc"
        ));
        assert!(!is_in_cluster("prod", ""));
        assert!(!is_in_cluster("", "https://prod"));
        assert!(!is_in_cluster("in-cluster", "https://prod"));
    }

    #[test]
    fn destinations_match_by_name_or_by_server_ignoring_trailing_slashes() {
        let secrets = [
            config_secret("cluster-a", "a", "https://a:6443"),
            config_secret("cluster-b", "b", "https://b:6443/"),
        ];
        let by_name = select("b", "", &secrets).unwrap().unwrap();
        assert_eq!(
            (by_name.key.as_str(), by_name.secret.as_str()),
            ("b", "driftless/cluster-b")
        );
        let by_server = select("", "https://b:6443", &secrets).unwrap().unwrap();
        assert_eq!(by_server.key, "b");
        let by_server = select("", "https://a:6443//", &secrets).unwrap().unwrap();
        assert_eq!(by_server.key, "a");
        assert!(select("c", "", &secrets).unwrap().is_none());
        assert!(select("", "https://c", &secrets).unwrap().is_none());
        // Name and server together must agree.
        assert!(select("a", "https://b:6443", &secrets).unwrap().is_none());
        assert_eq!(
            select("a", "https://a:6443", &secrets)
                .unwrap()
                .unwrap()
                .key,
            "a"
        );
    }

    #[test]
    fn without_a_name_key_the_secret_name_is_the_key() {
        let mut unnamed = config_secret("prod", "", "https://p");
        unnamed.data.as_mut().unwrap().remove("name");
        assert_eq!(select("prod", "", &[unnamed]).unwrap().unwrap().key, "prod");
    }

    #[test]
    fn a_malformed_secret_is_reported_only_when_designated() {
        let broken = secret(
            "broken",
            &[("name", "x"), ("server", "https://x"), ("config", "{")],
        );
        let secrets = [broken, config_secret("cluster-a", "a", "https://a")];
        assert_eq!(select("a", "", &secrets).unwrap().unwrap().key, "a");
        assert_eq!(
            invalid_field(select("x", "", &secrets).unwrap_err()),
            "config"
        );
        assert_eq!(
            invalid_field(select("", "https://x/", &secrets).unwrap_err()),
            "config"
        );
    }

    #[test]
    fn two_secrets_for_one_destination_are_ambiguous() {
        let secrets = [
            config_secret("one", "a", "https://a"),
            config_secret("two", "a", "https://a"),
        ];
        match select("a", "", &secrets).unwrap_err() {
            error @ DestinationError::Ambiguous { .. } => {
                assert!(error.is_terminal());
                assert!(
                    error.to_string().contains("driftless/one, driftless/two"),
                    "{error}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_client_that_cannot_be_built_is_terminal_and_masks_credentials() {
        // A client key that is not a key: kube refuses it when building the client.
        let config = format!(
            r#"{{"bearerToken": "{TOKEN}", "tlsClientConfig": {{"certData": "Q0VSVA==", "keyData": "S0VZ"}}}}"#
        );
        let cluster = parse(&secret(
            "b",
            &[
                ("name", "b"),
                ("server", "https://b:6443"),
                ("config", &config),
            ],
        ))
        .unwrap();
        let Err(error) = cluster.client().await else {
            panic!("a client key that is not a key must fail");
        };
        assert!(
            matches!(error, DestinationError::BuildClient { .. }),
            "{error:?}"
        );
        assert!(error.is_terminal());
        let message = error.to_string();
        assert!(message.contains("driftless/b"), "{message}");
        assert!(
            !message.contains(TOKEN) && !message.contains("S0VZ"),
            "{message}"
        );
    }

    #[test]
    fn masking_replaces_every_credential() {
        let message = format!("bad header Bearer {TOKEN} and {TOKEN}");
        assert_eq!(
            mask(message, &[TOKEN.to_owned()]),
            "bad header Bearer *** and ***"
        );
    }
}
