#!/usr/bin/env python3
"""Generate crates/devcluster/data/proto-table.json, the schema that drives the protobuf decoder.

The decoder (crates/devcluster/src/protobuf/) turns `application/vnd.kubernetes.protobuf` request
bodies into the JSON kube-apiserver would have received. It needs, for every message: the field
numbers, wire kinds and nested message types (from the k8s-pb crate, prost code generated from the
upstream generated.proto files) and, for every field, what Go's JSON encoding of the Go type does:
the JSON name, `omitempty`, `inline`, and whether the Go field is a pointer (a pointer carries an
explicit zero such as `replicas: 0`; a plain value does not). Those Go facts come from the struct tags
and runtime type descriptors that every Go binary keeps for reflection: the kubectl binary holds all
of k8s.io/api. Fields kubectl does not know (newer than it) fall back to camelCase names and
omit-when-zero.

Regenerate (from the repository root):

    fetch="$(mktemp -d)/fetch"
    cargo new --lib "$fetch" && (cd "$fetch" && cargo add k8s-pb@0.9.0 && cargo fetch)
    python3 crates/devcluster/scripts/gen-proto-table.py \
        --k8s-pb "$(ls -d ${CARGO_HOME:-$HOME/.cargo}/registry/src/*/k8s-pb-0.9.0 | head -n1)" \
        --kubectl "$(readlink -f "$(command -v kubectl)")" \
        > crates/devcluster/data/proto-table.json
    rm -r "$(dirname "$fetch")"

The struct of the same Go package and name supplies the facts; structs kubectl cannot name are matched
by their set of (field number, proto name) pairs. Statistics go to stderr.

The table was generated with k8s-pb 0.9.0 and kubectl v1.32.4.
"""

import argparse
import array
import json
import os
import re
import struct
import sys

# ---------------------------------------------------------------------------------------------
# k8s-pb: message graph

# Metrics, CRDs and APIServices never reach a typed kubectl client as protobuf (and kubectl, the
# source of the Go facts, does not link their Go types), so they are left out.
SKIP_PREFIXES = ("metrics", "apimachinery/pkg/apis/testapigroup", "apiextensions_apiserver", "kube_aggregator")

# Module path prefix -> short id prefix used in the table.
ID_PREFIXES = [
    ("api.", ""),
    ("apimachinery.pkg.apis.", ""),
    ("apimachinery.pkg.api.", ""),
    ("apimachinery.pkg.util.", ""),
    ("apimachinery.pkg.", ""),
]

# Group directory -> API group name, where it is not "<directory>.k8s.io".
GROUPS = {
    "core": "",
    "apps": "apps",
    "batch": "batch",
    "autoscaling": "autoscaling",
    "policy": "policy",
    "extensions": "extensions",
    "meta": "meta.k8s.io",
    "apiserverinternal": "internal.apiserver.k8s.io",
    "flowcontrol": "flowcontrol.apiserver.k8s.io",
    "rbac": "rbac.authorization.k8s.io",
}

# Messages with a JSON form of their own (decoded by src/protobuf/special.rs).
SPECIALS = {
    "meta.v1.Time": "time",
    "meta.v1.MicroTime": "microtime",
    "meta.v1.Duration": "duration",
    "meta.v1.FieldsV1": "raw",
    "runtime.RawExtension": "raw",
    "resource.Quantity": "quantity",
    "intstr.IntOrString": "intorstring",
    "meta.v1.Verbs": "strings",
    "authentication.v1.ExtraValue": "strings",
    "authentication.v1beta1.ExtraValue": "strings",
    "authorization.v1.ExtraValue": "strings",
    "authorization.v1beta1.ExtraValue": "strings",
    "certificates.v1.ExtraValue": "strings",
    "certificates.v1beta1.ExtraValue": "strings",
}

# Go pointer fields newer than the kubectl the table is generated from, whose explicit zero matters
# (k8s.io/api v0.34 types.go): (message id, JSON name).
NEWER_POINTERS = {
    ("core.v1.FileKeySelector", "optional"),  # *bool
    ("core.v1.PodCertificateProjection", "maxExpirationSeconds"),  # *int32
    ("apps.v1.DeploymentStatus", "terminatingReplicas"),  # *int32
    ("apps.v1.ReplicaSetStatus", "terminatingReplicas"),  # *int32
}

SCALARS = {
    "string": "string",
    "int32": "int32",
    "int64": "int64",
    "bool": "bool",
    "double": "double",
    "bytes": "bytes",
}


