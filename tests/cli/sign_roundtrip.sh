#!/usr/bin/env bash
# `laocoon sign` then `laocoon verify` on a scratch model, with the vector
# key of the shared corpus (read in place) or, without the corpus, a P-384
# key made here; every bundle is then checked field by field by
# tests/cli/check_bundle.py (stdlib + openssl, independent of laocoon).
# Tampering (changed byte, added, removed, renamed file) must exit 1 and name
# the file; usage and unreadable inputs exit 64 and 2.
# Usage: tests/cli/sign_roundtrip.sh build/laocoon
set -u
bin=${1:-build/laocoon}
cd "$(dirname "$0")/../.." || exit 2
here=$PWD
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_rc() { # description, expected rc, command...
	local what=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ "$rc" = "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $what: exit $rc, expected $want" >&2
		head -c 2000 "$tmp/err" >&2
		head -c 1000 "$tmp/out" >&2
	fi
}
expect_grep() { # description, pattern, file
	if grep -q -- "$2" "$3"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $1: '$2' not in $3:" >&2
		head -c 1000 "$3" >&2
	fi
}
check_bundle() { # description, args...
	local what=$1
	shift
	if python3 "$here/tests/cli/check_bundle.py" "$@" >"$tmp/cb" 2>&1 && grep -q "check_bundle: ok" "$tmp/cb"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $what:" >&2
		cat "$tmp/cb" >&2
	fi
}

