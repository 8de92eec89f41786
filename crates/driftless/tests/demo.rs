//! End-to-end tests of `driftless demo`: the real binary started as a user would, kubectl as
//! the client, a commit to the demo's repository, SIGTERM, and a second start on the same
//! data directory.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const EXAMPLES: [&str; 4] = ["dashboard", "guestbook", "podinfo", "waves"];

/// A running `driftless demo`; dropping it kills the process.
struct RunningDemo {
    child: Child,
    stdout: BufReader<ChildStdout>,
    kubeconfig: PathBuf,
    api: String,
    printed: Vec<String>,
}

impl Drop for RunningDemo {
    /// A test never leaves a demo behind (killing one that already exited does nothing).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RunningDemo {
    /// Starts the demo on `data_dir` (API on a free port) and reads what it prints until the
    /// next steps are complete.
    fn start(data_dir: &Path) -> RunningDemo {
        let stderr = std::fs::File::create(stderr_log(data_dir)).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_driftless"))
            .args(["demo", "--data-dir"])
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("DRIFTLESS_LISTEN")
            .env_remove("DRIFTLESS_DEMO_DIR")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut printed = Vec::new();
        let mut kubeconfig = None;
        let mut api = None;
        loop {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                let status = child.wait().unwrap();
                panic!(
                    "the demo exited ({status}) before it was ready; stdout:\n{}\nstderr:\n{}",
                    printed.join("\n"),
                    std::fs::read_to_string(stderr_log(data_dir)).unwrap_or_default()
                );
            }
            let line = line.trim_end().to_owned();
            if let Some(path) = line.trim_start().strip_prefix("export KUBECONFIG=") {
                kubeconfig = Some(PathBuf::from(path));
            }
            if let Some(rest) = line.trim_start().strip_prefix("API:") {
                api = rest.split_whitespace().next().map(str::to_owned);
            }
            let done = line.starts_with("Ctrl-C stops it");
            printed.push(line);
            if done {
                break;
            }
        }
        RunningDemo {
            child,
            stdout,
            kubeconfig: kubeconfig.expect("an `export KUBECONFIG=` line"),
            api: api.expect("an `API:` line"),
            printed,
        }
    }

    /// Runs kubectl against the demo's cluster; panics with its error output on failure.
    fn kubectl(&self, args: &[&str]) -> String {
        let output = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .output()
            .expect("kubectl must be installed to run these tests");
        assert!(
            output.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The guestbook's greeting, as the cluster has it.
    fn greeting(&self) -> String {
        self.kubectl(&[
            "get",
            "configmap",
            "guestbook-config",
            "-n",
            "demo-guestbook",
            "-o",
            "jsonpath={.data.greeting}",
        ])
    }

    /// `name -> (sync status, health status)` of the Applications, read with kubectl.
    fn applications(&self) -> Vec<(String, String, String)> {
        let list: Value = serde_json::from_str(&self.kubectl(&[
            "get",
            "applications.driftless.dev",
            "-n",
            "driftless",
            "-o",
            "json",
        ]))
        .unwrap();
        let mut apps: Vec<_> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|app| {
                let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
                (
                    text(&app["metadata"]["name"]),
                    text(&app["status"]["sync"]["status"]),
                    text(&app["status"]["health"]["status"]),
                )
            })
            .collect();
        apps.sort();
        apps
    }

    /// Waits until every example is Synced and Healthy.
    fn wait_all_synced_and_healthy(&self, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let apps = self.applications();
            let ready = apps.len() == EXAMPLES.len()
                && apps
                    .iter()
                    .zip(EXAMPLES)
                    .all(|((name, sync, health), want)| {
                        name == want && sync == "Synced" && health == "Healthy"
                    });
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not every example is Synced and Healthy after {within:?}: {apps:?}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Sends SIGTERM and waits for the exit; returns its status and the rest of stdout.
    fn terminate(mut self) -> (ExitStatus, String) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the demo did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        (status, rest)
    }
}

fn stderr_log(data_dir: &Path) -> PathBuf {
    data_dir.with_extension("stderr.log")
}

