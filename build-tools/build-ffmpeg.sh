#!/usr/bin/env bash
# Builds the FFmpeg that the wheel bundles: static, PIC, LGPL, audio-focused, from Debian's
# source packages, with LAME, libopus, libvorbis/libogg, libsoxr, zlib, libgsm and opencore-amr
# built the same way. opencore-amr is Apache-2.0, which FFmpeg takes only with --enable-version3:
# the build stays LGPL (version 3 then), never GPL or nonfree.
#
#   build-tools/build-ffmpeg.sh          prints the install prefix, building it first if needed
#
# The result lives in $DECODE_AUDIO_CACHE (default ~/.cache/decode_audio) under a name made of
# the FFmpeg version and a hash of everything that decides the build (the source package
# versions, the configure lines and the flags), so a second run, or a fresh clone, reuses it.
# The prefix holds include/, lib/*.a, lib/pkgconfig/ and bin/ffmpeg (the command-line program,
# for the tests only: it is never put in the wheel).
set -euo pipefail
set -f  # no pathname expansion: "pcm_*" is a pattern for configure, not for the shell

# ---- what is built: change any of these and the cache key changes ----
FFMPEG_VERSION=8.1.2
FFMPEG_DEB=7:8.1.2-2          # Debian sid
LAME_DEB=3.100-6              # Debian sid / trixie
OPUS_DEB=1.6.1-1              # Debian sid
VORBIS_DEB=1.3.7-3            # Debian sid / trixie
OGG_DEB=1.3.5-3               # Debian trixie
ZLIB_DEB=1:1.3.dfsg+really1.3.1-1   # Debian trixie
SOXR_DEB=0.1.3-4              # Debian trixie
GSM_DEB=1.0.22-1              # Debian trixie
AMR_DEB=0.1.6-1               # Debian sid / trixie
SUITES="sid trixie"
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEP_CFLAGS="-O2 -fPIC"

# Video encoders StreamWriter documents (no libx264: the wheel is LGPL, so mp4 gets mpeg4).
VIDEO_ENCODERS="mpeg4 png mjpeg mpeg1video mpeg2video rawvideo"
VIDEO_DECODERS="mpeg4 h264 png mjpeg mpeg1video mpeg2video rawvideo"
# Audio encoders save() and StreamWriter document, and the common ones beside them.
AUDIO_ENCODERS="flac alac wavpack tta mp2 mp2fixed ac3 eac3 aac opus vorbis libopus libmp3lame
libvorbis libgsm libgsm_ms libopencore_amrnb g722 g726 g726le adpcm_ima_wav adpcm_ms adpcm_g722 adpcm_g726 adpcm_g726le truehd
wmav1 wmav2 nellymoser pcm_*"
# Video filters StreamWriter uses (pixel formats, sizes, frame rates, flips) and the test sources.
VIDEO_FILTERS="buffer buffersink format scale fps null setpts hflip vflip transpose crop pad
copy trim testsrc testsrc2 color rgbtestsrc nullsrc"
# The network protocols the library supports, and the local ones it lets callers opt in to.
PROTOCOLS="file pipe http tcp udp data concat subfile"

here=$(cd "$(dirname "$0")" && pwd)
cache=${DECODE_AUDIO_CACHE:-$HOME/.cache/decode_audio}
jobs=${JOBS:-$(nproc)}

configure_line() {  # $1: the FFmpeg source directory (the lists of audio codecs come from it)
    local src=$1 audio_decoders audio_filters
    # Every audio decoder: allcodecs.c lists them between "audio codecs" and "subtitles".
    audio_decoders=$(sed -n '/^\/\* audio codecs \*\//,/^\/\* subtitles \*\//p' \
        "$src/libavcodec/allcodecs.c" | sed -n 's/^extern const FFCodec ff_\(.*\)_decoder;/\1/p')
    # Every audio filter, source and sink.
    audio_filters=$(sed -n 's/^extern const FFFilter ff_a\(f\|src\|sink\)_\(.*\);/\2/p' \
        "$src/libavfilter/allfilters.c")
    local args=(
        --disable-everything --disable-autodetect --disable-doc --disable-debug
        --disable-programs --enable-ffmpeg --disable-ffplay --disable-ffprobe
        --disable-shared --enable-static --enable-pic
        --enable-avdevice --enable-indev=lavfi
        --enable-avcodec --enable-avformat --enable-avfilter --enable-swresample --enable-swscale
        --enable-zlib --enable-libmp3lame --enable-libopus --enable-libvorbis --enable-libsoxr
        --enable-version3 --enable-libgsm --enable-libopencore-amrnb --enable-libopencore-amrwb
        --enable-demuxers --enable-muxers --enable-parsers --enable-bsfs
        --enable-network "--extra-version=${FFMPEG_DEB##*-}+decode_audio"
    )
    local d
    for d in $audio_decoders $VIDEO_DECODERS; do args+=("--enable-decoder=$d"); done
    for d in $AUDIO_ENCODERS $VIDEO_ENCODERS; do args+=("--enable-encoder=$d"); done
    for d in $audio_filters $VIDEO_FILTERS; do args+=("--enable-filter=$d"); done
    for d in $PROTOCOLS; do args+=("--enable-protocol=$d"); done
    printf '%s\n' "${args[@]}"
}

