//! The operations of one resource, independent of the document dialect: which paths, verbs,
//! query parameters, bodies and responses kube-apiserver publishes for it.

use super::schemas::{kind_definition, list_definition, DELETE_OPTIONS, PATCH, SCALE, STATUS};
use super::OpenApiResource;
use crate::schema::SchemaSet;

/// A query parameter: name, JSON type, description.
pub(super) type Parameter = (&'static str, &'static str, &'static str);

pub(super) const PRETTY: Parameter = ("pretty", "string", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).");
const DRY_RUN: Parameter = ("dryRun", "string", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed");
const FIELD_MANAGER: Parameter = ("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint. This field is required for apply requests (application/apply-patch) but optional for non-apply patch types (JsonPatch, MergePatch, StrategicMergePatch).");
const FIELD_VALIDATION: Parameter = ("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.");
const FORCE: Parameter = ("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.");
const ALLOW_WATCH_BOOKMARKS: Parameter = ("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion.");
const CONTINUE: Parameter = ("continue", "string", "The continue option should be set when retrieving more results from the server. Since this value is server defined, clients may only use the continue value from a previous query result with identical query parameters (except for the value of continue).");
const FIELD_SELECTOR: Parameter = (
    "fieldSelector",
    "string",
    "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
);
const LABEL_SELECTOR: Parameter = (
    "labelSelector",
    "string",
    "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
);
const LIMIT: Parameter = ("limit", "integer", "limit is a maximum number of responses to return for a list call. If more items exist, the server will set the `continue` field on the list metadata to a value that can be used with the same initial query to retrieve the next set of results.");
const RESOURCE_VERSION: Parameter = ("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from. Defaults to unset");
const RESOURCE_VERSION_MATCH: Parameter = ("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls. Defaults to unset");
const SEND_INITIAL_EVENTS: Parameter = ("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection, followed by a bookmark annotated with \"k8s.io/initial-events-end\": \"true\".");
const TIMEOUT_SECONDS: Parameter = ("timeoutSeconds", "integer", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.");
const WATCH: Parameter = ("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.");
const GRACE_PERIOD_SECONDS: Parameter = ("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately.");
const ORPHAN_DEPENDENTS: Parameter = ("orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7. Should the dependent objects be orphaned.");
const PROPAGATION_POLICY: Parameter = ("propagationPolicy", "string", "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.");

const LIST_PARAMETERS: &[Parameter] = &[
    ALLOW_WATCH_BOOKMARKS,
    CONTINUE,
    FIELD_SELECTOR,
    LABEL_SELECTOR,
    LIMIT,
    RESOURCE_VERSION,
    RESOURCE_VERSION_MATCH,
    SEND_INITIAL_EVENTS,
    TIMEOUT_SECONDS,
    WATCH,
];
const WRITE_PARAMETERS: &[Parameter] = &[DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
const PATCH_PARAMETERS: &[Parameter] = &[DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE];
const DELETE_PARAMETERS: &[Parameter] = &[
    DRY_RUN,
    GRACE_PERIOD_SECONDS,
    ORPHAN_DEPENDENTS,
    PROPAGATION_POLICY,
];
const DELETE_COLLECTION_PARAMETERS: &[Parameter] = &[
    CONTINUE,
    DRY_RUN,
    FIELD_SELECTOR,
    GRACE_PERIOD_SECONDS,
    LABEL_SELECTOR,
    LIMIT,
    ORPHAN_DEPENDENTS,
    PROPAGATION_POLICY,
    RESOURCE_VERSION,
    RESOURCE_VERSION_MATCH,
    SEND_INITIAL_EVENTS,
    TIMEOUT_SECONDS,
];

const OK: &[(u16, &str)] = &[(200, "OK")];
const CREATED: &[(u16, &str)] = &[(200, "OK"), (201, "Created"), (202, "Accepted")];
const REPLACED: &[(u16, &str)] = &[(200, "OK"), (201, "Created")];
const DELETED: &[(u16, &str)] = &[(200, "OK"), (202, "Accepted")];

const BUILTIN_PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];
/// Custom resources do not support strategic merge patch.
const CUSTOM_PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
];
const ANY_MEDIA_TYPE: &[&str] = &["*/*"];

/// A request body: its schema (a definition name) and accepted media types.
pub(super) struct Body {
    pub schema: String,
    pub media_types: &'static [&'static str],
}

/// One operation (verb) on a path.
pub(super) struct Operation {
    /// HTTP method, lower case.
    pub method: &'static str,
    /// `x-kubernetes-action`.
    pub action: &'static str,
    pub id: String,
    pub tag: String,
    pub description: String,
    /// `x-kubernetes-group-version-kind`.
    pub gvk: (String, String, String),
    pub body: Option<Body>,
    /// Definition name of the response.
    pub response: String,
    pub codes: &'static [(u16, &'static str)],
    pub query: &'static [Parameter],
}

