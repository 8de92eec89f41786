//! Reading a cluster Secret: the destination it names, and a client configuration built from
//! its `config` (Argo CD's JSON) or `kubeconfig` key, checked so that a Secret can never make
//! the controller run a command or read its files, and masked so that no credential appears in
//! an error.

use super::*;

/// A registered cluster as its Secret describes it.
#[derive(Debug)]
pub(super) struct Cluster {
    /// The destination key: the `name` key, or the Secret's name.
    pub(super) key: String,
    /// The API server URL, normalised.
    pub(super) server: String,
    /// The Secret's name (in the secrets namespace).
    pub(super) secret_name: String,
    /// The Secret, `namespace/name`, for messages.
    pub(super) secret: String,
    pub(super) uid: String,
    pub(super) resource_version: String,
    /// A kubeconfig with exactly the current context to connect with.
    pub(super) kubeconfig: Kubeconfig,
    /// Every credential of the Secret, masked in messages.
    pub(super) credentials: Vec<String>,
}

impl Cluster {
    /// A client for this cluster.
    pub(super) async fn client(&self) -> Result<Client, DestinationError> {
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
pub(super) fn mask(mut message: String, credentials: &[String]) -> String {
    for credential in credentials.iter().filter(|c| c.len() >= 4) {
        message = message.replace(credential.as_str(), "***");
    }
    message
}

/// The cluster among `secrets` that the destination `name` / `server` designates: by name
/// when `name` is set (and then by server too when `server` is also set), otherwise by server.
/// A malformed Secret is an error only when it is the one designated; others are skipped.
pub(super) fn select(
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

pub(super) fn secrets_of(found: &[Result<Cluster, DestinationError>]) -> Vec<String> {
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
pub(super) fn identity(secret: &Secret) -> (String, Option<String>) {
    let text = |key: &str| data_of(secret, key).and_then(|bytes| String::from_utf8(bytes).ok());
    let key = text("name")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| secret.metadata.name.clone().unwrap_or_default());
    let server = text("server").map(|s| normalise_server(&s).to_owned());
    (key, server)
}

/// The bytes of `key` in `data` (or `stringData`).
pub(super) fn data_of(secret: &Secret, key: &str) -> Option<Vec<u8>> {
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
pub(super) fn parse(secret: &Secret) -> Result<Cluster, DestinationError> {
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
pub(super) type FieldError = (String, String);

pub(super) fn field_error(field: &str, reason: &str) -> FieldError {
    (field.to_owned(), reason.to_owned())
}

/// A one-context kubeconfig equivalent to Argo CD's cluster `config` JSON for `server`, and
/// the credentials it carries.
pub(super) fn kubeconfig_from_config(
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
pub(super) fn is_base64(data: &str) -> bool {
    data.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r' | b' ')
    })
}

/// The kubeconfig of a Secret's `kubeconfig` key reduced to its current context, its
/// cluster and its user, refusing what would make the controller run a command or read its
/// own files; with the credentials it carries.
pub(super) fn checked_kubeconfig(text: &str) -> Result<(Kubeconfig, Vec<String>), FieldError> {
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
