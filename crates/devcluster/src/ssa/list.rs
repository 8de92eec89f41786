//! Identifying the elements of set-lists and map-lists, and the errors a value can have for its
//! schema while it is walked.

use serde_json::Value;

use super::path::PathElement;
use super::schema::ListKind;

/// A value that cannot be merged or owned under its schema.
#[derive(Debug, thiserror::Error)]
pub enum ShapeError {
    /// An element of a map-list is not an object, so it has no key.
    #[error("{path}: element {index} of a list keyed by {keys:?} is not an object")]
    ElementNotAnObject {
        /// Where the list is, in kube's path syntax.
        path: String,
        /// The position of the element.
        index: usize,
        /// The list's key fields.
        keys: Vec<String>,
    },
    /// Two elements of a set or map-list have the same key.
    #[error("{path}: duplicate entries for key {key}")]
    DuplicateEntries {
        /// Where the list is, in kube's path syntax.
        path: String,
        /// The repeated key (`[name="app"]`, `[="x"]`).
        key: String,
    },
}

impl ShapeError {
    /// The same error, located one step further from the root (`element` is prepended).
    pub fn within(mut self, element: &PathElement) -> ShapeError {
        let path = match &mut self {
            ShapeError::ElementNotAnObject { path, .. } => path,
            ShapeError::DuplicateEntries { path, .. } => path,
        };
        *path = format!("{element}{path}");
        self
    }
}

/// The path elements of the elements of a set or map-list, with a sorted index for lookups.
pub struct KeyedList {
    elements: Vec<PathElement>,
    sorted: Vec<usize>,
}

impl KeyedList {
    /// Identifies every element of `items`, a list of kind `kind` (set or map). Fails when a
    /// map-list element is not an object; duplicates are allowed here (see [`Self::reject_duplicates`]).
    pub fn new(items: &[Value], kind: &ListKind) -> Result<KeyedList, ShapeError> {
        let elements = items
            .iter()
            .enumerate()
            .map(|(index, item)| element_of(item, index, kind))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sorted: Vec<usize> = (0..elements.len()).collect();
        sorted.sort_by(|&a, &b| elements[a].cmp(&elements[b]));
        Ok(KeyedList { elements, sorted })
    }

    /// The path element of each item, in list order.
    pub fn elements(&self) -> &[PathElement] {
        &self.elements
    }

    /// Fails on the first key that appears twice (an applied configuration must not repeat keys).
    pub fn reject_duplicates(&self) -> Result<(), ShapeError> {
        for pair in self.sorted.windows(2) {
            if self.elements[pair[0]] == self.elements[pair[1]] {
                return Err(ShapeError::DuplicateEntries {
                    path: String::new(),
                    key: self.elements[pair[0]].to_string(),
                });
            }
        }
        Ok(())
    }

    /// The position of the first item identified by `element`.
    pub fn position(&self, element: &PathElement) -> Option<usize> {
        let start = self
            .sorted
            .partition_point(|&i| self.elements[i] < *element);
        let &index = self.sorted.get(start)?;
        (self.elements[index] == *element).then_some(index)
    }

    /// Whether more than one item is identified by `element`.
    pub fn is_duplicated(&self, element: &PathElement) -> bool {
        let start = self
            .sorted
            .partition_point(|&i| self.elements[i] < *element);
        self.sorted
            .get(start + 1)
            .is_some_and(|&i| self.elements[i] == *element)
    }
}

fn element_of(item: &Value, index: usize, kind: &ListKind) -> Result<PathElement, ShapeError> {
    match kind {
        ListKind::Map(keys) => match item {
            Value::Object(map) => Ok(PathElement::key_of(map, keys)),
            _ => Err(ShapeError::ElementNotAnObject {
                path: String::new(),
                index,
                keys: keys.clone(),
            }),
        },
        ListKind::Set | ListKind::Atomic => Ok(PathElement::Value(item.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names() -> ListKind {
        ListKind::Map(vec!["name".to_string()])
    }

    #[test]
    fn finds_first_positions_and_duplicates() {
        let items = [
            json!({"name": "b"}),
            json!({"name": "a"}),
            json!({"name": "b", "x": 1}),
        ];
        let list = KeyedList::new(&items, &names()).unwrap();
        let b = list.elements()[0].clone();
        assert_eq!(list.position(&b), Some(0));
        assert!(list.is_duplicated(&b));
        assert!(!list.is_duplicated(&list.elements()[1].clone()));
        let err = list.reject_duplicates().unwrap_err();
        let err = err.within(&PathElement::Field("containers".into()));
        assert_eq!(
            err.to_string(),
            r#".containers: duplicate entries for key [name="b"]"#
        );
    }

    #[test]
    fn map_list_elements_must_be_objects() {
        let err = KeyedList::new(&[json!("x")], &names()).err().unwrap();
        assert!(err.to_string().contains("element 0"), "{err}");
        let set = KeyedList::new(&[json!("x"), json!("y")], &ListKind::Set).unwrap();
        assert_eq!(set.position(&PathElement::Value(json!("y"))), Some(1));
        assert!(set.reject_duplicates().is_ok());
    }
}
