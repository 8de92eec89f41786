//! `driftless controller`: the controller, the HTTP API and the webhook receiver in one
//! process; also what `driftless demo` starts in-process.

#![allow(dead_code)] // Wired by `driftless controller` and `driftless demo` as they land.
use std::net::SocketAddr;
use std::path::PathBuf;

use driftless::controller::Hub;

/// What an in-process controller needs, already decided by the caller.
pub struct InProcess {
    /// Client of the cluster that holds the Applications.
    pub client: kube::Client,
    /// Where fetched repositories are cached.
    pub cache_dir: PathBuf,
    /// Address of the HTTP API.
    pub listen: SocketAddr,
    /// The admin token of the API.
    pub admin_token: String,
    /// The webhook secret.
    pub webhook_secret: String,
}

/// A controller and its HTTP server running in this process.
pub struct RunningController {
    hub: Hub,
    api_addr: SocketAddr,
}

impl RunningController {
    /// The controller's hub (refresh, events, metrics).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The address the HTTP API listens on.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// Stops the controller and the server, waiting for reconciles in flight to end.
    pub async fn stop(self) {}
}

/// Starts a controller (leading at once, no election) and its HTTP server.
pub async fn start_in_process(options: InProcess) -> anyhow::Result<RunningController> {
    let _ = options;
    anyhow::bail!("the in-process controller is not wired yet")
}
