#!/usr/bin/env bash
# Fresh-machine setup for viVID on Debian bookworm (CPU-only machines included).
#   - npm dependencies (npm ci when a lock file exists) and the build (dist/, which bin/vivid.js runs)
#   - WebGPU software drivers when no adapter is found: Mesa lavapipe (Vulkan, Mesa >= 25 from
#     bookworm-backports) and llvmpipe EGL/GL for Dawn's OpenGL backend
#   - ffmpeg (video) and chromium (web page test) when asked: VIVID_SETUP_EXTRAS="ffmpeg chromium"
# As root it installs through apt; otherwise it prints exactly what to run.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# onnxruntime-node (a dev dependency, the benchmark's peer) ships its CPU binaries in the npm
# package; its postinstall only fetches CUDA libraries from NuGet, which this machine cannot
# reach. package.json's allowScripts denies it where npm reads that field (11.19 here); this
# flag, onnxruntime's own, skips it on older npm.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules/webgpu ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund
fi
# bin/vivid.js runs the compiled dist/ (a few seconds to build).
log "building dist/"
npm run build --silent

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/vivid-xdg-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

apt_pkgs=()
backports_pkgs=()
# Dawn refuses Mesa 22's lavapipe; bookworm-backports carries Mesa >= 25.
mesa_vk=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
case "$mesa_vk" in
  2[5-9]*|[3-9][0-9]*) ;;
  *) backports_pkgs+=(libvulkan1 mesa-vulkan-drivers) ;;
esac
dpkg-query -W -f='${Status}' libegl-mesa0 2>/dev/null | grep -q installed || apt_pkgs+=(libegl1 libegl-mesa0 libgl1-mesa-dri libgles2)
for extra in ${VIVID_SETUP_EXTRAS:-}; do
  command -v "$extra" >/dev/null 2>&1 || apt_pkgs+=("$extra")
done

if [ ${#apt_pkgs[@]} -eq 0 ] && [ ${#backports_pkgs[@]} -eq 0 ]; then
  log "system packages present"
elif [ "$(id -u)" = 0 ]; then
  if [ ${#backports_pkgs[@]} -gt 0 ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    log "adding bookworm-backports"
    echo 'deb http://deb.debian.org/debian bookworm-backports main' >/etc/apt/sources.list.d/vivid-backports.list
  fi
  log "apt-get install ${apt_pkgs[*]} ${backports_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  [ ${#apt_pkgs[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}"
  [ ${#backports_pkgs[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends -t bookworm-backports "${backports_pkgs[@]}"
else
  cat <<MSG
[setup] missing system packages. As root, run:
  echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list
  apt-get update
  apt-get install -y ${apt_pkgs[*]}
  apt-get install -y -t bookworm-backports ${backports_pkgs[*]}
MSG
fi

log "checking the WebGPU adapter"
node bin/vivid.js doctor --quiet
