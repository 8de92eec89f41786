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
use crate::sync::{Engine, Settings};

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

/// A registered cluster as its Secret describes it.
#[derive(Debug)]
struct Cluster {
    /// The destination key: the `name` key, or the Secret's name.
    key: String,
    /// The API server URL, normalised.
    server: String,
    /// The Secret's name (in the secrets namespace).
    secret_name: String,
    /// The Secret, `namespace/name`, for messages.
    secret: String,
    uid: String,
    resource_version: String,
    /// A kubeconfig with exactly the current context to connect with.
    kubeconfig: Kubeconfig,
    /// Every credential of the Secret, masked in messages.
    credentials: Vec<String>,
}

impl Cluster {
    /// A client for this cluster.
    async fn client(&self) -> Result<Client, DestinationError> {
        let failed = |reason: String| DestinationError::BuildClient {
            cluster: self.key.clone(),
            secret: self.secret.clone(),
            reason: mask(reason, &self.credentials),
        };
        let config =
            Config::from_custom_kubeconfig(self.kubeconfig.clone(), &KubeConfigOptions::default())
                .await
                .map_err(|e| failed(e.to_string()))?;
        Client::try_from(config).map_err(|e| failed(e.to_string()))
    }
}

/// Replaces every credential (at least 4 characters long) in `message` by `***`.
fn mask(mut message: String, credentials: &[String]) -> String {
    for credential in credentials.iter().filter(|c| c.len() >= 4) {
        message = message.replace(credential.as_str(), "***");
    }
    message
}

/// The cluster among `secrets` that the destination `name` / `server` designates: by name
/// when `name` is set (and then by server too when `server` is also set), otherwise by server.
/// A malformed Secret is an error only when it is the one designated; others are skipped.
fn select(
    name: &str,
    server: &str,
    secrets: &[Secret],
) -> Result<Option<Cluster>, DestinationError> {
    let server = normalise_server(server);
    let mut found: Vec<Result<Cluster, DestinationError>> = Vec::new();
    for secret in secrets {
        let (key, declared_server) = identity(secret);
        let parsed = parse(secret);
        let cluster_server = match &parsed {
            Ok(cluster) => Some(cluster.server.clone()),
            Err(_) => declared_server,
        };
        let name_matches = name.is_empty() || key == name;
        let server_matches = server.is_empty() || cluster_server.as_deref() == Some(server);
        if name_matches && server_matches {
            found.push(parsed);
        } else if let Err(error) = parsed {
            tracing::debug!(%error, "skipping a malformed cluster Secret");
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => found.pop().transpose(),
        _ => Err(DestinationError::Ambiguous {
            destination: if name.is_empty() { server } else { name }.to_owned(),
            secrets: secrets_of(&found),
        }),
    }
}

fn secrets_of(found: &[Result<Cluster, DestinationError>]) -> Vec<String> {
    found
        .iter()
        .map(|f| match f {
            Ok(cluster) => cluster.secret.clone(),
            Err(DestinationError::InvalidSecret { secret, .. }) => secret.clone(),
            Err(other) => other.to_string(),
        })
        .collect()
}

/// The destination key and declared server of a Secret, read leniently (for matching even a
/// malformed Secret, so that its error is reported).
fn identity(secret: &Secret) -> (String, Option<String>) {
    let text = |key: &str| data_of(secret, key).and_then(|bytes| String::from_utf8(bytes).ok());
    let key = text("name")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| secret.metadata.name.clone().unwrap_or_default());
    let server = text("server").map(|s| normalise_server(&s).to_owned());
    (key, server)
}

/// The bytes of `key` in `data` (or `stringData`).
fn data_of(secret: &Secret, key: &str) -> Option<Vec<u8>> {
    if let Some(bytes) = secret.data.as_ref().and_then(|d| d.get(key)) {
        return Some(bytes.0.clone());
    }
    secret
        .string_data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|s| s.as_bytes().to_vec())
}

