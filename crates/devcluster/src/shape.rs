//! The structural view of a type's schema that merging needs: which fields an object has, how a list
//! merges (atomic, as a set, or as a map keyed by some of its elements' fields) and whether a map is
//! replaced as a whole. Server-side apply and strategic merge read schemas only through this trait.

/// How the elements of a list are merged and owned by server-side apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListType {
    /// The list is one value: replaced whole, owned whole.
    Atomic,
    /// Elements are scalars merged by value (`x-kubernetes-list-type: set`).
    Set,
    /// Elements are objects identified by these fields (`x-kubernetes-list-type: map` with
    /// `x-kubernetes-list-map-keys`, or a built-in `patchStrategy: merge` with its merge key).
    Map(Vec<String>),
}

/// Navigation over the schema of one type, one step at a time.
///
/// A step that returns `None` means nothing is known below that point: callers then treat objects
/// as granular maps and lists as atomic, as kube-apiserver does for schemaless values.
pub trait Shape: Copy {
    /// The schema of property `name` of an object, or of the values of a map
    /// (`additionalProperties`) when the object has no such named property.
    fn field(self, name: &str) -> Option<Self>;
    /// The schema of the elements of a list.
    fn items(self) -> Option<Self>;
    /// How this list merges; `Atomic` when the schema says nothing.
    fn list_type(self) -> ListType;
    /// Whether this object is replaced and owned as a whole (`x-kubernetes-map-type: atomic`,
    /// or a scalar-like type such as `IntOrString` or `Quantity`).
    fn is_atomic(self) -> bool;
    /// Strategic merge patch: the merge key of this list, when its patch strategy is `merge`.
    fn patch_merge_key(self) -> Option<String>;
    /// Strategic merge patch: the patch strategies of this field (`merge`, `retainKeys`, ...).
    fn patch_strategies(self) -> Vec<String>;
}
