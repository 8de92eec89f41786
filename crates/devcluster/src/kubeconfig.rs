//! The kubeconfig a devcluster hands to kubectl and kube-rs, and a kube client built the same way.

/// A kubeconfig (YAML) for `url`, carrying the bearer token when there is one.
pub fn render(url: &str, token: Option<&str>) -> String {
    let user = match token {
        Some(t) => format!("  user:\n    token: {}\n", yaml_quote(t)),
        None => "  user: {}\n".to_string(),
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: devcluster\n  cluster:\n    server: {url}\ncontexts:\n- name: devcluster\n  context:\n    cluster: devcluster\n    user: devcluster\n    namespace: default\ncurrent-context: devcluster\nusers:\n- name: devcluster\n{user}preferences: {{}}\n"
    )
}

fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A kube client for `url` (plain HTTP), with the bearer token when there is one.
pub fn client(url: &str, token: Option<&str>) -> Result<kube::Client, String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    let mut config = kube::Config::new(uri);
    config.default_namespace = "default".to_string();
    if let Some(t) = token {
        config.auth_info.token = Some(t.to_string().into());
    }
    kube::Client::try_from(config).map_err(|e| e.to_string())
}
