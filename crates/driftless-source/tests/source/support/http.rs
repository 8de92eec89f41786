//! A small HTTP/1.1 server in front of `git http-backend` (smart HTTP), with optional basic or
//! bearer auth, a server-side log of what each request asked for, and injectable faults.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// What a request was for, judged from its path and body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `GET .../info/refs?service=git-upload-pack`: capability advertisement.
    Advertisement,
    /// A protocol v2 `ls-refs` command.
    LsRefs,
    /// A protocol v2 `fetch` command (negotiation or pack download).
    Fetch,
    /// Anything else.
    Other,
}

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Serve correctly.
    None,
    /// Cut every fetch response in half.
    TruncatePack,
    /// Flip one byte in the middle of the pack data of every fetch response, keeping the
    /// pkt-line framing intact.
    CorruptPack,
}

/// One logged request.
#[derive(Debug, Clone)]
pub struct Logged {
    /// What it asked for.
    pub kind: Kind,
    /// The status answered.
    pub status: u16,
}

#[derive(Default)]
struct State {
    log: Vec<Logged>,
    fault: Option<Fault>,
    backend_time: std::time::Duration,
}

/// A running server; it stops accepting when the test process ends.
pub struct GitHttpServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    state: Arc<Mutex<State>>,
}

/// Which `Authorization` header values are accepted (none = open).
#[derive(Clone, Default)]
pub struct Auth {
    /// Accepted `user:password` for basic auth.
    pub basic: Option<(String, String)>,
    /// Accepted bearer token.
    pub bearer: Option<String>,
}

impl GitHttpServer {
    /// Serves the repositories under `root` with `auth`.
    pub fn start(root: &Path, auth: Auth) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let (root, shared) = (root.to_path_buf(), state.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, state, auth) = (root.clone(), shared.clone(), auth.clone());
                std::thread::spawn(move || serve_connection(stream, &root, &state, &auth));
            }
        });
        GitHttpServer { port, state }
    }

    /// The http:// URL of repository `name`.
    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    /// How many requests of `kind` were answered with 200.
    pub fn count(&self, kind: Kind) -> usize {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|l| l.kind == kind && l.status == 200)
            .count()
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    /// Total time spent running `git http-backend` so far (read by benches/fetch.rs).
    #[allow(dead_code)]
    pub fn backend_time(&self) -> std::time::Duration {
        self.state.lock().unwrap().backend_time
    }

    /// Forgets the log.
    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }

    /// Switches misbehaviour on or off.
    pub fn set_fault(&self, fault: Fault) {
        self.state.lock().unwrap().fault = Some(fault);
    }
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn serve_connection(stream: TcpStream, root: &Path, state: &Arc<Mutex<State>>, auth: &Auth) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let _ = writer.set_nodelay(true);
    while let Some(request) = read_request(&mut reader) {
        let kind = classify(&request);
        let (status, headers, mut body) = if authorised(&request, auth) {
            let started = std::time::Instant::now();
            let answer = run_backend(root, &request);
            state.lock().unwrap().backend_time += started.elapsed();
            answer
        } else {
            (
                401,
                vec![(
                    "WWW-Authenticate".to_string(),
                    "Basic realm=\"git\"".to_string(),
                )],
                b"denied".to_vec(),
            )
        };
        let fault = state.lock().unwrap().fault.unwrap_or(Fault::None);
        if kind == Kind::Fetch && status == 200 {
            damage(&mut body, fault);
        }
        state.lock().unwrap().log.push(Logged { kind, status });
        if write_response(&mut writer, status, &headers, &body).is_err() {
            return;
        }
    }
}

fn damage(body: &mut Vec<u8>, fault: Fault) {
    match fault {
        Fault::None => {}
        Fault::TruncatePack => body.truncate(body.len() / 2),
        Fault::CorruptPack => corrupt_pack_data(body),
    }
}