/// One path and its operations.
pub(super) struct Route {
    pub path: String,
    pub path_parameters: Vec<&'static str>,
    pub operations: Vec<Operation>,
}

/// What the operations of one path share.
struct Subject<'a> {
    resource: &'a OpenApiResource<'a>,
    /// `Namespaced` or "" in operation ids.
    scope: &'static str,
    /// `Status`, `Scale` or "" in operation ids.
    suffix: &'static str,
    /// "" or "status of " / "scale of " in descriptions.
    of: &'static str,
    gvk: (String, String, String),
    definition: String,
}

impl Subject<'_> {
    fn operation(
        &self,
        method: &'static str,
        action: &'static str,
        verb: &str,
        description: String,
    ) -> Operation {
        let resource = self.resource;
        Operation {
            method,
            action,
            id: format!(
                "{verb}{}{}{}{}{}",
                pascal_group(resource.group),
                pascal(resource.version),
                self.scope,
                resource.kind,
                self.suffix
            ),
            tag: format!("{}_{}", camel_group(resource.group), resource.version),
            description,
            gvk: self.gvk.clone(),
            body: None,
            response: self.definition.clone(),
            codes: OK,
            query: &[],
        }
    }

    fn read(&self) -> Operation {
        let description = format!("read {}the specified {}", self.of, self.resource.kind);
        self.operation("get", "get", "read", description)
    }

    fn replace(&self) -> Operation {
        let description = format!("replace {}the specified {}", self.of, self.resource.kind);
        Operation {
            body: Some(Body {
                schema: self.definition.clone(),
                media_types: ANY_MEDIA_TYPE,
            }),
            codes: REPLACED,
            query: WRITE_PARAMETERS,
            ..self.operation("put", "put", "replace", description)
        }
    }

    fn patch(&self, builtin: bool) -> Operation {
        let description = format!(
            "partially update {}the specified {}",
            self.of, self.resource.kind
        );
        Operation {
            body: Some(Body {
                schema: PATCH.to_string(),
                media_types: if builtin {
                    BUILTIN_PATCH_TYPES
                } else {
                    CUSTOM_PATCH_TYPES
                },
            }),
            codes: REPLACED,
            query: PATCH_PARAMETERS,
            ..self.operation("patch", "patch", "patch", description)
        }
    }
}

/// The paths kube-apiserver publishes for one resource.
pub(super) fn routes(schemas: &SchemaSet, resource: &OpenApiResource) -> Vec<Route> {
    let builtin = schemas
        .get(resource.group, resource.version, resource.kind)
        .is_some_and(|schema| schema.is_builtin());
    let kind_gvk = (
        resource.group.to_string(),
        resource.version.to_string(),
        resource.kind.to_string(),
    );
    let definition = kind_definition(schemas, resource.group, resource.version, resource.kind);
    let subject = |suffix, of, gvk, definition| Subject {
        resource,
        scope: if resource.namespaced {
            "Namespaced"
        } else {
            ""
        },
        suffix,
        of,
        gvk,
        definition,
    };
    let kind = subject("", "", kind_gvk.clone(), definition.clone());
    let prefix = group_version_prefix(resource.group, resource.version);
    let (collection, item_parameters) = if resource.namespaced {
        (
            format!("{prefix}/namespaces/{{namespace}}/{}", resource.plural),
            vec!["name", "namespace"],
        )
    } else {
        (format!("{prefix}/{}", resource.plural), vec!["name"])
    };
    let collection_parameters: Vec<&'static str> = item_parameters[1..].to_vec();
    let item = format!("{collection}/{{name}}");
    let mut routes = vec![
        Route {
            path: collection.clone(),
            path_parameters: collection_parameters,
            operations: collection_operations(&kind, schemas),
        },
        Route {
            path: item.clone(),
            path_parameters: item_parameters.clone(),
            operations: vec![
                kind.read(),
                kind.replace(),
                delete_operation(&kind),
                kind.patch(builtin),
            ],
        },
    ];
    if resource.namespaced {
        routes.push(all_namespaces_route(&kind, &prefix, schemas));
    }
    if resource.status {
        let status = subject("Status", "status of ", kind_gvk, definition);
        routes.push(subresource_route(
            &item,
            "status",
            &item_parameters,
            &status,
            builtin,
        ));
    }
    if resource.scale {
        let gvk = ("autoscaling".into(), "v1".into(), "Scale".into());
        let scale = subject("Scale", "scale of ", gvk, SCALE.to_string());
        routes.push(subresource_route(
            &item,
            "scale",
            &item_parameters,
            &scale,
            builtin,
        ));
    }
    routes
}