flip() { # file, offset: changes that one byte (to another value, always)
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "\\$(printf %03o $(((b + 1) % 256)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

keys=../shared/corpus/signing/sigstore-model-transparency/scripts/tests/keys/certificate
if [ -f "$keys/signing-key.pem" ]; then
	key=$keys/signing-key.pem
	cert=$keys/signing-key-cert.pem
	chain=$keys/int-ca-cert.pem
	root=$keys/ca-cert.pem
else
	echo "sign_roundtrip: corpus keys not found; using a fresh P-384 key (certificate mode skipped)"
	key=$tmp/key.pem
	openssl ecparam -name secp384r1 -genkey -noout -out "$key" 2>/dev/null
	cert=
fi
openssl pkey -in "$key" -pubout -out "$tmp/pub.pem" 2>/dev/null

m=$tmp/mymodel
mkdir -p "$m/sub" "$m/.git" "$m/a"
head -c 3000000 /dev/urandom >"$m/weights.bin"
printf '{"hidden": 8}' >"$m/config.json"
printf 'hello' >"$m/sub/tokenizer.txt"
printf 'x' >"$m/a-c"
printf 'y' >"$m/a/b"
printf 'ref: refs/heads/main\n' >"$m/.git/HEAD"
printf '*.pyc\n' >"$m/.gitignore"

# key mode
expect_rc "sign key" 0 "$bin" sign key "$m" --private-key "$key" --signature "$tmp/key.sig"
expect_grep "sign prints the root digest" "root sha256:" "$tmp/out"
check_bundle "key bundle" "$tmp/key.sig" "$m" "$tmp/pub.pem" sha384
if [ -f "$keys/signing-key-pub.pem" ]; then
	# the vector's public key (certtool preamble) and its published hint
	expect_grep "hint of the vector key" '"hint":"e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e"' "$tmp/key.sig"
	expect_rc "verify key (vector public key)" 0 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$keys/signing-key-pub.pem"
fi
expect_rc "verify key" 0 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem"
expect_grep "verified line" "^laocoon: verified" "$tmp/out"
# reference-style spellings
expect_rc "underscore options" 0 "$bin" verify key "$m" --signature="$tmp/key.sig" --public_key "$tmp/pub.pem"

# tampering, each file named
cp "$m/weights.bin" "$tmp/weights.orig"
flip "$m/weights.bin" 1234567
expect_rc "changed byte" 1 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem" --diff
expect_grep "changed byte named" "modified: weights.bin" "$tmp/err"
expect_grep "--diff lists digests" "modified: weights.bin (signed sha256:[0-9a-f]\{64\}, now sha256:[0-9a-f]\{64\})" "$tmp/out"
cp "$tmp/weights.orig" "$m/weights.bin"
printf 'import os' >"$m/sub/extra.py"
expect_rc "added file" 1 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem"
expect_grep "added file named" "added: sub/extra.py" "$tmp/err"
expect_rc "ignore-unsigned-files" 0 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem" --ignore-unsigned-files
expect_rc "ignore-paths" 0 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem" --ignore-paths "$m/sub/extra.py"
rm "$m/sub/extra.py"
mv "$m/config.json" "$tmp/config.json"
expect_rc "removed file" 1 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem"
expect_grep "removed file named" "missing: config.json" "$tmp/err"
mv "$tmp/config.json" "$m/config.json"
mv "$m/sub/tokenizer.txt" "$m/sub/tok.txt"
expect_rc "renamed file" 1 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem"
expect_grep "renamed file named" "renamed: sub/tokenizer.txt -> sub/tok.txt" "$tmp/err"
mv "$m/sub/tok.txt" "$m/sub/tokenizer.txt"
printf 'new' >"$m/.git/FETCH_HEAD"
expect_rc "git files stay ignored" 0 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem"
# the signer's ignore_paths are signed: the verifier keeps ignoring .git
expect_rc "recorded ignores win over --no-ignore-git-paths" 0 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem" --no-ignore-git-paths
rm "$m/.git/FETCH_HEAD"
expect_rc "sign --no-ignore-git-paths" 0 "$bin" sign key "$m" --private-key "$key" --signature "$tmp/git.sig" --no-ignore-git-paths
expect_rc "verify --no-ignore-git-paths" 0 "$bin" verify key "$m" --signature "$tmp/git.sig" --public-key "$tmp/pub.pem" --no-ignore-git-paths
expect_rc "git files signed, ignored on verify" 1 "$bin" verify key "$m" --signature "$tmp/git.sig" --public-key "$tmp/pub.pem"
expect_grep "git file named" "missing: .git/HEAD" "$tmp/err"

# another key: rejected on the hint
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/other.pem" 2>/dev/null
openssl pkey -in "$tmp/other.pem" -pubout -out "$tmp/other.pub" 2>/dev/null
expect_rc "wrong key" 1 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/other.pub"
expect_grep "wrong key named" "key mismatch" "$tmp/err"
# a P-256 signature (SHA-256) round-trips too
expect_rc "sign P-256" 0 "$bin" sign key "$m" --private-key "$tmp/other.pem" --signature "$tmp/p256.sig"
check_bundle "P-256 bundle" "$tmp/p256.sig" "$m" "$tmp/other.pub" sha256
expect_rc "verify P-256" 0 "$bin" verify key "$m" --signature "$tmp/p256.sig" --public-key "$tmp/other.pub"

# the signature inside the model: recorded in ignore_paths, left out of the hash
case $bin in /*) abs=$bin ;; *) abs=$here/$bin ;; esac
akey=$(cd "$(dirname "$key")" && pwd)/$(basename "$key")
expect_rc "sign from inside the model" 0 sh -c 'cd "$1" && "$2" sign key . --private-key "$3"' _ "$m" "$abs" "$akey"
expect_grep "model.sig in the model" '"model.sig"' <(base64 -d <<<"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dsseEnvelope"]["payload"])' "$m/model.sig")")
check_bundle "in-model bundle" "$m/model.sig" "$m" "$tmp/pub.pem" sha384 --ignore model.sig
expect_rc "verify in-model signature" 0 "$bin" verify key "$m" --signature "$m/model.sig" --public-key "$tmp/pub.pem"
rm -f "$m/model.sig"

# shards
expect_rc "sign shards" 0 "$bin" sign key "$m" --private-key "$key" --signature "$tmp/shards.sig" --method shards --shard-size 1000000
check_bundle "shards bundle" "$tmp/shards.sig" "$m" "$tmp/pub.pem" sha384 --shard-size 1000000
expect_rc "verify shards" 0 "$bin" verify key "$m" --signature "$tmp/shards.sig" --public-key "$tmp/pub.pem"
expect_grep "shards counted" "shards match" "$tmp/out"
flip "$m/weights.bin" 2500000
expect_rc "shards: changed byte" 1 "$bin" verify key "$m" --signature "$tmp/shards.sig" --public-key "$tmp/pub.pem"
expect_grep "shards: file named" "modified: weights.bin" "$tmp/err"
cp "$tmp/weights.orig" "$m/weights.bin"

# a single-file model: one resource named "."
expect_rc "sign one file" 0 "$bin" sign key "$m/weights.bin" --private-key "$key" --signature "$tmp/one.sig"
expect_rc "verify one file" 0 "$bin" verify key "$m/weights.bin" --signature "$tmp/one.sig" --public-key "$tmp/pub.pem"
expect_rc "file signature on a directory" 1 "$bin" verify key "$m" --signature "$tmp/one.sig" --public-key "$tmp/pub.pem"

# certificate mode
if [ -n "$cert" ]; then
	expect_rc "sign certificate" 0 "$bin" sign certificate "$m" --private-key "$key" --signing-certificate "$cert" --certificate-chain "$chain" --signature "$tmp/cert.sig"
	check_bundle "certificate bundle" "$tmp/cert.sig" "$m" "$tmp/pub.pem" sha384 --cert "$cert"
	expect_rc "verify certificate" 0 "$bin" verify certificate "$m" --signature "$tmp/cert.sig" --certificate-chain "$root"
	expect_rc "certificate: untrusted root" 1 "$bin" verify certificate "$m" --signature "$tmp/cert.sig" --certificate-chain "$cert"
	expect_grep "untrusted named" "not trusted" "$tmp/err"
	expect_rc "certificate bundle in key mode" 1 "$bin" verify key "$m" --signature "$tmp/cert.sig" --public-key "$tmp/pub.pem"
	expect_rc "certificate of another key" 2 "$bin" sign certificate "$m" --private-key "$tmp/other.pem" --signing-certificate "$cert" --signature "$tmp/x.sig"
fi

# hostile or broken inputs
sed 's/v0.3+json/v0.9+json/' "$tmp/key.sig" >"$tmp/badtype.sig"
expect_rc "wrong media type" 1 "$bin" verify key "$m" --signature "$tmp/badtype.sig" --public-key "$tmp/pub.pem"
printf '{"mediaType":' >"$tmp/trunc.sig"
expect_rc "truncated bundle" 1 "$bin" verify key "$m" --signature "$tmp/trunc.sig" --public-key "$tmp/pub.pem"
expect_rc "missing signature file" 2 "$bin" verify key "$m" --signature "$tmp/none.sig" --public-key "$tmp/pub.pem"
expect_rc "missing public key" 2 "$bin" verify key "$m" --signature "$tmp/key.sig" --public-key "$tmp/none.pem"
expect_rc "missing model" 2 "$bin" verify key "$tmp/nomodel" --signature "$tmp/key.sig" --public-key "$tmp/pub.pem"
expect_rc "usage: no --public-key" 64 "$bin" verify key "$m" --signature "$tmp/key.sig"
expect_rc "usage: no method" 64 "$bin" verify
expect_rc "usage: bad method" 64 "$bin" sign nope "$m"
expect_rc "usage: unknown option" 64 "$bin" sign key "$m" --private-key "$key" --frobnicate
expect_rc "keyless signing refused" 2 "$bin" sign sigstore "$m"
ln -s "$m/config.json" "$m/link.json"
expect_rc "symlink refused" 2 "$bin" sign key "$m" --private-key "$key" --signature "$tmp/l.sig"
expect_grep "symlink named" "link.json" "$tmp/err"
expect_rc "symlink allowed" 0 "$bin" sign key "$m" --private-key "$key" --signature "$tmp/l.sig" --allow-symlinks
expect_rc "verify with symlink refused" 1 "$bin" verify key "$m" --signature "$tmp/l.sig" --public-key "$tmp/pub.pem"
expect_rc "verify with symlink allowed" 0 "$bin" verify key "$m" --signature "$tmp/l.sig" --public-key "$tmp/pub.pem" --allow-symlinks

echo "sign_roundtrip: $pass passed, $fail failed"
[ "$fail" = 0 ]
