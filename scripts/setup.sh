#!/usr/bin/env bash
# Installs Ratchet's build dependencies from Debian packages when they are missing, and the
# Python test environment (.venv-test: Debian's Python and NumPy plus the pinned packages of
# python/requirements-test.txt from pip's index).
# Idempotent: does nothing (and needs no network) when everything is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

python_test_env() {
  local venv=.venv-test
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" - <<'PY' 2>/dev/null; then return 0; fi
import sys
from importlib.metadata import version
pins = [l.split("==") for l in open("python/requirements-test.txt") if "==" in l and not l.startswith("#")]
sys.exit(any(version(n.strip()) != v.strip() for n, v in pins))
PY
  echo "setup: installing the Python test packages into $venv (python/requirements-test.txt)" >&2
  /usr/bin/python3 -m venv --system-site-packages "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r python/requirements-test.txt
}

packages=(g++ cmake ninja-build libeigen3-dev libyaml-cpp-dev libcli11-dev libfmt-dev
          libgtest-dev libbenchmark-dev libmujoco-dev
          libosmesa6-dev libgif-dev libcairo2-dev fonts-dejavu-core
          libprotobuf-dev protobuf-compiler
          pybind11-dev python3-dev python3-numpy python3-pytest python3-setuptools python3-venv
          clang-14 libfuzzer-14-dev
          libopenmpi-dev openmpi-bin)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  python_test_env
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 2; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
python_test_env