def short_id(module, name):
    dotted = ".".join(module)
    for prefix, repl in ID_PREFIXES:
        if dotted.startswith(prefix):
            dotted = repl + dotted[len(prefix):]
            break
    return f"{dotted}.{name}"


def group_version(module):
    """Returns the apiVersion of a k8s-pb module such as api/apps/v1, or None."""
    if len(module) < 2 or not re.fullmatch(r"v\d+((alpha|beta)\d+)?", module[-1]):
        return None
    group = module[-2]
    name = GROUPS.get(group, f"{group}.k8s.io")
    return f"{name}/{module[-1]}" if name else module[-1]


def resolve(module, path):
    """Resolves a prost type path written in `module` to (module, name)."""
    path = re.sub(r"\s+", "", path)
    parts = path.split("::")
    mod = list(module)
    while parts and parts[0] == "super":
        mod.pop()
        parts.pop(0)
    return mod + parts[:-1], parts[-1]


def inner_type(ty):
    ty = re.sub(r"\s+", "", ty).replace(",>", ">")
    for wrapper in ("::core::option::Option<", "::prost::alloc::vec::Vec<", "::prost::alloc::boxed::Box<"):
        while ty.startswith(wrapper):
            ty = ty[len(wrapper):-1]
    m = re.match(r"::prost::alloc::collections::BTreeMap<[^,]+,(.*?),?>$", ty)
    if m:
        ty = m.group(1)
    return ty


FIELD_RE = re.compile(r"#\[prost\(([^\]]*)\)\]\s*pub\s+(?:r#)?(\w+)\s*:\s*(.*?),\s*$", re.S)


def parse_struct_body(module, body):
    fields = []
    for chunk in re.split(r"(?=#\[prost\()", body):
        m = FIELD_RE.match(chunk.strip() + "\n")
        if not m:
            continue
        attr, name, ty = m.groups()
        tag = int(re.search(r'tag\s*=\s*"(\d+)"', attr).group(1))
        field = {"num": tag, "rust": name}
        mm = re.match(r'btree_map\s*=\s*"string,\s*(\w+)"', attr)
        if mm:
            field["label"] = "map"
            field["kind"] = mm.group(1)
        else:
            field["kind"] = attr.split(",")[0].split("=")[0].strip()
            field["label"] = "repeated" if "repeated" in attr else "optional"
        if field["kind"] == "message":
            field["ref"] = short_id(*resolve(module, inner_type(ty)))
        elif field["kind"] not in SCALARS:
            sys.exit(f"unsupported prost kind {field['kind']} in {module}")
        fields.append(field)
    return fields


def parse_k8s_pb(root):
    """Messages (id -> fields), apiVersions (-> id prefix) and Go identities (id -> (package, lower name))."""
    messages, versions, identities = {}, {}, {}
    for dirpath, _, files in os.walk(os.path.join(root, "src")):
        rel = os.path.relpath(dirpath, os.path.join(root, "src"))
        if "mod.rs" not in files or rel == "." or rel.startswith(SKIP_PREFIXES):
            continue
        module = rel.split(os.sep)
        text = open(os.path.join(dirpath, "mod.rs"), encoding="utf-8").read()
        text = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
        found = False
        for m in re.finditer(r"pub struct (\w+) \{([^{}]*)\}", text):
            mid = short_id(module, m.group(1))
            messages[mid] = parse_struct_body(module, m.group(2))
            identities[mid] = ("k8s.io/" + "/".join(module), m.group(1).lower())
            found = True
        gv = group_version(module)
        if found and gv:
            versions[gv] = short_id(module, "")[:-1]
    return messages, versions, identities


# ---------------------------------------------------------------------------------------------
# kubectl: Go struct tags and pointer-ness from the runtime type descriptors

KIND_PTR = 22


class Elf:
    def __init__(self, path):
        self.data = open(path, "rb").read()
        d = self.data
        shoff = struct.unpack_from("<Q", d, 0x28)[0]
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3A)
        self.sections = {}
        raw = [struct.unpack_from("<IIQQQQ", d, shoff + i * shentsize) for i in range(shnum)]
        stroff = raw[shstrndx][4]
        for name, typ, _flags, addr, off, size in raw:
            sname = d[stroff + name:d.index(b"\0", stroff + name)].decode()
            self.sections[sname] = (typ, addr, off, size)

    def off(self, addr):
        for typ, start, off, size in self.sections.values():
            if typ != 8 and start and start <= addr < start + size:
                return off + addr - start
        raise ValueError(f"address {addr:#x} outside the file")

    def u64(self, addr):
        return struct.unpack_from("<Q", self.data, self.off(addr))[0]

    def kind(self, type_addr):
        return self.data[self.off(type_addr) + 23] & 0x1F


