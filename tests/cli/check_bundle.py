#!/usr/bin/env python3
"""Independent field-by-field check of a bundle that `laocoon sign` wrote.

Only the Python standard library and the openssl CLI: nothing here shares
code with laocoon.  Checks the Sigstore bundle v0.3 shape, the DSSE envelope,
the in-toto statement (types, subject, predicate, serialization), that the
resources are the model's files in canonical order with digests recomputed
here with hashlib, the root digest, that the payload is byte-for-byte what
Python's json.dumps(indent=2) writes (the reference tool's format), and the
ECDSA signature over the DSSE PAE with `openssl dgst -verify`.

usage: check_bundle.py BUNDLE MODEL_DIR PUBKEY.pem DIGEST(sha256|sha384|sha512)
       [--cert LEAF.pem] [--shard-size N] [--ignore NAME]...
Exit 0 and "check_bundle: ok" when every check holds.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

errors = []


def check(cond, what):
    if not cond:
        errors.append(what)
    return cond


def b64(s):
    return base64.b64decode(s, validate=True)


def main():
    args = sys.argv[1:]
    bundle_path, model, pub, dgst = args[:4]
    cert, shard, ignores = None, None, {".git", ".gitattributes", ".github", ".gitignore"}
    rest = args[4:]
    while rest:
        if rest[0] == "--cert":
            cert = rest[1]
        elif rest[0] == "--shard-size":
            shard = int(rest[1])
        elif rest[0] == "--ignore":
            ignores.add(rest[1])
        rest = rest[2:]

    raw = open(bundle_path, "rb").read()
    bundle = json.loads(raw)
    check(list(bundle) == ["mediaType", "verificationMaterial", "dsseEnvelope"], "bundle keys %s" % list(bundle))
    check(bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json", "mediaType")

    vm = bundle["verificationMaterial"]
    check(vm.get("tlogEntries") == [], "tlogEntries must be []")
    pem = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub], check=True, capture_output=True).stdout
    if cert:
        check(set(vm) == {"x509CertificateChain", "tlogEntries"}, "certificate verificationMaterial keys")
        chain = vm["x509CertificateChain"]["certificates"]
        check(len(chain) >= 1 and all(set(c) == {"rawBytes"} for c in chain), "certificates shape")
        der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"], check=True,
                             capture_output=True).stdout
        check(b64(chain[0]["rawBytes"]) == der, "first certificate is the signing certificate")
    else:
        check(set(vm) == {"publicKey", "tlogEntries"}, "key verificationMaterial keys")
        check(set(vm["publicKey"]) == {"hint"}, "publicKey holds only the hint")
        # the hint: hex SHA-256 of the PEM public key as OpenSSL writes it
        check(vm["publicKey"]["hint"] == hashlib.sha256(pem).hexdigest(), "publicKey.hint")

    env = bundle["dsseEnvelope"]
    check(list(env) == ["payload", "payloadType", "signatures"], "envelope keys %s" % list(env))
    check(env["payloadType"] == "application/vnd.in-toto+json", "payloadType")
    check(len(env["signatures"]) == 1 and set(env["signatures"][0]) == {"sig", "keyid"}, "one signature")
    check(env["signatures"][0]["keyid"] == "", "keyid is empty")
    payload = b64(env["payload"])
    sig = b64(env["signatures"][0]["sig"])

    st = json.loads(payload)
    check(json.dumps(st, indent=2, ensure_ascii=False).encode() == payload, "payload is json.dumps(indent=2)")
    check(list(st) == ["_type", "subject", "predicateType", "predicate"], "statement keys")
    check(st["_type"] == "https://in-toto.io/Statement/v1", "_type")
    check(st["predicateType"] == "https://model_signing/signature/v1.0", "predicateType")
    check(len(st["subject"]) == 1, "one subject")
    subj = st["subject"][0]
    check(subj["name"] == os.path.basename(os.path.abspath(model)), "subject name is the model's name")
    pred = st["predicate"]
    check(list(pred) == ["serialization", "resources"], "predicate keys")
    ser = pred["serialization"]
    check(ser["method"] == ("shards" if shard else "files"), "method")
    check(ser["hash_type"] == "sha256" and ser["allow_symlinks"] is False, "hash_type / allow_symlinks")
    if shard:
        check(ser["shard_size"] == float(shard) and isinstance(ser["shard_size"], float), "shard_size float")
    for g in (".git", ".gitattributes", ".github", ".gitignore"):
        check(g in ser.get("ignore_paths", []), "ignore_paths records " + g)

    # the model's files, walked here; canonical order is component-wise
    files = []
    for root, dirs, names in os.walk(model):
        rel_root = os.path.relpath(root, model)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel_root, d)) not in ignores]
        for n in names:
            rel = os.path.normpath(os.path.join(rel_root, n))
            if rel not in ignores and rel not in ser.get("ignore_paths", []):
                files.append(rel)
    files.sort(key=lambda p: p.split("/"))
    want = []
    for f in files:
        data = open(os.path.join(model, f), "rb").read()
        if shard:
            for s in range(0, len(data), shard):
                e = min(s + shard, len(data))
                want.append(("%s:%d:%d" % (f, s, e), "sha256-sharded-%d" % shard,
                             hashlib.sha256(data[s:e]).hexdigest()))
        else:
            want.append((f, "sha256", hashlib.sha256(data).hexdigest()))
    got = [(r["name"], r["algorithm"], r["digest"]) for r in pred["resources"]]
    check(all(list(r) == ["algorithm", "digest", "name"] for r in pred["resources"]), "resource keys")
    check(got == want, "resources: got %s, want %s" % (got[:4], want[:4]))
    root = hashlib.sha256(b"".join(bytes.fromhex(d) for _, _, d in want)).hexdigest()
    check(subj["digest"] == {"sha256": root}, "subject digest is the root digest")

    # the signature over the DSSE PAE, checked by openssl
    pae = b"DSSEv1 %d %s %d " % (len(env["payloadType"]), env["payloadType"].encode(), len(payload)) + payload
    with tempfile.TemporaryDirectory() as t:
        open(os.path.join(t, "pae"), "wb").write(pae)
        open(os.path.join(t, "sig"), "wb").write(sig)
        open(os.path.join(t, "pub"), "wb").write(pem)
        r = subprocess.run(["openssl", "dgst", "-" + dgst, "-verify", os.path.join(t, "pub"), "-signature",
                            os.path.join(t, "sig"), os.path.join(t, "pae")], capture_output=True)
        check(r.returncode == 0 and b"Verified OK" in r.stdout, "openssl dgst -verify over the PAE")

    if errors:
        for e in errors:
            print("check_bundle: FAIL " + e)
        return 1
    print("check_bundle: ok (%d resources)" % len(got))
    return 0


if __name__ == "__main__":
    sys.exit(main())
