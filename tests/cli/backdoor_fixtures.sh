#!/usr/bin/env bash
# Architectural backdoor detection on the committed evaluation subset
# (tests/gen/gen_backdoor_eval.py --fixtures, SavedModel twins by
# tests/gen/gen_backdoor_savedmodel.py --fixtures).  Every backdoored model must
# give a HIGH/CRITICAL backdoor.* finding whose evidence names the trigger
# input, a trigger node and the selector; no benign model may give one.
# Behaviour of each model is proven separately by `make eval` (onnxruntime).
# Usage: tests/cli/backdoor_fixtures.sh build/laocoon  (prints "backdoor_fixtures: N passed, N failed")
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
exec python3 - "$bin" <<'PY'
import json, os, subprocess, sys
bin = sys.argv[1]
passed = failed = 0
def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL " + what, file=sys.stderr)
for root in ("tests/fixtures/backdoor", "tests/fixtures/backdoor/savedmodel"):
    labels = os.path.join(root, "labels.jsonl")
    if not os.path.exists(labels):
        check(False, labels + " missing")
        continue
    for line in open(labels):
        if not line.strip():
            continue
        l = json.loads(line)
        path = os.path.join(root, l["path"])
        r = subprocess.run([bin, "scan", "--format", "json", path], capture_output=True, text=True)
        try:
            d = json.loads(r.stdout)
        except ValueError:
            check(False, path + ": no JSON report (exit %d)" % r.returncode)
            continue
        check(all(f["status"] != "error" for f in d["files"]), path + ": a file could not be analysed")
        hits = [x for f in d["files"] for x in f["findings"]
                if x["rule"].startswith("backdoor.") and x["severity"] in ("HIGH", "CRITICAL")]
        if l["expect"] == "backdoor":
            check(r.returncode == 1, "%s: exit %d, expected 1" % (path, r.returncode))
            check(len(hits) >= 1, path + ": backdoor not reported (" + l.get("pattern", "") + ")")
            if hits:
                ev = hits[0].get("evidence", "")
                check(" -> selector " in ev, path + ": evidence names no selector: " + ev[:200])
                check(ev.startswith("input ") or ev.startswith("feature "), path + ": evidence does not start at the trigger source: " + ev[:200])
                check(" -> trigger " in ev, path + ": evidence names no trigger node: " + ev[:200])
                check(" -> model " in ev, path + ": evidence names no model branch")
        else:
            check(not hits, path + ": benign model flagged: " + "; ".join(h["message"][:160] for h in hits))
print("backdoor_fixtures: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
