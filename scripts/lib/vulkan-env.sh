# Vulkan for Dawn on a bare GPU machine, sourced by bench/gpu/run.sh and scripts/study/gpu-run.sh:
# the loader from the payload's .debs where the system has none, NVIDIA's driver manifest (or one
# written for the driver's library), then a probe; as root, the loaders unpacked into / when the
# first probe finds no adapter. Needs: WORK (the unpacked payload, with debs/), say, and
# probe_adapter [software-ok] (exit 0 for a usable adapter). Sets NO_WEBGPU=1 when none is found.
# ADVTUNE_VK=swiftshader uses Chromium's SwiftShader instead (a local test of the scripts).
# --- Vulkan: the loader from the payload where the system has none; NVIDIA's driver manifest
mkdir -p "$WORK/sys"
# A .deb is an ar archive holding data.tar.*: Python unpacks it where dpkg-deb is missing.
undeb() {
  if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$1" "$2"; return; fi
  python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
b = open(sys.argv[1], 'rb').read(); i = 8
while i < len(b):
    name, size = b[i:i + 16].decode().strip().rstrip('/'), int(b[i + 48:i + 58])
    if name.startswith('data.tar'):
        tarfile.open(fileobj=io.BytesIO(b[i + 60:i + 60 + size])).extractall(sys.argv[2])
    i += 60 + size + (size & 1)
PY
}
for f in "$WORK"/debs/*.deb; do undeb "$f" "$WORK/sys"; done
SYSLIB="$WORK/sys/usr/lib/x86_64-linux-gnu"
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  export LD_LIBRARY_PATH="$SYSLIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "no system Vulkan loader: using the payload's (Debian libvulkan1 + libglvnd)"
fi
[ -d /usr/local/nvidia/lib64 ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/nvidia/lib64"

if [ "${ADVTUNE_VK:-}" = swiftshader ]; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
  PROBE=(software-ok)
elif [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
           /etc/vulkan/icd.d/nvidia_icd.json /usr/local/share/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$f" ] && { export VK_ICD_FILENAMES=$f VK_DRIVER_FILES=$f; break; }
  done
  if [ -z "${VK_ICD_FILENAMES:-}" ]; then
    # No manifest shipped: point the loader at the driver's Vulkan entry library ourselves.
    lib=$(ldconfig -p | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')
    [ -z "$lib" ] && lib=$(ls /usr/local/nvidia/lib64/libGLX_nvidia.so.0 /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 2>/dev/null | head -1)
    if [ -n "$lib" ]; then
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" >"$WORK/nvidia_icd.json"
      export VK_ICD_FILENAMES="$WORK/nvidia_icd.json" VK_DRIVER_FILES="$WORK/nvidia_icd.json"
    fi
  fi
  PROBE=()
else
  PROBE=()
fi
say "Vulkan ICD: ${VK_ICD_FILENAMES:-${VK_DRIVER_FILES:-none found}}"

if ! probe_adapter "${PROBE[@]}"; then
  if [ "$(id -u)" = 0 ] && [ "${ADVTUNE_VK:-}" != swiftshader ]; then
    # Unpack the loader and libglvnd into / and refresh ld.so (NVIDIA's ICD finds them there).
    say "no hardware adapter; unpacking the Vulkan/GL loaders into / and retrying"
    for f in "$WORK"/debs/*.deb; do undeb "$f" /; done
    ldconfig
  fi
  if ! VK_LOADER_DEBUG=error,warn probe_adapter "${PROBE[@]}"; then
    say "Dawn found no suitable adapter; the PyTorch side runs alone"
    NO_WEBGPU=1
  fi
fi
