#!/usr/bin/env bash
# Installs a wheel in a fresh venv inside a bare Debian root and runs the smoke suite there.
#
#   build-tools/wheel-test.sh ROOT WHEEL      (as root: it uses chroot)
#
# ROOT is a debootstrap'ed Debian with python3, venv and pip only (`make wheel-chroot`). The
# matrix inputs and their expected decodes are made beforehand, outside, by the bundled
# build's own ffmpeg (tests/wheel_smoke.py prepare); inside, only the wheel and numpy exist.
set -euo pipefail
root=$1
wheel=$2
here=$(cd "$(dirname "$0")/.." && pwd)
ffmpeg=$here/build/bundled/ffmpeg-prefix/bin/ffmpeg
python=${PYTHON:-python3}

smoke=$root/smoke
rm -rf "$smoke"
mkdir -p "$smoke"
DECODE_AUDIO_TEST_FFMPEG=$ffmpeg DECODE_AUDIO_LIBRARY=$here/build/bundled/libdecode_audio.so \
    "$python" "$here/tests/wheel_smoke.py" prepare "$smoke/data"
cp "$here/tests/wheel_smoke.py" "$smoke/"
cp "$wheel" "$smoke/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# pip in the root trusts what the host's pip trusts (the same bundle, or one a proxy needs).
ca=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
cp "$ca" "$smoke/ca.crt"

# /proc and /dev only for the run, and unmounted whatever happens.
mounted=()
cleanup() {
    local m
    for m in "${mounted[@]}"; do umount "$m" || umount -l "$m"; done
}
trap cleanup EXIT
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
mount --bind /dev "$root/dev" && mounted+=("$root/dev")

chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
    PIP_CERT=/smoke/ca.crt PIP_DEFAULT_TIMEOUT=${PIP_DEFAULT_TIMEOUT:-60} \
    /bin/sh -ec "
        cd /smoke
        python3 --version
        python3 -m venv venv
        venv/bin/pip install -q --disable-pip-version-check ./$(basename "$wheel") numpy
        PATH=/smoke/venv/bin:\$PATH venv/bin/python wheel_smoke.py run /smoke/data
    "