/// Runs git in the demo's repository as some user would, with an identity of its own.
fn git(repo: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(repo)
        .env("GIT_AUTHOR_NAME", "Tester")
        .env("GIT_AUTHOR_EMAIL", "tester@example.com")
        .env("GIT_COMMITTER_NAME", "Tester")
        .env("GIT_COMMITTER_EMAIL", "tester@example.com")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// `GET path` on the API with the bearer token; returns the status code and the body.
fn api_get(base: &str, path: &str, token: &str) -> (u16, String) {
    let host = base.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(host)
        .unwrap_or_else(|e| panic!("the HTTP API at {base} does not answer: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let code = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (code, body)
}

#[test]
fn the_demo_syncs_every_example_follows_commits_stops_on_sigterm_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("demo");
    let demo = RunningDemo::start(&data_dir);
    let data_dir = std::fs::canonicalize(&data_dir).unwrap();
    assert_eq!(demo.kubeconfig, data_dir.join("kubeconfig"));
    assert!(
        demo.printed
            .iter()
            .any(|l| l.contains("driftless app list")),
        "{:?}",
        demo.printed
    );

    demo.wait_all_synced_and_healthy(Duration::from_secs(60));
    // The objects are there, in their demo-<app> namespaces.
    let greeting = demo.greeting();
    assert_eq!(greeting, "Hello from Driftless");
    demo.kubectl(&["get", "deployment", "podinfo", "-n", "demo-podinfo"]);
    demo.kubectl(&["get", "deployment", "dashboard", "-n", "demo-dashboard"]);
    demo.kubectl(&["get", "service", "waves", "-n", "demo-waves"]);

    // A second demo on the same directory is refused in one line; the first is undisturbed.
    let second = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(["demo", "--data-dir"])
        .arg(&data_dir)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("error: another `driftless demo` is using")),
        "{stderr}"
    );

    let token = std::fs::read_to_string(data_dir.join("api-token")).unwrap();

    // A commit in the repository is applied within a few seconds.
    let repo = data_dir.join("repo");
    let file = repo.join("guestbook/configmap.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        yaml.replace("Hello from Driftless", "Hello from a commit"),
    )
    .unwrap();
    git(&repo, &["commit", "-q", "-am", "a new greeting"]);
    let committed = Instant::now();
    loop {
        let greeting = demo.greeting();
        if greeting == "Hello from a commit" {
            break;
        }
        assert!(
            committed.elapsed() < Duration::from_secs(10),
            "the commit was not applied within 10 s (greeting still {greeting:?})"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    demo.wait_all_synced_and_healthy(Duration::from_secs(30));

    let (status, rest) = demo.terminate();
    assert!(status.success(), "exit status {status}; stdout: {rest}");

    // Again on the same directory: same repository and history, same Applications, still Synced.
    let again = RunningDemo::start(&data_dir);
    assert_eq!(again.kubeconfig, data_dir.join("kubeconfig"));
    assert_eq!(git(&repo, &["rev-list", "--count", "main"]), "2");
    assert_eq!(
        std::fs::read_to_string(data_dir.join("api-token")).unwrap(),
        token
    );
    let apps = again.applications();
    assert_eq!(
        apps.iter().map(|(n, _, _)| n.as_str()).collect::<Vec<_>>(),
        EXAMPLES
    );
    assert!(
        apps.iter().all(|(_, sync, _)| sync == "Synced"),
        "the Applications kept their status: {apps:?}"
    );
    again.wait_all_synced_and_healthy(Duration::from_secs(60));
    let greeting = again.greeting();
    assert_eq!(greeting, "Hello from a commit");
    // The API answers with the token the demo keeps.
    let (code, body) = api_get(&again.api, "/api/v1/applications", token.trim());
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("guestbook"), "{body}");

    let (status, _) = again.terminate();
    assert!(status.success());
}

#[test]
fn a_busy_api_port_fails_with_one_clear_line_before_anything_starts() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(["demo", "--data-dir"])
        .arg(tmp.path().join("demo"))
        .args(["--listen", &addr])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(&addr), "{stderr}");
    assert!(!tmp.path().join("demo").exists(), "nothing is created");
}

#[test]
fn without_git_the_demo_says_so_in_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(["demo", "--data-dir"])
        .arg(tmp.path().join("demo"))
        .args(["--listen", "127.0.0.1:0"])
        .env("PATH", tmp.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: git is needed by `driftless demo`"),
        "{stderr}"
    );
}

#[test]
fn an_unwritable_data_directory_fails_with_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(["demo", "--data-dir"])
        .arg(file.join("demo"))
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("error: cannot create the data directory")),
        "{stderr}"
    );
}
