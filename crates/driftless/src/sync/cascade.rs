//! Deleting what an Application manages, when the Application itself goes (`app delete
//! --cascade`, or its resources finalizer): every object of its inventory whose tracking id
//! names it, in reverse apply order, as pruning deletes them.

use driftless_core::application::Application;
use driftless_core::plan::SyncOptions;
use driftless_core::ChangeSet;

use super::{Engine, SyncError};
use crate::cluster::{Live, PruneScope};

impl Engine {
    /// Deletes the objects of `app`'s inventory that carry its tracking id, last first; objects
    /// another owner's tracking id names, or that `Prune=false` protects, are reported as
    /// skipped and left in place, objects already gone are not reported. A failed delete is a
    /// failed entry; the others are still attempted.
    pub async fn delete_managed(&self, app: &Application) -> Result<ChangeSet, SyncError> {
        let inventory = app
            .status
            .as_ref()
            .map(|status| status.inventory.clone())
            .unwrap_or_default();
        let options = SyncOptions::parse(&app.spec.sync_policy.sync_options)?;
        let mut live = Live::default();
        for object in &inventory {
            live.set(object, self.manager.get(object).await?);
        }
        let scope = PruneScope {
            app_namespace: app.namespace(),
            app_name: app.name(),
            options: &options,
            enabled: true,
        };
        let (changes, _kept) = self.manager.prune(inventory, &mut live, &scope).await;
        Ok(changes)
    }
}
