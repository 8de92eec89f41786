//! The kubeconfig a devcluster hands to kubectl and kube-rs, and a kube client built the same way.

use base64::Engine;

/// Where a devcluster serves and, for HTTPS, the CA that signed its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http://127.0.0.1:6443` or `https://...`.
    pub url: String,
    /// The CA certificate (PEM) when serving HTTPS.
    pub ca_pem: Option<String>,
}

impl Endpoint {
    /// A plain-HTTP endpoint.
    pub fn plain(url: &str) -> Endpoint {
        Endpoint {
            url: url.to_string(),
            ca_pem: None,
        }
    }
}

/// A kubeconfig (YAML) for the endpoint, carrying the CA and the bearer token when there are.
pub fn render(endpoint: &Endpoint, token: Option<&str>) -> String {
    let ca = endpoint
        .ca_pem
        .as_deref()
        .map(|pem| {
            let data = base64::engine::general_purpose::STANDARD.encode(pem);
            format!("    certificate-authority-data: {data}\n")
        })
        .unwrap_or_default();
    let user = match token {
        Some(t) => format!("  user:\n    token: {}\n", yaml_quote(t)),
        None => "  user: {}\n".to_string(),
    };
    let url = &endpoint.url;
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: devcluster\n  cluster:\n    server: {url}\n{ca}contexts:\n- name: devcluster\n  context:\n    cluster: devcluster\n    user: devcluster\n    namespace: default\ncurrent-context: devcluster\nusers:\n- name: devcluster\n{user}preferences: {{}}\n"
    )
}

fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A kube client for the endpoint, trusting its CA and sending the bearer token when there are.
pub fn client(endpoint: &Endpoint, token: Option<&str>) -> Result<kube::Client, String> {
    let url = &endpoint.url;
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    let mut config = kube::Config::new(uri);
    config.default_namespace = "default".to_string();
    if let Some(pem) = &endpoint.ca_pem {
        config.root_cert = Some(vec![pem_to_der(pem)?]);
    }
    if let Some(t) = token {
        config.auth_info.token = Some(t.to_string().into());
    }
    kube::Client::try_from(config).map_err(|e| e.to_string())
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| format!("invalid CA certificate: {e}"))
}