key_text() {
    echo "$FFMPEG_DEB $LAME_DEB $OPUS_DEB $VORBIS_DEB $OGG_DEB $ZLIB_DEB $SOXR_DEB $GSM_DEB $AMR_DEB"
    echo "$DEP_CFLAGS"
    echo "$VIDEO_ENCODERS $VIDEO_DECODERS $AUDIO_ENCODERS $VIDEO_FILTERS $PROTOCOLS"
    sed -n '/^configure_line()/,/^}/p' "$0"
    sed -n '/^build_deps()/,/^}/p' "$0"
    sed -n '/^build_ffmpeg()/,/^}/p' "$0"
}
key=$(key_text | sha256sum | cut -c1-12)
prefix=$cache/ffmpeg-$FFMPEG_VERSION-$key
log() { echo "build-ffmpeg: $*" >&2; }
work=$cache/src-$key

# ---- sources: apt-get source with a private sources list and state ----
fetch_sources() {
    rm -rf "$work"
    mkdir -p "$work"
    apt_dir=$cache/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
    : > "$apt_dir/status"
    : > "$apt_dir/sources.list"
    for s in $SUITES; do
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $s main" \
            >> "$apt_dir/sources.list"
    done
    APT=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=-
         -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::State::status=$apt_dir/status"
         -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root -qq)
    apt-get "${APT[@]}" update >&2
    : > "$work/versions.txt"
    fetch_one ffmpeg "$FFMPEG_DEB"
    fetch_one lame "$LAME_DEB"
    fetch_one opus "$OPUS_DEB"
    fetch_one libvorbis "$VORBIS_DEB"
    fetch_one libogg "$OGG_DEB"
    fetch_one zlib "$ZLIB_DEB"
    fetch_one libsoxr "$SOXR_DEB"
    fetch_one libgsm "$GSM_DEB"
    fetch_one opencore-amr "$AMR_DEB"
}

# The pinned version when the mirror still has it. Debian drops superseded versions, so a
# fresh machine would otherwise fail to build at all: then the newest version the suites offer
# is taken, with a warning, and recorded in the prefix's versions.txt (the real FFmpeg version
# is also what get_versions() reports).
fetch_one() {  # $1: source package, $2: pinned Debian version
    local v
    if (cd "$work" && apt-get "${APT[@]}" source "$1=$2" >&2); then
        echo "$1 $2" >> "$work/versions.txt"
        return
    fi
    log "warning: $1 $2 is gone from $MIRROR; taking the newest $1 the suites have"
    for v in $(apt-cache "${APT[@]}" madison "$1" |
               awk -F'|' '$3 ~ /Sources/ { gsub(/ /, "", $2); print $2 }' | sort -Vru); do
        if (cd "$work" && apt-get "${APT[@]}" source "$1=$v" >&2); then
            echo "$1 $v (pinned $2 was gone)" >> "$work/versions.txt"
            return
        fi
    done
    log "no source package of $1 could be fetched"
    return 1
}

srcdir() { find "$work" -maxdepth 1 -mindepth 1 -type d -name "$1-*" | head -1; }

