//! The fixture: the Git repository of the measured manifests (the 1,000-object mix and the
//! ConfigMaps whose drift is repaired) and the Application files that point at it.

use std::path::Path;

/// The mix of the big Application: (kind, count).
pub const MIX: [(&str, usize); 4] = [
    ("ConfigMap", 700),
    ("Secret", 150),
    ("Service", 100),
    ("Deployment", 50),
];
/// ConfigMaps in the Application whose drift is repaired.
pub const HEAL_OBJECTS: usize = 50;
/// The value Git declares for `data.k` of the ConfigMaps.
pub const GIT_VALUE: &str = "from-git";

fn configmap(name: &str, i: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/part-of: bench\n    shard: \"{}\"\ndata:\n  k: {GIT_VALUE}\n  index: \"{i}\"\n  settings.yaml: |\n    replicas: 3\n    image: nginx:1.27\n    port: 8080\n",
        i % 10
    )
}

fn secret(i: usize) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-{i:04}\n  labels:\n    app.kubernetes.io/part-of: bench\ntype: Opaque\ndata:\n  username: YmVuY2g=\n  password: cGFzc3dvcmQtZm9yLWJlbmNo\n"
    )
}

fn service(i: usize) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i:04}\n  labels:\n    app.kubernetes.io/part-of: bench\nspec:\n  selector:\n    app: web-{:04}\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n    protocol: TCP\n",
        i % 50
    )
}

fn deployment(i: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i:04}\n  labels:\n    app.kubernetes.io/part-of: bench\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web-{i:04}\n  template:\n    metadata:\n      labels:\n        app: web-{i:04}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports:\n        - containerPort: 8080\n        resources:\n          requests:\n            cpu: 10m\n            memory: 16Mi\n"
    )
}

fn git(repo: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=bench",
            "-c",
            "user.email=bench@example.com",
        ])
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

/// A repository with `app/` (the 1,000-object mix, one file per object) and `small/` (50
/// ConfigMaps), committed on `main`.
pub fn make_repo(repo: &Path) {
    let big = repo.join("app");
    let small = repo.join("small");
    std::fs::create_dir_all(&big).expect("mkdir");
    std::fs::create_dir_all(&small).expect("mkdir");
    for (kind, count) in MIX {
        for i in 0..count {
            let (file, text) = match kind {
                "ConfigMap" => (
                    format!("cm-{i:04}.yaml"),
                    configmap(&format!("cm-{i:04}"), i),
                ),
                "Secret" => (format!("secret-{i:04}.yaml"), secret(i)),
                "Service" => (format!("svc-{i:04}.yaml"), service(i)),
                _ => (format!("web-{i:04}.yaml"), deployment(i)),
            };
            std::fs::write(big.join(file), text).expect("write manifest");
        }
    }
    for i in 0..HEAL_OBJECTS {
        let name = format!("heal-{i:02}");
        std::fs::write(small.join(format!("{name}.yaml")), configmap(&name, i))
            .expect("write manifest");
    }
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "bench manifests"]);
}

pub fn application(name: &str, repo: &Path, path: &str, namespace: &str) -> String {
    format!(
        "apiVersion: driftless.dev/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  source: {{repoURL: \"{}\", targetRevision: main, path: {path}}}\n  destination: {{name: in-cluster, namespace: {namespace}}}\n  syncPolicy:\n    automated: {{prune: true, selfHeal: true}}\n",
        repo.display()
    )
}