/// Flips a byte in the middle of the largest sideband-1 (pack data) pkt-line.
fn corrupt_pack_data(body: &mut [u8]) {
    let mut largest: Option<(usize, usize)> = None;
    let mut pos = 0;
    while pos + 4 <= body.len() {
        let Some(len) = std::str::from_utf8(&body[pos..pos + 4])
            .ok()
            .and_then(|h| usize::from_str_radix(h, 16).ok())
        else {
            return;
        };
        if len < 4 {
            pos += 4;
            continue;
        }
        if body.get(pos + 4) == Some(&1) && largest.is_none_or(|(_, l)| len > l) {
            largest = Some((pos, len));
        }
        pos += len;
    }
    if let Some((start, len)) = largest {
        body[start + 4 + len / 2] ^= 0xff;
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut headers = HashMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let body = read_body(reader, &headers)?;
    Some(Request {
        method,
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body,
    })
}

fn read_body(reader: &mut impl BufRead, headers: &HashMap<String, String>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line).ok()?;
            let size = usize::from_str_radix(size_line.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                return Some(body);
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    let length: usize = headers
        .get("content-length")
        .map_or(Some(0), |v| v.parse().ok())?;
    body.resize(length, 0);
    reader.read_exact(&mut body).ok()?;
    Some(body)
}

fn classify(request: &Request) -> Kind {
    let contains = |needle: &[u8]| request.body.windows(needle.len()).any(|w| w == needle);
    if request.method == "GET" && request.path.ends_with("/info/refs") {
        Kind::Advertisement
    } else if request.method == "POST" && contains(b"command=ls-refs") {
        Kind::LsRefs
    } else if request.method == "POST"
        && (contains(b"command=fetch") || request.body.starts_with(&[0x1f, 0x8b]))
    {
        Kind::Fetch
    } else {
        Kind::Other
    }
}

fn authorised(request: &Request, auth: &Auth) -> bool {
    if auth.basic.is_none() && auth.bearer.is_none() {
        return true;
    }
    let given = request
        .headers
        .get("authorization")
        .map(String::as_str)
        .unwrap_or("");
    let basic = auth
        .basic
        .as_ref()
        .map(|(user, password)| format!("Basic {}", base64(&format!("{user}:{password}"))));
    let bearer = auth.bearer.as_ref().map(|token| format!("Bearer {token}"));
    [basic, bearer]
        .into_iter()
        .flatten()
        .any(|expected| expected == given)
}

fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Runs `git http-backend` as a CGI program for one request.
fn run_backend(root: &Path, request: &Request) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let header = |name: &str| request.headers.get(name).cloned().unwrap_or_default();
    let mut child = Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &request.method)
        .env("PATH_INFO", &request.path)
        .env("QUERY_STRING", &request.query)
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", request.body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("GIT_PROTOCOL", header("git-protocol"))
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("git must be installed to run git http-backend");
    let mut stdin = child.stdin.take().unwrap();
    let body = request.body.clone();
    let feeder = std::thread::spawn(move || stdin.write_all(&body));
    let output = child.wait_with_output().unwrap();
    let _ = feeder.join();
    parse_cgi(&output.stdout)
}

fn parse_cgi(output: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let split = output
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4));
    let split = split.or_else(|| output.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)));
    let Some((end, gap)) = split else {
        return (500, Vec::new(), b"bad CGI output".to_vec());
    };
    let mut status = 200;
    let mut headers = Vec::new();
    for line in String::from_utf8_lossy(&output[..end]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("status") {
            status = value
                .trim()
                .split(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(500);
        } else {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    (status, headers, output[end + gap..].to_vec())
}

fn write_response(
    writer: &mut impl Write,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut response = head.into_bytes();
    response.extend_from_slice(body);
    writer.write_all(&response)?;
    writer.flush()
}

/// A server that accepts connections and never answers, for timeout tests.
pub fn silent_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}
