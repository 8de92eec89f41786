//! Create, replace (PUT) and patch (JSON patch, merge patch, server-side apply), for the main resource and the
//! /status subresource. Every write goes through `store_object`: admit, track ownership, version, persist.

use serde_json::Value;

use super::admit::{check_namespace, conform_to_url, prune_unknown};
use super::options::{PatchKind, Subresource, WriteOptions, Written};
use super::path::{check_precondition, existing, restrict_to_subresource, ssa_error, store_object};
use super::read::object_key;
use super::{meta_str, now_rfc3339, Cluster};
use crate::error::{ApiError, ApiResult, Cause};
use crate::registry::ResourceType;
use crate::ssa;
use crate::strategic;

const GENERATE_NAME_CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Cluster {
    /// POST: creates an object (a name from generateName when it has none).
    pub async fn create(
        &self,
        rt: &ResourceType,
        namespace: &str,
        mut body: Value,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        conform_to_url(rt, namespace, &mut body)?;
        assign_generated_name(&mut body)?;
        self.transact(opts.dry_run, |tx| {
            let name = meta_str(&body, "name").unwrap_or_default().to_string();
            if tx
                .state
                .store
                .get(&object_key(rt, namespace, &name))
                .is_some()
            {
                return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
            }
            store_object(
                tx,
                rt,
                namespace,
                None,
                body,
                opts,
                Subresource::Main,
                false,
            )
        })
        .await
    }

    /// PUT: replaces an object, refusing a stale resourceVersion with 409.
    pub async fn replace(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        mut body: Value,
        sub: Subresource,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        conform_to_url(rt, namespace, &mut body)?;
        if meta_str(&body, "name") != Some(name) {
            return Err(ApiError::bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
        self.transact(opts.dry_run, |tx| {
            let old = existing(tx, rt, namespace, name)?;
            check_precondition(rt, name, &old, &body)?;
            store_object(tx, rt, namespace, Some(old), body, opts, sub, false)
        })
        .await
    }

    /// PATCH with a body of the given kind: JSON patch, merge patch, strategic merge patch (built-in types
    /// only) or server-side apply (which creates a missing object).
    pub async fn patch(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        (kind, body): (PatchKind, &[u8]),
        sub: Subresource,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        match kind {
            PatchKind::Apply => self.apply(rt, namespace, name, body, sub, opts).await,
            PatchKind::Strategic if rt.custom => Err(ApiError::unsupported_media_type(
                "application/strategic-merge-patch+json is not supported for custom resources",
            )),
            PatchKind::Json | PatchKind::Merge | PatchKind::Strategic => {
                let patch: Value = serde_json::from_slice(body).map_err(|e| {
                    ApiError::bad_request(format!("the patch is not valid JSON: {e}"))
                })?;
                self.transact(opts.dry_run, |tx| {
                    let old = existing(tx, rt, namespace, name)?;
                    let mut new = if kind == PatchKind::Strategic {
                        let shape = tx.state.schemas.get(&rt.group, &rt.version, &rt.kind);
                        strategic::apply_patch(shape, &old, &patch)?
                    } else {
                        let mut new = old.as_ref().clone();
                        apply_patch(kind, &mut new, &patch)?;
                        new
                    };
                    conform_to_url(rt, namespace, &mut new)?;
                    if meta_str(&new, "name") != Some(name) {
                        return Err(ApiError::bad_request(
                            "a patch may not change metadata.name",
                        ));
                    }
                    check_precondition(rt, name, &old, &new)?;
                    store_object(tx, rt, namespace, Some(old), new, opts, sub, false)
                })
                .await
            }
        }
    }

    async fn apply(
        &self,
        rt: &ResourceType,
        namespace: &str,
        name: &str,
        body: &[u8],
        sub: Subresource,
        opts: &WriteOptions,
    ) -> ApiResult<Written> {
        if opts.field_manager.is_empty() {
            return Err(ApiError::bad_request(
                "PATCH requests with apply content type require fieldManager",
            ));
        }
        let mut config = parse_apply_body(body)?;
        conform_to_url(rt, namespace, &mut config)?;
        if meta_str(&config, "name") != Some(name) {
            return Err(ApiError::bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
        self.transact(opts.dry_run, |tx| {
            let live = tx
                .state
                .store
                .get(&object_key(rt, namespace, name))
                .cloned();
            if live.is_none() {
                if sub == Subresource::Status {
                    return Err(ApiError::not_found(&rt.group, &rt.plural, name));
                }
                check_namespace(tx.state, rt, namespace, name)?;
            }
            if let Some(live) = &live {
                check_precondition(rt, name, live, &config)?;
            }
            restrict_to_subresource(rt, sub, &mut config, None, &[]);
            let mut warnings = prune_unknown(tx.state, rt, &mut config, opts.field_validation)?;
            let shape = tx.state.schemas.get(&rt.group, &rt.version, &rt.kind);
            let merged = ssa::apply(
                shape,
                live.as_deref(),
                &config,
                &opts.field_manager,
                sub.managed_fields_name(),
                opts.force,
                &now_rfc3339(),
            )
            .map_err(|e| ssa_error(rt, name, e))?;
            let mut written = store_object(tx, rt, namespace, live, merged, opts, sub, true)?;
            warnings.append(&mut written.warnings);
            written.warnings = warnings;
            Ok(written)
        })
        .await
    }
}

fn assign_generated_name(body: &mut Value) -> ApiResult<()> {
    let meta = body.get_mut("metadata").and_then(Value::as_object_mut);
    let Some(meta) = meta else { return Ok(()) };
    let has_name = meta
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.is_empty());
    if has_name {
        return Ok(());
    }
    let Some(prefix) = meta.get("generateName").and_then(Value::as_str) else {
        return Err(ApiError::invalid(
            "",
            "",
            "",
            vec![Cause {
                reason: "FieldValueRequired".into(),
                message: "Required value: name or generateName is required".into(),
                field: "metadata.name".into(),
            }],
        ));
    };
    let suffix: String = uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .take(5)
        .map(|b| GENERATE_NAME_CHARS[usize::from(*b) % GENERATE_NAME_CHARS.len()] as char)
        .collect();
    let name = format!("{prefix}{suffix}");
    meta.insert("name".into(), Value::String(name));
    Ok(())
}

/// Applies a JSON or merge patch to `target`.
pub(crate) fn apply_patch(kind: PatchKind, target: &mut Value, patch: &Value) -> ApiResult<()> {
    match kind {
        PatchKind::Merge => {
            if !patch.is_object() {
                return Err(ApiError::bad_request("a merge patch must be a JSON object"));
            }
            json_patch::merge(target, patch);
            Ok(())
        }
        PatchKind::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| ApiError::bad_request(format!("the JSON patch is not valid: {e}")))?;
            json_patch::patch(target, &ops).map_err(|e| {
                ApiError::invalid(
                    "",
                    "",
                    "",
                    vec![Cause {
                        reason: "FieldValueInvalid".into(),
                        message: format!("the JSON patch could not be applied: {e}"),
                        field: String::new(),
                    }],
                )
            })
        }
        PatchKind::Strategic | PatchKind::Apply => {
            Err(ApiError::unsupported_media_type("unexpected patch type"))
        }
    }
}

/// Parses an apply body: YAML or JSON (JSON is YAML).
fn parse_apply_body(body: &[u8]) -> ApiResult<Value> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the apply configuration is not UTF-8"))?;
    let trimmed = text.trim_start();
    let parsed: Result<Value, String> = if trimmed.starts_with('{') {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        crate::yaml::parse(text)
    };
    let config = parsed.map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
    if !config.is_object() {
        return Err(ApiError::bad_request(
            "the apply configuration must be an object",
        ));
    }
    Ok(config)
}
