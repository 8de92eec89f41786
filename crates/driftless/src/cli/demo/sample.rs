//! The example repository of `driftless demo`: four apps, one per way of declaring manifests
//! (plain YAML, Kustomize, Jsonnet, sync waves with a hook), committed on `main` with the git
//! command line.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};

/// The branch the demo's Applications follow.
pub const BRANCH: &str = "main";

/// One example: the Application's name and its path in the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    /// Name of the Application (its destination namespace is `demo-<name>`).
    pub name: &'static str,
    /// Directory in the repository the Application renders.
    pub path: &'static str,
    /// One line on what it shows.
    pub about: &'static str,
}

/// The examples, in the order they are listed.
pub const EXAMPLES: &[Example] = &[
    Example {
        name: "guestbook",
        path: "guestbook",
        about: "plain YAML",
    },
    Example {
        name: "podinfo",
        path: "podinfo/overlays/demo",
        about: "Kustomize base and overlay",
    },
    Example {
        name: "dashboard",
        path: "dashboard",
        about: "Jsonnet",
    },
    Example {
        name: "waves",
        path: "waves",
        about: "sync waves and a PostSync hook",
    },
];

/// The files of the example repository: path relative to its root, contents.
pub const FILES: &[(&str, &str)] = &[
    ("README.md", README),
    ("guestbook/configmap.yaml", GUESTBOOK_CONFIGMAP),
    ("guestbook/deployment.yaml", GUESTBOOK_DEPLOYMENT),
    ("guestbook/service.yaml", GUESTBOOK_SERVICE),
    (
        "podinfo/base/kustomization.yaml",
        PODINFO_BASE_KUSTOMIZATION,
    ),
    ("podinfo/base/deployment.yaml", PODINFO_DEPLOYMENT),
    ("podinfo/base/service.yaml", PODINFO_SERVICE),
    (
        "podinfo/overlays/demo/kustomization.yaml",
        PODINFO_OVERLAY_KUSTOMIZATION,
    ),
    (
        "podinfo/overlays/demo/replicas.yaml",
        PODINFO_OVERLAY_REPLICAS,
    ),
    ("dashboard/main.jsonnet", DASHBOARD_MAIN),
    ("waves/0-configmap.yaml", WAVES_CONFIGMAP),
    ("waves/1-deployment.yaml", WAVES_DEPLOYMENT),
    ("waves/2-service.yaml", WAVES_SERVICE),
    ("waves/post-sync-job.yaml", WAVES_HOOK),
];

const README: &str = "\
# Driftless demo repository

Every directory is one Application in the namespace `driftless`; its objects go to `demo-<app>`.

- `guestbook/`: plain YAML.
- `podinfo/`: a Kustomize base and the overlay `overlays/demo` the Application points at.
- `dashboard/`: Jsonnet (`main.jsonnet`).
- `waves/`: a ConfigMap in wave 0, a Deployment in wave 1, a Service in wave 2, and a PostSync hook Job.

Edit a file and commit (`git commit -am \"change\"`): the demo applies the commit within a second.
";

const GUESTBOOK_CONFIGMAP: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: guestbook-config
data:
  greeting: Hello from Driftless
  theme: light
";

const GUESTBOOK_DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: guestbook
  labels:
    app: guestbook
spec:
  replicas: 1
  selector:
    matchLabels:
      app: guestbook
  template:
    metadata:
      labels:
        app: guestbook
    spec:
      containers:
        - name: guestbook
          image: nginx:1.27-alpine
          ports:
            - containerPort: 80
          envFrom:
            - configMapRef:
                name: guestbook-config
";

const GUESTBOOK_SERVICE: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: guestbook
spec:
  selector:
    app: guestbook
  ports:
    - port: 80
      targetPort: 80
";

const PODINFO_BASE_KUSTOMIZATION: &str = "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
";

const PODINFO_DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  labels:
    app: podinfo
spec:
  replicas: 1
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.7.0
          ports:
            - containerPort: 9898
";

const PODINFO_SERVICE: &str = "\
apiVersion: v1
kind: Service
metadata:
  name: podinfo
spec:
  selector:
    app: podinfo
  ports:
    - port: 9898
      targetPort: 9898
