#!/usr/bin/env python3
"""Validates CycloneDX 1.6 JSON BOMs written by `laocoon bom`.

    bom_check.py SCHEMA_DIR BOM.json...

SCHEMA_DIR is the schema folder of the npm package @cyclonedx/cyclonedx-library
(tools/node/node_modules/@cyclonedx/cyclonedx-library/res/schema): the BOM is
checked against bom-1.6.SNAPSHOT.schema.json, whose references to the SPDX
license list and JSF signature schemas are resolved to the files next to it
(never fetched).  Then the cross-references the schema cannot express:
bom-refs unique, every affects/dependency ref names a component, a v4 UUID
serial number, and laocoon's own conventions (SHA-256 on every hashed file,
a laocoon:format and laocoon:status on every file component).

Prints "ok BOM" or one "BOM: error: ..." line per problem.  Exit status: 0
all valid, 1 some BOM invalid, 3 schema or jsonschema missing.
"""
import json
import os
import re
import sys

try:
    import jsonschema
except ImportError:
    print("bom_check: python3 module jsonschema missing; run tools/install-deps.sh", file=sys.stderr)
    sys.exit(3)

BOM = "bom-1.6.SNAPSHOT.schema.json"
SIDE = ["spdx.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json"]


def load_schemas(d):
    with open(os.path.join(d, BOM), encoding="utf-8") as f:
        main = json.load(f)
    side = {}
    for name in SIDE:
        with open(os.path.join(d, name), encoding="utf-8") as f:
            side[name] = json.load(f)
    return main, side


def make_validator(main, side):
    base = main["$id"].rsplit("/", 1)[0] + "/"
    # The bundled files refer to each other by file name, relative to the
    # main schema's $id; map those URLs (and each file's own $id) locally.
    store = {}
    for name, schema in side.items():
        store[base + name] = schema
        if "$id" in schema:
            store[schema["$id"]] = schema
    store[main["$id"]] = main
    cls = jsonschema.validators.validator_for(main)
    fmt = cls.FORMAT_CHECKER if hasattr(cls, "FORMAT_CHECKER") else jsonschema.FormatChecker()
    try:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7

        registry = Registry().with_resources(
            (uri, Resource.from_contents(s, default_specification=DRAFT7)) for uri, s in store.items())
        return cls(main, registry=registry, format_checker=fmt)
    except ImportError:  # jsonschema < 4.18
        resolver = jsonschema.RefResolver.from_schema(main, store=store)
        return cls(main, resolver=resolver, format_checker=fmt)


UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def cross_checks(bom):
    errs = []
    refs = []

    def collect(obj):
        if isinstance(obj, dict):
            if isinstance(obj.get("bom-ref"), str):
                refs.append(obj["bom-ref"])
            for v in obj.values():
                collect(v)
        elif isinstance(obj, list):
            for v in obj:
                collect(v)

    collect(bom)
    seen = set()
    for r in refs:
        if r in seen:
            errs.append(f"bom-ref {r!r} is not unique")
        seen.add(r)
    if bom.get("specVersion") != "1.6":
        errs.append("specVersion is not 1.6")
    if not UUID.match(bom.get("serialNumber", "")):
        errs.append("serialNumber is not a random (v4) urn:uuid")
    comps = {c.get("bom-ref"): c for c in bom.get("components", [])}
    meta = bom.get("metadata", {}).get("component", {})
    if meta.get("type") != "machine-learning-model":
        errs.append("metadata.component is not a machine-learning-model")
    for v in bom.get("vulnerabilities", []):
        for a in v.get("affects", []):
            if a.get("ref") not in comps:
                errs.append(f"vulnerability {v.get('id')!r} affects unknown ref {a.get('ref')!r}")
    for d in bom.get("dependencies", []):
        for r in [d.get("ref")] + d.get("dependsOn", []):
            if r not in comps and r != meta.get("bom-ref"):
                errs.append(f"dependency names unknown ref {r!r}")
    for ref, c in comps.items():
        props = {p["name"]: p.get("value") for p in c.get("properties", [])}
        for k in ("laocoon:format", "laocoon:status", "laocoon:size"):
            if k not in props:
                errs.append(f"component {ref!r} has no {k}")
        algs = [h["alg"] for h in c.get("hashes", [])]
        if "SHA-256" not in algs and "laocoon:hash-error" not in props and props.get("laocoon:format") != "symlink":
            errs.append(f"component {ref!r} has no SHA-256")
    return errs


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        main_schema, side = load_schemas(sys.argv[1])
    except OSError as e:
        print(f"bom_check: CycloneDX schema missing ({e}); run tools/install-deps.sh", file=sys.stderr)
        return 3
    validator = make_validator(main_schema, side)
    bad = 0
    for path in sys.argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                bom = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{path}: error: unreadable: {e}")
            bad += 1
            continue
        errs = [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
                for e in validator.iter_errors(bom)]
        errs += cross_checks(bom)
        for e in errs[:20]:
            print(f"{path}: error: {e}")
        if errs:
            bad += 1
        else:
            print(f"ok {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