def varint(data, pos):
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos


def name_at(data, pos):
    """Decodes a Go runtime name blob: flags, varint length, name, [varint length, tag]."""
    flags = data[pos]
    n, p = varint(data, pos + 1)
    name = data[p:p + n]
    tag = b""
    if flags & 2:
        t, p = varint(data, p + n)
        tag = data[p:p + t]
    return flags, name, tag


def find_tagged_names(elf):
    """Addresses of every field-name blob whose tag carries a `protobuf:` key."""
    _, ro_addr, ro_off, ro_size = elf.sections[".rodata"]
    d = elf.data
    blobs = {}
    for m in re.finditer(rb'protobuf:"', d[ro_off:ro_off + ro_size]):
        pos = ro_off + m.start()
        for start in range(pos - 160, pos):
            try:
                flags, name, tag = name_at(d, start)
            except IndexError:
                continue
            if flags & 2 and re.fullmatch(rb"[A-Z]\w*", name) and b'protobuf:"' in tag:
                end = start + 1 + len(name) + len(tag) + 2
                if end > pos:
                    blobs[ro_addr + start - ro_off] = (name.decode(), tag.decode())
                    break
    return blobs


def parse_tag(go_name, tag):
    keys = dict(re.findall(r'(\w+):"([^"]*)"', tag))
    json_parts = keys.get("json", "").split(",")
    proto = keys.get("protobuf", "").split(",")
    if len(proto) < 2 or not proto[1].isdigit():
        return None
    pname = next((p[5:] for p in proto if p.startswith("name=")), go_name[:1].lower() + go_name[1:])
    return {
        "json": json_parts[0],
        "omitempty": "omitempty" in json_parts[1:],
        "inline": "inline" in json_parts[1:],
        "num": int(proto[1]),
        "pname": pname,
    }


def types_base(elf):
    """The base that type and name offsets are relative to: `moduledata.types`.

    moduledata sits in .noptrdata and starts with a pointer to .gopclntab; a little later come minpc, maxpc,
    text, etext, ... gcbss and then types (Go 1.20 - 1.24 layout: types is 17 words after minpc).
    """
    _, np_addr, np_off, np_size = elf.sections[".noptrdata"]
    words = array.array("Q", elf.data[np_off:np_off + np_size - np_size % 8])
    pclntab, text = elf.sections[".gopclntab"][1], elf.sections[".text"][1]
    _, ro_addr, _, ro_size = elf.sections[".rodata"]
    for i, word in enumerate(words):
        if word != pclntab:
            continue
        for j in range(i, min(i + 60, len(words) - 20)):
            if words[j] == text and ro_addr <= words[j + 17] < ro_addr + ro_size:
                return words[j + 17]
    sys.exit("could not find the Go moduledata in the kubectl binary")


def struct_identity(elf, base, type_addr):
    """(package path, lower-case type name) of the named struct type at `type_addr`."""
    off = elf.off(type_addr)
    tflag = elf.data[off + 20]
    name = name_at(elf.data, elf.off(base + struct.unpack_from("<i", elf.data, off + 40)[0]))[1].decode()
    if tflag & 2:  # TFlagExtraStar
        name = name[1:]
    if not tflag & 1:  # no uncommonType: not a named type
        return None
    pkg_off = struct.unpack_from("<i", elf.data, off + 80)[0]  # uncommonType.PkgPath after the 80-byte structType
    pkg = name_at(elf.data, elf.off(base + pkg_off))[1].decode()
    return pkg, name.rsplit(".", 1)[-1].lower()


def field_runs(elf, words, ro_addr):
    """Addresses of Go struct fields with protobuf tags, grouped into runs of consecutive fields."""
    blobs = find_tagged_names(elf)
    fields = {}
    for i, word in enumerate(words):
        if word in blobs:
            addr = ro_addr + i * 8
            info = parse_tag(*blobs[word])
            if not info or not re.fullmatch(r"\w+", info["pname"]):
                continue
            info["pointer"] = elf.kind(elf.u64(addr + 8)) == KIND_PTR
            fields[addr] = info
    runs, current = [], []
    for addr in sorted(fields):
        if current and addr != current[-1] + 24:
            runs.append(current)
            current = []
        current.append(addr)
    if current:
        runs.append(current)
    return runs, fields