";

const PODINFO_OVERLAY_KUSTOMIZATION: &str = "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
labels:
  - pairs:
      environment: demo
images:
  - name: ghcr.io/stefanprodan/podinfo
    newTag: 6.7.1
patches:
  - path: replicas.yaml
configMapGenerator:
  - name: podinfo-settings
    literals:
      - PODINFO_UI_MESSAGE=Rendered by Kustomize
";

const PODINFO_OVERLAY_REPLICAS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: 2
";

const DASHBOARD_MAIN: &str = "\
// One ConfigMap and one Deployment, both derived from the settings below.
local settings = {
  name: 'dashboard',
  image: 'nginx:1.27-alpine',
  replicas: 1,
  title: 'Driftless dashboard',
};

local labels = { app: settings.name };

[
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: settings.name + '-config' },
    data: { title: settings.title },
  },
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: settings.name, labels: labels },
    spec: {
      replicas: settings.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: labels },
        spec: {
          containers: [{
            name: settings.name,
            image: settings.image,
            ports: [{ containerPort: 80 }],
          }],
        },
      },
    },
  },
]
";

const WAVES_CONFIGMAP: &str = "\
# Wave 0: applied first.
apiVersion: v1
kind: ConfigMap
metadata:
  name: waves-config
  annotations:
    driftless.dev/sync-wave: \"0\"
data:
  message: applied in wave 0
";

const WAVES_DEPLOYMENT: &str = "\
# Wave 1: applied once wave 0 is healthy.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: waves
  labels:
    app: waves
  annotations:
    driftless.dev/sync-wave: \"1\"
spec:
  replicas: 1
  selector:
    matchLabels:
      app: waves
  template:
    metadata:
      labels:
        app: waves
    spec:
      containers:
        - name: waves
          image: nginx:1.27-alpine
          ports:
            - containerPort: 80
";

const WAVES_SERVICE: &str = "\
# Wave 2: applied once the Deployment of wave 1 is healthy.
apiVersion: v1
kind: Service
metadata:
  name: waves
  annotations:
    driftless.dev/sync-wave: \"2\"
spec:
  selector:
    app: waves
  ports:
    - port: 80
      targetPort: 80
";

const WAVES_HOOK: &str = "\
# Runs after every wave is healthy, on each sync; deleted before it runs again.
apiVersion: batch/v1
kind: Job
metadata:
  name: waves-smoke-test
  annotations:
    driftless.dev/hook: PostSync
    driftless.dev/hook-delete-policy: BeforeHookCreation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: smoke-test
          image: busybox:1.37
          command: [\"wget\", \"-qO-\", \"http://waves\"]
";

/// Identity of the demo's own commits, given per command so that no git configuration is needed.
const AUTHOR_NAME: &str = "Driftless demo";
const AUTHOR_EMAIL: &str = "demo@driftless.dev";

/// Creates the example repository at `dir` unless it exists; returns true when it was created.
/// An existing repository is left as it is (with its history and any change made to it).
pub fn ensure_repository(dir: &Path) -> anyhow::Result<bool> {
    if dir.join(".git").exists() {
        return Ok(false);
    }
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "{} exists but is not a Git repository; move it away or choose another --data-dir",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_files(dir)?;
    git(dir, &["init", "--quiet", "--initial-branch", BRANCH])?;
    git(dir, &["add", "--all"])?;
    git(
        dir,
        &[
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            "Driftless demo: four example apps",
        ],
    )?;
    Ok(true)
}

/// Writes [`FILES`] under `dir`.
pub fn write_files(dir: &Path) -> anyhow::Result<()> {
    for (path, contents) in FILES {
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&file, contents).with_context(|| format!("writing {}", file.display()))?;
    }
    Ok(())
}

