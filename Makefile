# decode_audio - build, set-up and tests.
#   make demo   install what is missing, build, decode golden/test.wav and diff with golden.raw
#   make test   install what is missing, build, run the whole test suite
#   make        build the shared library and the C command-line program

PYTHON ?= python3
CC ?= cc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

FFMPEG_PKGS := libavformat libavcodec libavutil libswresample libavfilter
APT_PKGS := ffmpeg libavcodec-dev libavformat-dev libavutil-dev libswresample-dev \
            libavfilter-dev libswscale-dev pkg-config
# The CPU build of torch; "+cpu" never matches PyPI's multi-GB CUDA builds.
TORCH_REQ := torch==2.13.0+cpu

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2
DA_CFLAGS = -std=gnu11 $(WARN) -fPIC -fvisibility=hidden -DDA_BUILDING_LIBRARY \
            $(shell pkg-config --cflags $(FFMPEG_PKGS) 2>/dev/null) $(CFLAGS)
DA_LIBS = $(shell pkg-config --libs $(FFMPEG_PKGS) 2>/dev/null) -lm -lpthread

SRCS := csrc/avio.c csrc/buffer.c csrc/convert.c csrc/decode.c csrc/dlpack.c csrc/encode.c \
        csrc/error.c csrc/filter.c csrc/pcm.c csrc/probe.c csrc/sniff.c
HDRS := csrc/decode_audio.h csrc/internal.h
LIB := python/decode_audio/libdecode_audio.so
BUILD := build

OBJS := $(SRCS:csrc/%.c=$(BUILD)/%.o)
ASAN_OBJS := $(SRCS:csrc/%.c=$(BUILD)/asan/%.o)

.PHONY: all lib deps deps-system deps-python golden demo test asan-lib asan-test bench clean

all: lib decode_audio_ffmpeg

lib: $(LIB)

$(BUILD)/%.o: csrc/%.c $(HDRS) | $(BUILD)
	$(CC) $(DA_CFLAGS) -c $< -o $@

# The conversion loops are worth vectorising fully; lrint needs no errno to become one instruction.
$(BUILD)/convert.o $(BUILD)/pcm.o: DA_CFLAGS += -O3 -fno-math-errno

$(BUILD) $(BUILD)/asan:
	mkdir -p $@

$(LIB): $(OBJS)
	$(CC) -shared -o $@ $(OBJS) $(DA_LIBS) -Wl,--no-undefined

decode_audio_ffmpeg: csrc/decode_audio_ffmpeg.c $(OBJS)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -Icsrc -o $@ $< $(OBJS) $(DA_LIBS)

# The same library with AddressSanitizer and UBSan, for the sanitizer tests.
$(BUILD)/asan/%.o: csrc/%.c $(HDRS) | $(BUILD)/asan
	$(CC) $(DA_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	    -fno-sanitize-recover=undefined -c $< -o $@

asan-lib: $(BUILD)/asan/libdecode_audio.so

$(BUILD)/asan/libdecode_audio.so: $(ASAN_OBJS)
	$(CC) -shared -fsanitize=address,undefined -o $@ $(ASAN_OBJS) $(DA_LIBS)

# ---- set-up: installs only what is missing ----

deps: deps-system deps-python

deps-system:
	@if ! (command -v ffmpeg >/dev/null && command -v pkg-config >/dev/null && \
	       pkg-config --exists $(FFMPEG_PKGS) libswscale); then \
	    echo "installing FFmpeg development packages"; \
	    $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	fi

deps-python:
	@$(PYTHON) -c "import numpy, pytest, requests" 2>/dev/null || $(PYTHON) -m pip install -q numpy pytest requests
	@$(PYTHON) -c "import torch" 2>/dev/null || $(PYTHON) -m pip install -q "$(TORCH_REQ)" || \
	    echo "warning: $(TORCH_REQ) could not be installed; torch tests will be skipped"

golden/test.wav golden/golden.raw:
	$(PYTHON) tests/make_golden.py

golden: golden/test.wav

demo: deps
	$(MAKE) --no-print-directory all golden
	PYTHONPATH=python $(PYTHON) -m decode_audio -i golden/test.wav -o out.raw
	diff golden/golden.raw out.raw && echo "demo: out.raw is identical to golden/golden.raw"

test: deps
	$(MAKE) --no-print-directory all asan-lib golden
	PYTHONPATH=python $(PYTHON) -m pytest -q tests
	$(MAKE) --no-print-directory asan-test

# The decoding tests again, with the library built with AddressSanitizer and UBSan.
ASAN_RUNTIME = $(shell $(CC) -print-file-name=libasan.so):$(shell $(CC) -print-file-name=libubsan.so)
ASAN_TESTS ?= tests/test_formats.py tests/test_errors.py tests/test_zero_copy.py tests/test_api.py \
              tests/test_windows.py tests/test_inputs.py tests/test_save.py \
              tests/test_stream_writer.py tests/test_filters.py tests/test_parallel.py \
              tests/test_reader.py tests/test_fast_paths.py
asan-test: asan-lib
	LD_PRELOAD=$(ASAN_RUNTIME) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    DECODE_AUDIO_LIBRARY=$(BUILD)/asan/libdecode_audio.so PYTHONPATH=python \
	    $(PYTHON) -m pytest -q -p no:cacheprovider $(ASAN_TESTS)

bench: deps
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory -C bench

clean:
	rm -rf $(BUILD) $(LIB) decode_audio_ffmpeg out.raw
