//! `driftless render` as users run it: the real binary on a directory and on a Git repository, exact output.

use std::path::Path;
use std::process::Command;

fn render(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .arg("render")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn write(dir: &Path, name: &str, contents: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git must be installed to run these tests");
    assert!(status.success(), "git {args:?}");
}

// Keys in the order the renderer prints them (sorted), so the expected output is the input itself.
const CONFIG_V1: &str =
    "apiVersion: v1\ndata:\n  mode: fast\nkind: ConfigMap\nmetadata:\n  name: settings\n";
const CONFIG_V2: &str =
    "apiVersion: v1\ndata:\n  mode: safe\nkind: ConfigMap\nmetadata:\n  name: settings\n";

#[test]
fn renders_a_directory_as_yaml_and_json() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/settings.yaml", CONFIG_V1);
    let (code, stdout, stderr) = render(&["--repo", dir.path().to_str().unwrap(), "--path", "app"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("---\n{CONFIG_V1}"));
    let (code, stdout, _) = render(&[
        "--repo",
        dir.path().to_str().unwrap(),
        "--path",
        "app",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0);
    let list: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"][0]["data"]["mode"], "fast");
}

#[test]
fn renders_a_revision_of_a_git_repository() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "app/settings.yaml", CONFIG_V1);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "v1"]);
    git(dir.path(), &["tag", "v1.0.0"]);
    write(dir.path(), "app/settings.yaml", CONFIG_V2);
    git(dir.path(), &["commit", "-qam", "v2"]);
    let url = format!("file://{}", dir.path().display());
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path().to_str().unwrap();
    let (code, stdout, stderr) = render(&[
        "--repo",
        &url,
        "--revision",
        "v1.0.0",
        "--path",
        "app",
        "--cache-dir",
        cache,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("---\n{CONFIG_V1}"));
    let (code, stdout, stderr) = render(&[
        "--repo",
        &url,
        "--revision",
        "main",
        "--path",
        "app",
        "--cache-dir",
        cache,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, format!("---\n{CONFIG_V2}"));
}

#[test]
fn a_broken_manifest_fails_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/good.yaml", CONFIG_V1);
    write(
        dir.path(),
        "app/bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n",
    );
    let (code, stdout, stderr) = render(&["--repo", dir.path().to_str().unwrap(), "--path", "app"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "", "nothing is printed from a broken source");
    assert!(stderr.starts_with("error: app/bad.yaml:4:"), "{stderr}");
}
