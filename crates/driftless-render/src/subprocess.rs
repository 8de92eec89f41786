//! Running a rendering tool (kustomize, kubectl, helm) with a timeout, capturing its output.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// At most this much of a tool's stderr is kept for error messages (its tail).
const STDERR_KEPT_BYTES: usize = 8 * 1024;

/// Why a tool run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The program could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program's name.
        program: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The program ran past its timeout and was killed.
    #[error("{program} did not finish within {seconds} s and was stopped")]
    Timeout {
        /// The program's name.
        program: String,
        /// The timeout.
        seconds: u64,
    },
    /// The program exited unsuccessfully.
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        /// The program's name.
        program: String,
        /// Its exit status.
        status: ExitStatus,
        /// The tail of its stderr.
        stderr: String,
    },
    /// Waiting for or reading from the program failed.
    #[error("cannot read the output of {program}: {source}")]
    Output {
        /// The program's name.
        program: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The program printed something that is not UTF-8.
    #[error("{program} printed output that is not UTF-8")]
    NotUtf8 {
        /// The program's name.
        program: String,
    },
}

impl RunError {
    /// True for failures of the run rather than of the tool's input: a timeout, a tool
    /// that could not be started, or output that could not be read.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. } | Self::Spawn { .. } | Self::Output { .. }
        )
    }

    /// The same error with every occurrence of `root` in the tool's stderr replaced by
    /// `.`, so that messages name paths relative to the checkout, not host paths.
    pub fn relative_to(self, root: &Path) -> Self {
        match self {
            Self::Failed {
                program,
                status,
                stderr,
            } => Self::Failed {
                program,
                status,
                stderr: stderr.replace(&*root.to_string_lossy(), "."),
            },
            other => other,
        }
    }
}

/// One invocation of a tool: program, arguments, working directory and extra environment.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The program to run.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Working directory.
    pub dir: PathBuf,
    /// Environment variables set on top of the inherited environment.
    pub env: Vec<(String, String)>,
}

impl Invocation {
    /// Runs the tool with no stdin and returns its stdout; a non-zero exit, a timeout,
    /// or non-UTF-8 output is an error carrying the tail of stderr where there is one.
    pub fn run(&self, timeout: Duration) -> Result<String, RunError> {
        let program = program_name(&self.program);
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .current_dir(&self.dir)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| RunError::Spawn {
                program: program.clone(),
                source,
            })?;
        let stdout = read_in_background(child.stdout.take());
        let stderr = read_in_background(child.stderr.take());
        let status = wait_with_timeout(&mut child, timeout, &program)?;
        let output_error = |source| RunError::Output {
            program: program.clone(),
            source,
        };
        let stdout = join_reader(stdout).map_err(output_error)?;
        let stderr = join_reader(stderr).map_err(output_error)?;
        if !status.success() {
            return Err(RunError::Failed {
                program,
                status,
                stderr: stderr_tail(&stderr),
            });
        }
        String::from_utf8(stdout).map_err(|_| RunError::NotUtf8 { program })
    }
}

type Reader = std::thread::JoinHandle<std::io::Result<Vec<u8>>>;

fn read_in_background(pipe: Option<impl Read + Send + 'static>) -> Option<Reader> {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut buffer = Vec::new();
            pipe.read_to_end(&mut buffer).map(|_| buffer)
        })
    })
}

fn join_reader(reader: Option<Reader>) -> std::io::Result<Vec<u8>> {
    match reader {
        None => Ok(Vec::new()),
        Some(handle) => handle
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("output reader thread failed"))),
    }
}

fn wait_with_timeout(
    child: &mut Child,
    timeout: Duration,
    program: &str,
) -> Result<ExitStatus, RunError> {
    let deadline = Instant::now() + timeout;
    let output_error = |source| RunError::Output {
        program: program.to_owned(),
        source,
    };
    loop {
        if let Some(status) = child.try_wait().map_err(output_error)? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            // Killing can fail only when the child already exited; either way reap it.
            let _ = child.kill();
            child.wait().map_err(output_error)?;
            return Err(RunError::Timeout {
                program: program.to_owned(),
                seconds: timeout.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn program_name(program: &Path) -> String {
    program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn stderr_tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.len() <= STDERR_KEPT_BYTES {
        return text.to_owned();
    }
    let mut start = text.len() - STDERR_KEPT_BYTES;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("...{}", &text[start..])
}

/// Finds `name` in the directories of `PATH`, as a shell would.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Invocation {
        Invocation {
            program: PathBuf::from("/bin/sh"),
            args: vec!["-c".into(), script.into()],
            dir: std::env::temp_dir(),
            env: vec![("GREETING".into(), "hello".into())],
        }
    }

    #[test]
    fn captures_stdout_and_env() {
        assert_eq!(
            sh("echo $GREETING").run(Duration::from_secs(10)).unwrap(),
            "hello\n"
        );
    }

    #[test]
    fn failure_carries_stderr() {
        let err = sh("echo broken >&2; exit 3")
            .run(Duration::from_secs(10))
            .unwrap_err();
        match err {
            RunError::Failed { stderr, .. } => assert_eq!(stderr, "broken"),
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn timeout_kills_the_tool() {
        let started = Instant::now();
        let err = sh("exec sleep 30")
            .run(Duration::from_millis(200))
            .unwrap_err();
        assert!(matches!(err, RunError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn only_run_failures_are_transient() {
        let timeout = sh("exec sleep 30")
            .run(Duration::from_millis(100))
            .unwrap_err();
        assert!(timeout.is_transient());
        let failed = sh("exit 1").run(Duration::from_secs(10)).unwrap_err();
        assert!(!failed.is_transient());
    }

    #[test]
    fn long_stderr_keeps_its_tail() {
        let tail = stderr_tail(&vec![b'x'; STDERR_KEPT_BYTES * 2]);
        assert!(tail.starts_with("..."));
        assert_eq!(tail.len(), STDERR_KEPT_BYTES + 3);
    }
}
