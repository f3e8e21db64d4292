#!/usr/bin/env bash
# Installs what the lwIP peer (peers/lwip) needs to build: Debian's
# liblwip-dev (lwIP 2.1.3's headers, its lwipopts.h and liblwip.so), a C
# compiler and make. make builds the adapter when these are present; the
# matrix's lwIP cells are skipped, saying so, when they are not.
set -euo pipefail

packages=(liblwip-dev gcc libc6-dev make)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${packages[@]}"
fi
echo "installed: ${packages[*]}"
