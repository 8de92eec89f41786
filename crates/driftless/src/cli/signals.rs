//! Stopping long-running commands on Ctrl-C or SIGTERM.

use anyhow::Context;

/// SIGINT and SIGTERM, registered before they are awaited (so a signal sent right after start-up is not lost).
pub struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Registers both handlers.
    pub fn install() -> anyhow::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        let terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        Ok(StopSignals {
            interrupt,
            terminate,
        })
    }

    /// Completes on the first SIGINT or SIGTERM.
    pub async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