/// Parses a cluster Secret; errors name the Secret and the field.
fn parse(secret: &Secret) -> Result<Cluster, DestinationError> {
    let secret_name = secret.metadata.name.clone().unwrap_or_default();
    let namespace = secret.metadata.namespace.clone().unwrap_or_default();
    let id = format!("{namespace}/{secret_name}");
    let invalid = |field: &str, reason: &str| DestinationError::InvalidSecret {
        secret: id.clone(),
        field: field.to_owned(),
        reason: reason.to_owned(),
    };
    let text = |key: &str| -> Result<Option<String>, DestinationError> {
        data_of(secret, key)
            .map(|bytes| String::from_utf8(bytes).map_err(|_| invalid(key, "is not UTF-8")))
            .transpose()
    };
    let key = text("name")?
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| secret_name.clone());
    if key == IN_CLUSTER {
        return Err(invalid(
            "name",
            "is reserved for the cluster that holds the Applications",
        ));
    }
    let server = text("server")?
        .map(|s| normalise_server(&s).to_owned())
        .filter(|s| !s.is_empty());
    let (kubeconfig, credentials) = match (text("config")?, text("kubeconfig")?) {
        (Some(_), Some(_)) => {
            return Err(invalid("config", "and kubeconfig are both set; keep one"))
        }
        (None, None) => return Err(invalid("config", "is missing (or set kubeconfig)")),
        (Some(config), None) => {
            let server = server
                .as_deref()
                .ok_or_else(|| invalid("server", "is missing"))?;
            kubeconfig_from_config(&config, server)
                .map_err(|(field, reason)| invalid(&field, &reason))?
        }
        (None, Some(kubeconfig)) => {
            checked_kubeconfig(&kubeconfig).map_err(|(field, reason)| invalid(&field, &reason))?
        }
    };
    let kubeconfig_server = kubeconfig
        .clusters
        .first()
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.server.as_deref())
        .map(|s| normalise_server(s).to_owned());
    let server = match (server, kubeconfig_server) {
        (Some(server), _) => server,
        (None, Some(server)) if !server.is_empty() => server,
        _ => {
            return Err(invalid(
                "server",
                "is missing (neither the key nor the kubeconfig has it)",
            ))
        }
    };
    Ok(Cluster {
        key,
        server,
        secret_name,
        secret: id.clone(),
        uid: secret.metadata.uid.clone().unwrap_or_default(),
        resource_version: secret.metadata.resource_version.clone().unwrap_or_default(),
        kubeconfig,
        credentials,
    })
}

/// A failed field: its path and what is wrong, never its value.
type FieldError = (String, String);

fn field_error(field: &str, reason: &str) -> FieldError {
    (field.to_owned(), reason.to_owned())
}

/// A one-context kubeconfig equivalent to Argo CD's cluster `config` JSON for `server`, and
/// the credentials it carries.
fn kubeconfig_from_config(
    config: &str,
    server: &str,
) -> Result<(Kubeconfig, Vec<String>), FieldError> {
    // serde_json's syntax errors carry a position, never the input.
    let value: Value = serde_json::from_str(config).map_err(|e| {
        field_error(
            "config",
            &format!(
                "is not valid JSON (line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let object = value
        .as_object()
        .ok_or_else(|| field_error("config", "is not a JSON object"))?;
    for unsupported in ["execProviderConfig", "awsAuthConfig"] {
        if object.contains_key(unsupported) {
            return Err(field_error(
                &format!("config.{unsupported}"),
                "is not supported: put a bearer token or a client certificate in the Secret",
            ));
        }
    }
    let empty = Map::new();
    let tls = match object.get("tlsClientConfig") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(tls)) => tls,
        Some(_) => return Err(field_error("config.tlsClientConfig", "is not an object")),
    };
    let string =
        |map: &Map<String, Value>, path: &str, key: &str| -> Result<Option<String>, FieldError> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.is_empty() => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(field_error(&format!("{path}.{key}"), "is not a string")),
            }
        };
    let token = string(object, "config", "bearerToken")?;
    let username = string(object, "config", "username")?;
    let password = string(object, "config", "password")?;
    if username.is_some() != password.is_some() {
        return Err(field_error(
            "config.username",
            "and config.password must be set together",
        ));
    }
    let insecure = match tls.get("insecure") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(field_error(
                "config.tlsClientConfig.insecure",
                "is not a boolean",
            ))
        }
    };
    let path = "config.tlsClientConfig";
    let ca_data = string(tls, path, "caData")?;
    let cert_data = string(tls, path, "certData")?;
    let key_data = string(tls, path, "keyData")?;
    let server_name = string(tls, path, "serverName")?;
    if cert_data.is_some() != key_data.is_some() {
        return Err(field_error(
            "config.tlsClientConfig.certData",
            "and config.tlsClientConfig.keyData must be set together",
        ));
    }
    for (field, data) in [
        ("caData", &ca_data),
        ("certData", &cert_data),
        ("keyData", &key_data),
    ] {
        if data.as_deref().is_some_and(|d| !is_base64(d)) {
            return Err(field_error(&format!("{path}.{field}"), "is not base64"));
        }
    }
    let mut cluster = Map::new();
    cluster.insert("server".into(), json!(server));
    if insecure {
        cluster.insert("insecure-skip-tls-verify".into(), json!(true));
    }
    if let Some(ca) = &ca_data {
        cluster.insert("certificate-authority-data".into(), json!(ca));
    }
    if let Some(name) = &server_name {
        cluster.insert("tls-server-name".into(), json!(name));
    }
    let mut user = Map::new();
    let mut credentials = Vec::new();
    for (kubeconfig_key, value) in [
        ("token", &token),
        ("username", &username),
        ("password", &password),
        ("client-certificate-data", &cert_data),
        ("client-key-data", &key_data),
    ] {
        if let Some(value) = value {
            user.insert(kubeconfig_key.into(), json!(value));
            if kubeconfig_key != "username" && kubeconfig_key != "client-certificate-data" {
                credentials.push(value.clone());
            }
        }
    }
    let kubeconfig = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "cluster", "cluster": cluster}],
        "users": [{"name": "cluster", "user": user}],
        "contexts": [{"name": "cluster", "context": {"cluster": "cluster", "user": "cluster"}}],
        "current-context": "cluster",
    });
    let kubeconfig = serde_json::from_value(kubeconfig)
        .map_err(|_| field_error("config", "could not be turned into a kubeconfig"))?;
    Ok((kubeconfig, credentials))
}

