#!/usr/bin/env python3
"""Checks SARIF logs written by laocoon, beyond what the SARIF multitool sees.

The multitool (tools/sarif-validate.sh runs it first) misses whole classes of
errors: a result whose "level" is not in the schema's enum makes it skip the
log silently, and it never cross-checks ruleIndex or artifact indexes.  This
script adds:
  1. JSON Schema validation against the official SARIF 2.1.0 schema (the copy
     shipped in the multitool's npm package);
  2. the cross-references SARIF requires but no schema can express:
     ruleIndex -> rules[].id, artifactLocation.index -> artifacts[].location.uri;
  3. URI syntax (RFC 3986 URI-reference characters, %XX escapes);
  4. laocoon's own contract (docs/sarif.md): level <-> severity mapping,
     security-severity values, partialFingerprints.

Usage: sarif_check.py SCHEMA.json LOG.sarif...
Prints one line per problem as "FILE: error: ..." and exits 1 if any.
"""
import json
import re
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover - reported to the caller
    print("sarif_check: python3 module 'jsonschema' missing; run tools/install-deps.sh", file=sys.stderr)
    sys.exit(3)

LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note", "INFO": "note"}
SECURITY_SEVERITY = {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "3.0", "INFO": "1.0"}
RANK = {"INFO": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
# RFC 3986 URI-reference: unreserved, reserved and '%' (escapes checked apart).
URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")
BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def check_uri(uri, where, absolute, errs):
    if not isinstance(uri, str):
        errs.append(f"{where}: uri is not a string")
        return
    if not URI_CHARS.match(uri) or BAD_ESCAPE.search(uri):
        errs.append(f"{where}: invalid URI {uri!r}")
    if absolute and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri):
        errs.append(f"{where}: URI must be absolute: {uri!r}")
    if not absolute and re.match(r"^[^/?#]*:", uri) and not uri.startswith("file:"):
        errs.append(f"{where}: relative URI whose first segment reads as a scheme: {uri!r}")


def check_log(log, validator):
    errs = []
    for e in sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in e.absolute_path)
        errs.append(f"schema: {path}: {e.message[:300]}")
    if errs:
        return errs  # the checks below assume a schema-valid log
    if log.get("$schema") != "https://json.schemastore.org/sarif-2.1.0.json":
        errs.append("$schema is not the SARIF 2.1.0 schema URI")
    runs = log["runs"]
    if len(runs) != 1:
        errs.append(f"expected one run, got {len(runs)}")
    for ri, run in enumerate(runs):
        driver = run["tool"]["driver"]
        check_uri(driver.get("informationUri"), f"runs[{ri}].tool.driver.informationUri", True, errs)
        rules = driver.get("rules", [])
        ids = [r["id"] for r in rules]
        if len(set(ids)) != len(ids):
            errs.append(f"runs[{ri}]: duplicate rule ids")
        for k, rule in enumerate(rules):
            for key in ("shortDescription", "fullDescription", "help"):
                if not rule.get(key, {}).get("text"):
                    errs.append(f"rules[{k}] ({rule['id']}): missing {key}.text")
            ss = rule.get("properties", {}).get("security-severity")
            if ss not in SECURITY_SEVERITY.values():
                errs.append(f"rules[{k}]: bad security-severity {ss!r}")
        arts = run.get("artifacts", [])
        for k, a in enumerate(arts):
            check_uri(a["location"].get("uri"), f"artifacts[{k}]", False, errs)
        worst = {}
        for k, res in enumerate(run.get("results", [])):
            where = f"runs[{ri}].results[{k}]"
            idx = res.get("ruleIndex")
            if idx is None or not (0 <= idx < len(rules)) or rules[idx]["id"] != res.get("ruleId"):
                errs.append(f"{where}: ruleIndex {idx} does not point at rule {res.get('ruleId')!r}")
            sev = res.get("properties", {}).get("severity")
            if sev not in LEVEL:
                errs.append(f"{where}: properties.severity {sev!r}")
            elif res.get("level") != LEVEL[sev]:
                errs.append(f"{where}: level {res.get('level')!r} for severity {sev}")
            else:
                rid = res.get("ruleId")
                worst[rid] = max(worst.get(rid, 0), RANK[sev])
            if not res.get("partialFingerprints"):
                errs.append(f"{where}: no partialFingerprints")
            for li, loc in enumerate(res.get("locations", [])):
                al = loc.get("physicalLocation", {}).get("artifactLocation", {})
                check_uri(al.get("uri"), f"{where}.locations[{li}]", False, errs)
                ai = al.get("index")
                if ai is not None and (not (0 <= ai < len(arts)) or arts[ai]["location"]["uri"] != al.get("uri")):
                    errs.append(f"{where}.locations[{li}]: artifact index {ai} does not match uri")
        # A rule is ranked by the worst severity it was reported at.
        names = {v: k for k, v in RANK.items()}
        for rule in rules:
            if rule["id"] in worst:
                want = SECURITY_SEVERITY[names[worst[rule["id"]]]]
                got = rule.get("properties", {}).get("security-severity")
                if got != want:
                    errs.append(f"rule {rule['id']}: security-severity {got} but worst result wants {want}")
        for inv in run.get("invocations", []):
            notes = inv.get("toolExecutionNotifications", [])
            if any(n.get("level") == "error" for n in notes) and inv.get("executionSuccessful") is not False:
                errs.append("invocation has error notifications but executionSuccessful is not false")
    return errs


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                log = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{path}: error: not JSON: {e}")
            bad += 1
            continue
        errs = check_log(log, validator)
        for e in errs:
            print(f"{path}: error: {e}")
        bad += bool(errs)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
