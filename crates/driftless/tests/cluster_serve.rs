//! End-to-end tests of `driftless cluster serve`: the real binary, kubectl and kube-rs as clients, a real
//! process killed with SIGKILL and restarted on the same data directory, SIGTERM shutdown, bearer tokens.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    url: String,
    printed: Vec<String>,
}

impl Drop for Server {
    /// A test never leaves a server behind (killing one that already exited does nothing).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temporary directory, a kubeconfig path in it and a free loopback address for one server.
struct Place {
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    listen: String,
}

impl Place {
    fn new() -> Place {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kc");
        let listen = format!("127.0.0.1:{}", free_port());
        Place {
            dir,
            kubeconfig,
            listen,
        }
    }

    /// Starts the binary on this place's address and kubeconfig, with `extra` flags.
    fn serve(&self, extra: &[&str]) -> Server {
        let mut args = vec![
            "--listen",
            &self.listen,
            "--kubeconfig",
            self.kubeconfig.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        serve(&args)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary and reads what it prints until the kubeconfig line.
fn serve(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .arg("cluster")
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push(line.clone());
        if line.starts_with("try:") {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let url = printed
        .iter()
        .find_map(|l| l.strip_prefix("devcluster serving the Kubernetes API at "))
        .unwrap_or_else(|| panic!("no URL printed: {printed:?}"))
        .to_string();
    Server {
        child,
        url,
        printed,
    }
}

fn kubectl(kubeconfig: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new("kubectl")
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .expect("kubectl must be installed to run these tests");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn ok(kubeconfig: &Path, args: &[&str]) -> String {
    let (success, stdout, stderr) = kubectl(kubeconfig, args);
    assert!(success, "kubectl {args:?}: {stdout}{stderr}");
    stdout
}

const UID_AND_VERSION: &str = "jsonpath={.metadata.uid} {.metadata.resourceVersion}";

#[test]
fn prints_url_and_kubeconfig_and_kubectl_uses_it() {
    let place = Place::new();
    let server = place.serve(&["--in-memory"]);
    assert_eq!(server.url, format!("http://{}", place.listen));
    let announced = format!("kubeconfig: {}", place.kubeconfig.display());
    assert!(server.printed.contains(&announced), "{:?}", server.printed);
    let namespaces = ok(&place.kubeconfig, &["get", "namespaces", "-o", "name"]);
    assert!(
        namespaces.lines().any(|l| l == "namespace/default"),
        "{namespaces}"
    );
}

#[test]
fn survives_kill_9_with_the_same_objects() {
    let place = Place::new();
    let data = place.dir.path().join("data");
    let durable = ["--data", data.to_str().unwrap()];
    let kubeconfig = &place.kubeconfig;
    let mut first = place.serve(&durable);
    ok(kubeconfig, &["create", "namespace", "keep"]);
    ok(
        kubeconfig,
        &[
            "create",
            "configmap",
            "cm",
            "-n",
            "keep",
            "--from-literal=k=v",
        ],
    );
    let before = ok(
        kubeconfig,
        &[
            "get",
            "configmap",
            "cm",
            "-n",
            "keep",
            "-o",
            UID_AND_VERSION,
        ],
    );
    first.child.kill().unwrap(); // SIGKILL: no shutdown path runs
    first.child.wait().unwrap();

    let _second = place.serve(&durable);
    let after = ok(
        kubeconfig,
        &[
            "get",
            "configmap",
            "cm",
            "-n",
            "keep",
            "-o",
            UID_AND_VERSION,
        ],
    );
    assert_eq!(before, after);
    assert_eq!(
        ok(
            kubeconfig,
            &[
                "get",
                "configmap",
                "cm",
                "-n",
                "keep",
                "-o",
                "jsonpath={.data.k}"
            ]
        ),
        "v"
    );
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let place = Place::new();
    let mut server = place.serve(&["--in-memory"]);
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit:?}");
    assert!(
        std::net::TcpStream::connect(&place.listen).is_err(),
        "port still open after shutdown"
    );
}

#[test]
fn token_is_required_and_carried_by_the_kubeconfig() {
    let place = Place::new();
    let server = place.serve(&["--in-memory", "--token", "t0k3n"]);
    ok(&place.kubeconfig, &["get", "namespaces"]);
    assert!(
        server.url.starts_with("https://"),
        "a token-protected cluster serves HTTPS: {}",
        server.url
    );
    let (success, _, stderr) = kubectl(
        &place.kubeconfig,
        &["--token", "wrong", "get", "namespaces"],
    );
    assert!(!success);
    assert!(
        stderr.contains("You must be logged in to the server"),
        "{stderr}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&place.kubeconfig)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}