/// True when `data` looks like standard base64 (whitespace allowed).
fn is_base64(data: &str) -> bool {
    data.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r' | b' ')
    })
}

/// The kubeconfig of a Secret's `kubeconfig` key reduced to its current context, its
/// cluster and its user, refusing what would make the controller run a command or read its
/// own files; with the credentials it carries.
fn checked_kubeconfig(text: &str) -> Result<(Kubeconfig, Vec<String>), FieldError> {
    // The parser's message may quote the input, so it is not passed on.
    let full = Kubeconfig::from_yaml(text)
        .map_err(|_| field_error("kubeconfig", "is not a valid kubeconfig document"))?;
    let current = full
        .current_context
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| field_error("kubeconfig.current-context", "is missing"))?;
    let context = full
        .contexts
        .iter()
        .find(|c| c.name == current)
        .ok_or_else(|| {
            field_error(
                "kubeconfig.contexts",
                "has no entry for the current context",
            )
        })?;
    let context_spec = context
        .context
        .as_ref()
        .ok_or_else(|| field_error("kubeconfig.contexts", "the current context is empty"))?;
    let cluster = full
        .clusters
        .iter()
        .find(|c| c.name == context_spec.cluster)
        .ok_or_else(|| {
            field_error(
                "kubeconfig.clusters",
                "has no entry for the current context's cluster",
            )
        })?;
    let Some(cluster_spec) = cluster.cluster.as_ref() else {
        return Err(field_error(
            "kubeconfig.clusters",
            "the current context's cluster is empty",
        ));
    };
    if cluster_spec.certificate_authority.is_some() {
        return Err(field_error(
            "kubeconfig.clusters[].cluster.certificate-authority",
            "is a file path; use certificate-authority-data",
        ));
    }
    let user = match &context_spec.user {
        Some(user) if !user.is_empty() => Some(
            full.auth_infos
                .iter()
                .find(|u| &u.name == user)
                .ok_or_else(|| {
                    field_error(
                        "kubeconfig.users",
                        "has no entry for the current context's user",
                    )
                })?,
        ),
        _ => None,
    };
    let mut credentials = Vec::new();
    if let Some(auth) = user.and_then(|u| u.auth_info.as_ref()) {
        let refused = [
            ("exec", auth.exec.is_some()),
            ("auth-provider", auth.auth_provider.is_some()),
            ("tokenFile", auth.token_file.is_some()),
            ("client-certificate", auth.client_certificate.is_some()),
            ("client-key", auth.client_key.is_some()),
        ];
        if let Some((field, _)) = refused.iter().find(|(_, set)| *set) {
            return Err(field_error(
                &format!("kubeconfig.users[].user.{field}"),
                "is not supported in a cluster Secret: credentials must be inline",
            ));
        }
        // kube keeps these in secrecy's wrapper, which serialises them exposed.
        if let Ok(Value::Object(fields)) = serde_json::to_value(auth) {
            for key in ["token", "password", "client-key-data"] {
                if let Some(Value::String(value)) = fields.get(key) {
                    credentials.push(value.clone());
                }
            }
        }
    }
    let kubeconfig = Kubeconfig {
        clusters: vec![cluster.clone()],
        auth_infos: user.into_iter().cloned().collect(),
        contexts: vec![context.clone()],
        current_context: Some(current),
        ..Kubeconfig::default()
    };
    Ok((kubeconfig, credentials))
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