fn collection_operations(kind: &Subject, schemas: &SchemaSet) -> Vec<Operation> {
    let name = kind.resource.kind;
    let list = list_operation(kind, schemas);
    let create = Operation {
        body: Some(Body {
            schema: kind.definition.clone(),
            media_types: ANY_MEDIA_TYPE,
        }),
        codes: CREATED,
        query: WRITE_PARAMETERS,
        ..kind.operation("post", "post", "create", format!("create a {name}"))
    };
    let delete_collection = Operation {
        body: Some(delete_options_body()),
        response: STATUS.to_string(),
        query: DELETE_COLLECTION_PARAMETERS,
        ..kind.operation(
            "delete",
            "deletecollection",
            "deleteCollection",
            format!("delete collection of {name}"),
        )
    };
    vec![list, create, delete_collection]
}

fn delete_operation(kind: &Subject) -> Operation {
    Operation {
        body: Some(delete_options_body()),
        response: STATUS.to_string(),
        codes: DELETED,
        query: DELETE_PARAMETERS,
        ..kind.operation(
            "delete",
            "delete",
            "delete",
            format!("delete a {}", kind.resource.kind),
        )
    }
}

fn all_namespaces_route(kind: &Subject, prefix: &str, schemas: &SchemaSet) -> Route {
    let name = kind.resource.kind;
    let mut list = list_operation(kind, schemas);
    list.id = format!(
        "list{}{}{name}ForAllNamespaces",
        pascal_group(kind.resource.group),
        pascal(kind.resource.version)
    );
    Route {
        path: format!("{prefix}/{}", kind.resource.plural),
        path_parameters: Vec::new(),
        operations: vec![list],
    }
}

/// The list (and watch) operation of a kind's collection.
fn list_operation(kind: &Subject, schemas: &SchemaSet) -> Operation {
    let resource = kind.resource;
    Operation {
        response: list_definition(schemas, resource.group, resource.version, resource.kind),
        query: LIST_PARAMETERS,
        ..kind.operation(
            "get",
            "list",
            "list",
            format!("list or watch objects of kind {}", resource.kind),
        )
    }
}

/// The DeleteOptions body of a delete or deletecollection.
fn delete_options_body() -> Body {
    Body {
        schema: DELETE_OPTIONS.to_string(),
        media_types: ANY_MEDIA_TYPE,
    }
}

fn subresource_route(
    item: &str,
    subresource: &str,
    parameters: &[&'static str],
    subject: &Subject,
    builtin: bool,
) -> Route {
    Route {
        path: format!("{item}/{subresource}"),
        path_parameters: parameters.to_vec(),
        operations: vec![subject.read(), subject.replace(), subject.patch(builtin)],
    }
}

/// `/api/v1` for the core group, `/apis/<group>/<version>` otherwise.
fn group_version_prefix(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    }
}

/// The words of a group as operation ids and tags use them: "" is "core", a `.k8s.io` suffix is
/// dropped, dots and dashes separate words (`rbac.authorization.k8s.io` -> rbac, authorization).
fn group_words(group: &str) -> Vec<&str> {
    if group.is_empty() {
        return vec!["core"];
    }
    let group = group.strip_suffix(".k8s.io").unwrap_or(group);
    group
        .split(['.', '-'])
        .filter(|word| !word.is_empty())
        .collect()
}

fn pascal(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn pascal_group(group: &str) -> String {
    group_words(group).into_iter().map(pascal).collect()
}

fn camel_group(group: &str) -> String {
    let words = group_words(group);
    let mut out = words.first().map(|w| w.to_string()).unwrap_or_default();
    out.extend(words.iter().skip(1).map(|w| pascal(w)));
    out
}
