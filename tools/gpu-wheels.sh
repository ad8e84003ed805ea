#!/usr/bin/env bash
# Fill wheels/gpu/ (ignored by git) with the wheels that .ci/gpu installs offline on the GPU
# machine (`pip install --no-deps --no-index`), from a machine with internet:
#
#   tools/gpu-wheels.sh [--python-version 3.12] [--platform TAG ...]
#
# (default platforms manylinux_2_28_x86_64 and manylinux2014_x86_64: glibc >= 2.28, which
# every CUDA 13 image has; some wheels, e.g. pfapack 1.1, are built for manylinux_2_28 only)
#
# The GPU image already has CUDA PyTorch, CuPy (cupy-cuda13x), numpy, scipy, pandas, rich, mpmath,
# pytest, pytest-benchmark, pytest-timeout and hypothesis (IMAGE below).  The needed set is worked
# out, not listed: the project's dependencies and its `test` extra (pyproject.toml) less IMAGE,
# resolved with all their dependencies for the target Python and platform (`pip install
# --dry-run --report`, binary wheels only), less IMAGE again; setuptools is added (the build
# backend of the offline editable install).  Each is then fetched with
# `pip download --no-deps --only-binary=:all:` at the resolved version, and the list is written
# to wheels/gpu/FETCHED.txt and printed.  Most are pure-Python (py3-none-any); a few are binary
# wheels for the target (PyYAML, MarkupSafe, msgpack, psutil, tornado; pfapack, a dependency since
# the EA solver),
# which is why --python-version and --platform must name the GPU machine's.  .ci/gpu installs
# only those that the machine does not have yet, so a package the image does have keeps its
# version.  Rehearsal on another Python (docs/perf.md): --python-version 3.11.
set -euo pipefail
cd "$(dirname "$0")/.."

PYVER=3.12
PLATFORMS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --python-version) PYVER="$2"; shift 2 ;;
        --platform) PLATFORMS+=(--platform "$2"); shift 2 ;;
        *) echo "usage: tools/gpu-wheels.sh [--python-version X.Y] [--platform TAG]" >&2; exit 2 ;;
    esac
done
DEST=wheels/gpu
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export IMAGE="torch cupy-cuda13x numpy scipy pandas rich mpmath pytest pytest-benchmark
pytest-timeout hypothesis"
if [ ${#PLATFORMS[@]} = 0 ]; then
    PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64)
fi
TARGET=(--only-binary=:all: "${PLATFORMS[@]}" --python-version "$PYVER")

# 1. The top-level requirements the image lacks, from pyproject.toml.
python - > "$WORK/top.txt" <<'EOF'
import os, re, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
image = set(os.environ["IMAGE"].split())
for req in project["dependencies"] + project["optional-dependencies"]["test"]:
    name = re.split(r"[\[<>=!~ ;]", req, maxsplit=1)[0].lower()
    if name not in image:
        print(req)
EOF
echo setuptools >> "$WORK/top.txt"

# 2. Their whole closure for the target, without downloading it.
python -m pip install --quiet --dry-run --ignore-installed --report "$WORK/report.json" \
    "${TARGET[@]}" -r "$WORK/top.txt"
python - "$WORK/report.json" > "$WORK/pins.txt" <<'EOF'
import json, os, re, sys
image = set(os.environ["IMAGE"].split())
for item in json.load(open(sys.argv[1]))["install"]:
    name = re.sub(r"[-_.]+", "-", item["metadata"]["name"]).lower()
    if name not in image:
        print(f"{name}=={item['metadata']['version']}")
EOF

# 3. Fetch exactly those, without dependencies.
mkdir -p "$DEST"
rm -f "$DEST"/*.whl  # wheels of another Python or platform would make the offline install fail
python -m pip download --quiet --no-deps "${TARGET[@]}" --dest "$DEST" -r "$WORK/pins.txt"
{
    echo "# tools/gpu-wheels.sh --python-version $PYVER ${PLATFORMS[*]}, $(date -u +%FT%TZ)"
    echo "# top-level (pyproject.toml less the GPU image): $(tr '\n' ' ' < "$WORK/top.txt")"
    cat "$WORK/pins.txt"
} > "$DEST/FETCHED.txt"
cat "$DEST/FETCHED.txt"
echo "$(ls "$DEST"/*.whl | wc -l) wheels in $DEST ($(du -sh "$DEST" | cut -f1))"
