#!/usr/bin/env python3
"""Generate devcluster's table of built-in Kubernetes schemas (data/builtin-schemas.json).

Source: the upstream OpenAPI definitions of Kubernetes v1.33, in the JSON-schema form that the PyPI
package kubernetes-validate ships (x-kubernetes-* list, map and patch markers intact). Regenerate with:

    pip download --no-deps -d wheels kubernetes-validate==1.37.0
    python3 crates/devcluster/scripts/gen-builtin-schemas.py wheels/kubernetes_validate-1.37.0-py3-none-any.whl

The table keeps the definitions reachable from the kinds devcluster serves (with their descriptions, for
`kubectl explain`) and maps each kind's group/version/kind to its root definition. The JSON-schema
conversion's artefacts are undone so that definitions read like kube-apiserver's own OpenAPI:
`["string", "null"]` becomes `"string"`, `$ref`s point at `#/definitions/<name>`, IntOrString is
`type: string, format: int-or-string`, Quantity is `type: string`, and the apiVersion/kind enums are dropped.
"""
import json
import sys
import zipfile
from pathlib import Path

KUBERNETES_VERSION = "v1.33.0"
DEFINITIONS = f"kubernetes_validate/kubernetes-json-schema/{KUBERNETES_VERSION}-local/_definitions.json"
OUTPUT = Path(__file__).resolve().parent.parent / "data" / "builtin-schemas.json"

SERVED = {
    ("", "v1"): ["Namespace", "ConfigMap", "Secret", "Service", "ServiceAccount", "Pod",
                 "PersistentVolumeClaim", "PersistentVolume", "Endpoints", "Event", "LimitRange",
                 "ResourceQuota"],
    ("apps", "v1"): ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
    ("batch", "v1"): ["Job", "CronJob"],
    ("networking.k8s.io", "v1"): ["Ingress", "IngressClass", "NetworkPolicy"],
    ("rbac.authorization.k8s.io", "v1"): ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
    ("apiextensions.k8s.io", "v1"): ["CustomResourceDefinition"],
    ("coordination.k8s.io", "v1"): ["Lease"],
    ("policy", "v1"): ["PodDisruptionBudget"],
    ("autoscaling", "v2"): ["HorizontalPodAutoscaler"],
    ("storage.k8s.io", "v1"): ["StorageClass"],
    ("admissionregistration.k8s.io", "v1"): ["ValidatingWebhookConfiguration",
                                             "MutatingWebhookConfiguration"],
    ("events.k8s.io", "v1"): ["Event"],
}
# Kinds the API documents reference besides the served ones: lists, errors, delete bodies, /scale.
AUXILIARY = [("", "v1", "Status"), ("autoscaling", "v1", "Scale")]
AUXILIARY_DEFINITIONS = [
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
    "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
]
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
DROPPED_KEYS = {"x-kubernetes-unions", "discriminator", "fields-to-discriminateBy"}


def load_definitions(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return json.loads(archive.read(DEFINITIONS))["$defs"]


def definition_of(defs, group, version, kind):
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            if (gvk["group"], gvk["version"], gvk["kind"]) == (group, version, kind):
                if not name.endswith(".DeleteOptions"):
                    return name
    raise SystemExit(f"no definition for {group}/{version} {kind}")


def served_groups():
    return {group for group, _ in SERVED} | {group for group, _, _ in AUXILIARY}


def normalise(schema, served, is_kind_root=False):
    """A copy of one schema in kube-apiserver's OpenAPI form (see the module doc)."""
    if isinstance(schema, list):
        return [normalise(item, served) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in DROPPED_KEYS:
            continue
        if key == "$ref":
            out[key] = "#/definitions/" + value.split("/")[-1]
        elif key == "type" and isinstance(value, list):
            kept = [t for t in value if t != "null"]
            out[key] = kept[0] if len(kept) == 1 else kept
        elif key == "properties":
            out[key] = {
                name: normalise(strip_type_meta_enum(name, prop) if is_kind_root else prop, served)
                for name, prop in value.items()
            }
        elif key == "x-kubernetes-group-version-kind":
            out[key] = [gvk for gvk in value if gvk["group"] in served]
        elif key in ("enum", "required", "x-kubernetes-list-map-keys"):
            out[key] = value
        else:
            out[key] = normalise(value, served)
    return out


def strip_type_meta_enum(name, prop):
    if name in ("apiVersion", "kind"):
        return {k: v for k, v in prop.items() if k != "enum"}
    return prop


def special_definition(name):
    if name == INT_OR_STRING:
        return {"description": "IntOrString is a type that can hold an int32 or a string.",
                "type": "string", "format": "int-or-string"}
    if name == QUANTITY:
        return {"description": "Quantity is a fixed-point representation of a number, written as a "
                               "string (\"100m\", \"1Gi\") or a number.",
                "type": "string"}
    return None


def references(schema):
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref":
                yield value.split("/")[-1]
            elif key == "properties":
                for prop in value.values():
                    yield from references(prop)
            else:
                yield from references(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from references(item)


def reachable(defs, roots):
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(references(defs[name]))
    return seen


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    defs = load_definitions(sys.argv[1])
    served = served_groups()
    kinds = []
    for (group, version), names in SERVED.items():
        for kind in names:
            kinds.append({"group": group, "version": version, "kind": kind,
                          "definition": definition_of(defs, group, version, kind)})
    for group, version, kind in AUXILIARY:
        kinds.append({"group": group, "version": version, "kind": kind,
                      "definition": definition_of(defs, group, version, kind)})
    roots = [k["definition"] for k in kinds]
    roots += [r + "List" for r in roots if r + "List" in defs]
    roots += AUXILIARY_DEFINITIONS
    definitions = {}
    for name in sorted(reachable(defs, roots)):
        schema = defs[name]
        definitions[name] = special_definition(name) or normalise(
            schema, served, is_kind_root="x-kubernetes-group-version-kind" in schema)
    table = {
        "source": f"kubernetes-validate 1.37.0, kubernetes-json-schema/{KUBERNETES_VERSION}-local",
        "kinds": kinds,
        "definitions": definitions,
    }
    OUTPUT.write_text(json.dumps(table, indent=None, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"{OUTPUT.name}: {len(kinds)} kinds, {len(definitions)} definitions")


if __name__ == "__main__":
    main()
