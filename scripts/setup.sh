#!/usr/bin/env bash
# Installs Ratchet's build dependencies from Debian packages when they are missing.
# Idempotent: does nothing (and needs no network) when everything is already installed.
set -euo pipefail

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