build_deps() {
    local p=$prefix
    export PKG_CONFIG_PATH=$p/lib/pkgconfig
    (cd "$(srcdir zlib)" && CFLAGS="$DEP_CFLAGS" ./configure --static --prefix="$p" \
        && make -j"$jobs" libz.a && make install) >&2
    (cd "$(srcdir libogg)" && ./configure --prefix="$p" --disable-shared --enable-static \
        --with-pic CFLAGS="$DEP_CFLAGS" && make -j"$jobs" && make install) >&2
    (cd "$(srcdir libvorbis)" && ./configure --prefix="$p" --disable-shared --enable-static \
        --with-pic --disable-docs --disable-examples --disable-oggtest CFLAGS="$DEP_CFLAGS" \
        && make -j"$jobs" && make install) >&2
    (cd "$(srcdir opus)" && ./configure --prefix="$p" --disable-shared --enable-static \
        --with-pic --disable-doc --disable-extra-programs --disable-deep-plc --disable-dred \
        --disable-osce CFLAGS="$DEP_CFLAGS" && make -j"$jobs" && make install) >&2
    (cd "$(srcdir lame)" && ./configure --prefix="$p" --disable-shared --enable-static \
        --with-pic --disable-frontend --disable-gtktest --disable-analyzer-hooks \
        CFLAGS="$DEP_CFLAGS" && make -j"$jobs" && make install) >&2
    (cd "$(srcdir libsoxr)" && mkdir -p build && cd build && cmake .. -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$p" -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF \
        -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_C_FLAGS="$DEP_CFLAGS" -DWITH_OPENMP=OFF \
        -DWITH_LSR_BINDINGS=OFF -DBUILD_TESTS=OFF -DBUILD_EXAMPLES=OFF \
        && make -j"$jobs" && make install) >&2
    # libgsm has a plain Makefile (its install wants the toast programs too): the static
    # library and its header are copied by hand. WAV49 (built in by default) is what libgsm_ms
    # needs.
    (cd "$(srcdir libgsm)" && make -j"$jobs" lib/libgsm.a \
        "CCFLAGS=-c $DEP_CFLAGS -DNeedFunctionPrototypes=1 -D_REENTRANT" \
        && mkdir -p "$p/lib" "$p/include/gsm" && cp lib/libgsm.a "$p/lib/" \
        && cp inc/gsm.h "$p/include/gsm/") >&2
    # opencore-amr compiles as C (--enable-compile-c, its default), so no C++ runtime is needed.
    (cd "$(srcdir opencore-amr)" && ./configure --prefix="$p" --disable-shared --enable-static \
        --with-pic --disable-examples CFLAGS="$DEP_CFLAGS" CXXFLAGS="$DEP_CFLAGS" \
        && make -j"$jobs" && make install) >&2
}

build_ffmpeg() {
    local p=$prefix src
    src=$(srcdir ffmpeg)
    export PKG_CONFIG_PATH=$p/lib/pkgconfig
    mapfile -t args < <(configure_line "$src")
    printf '%s\n' "${args[@]}" > "$prefix/configure-args.txt"
    (cd "$src" && ./configure --prefix="$p" --pkg-config-flags=--static \
        --extra-cflags="-I$p/include" --extra-ldflags="-L$p/lib" --extra-libs=-lm "${args[@]}" \
        && make -j"$jobs" && make install) >&2
}

# The licence texts the wheel ships beside the library: each upstream's and Debian's copyright.
# FFmpeg's LGPL v3 is a set of permissions on top of the GPL v3, so that text goes along too.
install_licenses() {
    local d=$prefix/share/licenses name dir f
    rm -rf "$d" && mkdir -p "$d"
    for name in ffmpeg lame opus libvorbis libogg zlib libsoxr libgsm opencore-amr; do
        dir=$(srcdir "$name")
        for f in COPYING COPYING.LGPLv2.1 COPYING.LGPLv3 COPYING.GPLv3 COPYING.LGPL LICENSE \
                 LICENSE.md LICENCE COPYRIGHT; do
            [ -f "$dir/$f" ] && cp "$dir/$f" "$d/$name.$f"
        done
        cp "$dir/debian/copyright" "$d/$name.debian-copyright"
    done
}

if [ -f "$prefix/.complete" ]; then
    # a build from before the licences (or the GPL v3 text under FFmpeg's LGPL v3) were kept
    if [ ! -f "$prefix/share/licenses/ffmpeg.COPYING.GPLv3" ]; then
        fetch_sources && install_licenses && rm -rf "$work"
    fi
    echo "$prefix"
    exit 0
fi

rm -rf "$prefix"
mkdir -p "$prefix"
start=$(date +%s)
log "fetching sources into $work"
fetch_sources
log "building zlib, libogg, libvorbis, libopus, LAME, libsoxr, libgsm, opencore-amr"
build_deps
log "dependencies took $(( $(date +%s) - start )) s"
log "building FFmpeg $FFMPEG_VERSION"
build_ffmpeg
install_licenses
cp "$work/versions.txt" "$prefix/versions.txt"
rm -rf "$work"
echo "$(( $(date +%s) - start ))" > "$prefix/build-seconds"
touch "$prefix/.complete"
log "done in $(( $(date +%s) - start )) s: $prefix"
echo "$prefix"
