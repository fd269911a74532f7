#!/usr/bin/env bash
# Installs what laocoon needs to build and test, from Debian's packages (and
# the SARIF validator from the npm registry).  Idempotent: installs only what
# is missing.  Run as root (apt-get), or it prints what to install.
#
#   tools/install-deps.sh               build + test dependencies
#   tools/install-deps.sh --generators  also the Python packages that the
#                                       fixture generators in tests/gen use
set -euo pipefail
cd "$(dirname "$0")/.."

build_pkgs=(gcc make pkgconf zlib1g-dev liblzma-dev libarchive-dev libjansson-dev libyaml-dev libssl-dev libhdf5-dev)
# graphviz: dot renders `laocoon graph` output in tests/cli/graph_*.sh (at run
# time it is optional: only `laocoon graph --format svg` runs it).
test_pkgs=(python3 nodejs npm graphviz)
fuzz_pkgs=(clang libclang-rt-dev)
gen_pkgs=(python3-torch python3-numpy python3-sklearn python3-joblib)

want=("${build_pkgs[@]}" "${test_pkgs[@]}")
if [ "${1:-}" = "--generators" ]; then
	want+=("${gen_pkgs[@]}")
fi
if [ "${1:-}" = "--fuzz" ]; then
	want+=("${fuzz_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
	# node and npm may come from outside Debian on some machines: a working
	# binary is as good as the package.
	case $p in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	python3) command -v python3 >/dev/null 2>&1 && continue ;;
	esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing Debian packages: ${missing[*]}" >&2
		echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The SARIF checks also validate against the JSON schema with python's
# jsonschema: PATH's python3 may already have it; else Debian's package.
if ! python3 -c 'import jsonschema' 2>/dev/null && ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-jsonschema >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-jsonschema >/dev/null; }
	else
		echo "install-deps: python3-jsonschema missing (apt-get install python3-jsonschema)" >&2
		exit 1
	fi
fi

# The SARIF validator (Microsoft's Sarif.Multitool) and the CycloneDX JSON
# schemas (@cyclonedx/cyclonedx-library, for tests/cli/bom_validate.sh) from
# the npm registry, pinned by tools/node/package-lock.json.
if [ -f tools/node/package.json ]; then
	if [ ! -d tools/node/node_modules/@microsoft/sarif-multitool-linux ] ||
		[ ! -f tools/node/node_modules/@cyclonedx/cyclonedx-library/res/schema/bom-1.6.SNAPSHOT.schema.json ]; then
		echo "install-deps: npm install (tools/node)"
		if [ -f tools/node/package-lock.json ]; then
			npm ci --ignore-scripts --no-audit --no-fund --prefix tools/node >/dev/null
		else
			npm install --ignore-scripts --no-audit --no-fund --prefix tools/node >/dev/null
		fi
	fi
fi
echo "install-deps: ok"