/// Runs git in `dir` with the demo's identity; its error output becomes the error.
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", AUTHOR_NAME)
        .env("GIT_AUTHOR_EMAIL", AUTHOR_EMAIL)
        .env("GIT_COMMITTER_NAME", AUTHOR_NAME)
        .env("GIT_COMMITTER_EMAIL", AUTHOR_EMAIL)
        .output()
        .with_context(|| format!("running git {}", args.join(" ")))?;
    if !output.status.success() {
        bail!(
            "git {} in {} failed: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Checks that git can be run, with one clear line when it cannot.
pub fn check_git() -> anyhow::Result<()> {
    match Command::new("git").arg("--version").output() {
        Ok(output) if output.status.success() => Ok(()),
        Ok(_) | Err(_) => bail!(
            "git is needed by `driftless demo` (it keeps its example apps in a Git repository) but `git --version` does not run; install git and put it on PATH"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use driftless_core::SourceSpec;
    use driftless_render::{RenderRequest, Renderer};

    /// Renders one example of the repository at `repo` as the controller would.
    fn render(repo: &Path, example: &Example) -> Vec<(String, String, Option<String>)> {
        let source = SourceSpec {
            repo_url: repo.display().to_string(),
            target_revision: BRANCH.to_owned(),
            path: example.path.to_owned(),
            ..SourceSpec::default()
        };
        let manifests = Renderer::from_path()
            .render(&RenderRequest::new(repo, "test", &source))
            .unwrap_or_else(|e| panic!("{}: {e}", example.name));
        manifests
            .iter()
            .map(|m| {
                let object = &m.object;
                let wave = object["metadata"]["annotations"]["driftless.dev/sync-wave"]
                    .as_str()
                    .map(str::to_owned);
                (
                    m.kind().unwrap_or_default().to_owned(),
                    object["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    wave,
                )
            })
            .collect()
    }

    fn kinds(rendered: &[(String, String, Option<String>)]) -> Vec<&str> {
        let mut kinds: Vec<&str> = rendered.iter().map(|(k, _, _)| k.as_str()).collect();
        kinds.sort();
        kinds
    }

    #[test]
    fn every_example_renders_with_the_renderer() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        assert!(ensure_repository(&repo).unwrap());

        let by_name = |name: &str| EXAMPLES.iter().find(|e| e.name == name).unwrap();
        let guestbook = render(&repo, by_name("guestbook"));
        assert_eq!(kinds(&guestbook), ["ConfigMap", "Deployment", "Service"]);

        let podinfo = render(&repo, by_name("podinfo"));
        assert_eq!(kinds(&podinfo), ["ConfigMap", "Deployment", "Service"]);
        assert!(
            podinfo
                .iter()
                .any(|(k, n, _)| k == "ConfigMap" && n.starts_with("podinfo-settings-")),
            "the overlay's generated ConfigMap is hashed: {podinfo:?}"
        );

        let dashboard = render(&repo, by_name("dashboard"));
        assert_eq!(kinds(&dashboard), ["ConfigMap", "Deployment"]);

        let waves = render(&repo, by_name("waves"));
        assert_eq!(kinds(&waves), ["ConfigMap", "Deployment", "Job", "Service"]);
        let wave_of = |kind: &str| {
            waves
                .iter()
                .find(|(k, _, _)| k == kind)
                .and_then(|(_, _, w)| w.clone())
        };
        assert_eq!(wave_of("ConfigMap").as_deref(), Some("0"));
        assert_eq!(wave_of("Deployment").as_deref(), Some("1"));
        assert_eq!(wave_of("Service").as_deref(), Some("2"));
    }

    #[test]
    fn the_repository_is_created_once_on_main_and_then_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        assert!(ensure_repository(&repo).unwrap());
        std::fs::write(repo.join("guestbook/configmap.yaml"), "changed").unwrap();
        assert!(!ensure_repository(&repo).unwrap());
        assert_eq!(
            std::fs::read_to_string(repo.join("guestbook/configmap.yaml")).unwrap(),
            "changed"
        );
        let log = Command::new("git")
            .args(["log", "--format=%an <%ae> %s", "main"])
            .current_dir(&repo)
            .output()
            .unwrap();
        let log = String::from_utf8(log.stdout).unwrap();
        assert_eq!(
            log.trim(),
            "Driftless demo <demo@driftless.dev> Driftless demo: four example apps"
        );
    }

    #[test]
    fn a_directory_that_is_not_a_repository_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let error = ensure_repository(dir.path()).unwrap_err().to_string();
        assert!(error.contains("is not a Git repository"), "{error}");
    }
}
