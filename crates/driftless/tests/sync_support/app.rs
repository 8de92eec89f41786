//! The Application manifest the tests hand to `driftless` or apply with kubectl, built field
//! by field.

use super::manifests::quoted;

/// An Application manifest, built field by field. Defaults: `default/shop`, source path `app`
/// at `main`, destination namespace `shop`, `CreateNamespace=true`, no automated sync.
#[derive(Clone)]
pub struct App {
    name: String,
    repo_url: String,
    path: String,
    target_revision: String,
    destination: String,
    sync_options: Vec<String>,
    automated: Option<bool>,
    self_heal: bool,
    interval: Option<String>,
    suspend: bool,
    ignore_differences: Vec<String>,
    depends_on: Vec<String>,
    secret_ref: Option<String>,
    retry: Option<(i64, String)>,
    cluster: Option<String>,
    finalizer: bool,
}

impl App {
    /// The Application `default/shop` of the repository at `repo_url`.
    pub fn new(repo_url: &str) -> App {
        App {
            name: "shop".to_owned(),
            repo_url: repo_url.to_owned(),
            path: "app".to_owned(),
            target_revision: "main".to_owned(),
            destination: "shop".to_owned(),
            sync_options: vec!["CreateNamespace=true".to_owned()],
            automated: None,
            self_heal: false,
            interval: None,
            suspend: false,
            ignore_differences: Vec::new(),
            depends_on: Vec::new(),
            secret_ref: None,
            retry: None,
            cluster: None,
            finalizer: false,
        }
    }

    /// Adds the resources finalizer: the objects go with the Application.
    pub fn with_resources_finalizer(mut self) -> App {
        self.finalizer = true;
        self
    }

    /// Deploys to the registered cluster `name` (spec.destination.name).
    pub fn destination_cluster(mut self, name: &str) -> App {
        self.cluster = Some(name.to_owned());
        self
    }

    /// Renames the Application (still in namespace `default`).
    pub fn named(mut self, name: &str) -> App {
        self.name = name.to_owned();
        self
    }

    /// Sets the source path.
    pub fn path(mut self, path: &str) -> App {
        self.path = path.to_owned();
        self
    }

    /// Sets the destination namespace.
    pub fn into_namespace(mut self, namespace: &str) -> App {
        self.destination = namespace.to_owned();
        self
    }

    /// Adds an Application (in `default`) this one waits for (spec.dependsOn).
    pub fn depends_on(mut self, name: &str) -> App {
        self.depends_on.push(name.to_owned());
        self
    }

    /// Sets spec.source.secretRef.
    pub fn secret_ref(mut self, name: &str) -> App {
        self.secret_ref = Some(name.to_owned());
        self
    }

    /// Sets syncPolicy.retry with `limit` and a back-off starting at `duration` (factor 2).
    pub fn retry(mut self, limit: i64, duration: &str) -> App {
        self.retry = Some((limit, duration.to_owned()));
        self
    }

    /// The Application's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Turns automated sync on, with `prune` as syncPolicy.automated.prune.
    pub fn automated(mut self, prune: bool) -> App {
        self.automated = Some(prune);
        self
    }

    /// Turns syncPolicy.automated.selfHeal on (and automated sync with it).
    pub fn self_heal(mut self) -> App {
        self.automated.get_or_insert(false);
        self.self_heal = true;
        self
    }

    /// Sets spec.suspend.
    pub fn suspended(mut self) -> App {
        self.suspend = true;
        self
    }

    /// Sets spec.interval (a Go duration such as `1s`).
    pub fn interval(mut self, interval: &str) -> App {
        self.interval = Some(interval.to_owned());
        self
    }

    /// Adds a sync option (`Key=value`) to syncPolicy.syncOptions.
    pub fn sync_option(mut self, option: &str) -> App {
        self.sync_options.push(option.to_owned());
        self
    }

    /// Adds an ignoreDifferences rule for `group`/`kind` with these JSON pointers.
    pub fn ignore(mut self, group: &str, kind: &str, pointers: &[&str]) -> App {
        self.ignore_differences.push(format!(
            "  - group: {}\n    kind: {kind}\n    jsonPointers: {}\n",
            quoted(group),
            serde_json::to_string(pointers).unwrap()
        ));
        self
    }

    /// The manifest as YAML.
    pub fn yaml(&self) -> String {
        let mut text = format!(
            "apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata:\n  name: {}\n  \
             namespace: default\nspec:\n  source:\n    repoURL: {}\n    targetRevision: {}\n    \
             path: {}\n  destination:\n    namespace: {}\n  syncPolicy:\n    syncOptions: {}\n",
            self.name,
            quoted(&self.repo_url),
            self.target_revision,
            self.path,
            self.destination,
            serde_json::to_string(&self.sync_options).unwrap(),
        );
        if let Some(prune) = self.automated {
            text.push_str(&format!(
                "    automated: {{prune: {prune}, selfHeal: {}}}\n",
                self.self_heal
            ));
        }
        if let Some((limit, duration)) = &self.retry {
            text.push_str(&format!(
                "    retry: {{limit: {limit}, backoff: {{duration: {duration}, factor: 2}}}}\n"
            ));
        }
        if self.finalizer {
            text = text.replacen(
                "  namespace: default\n",
                "  namespace: default\n  finalizers: [driftless.dev/resources-finalizer]\n",
                1,
            );
        }
        if let Some(cluster) = &self.cluster {
            text = text.replacen(
                "  destination:\n",
                &format!("  destination:\n    name: {cluster}\n"),
                1,
            );
        }
        if let Some(secret) = &self.secret_ref {
            text = text.replacen(
                "  destination:\n",
                &format!("    secretRef: {{name: {secret}}}\n  destination:\n"),
                1,
            );
        }
        if !self.depends_on.is_empty() {
            text.push_str("  dependsOn:\n");
            for name in &self.depends_on {
                text.push_str(&format!("  - name: {name}\n"));
            }
        }
        if let Some(interval) = &self.interval {
            text.push_str(&format!("  interval: {interval}\n"));
        }
        if self.suspend {
            text.push_str("  suspend: true\n");
        }
        if !self.ignore_differences.is_empty() {
            text.push_str("  ignoreDifferences:\n");
            for rule in &self.ignore_differences {
                text.push_str(rule);
            }
        }
        text
    }
}