def go_structs(kubectl):
    """Go structs with protobuf tags: (identity or None, [field facts]) per struct."""
    elf = Elf(kubectl)
    base = types_base(elf)
    _, ro_addr, ro_off, ro_size = elf.sections[".rodata"]
    words = array.array("Q", elf.data[ro_off:ro_off + ro_size - ro_size % 8])
    runs, fields = field_runs(elf, words, ro_addr)
    slices = {}
    for i in range(len(words) - 2):
        if words[i + 1] == words[i + 2] and 0 < words[i + 1] < 512:
            slices.setdefault(words[i], []).append((i, words[i + 1]))
    out = []
    for run in runs:
        identity = None
        # structType = abi.Type (48 bytes), PkgPath (8), Fields slice: look for the slice that starts at the
        # run (or up to 3 untagged fields before it, such as an embedded TypeMeta).
        for lead in range(4):
            for i, length in slices.get(run[0] - 24 * lead, []):
                if length == len(run) + lead:
                    identity = struct_identity(elf, base, ro_addr + i * 8 - 56)
        out.append((identity, [fields[a] for a in run]))
    return out


# ---------------------------------------------------------------------------------------------
# Merging


def norm(name):
    return name.replace("_", "").lower()


def camel(rust):
    head, *rest = rust.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def match_structs(messages, identities, structs):
    """For every message, the Go facts of each field number.

    The Go struct of the same package and name wins; failing that (a struct kubectl's runtime types do not
    name), the struct with the same set of (field number, proto name) pairs, or the largest such subset.
    """
    by_identity = {identity: fields for identity, fields in structs if identity}
    by_key = {}
    for _, fields in structs:
        by_key.setdefault(frozenset((f["num"], norm(f["pname"])) for f in fields), fields)
    facts, unmatched = {}, []
    for mid, fields in messages.items():
        run = by_identity.get(identities[mid])
        if run is None:
            key = frozenset((f["num"], norm(f["rust"])) for f in fields)
            subsets = [k for k in by_key if k <= key and len(k) * 2 >= len(key)]
            run = by_key[max(subsets, key=len)] if subsets else None
        if run is None:
            unmatched.append(mid)
            continue
        facts[mid] = {f["num"]: f for f in run}
    return facts, unmatched


def field_entry(field, go):
    """[number, jsonName, type, mode]; type is a scalar, a special or a message id."""
    kind = field["kind"]
    ref = field.get("ref")
    typ = SPECIALS.get(ref, ref) if kind == "message" else SCALARS[kind]
    if go and go["inline"]:
        mode = "inline"
    elif field["label"] == "repeated":
        mode = "list"
    elif field["label"] == "map":
        mode = "map"
    elif go and go["pointer"]:
        mode = "pointer"
    elif go and not go["omitempty"]:
        mode = "always"
    else:
        mode = "omitempty"
    name = go["json"] if go and go["json"] else camel(field["rust"])
    return [field["num"], "" if mode == "inline" else name, typ, mode]


def build_table(messages, versions, identities, structs):
    facts, unmatched = match_structs(messages, identities, structs)
    table, fallback, overridden = {}, 0, set()
    for mid in sorted(messages):
        if mid in SPECIALS:
            continue
        go = facts.get(mid, {})
        entries = []
        for field in sorted(messages[mid], key=lambda f: f["num"]):
            info = go.get(field["num"])
            if info is None:
                fallback += 1
            elif info["json"] == "-":
                continue  # not part of the JSON form (runtime.Unknown.raw)
            entry = field_entry(field, info)
            if (mid, entry[1]) in NEWER_POINTERS:
                entry[3] = "pointer"
                overridden.add((mid, entry[1]))
            entries.append(entry)
        table[mid] = entries
    if overridden != NEWER_POINTERS:
        sys.exit(f"NEWER_POINTERS names unknown fields: {sorted(NEWER_POINTERS - overridden)}")
    print(f"{len(table)} messages, {len(unmatched)} without Go facts, "
          f"{fallback} fields by fallback", file=sys.stderr)
    return {"versions": dict(sorted(versions.items())), "messages": table}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k8s-pb", required=True, help="unpacked k8s-pb crate")
    parser.add_argument("--kubectl", required=True, help="kubectl binary (Go, not stripped of types)")
    args = parser.parse_args()
    messages, versions, identities = parse_k8s_pb(args.k8s_pb)
    structs = go_structs(args.kubectl)
    table = build_table(messages, versions, identities, structs)
    out = json.dumps(table, separators=(",", ":"))
    # One message per line keeps diffs of regenerated tables readable.
    out = out.replace('],"', '],\n"').replace('{"versions"', '{\n"versions"')
    print(out)


if __name__ == "__main__":
    main()
