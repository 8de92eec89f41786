//! Durability: every acknowledged write is committed to an embedded SQLite database before the response. One
//! writer thread takes batches of commits (group commit), writes them in one transaction, then publishes
//! their events in order and acknowledges them.

use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;

use rusqlite::{params, Connection};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::events::{Event, Hub};
use crate::registry::ResourceKey;
use crate::store::ObjectKey;

/// Failure of the durable store.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    /// The database could not be opened or its tables created.
    #[error("opening the database at {path}: {source}")]
    Open {
        /// Database file.
        path: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// Stored objects could not be read back.
    #[error("loading stored objects: {0}")]
    Load(String),
    /// A batch of writes could not be committed.
    #[error("committing writes: {0}")]
    Commit(#[from] rusqlite::Error),
    /// The writer thread is gone (the server is shutting down).
    #[error("the storage writer has stopped")]
    Stopped,
}

/// One change to make durable.
#[derive(Debug)]
pub enum Change {
    /// Store this object under this key.
    Put(ObjectKey, Arc<Value>),
    /// Remove the object under this key.
    Delete(ObjectKey),
}

/// A set of changes written atomically, with the events they publish once durable.
#[derive(Debug)]
pub struct Commit {
    /// resourceVersion after the changes.
    pub rv: u64,
    /// What to write.
    pub changes: Vec<Change>,
    /// What to publish after the write is durable.
    pub events: Vec<Arc<Event>>,
    /// Acknowledged once durable and published.
    pub done: oneshot::Sender<Result<(), String>>,
}

/// What a database holds at start-up.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every stored object.
    pub objects: Vec<(ObjectKey, Value)>,
    /// The last resourceVersion handed out.
    pub rv: u64,
}

/// Handle to the writer thread.
#[derive(Debug, Clone)]
pub struct Committer {
    sender: std_mpsc::Sender<Commit>,
}

impl Committer {
    /// Starts the writer thread. With a connection it persists; without one it only publishes.
    pub fn start(
        db: Option<Connection>,
        hub: Arc<Hub>,
        observers: mpsc::UnboundedSender<Arc<Event>>,
    ) -> Self {
        let (sender, receiver) = std_mpsc::channel::<Commit>();
        std::thread::Builder::new()
            .name("devcluster-writer".into())
            .spawn(move || writer_loop(db, receiver, &hub, &observers))
            .map(|_| ())
            .unwrap_or_else(
                |e| tracing::error!(error = %e, "cannot start the storage writer thread"),
            );
        Committer { sender }
    }

    /// Queues a commit; the caller awaits `done`.
    pub fn submit(&self, commit: Commit) -> Result<(), PersistError> {
        self.sender.send(commit).map_err(|_| PersistError::Stopped)
    }
}

const MAX_BATCH: usize = 512;

fn writer_loop(
    mut db: Option<Connection>,
    receiver: std_mpsc::Receiver<Commit>,
    hub: &Hub,
    observers: &mpsc::UnboundedSender<Arc<Event>>,
) {
    while let Ok(first) = receiver.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let result = match db.as_mut() {
            Some(conn) => write_batch(conn, &batch).map_err(|e| e.to_string()),
            None => Ok(()),
        };
        if let Err(e) = &result {
            tracing::error!(error = %e, "storage commit failed");
        }
        for commit in batch {
            if result.is_ok() {
                hub.publish(&commit.events);
                for event in &commit.events {
                    let _ = observers.send(event.clone());
                }
            }
            let _ = commit.done.send(result.clone());
        }
    }
}

fn write_batch(conn: &mut Connection, batch: &[Commit]) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction()?;
    {
        let mut put =
            tx.prepare_cached("INSERT OR REPLACE INTO objects (id, body) VALUES (?1, ?2)")?;
        let mut delete = tx.prepare_cached("DELETE FROM objects WHERE id = ?1")?;
        for commit in batch {
            for change in &commit.changes {
                match change {
                    Change::Put(key, object) => {
                        let body = serde_json::to_vec(&(key, object.as_ref()))
                            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                        put.execute(params![key.storage_id(), body])?;
                    }
                    Change::Delete(key) => {
                        delete.execute(params![key.storage_id()])?;
                    }
                }
            }
        }
        if let Some(last) = batch.last() {
            tx.execute(
                "INSERT OR REPLACE INTO meta (k, v) VALUES ('rv', ?1)",
                params![last.rv as i64],
            )?;
        }
    }
    tx.commit()
}

impl serde::Serialize for ObjectKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (
            &self.resource.group,
            &self.resource.plural,
            &self.namespace,
            &self.name,
        )
            .serialize(s)
    }
}

/// Opens (creating if needed) the database in `dir` and loads what it holds.
pub fn open(dir: &Path) -> Result<(Connection, Loaded), PersistError> {
    let path = dir.join("devcluster.sqlite");
    let open_err = |source| PersistError::Open {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| PersistError::Load(format!("creating {}: {e}", dir.display())))?;
    let conn = Connection::open(&path).map_err(open_err)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE IF NOT EXISTS objects (id TEXT PRIMARY KEY, body BLOB NOT NULL);
         CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);",
    )
    .map_err(open_err)?;
    let loaded = load(&conn)?;
    Ok((conn, loaded))
}

fn load(conn: &Connection) -> Result<Loaded, PersistError> {
    let load_err = |e: rusqlite::Error| PersistError::Load(e.to_string());
    let rv: i64 = conn
        .query_row("SELECT v FROM meta WHERE k = 'rv'", [], |r| r.get(0))
        .or_else(|e| {
            if matches!(e, rusqlite::Error::QueryReturnedNoRows) {
                Ok(0)
            } else {
                Err(e)
            }
        })
        .map_err(load_err)?;
    let mut stmt = conn
        .prepare("SELECT id, body FROM objects")
        .map_err(load_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
        })
        .map_err(load_err)?;
    let mut objects = Vec::new();
    for row in rows {
        let (id, body) = row.map_err(load_err)?;
        let ((group, plural, namespace, name), object): ((String, String, String, String), Value) =
            serde_json::from_slice(&body)
                .map_err(|e| PersistError::Load(format!("object {id}: {e}")))?;
        objects.push((
            ObjectKey {
                resource: ResourceKey { group, plural },
                namespace,
                name,
            },
            object,
        ));
    }
    Ok(Loaded {
        objects,
        rv: u64::try_from(rv).unwrap_or(0),
    })
}
