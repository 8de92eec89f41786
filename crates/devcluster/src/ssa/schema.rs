//! The schema view the merge walkers use: the caller's [`Shape`], plus what every object shares —
//! `metadata` (labels and annotations granular maps, finalizers a set, ownerReferences a map by
//! uid) and the fields server-side apply never tracks (apiVersion, kind, metadata.name, ...).

use crate::shape::{ListType, Shape};

/// Fields of `metadata` that are never tracked in managedFields and never merged from a config.
const UNTRACKED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// The type of one node of an object, as far as merging is concerned.
#[derive(Debug, Clone, Copy)]
pub enum Ty<S> {
    /// The object itself: `metadata` is known whatever the shape says.
    Root(Option<S>),
    /// A node described by the caller's schema.
    Shaped(S),
    /// Nothing known: objects are granular maps whose entries are all undeclared, lists atomic.
    Unknown,
    /// Never tracked, never taken from a config (apiVersion, kind, metadata.name, ...).
    Untracked,
    /// `metadata`.
    Meta,
    /// `metadata.labels` and `metadata.annotations`.
    StringMap,
    /// `metadata.finalizers`.
    Finalizers,
    /// `metadata.ownerReferences`.
    OwnerReferences,
    /// One element of `metadata.ownerReferences`.
    OwnerReference,
}

/// How a list merges and is owned.
pub enum ListKind {
    /// Replaced and owned whole.
    Atomic,
    /// Scalars merged by value.
    Set,
    /// Objects merged by these key fields.
    Map(Vec<String>),
}

impl<S: Shape> Ty<S> {
    /// The type of field (or map entry) `name` of an object of this type.
    pub fn field(self, name: &str) -> Ty<S> {
        match self {
            Ty::Root(_) if name == "apiVersion" || name == "kind" => Ty::Untracked,
            Ty::Root(_) if name == "metadata" => Ty::Meta,
            Ty::Root(shape) => shape
                .and_then(|s| s.field(name))
                .map_or(Ty::Unknown, Ty::Shaped),
            Ty::Shaped(s) => s.field(name).map_or(Ty::Unknown, Ty::Shaped),
            Ty::Meta => match name {
                "labels" | "annotations" => Ty::StringMap,
                "finalizers" => Ty::Finalizers,
                "ownerReferences" => Ty::OwnerReferences,
                n if UNTRACKED_METADATA.contains(&n) => Ty::Untracked,
                _ => Ty::Unknown,
            },
            Ty::Untracked => Ty::Untracked,
            Ty::OwnerReference => Ty::Unknown,
            Ty::Unknown | Ty::StringMap | Ty::Finalizers | Ty::OwnerReferences => Ty::Unknown,
        }
    }

    /// The type of the elements of a list of this type.
    pub fn items(self) -> Ty<S> {
        match self {
            Ty::Shaped(s) => s.items().map_or(Ty::Unknown, Ty::Shaped),
            Ty::OwnerReferences => Ty::OwnerReference,
            _ => Ty::Unknown,
        }
    }

    /// How a list of this type merges.
    pub fn list_kind(self) -> ListKind {
        match self {
            Ty::Shaped(s) => match s.list_type() {
                ListType::Atomic => ListKind::Atomic,
                ListType::Set => ListKind::Set,
                ListType::Map(keys) => ListKind::Map(keys),
            },
            Ty::Finalizers => ListKind::Set,
            Ty::OwnerReferences => ListKind::Map(vec!["uid".to_string()]),
            _ => ListKind::Atomic,
        }
    }

    /// Whether an object of this type is replaced and owned as a whole.
    pub fn is_atomic_map(self) -> bool {
        match self {
            Ty::Shaped(s) => s.is_atomic(),
            _ => false,
        }
    }

    /// Whether this node is never tracked.
    pub fn is_untracked(self) -> bool {
        matches!(self, Ty::Untracked)
    }

    /// How the entries of an object of this type are owned (see [`MapEntries`]).
    pub fn map_entries(self) -> MapEntries<S> {
        let open = match self {
            Ty::Root(_) | Ty::Meta | Ty::OwnerReference | Ty::Untracked => false,
            Ty::StringMap | Ty::Unknown => true,
            Ty::Shaped(s) => s.field(UNDECLARED_PROBE).is_some(),
            Ty::Finalizers | Ty::OwnerReferences => false,
        };
        MapEntries { ty: self, open }
    }
}

/// A property name no schema declares: asking a schema for it tells a map with
/// `additionalProperties` (which answers with the value schema) from a struct (which does not).
const UNDECLARED_PROBE: &str = "";

/// The entries of one object: whether it is an open map (labels, data, an untyped object), whose
/// entries kube owns individually, or a struct with declared fields.
pub struct MapEntries<S> {
    ty: Ty<S>,
    open: bool,
}

impl<S: Shape> MapEntries<S> {
    /// Whether the object is an open map rather than a struct.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Whether `name` is a declared field (a struct property) rather than a map entry; kube owns
    /// a non-empty map entry itself (`.`) but not a declared field.
    pub fn is_declared(&self, name: &str) -> bool {
        match self.ty {
            Ty::Root(_) | Ty::Meta | Ty::OwnerReference => true,
            Ty::Shaped(s) => !self.open && s.field(name).is_some(),
            _ => false,
        }
    }
}
