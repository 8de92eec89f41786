//! Sync planning: annotations, sync options, hooks, phases, waves, kind order and prune sets.
