"""The ctypes mirror of decode_audio.h agrees with the C compiler: every struct's size, every
field's offset and size, every constant's value (tests/c/abi_probe.c, built by `make test`),
and the handles of different objects are different types."""

from __future__ import annotations

import ctypes
import os
import subprocess
from typing import Dict, Set, Tuple

import pytest

from conftest import ROOT
from decode_audio import _lib

PROBE = os.path.join(ROOT, "build", "abi_probe")


@pytest.fixture(scope="module")
def probe() -> Tuple[Dict[str, int], Dict[str, Tuple[int, int]], Dict[str, int]]:
    if not os.path.exists(PROBE):
        pytest.fail(f"{PROBE} is missing; build it with `make abi-probe` (make test does)")
    lines = subprocess.run([PROBE], check=True, capture_output=True, text=True).stdout.split("\n")
    structs, fields, constants = {}, {}, {}
    for line in filter(None, lines):
        kind, name, *numbers = line.split()
        if kind == "struct":
            structs[name] = int(numbers[0])
        elif kind == "field":
            fields[name] = (int(numbers[0]), int(numbers[1]))
        else:
            constants[name] = int(numbers[0])
    return structs, fields, constants


def mirrored_fields() -> Dict[str, Tuple[int, int]]:
    return {f"{c_name}.{name}": (getattr(cls, name).offset, getattr(cls, name).size)
            for c_name, cls in _lib.STRUCTS.items() for name, *_ in cls._fields_}


def test_the_probe_and_the_mirror_name_the_same_structs_fields_and_constants(probe):
    structs, fields, constants = probe
    assert set(structs) == set(_lib.STRUCTS)
    assert set(fields) == set(mirrored_fields())
    assert set(constants) == set(_lib.CONSTANTS)
    assert len(_lib.STRUCTS) >= 10 and len(fields) >= 100 and len(constants) >= 20


def test_every_struct_has_the_size_c_gives_it(probe):
    structs, _, _ = probe
    sizes = {name: ctypes.sizeof(cls) for name, cls in _lib.STRUCTS.items()}
    assert sizes == structs


def test_every_field_has_the_offset_and_size_c_gives_it(probe):
    _, fields, _ = probe
    assert mirrored_fields() == fields


def test_every_constant_has_the_value_c_gives_it(probe):
    _, _, constants = probe
    assert _lib.CONSTANTS == constants


def test_declare_records_every_function_once():
    assert len(_lib.DECLARED) == len(set(_lib.DECLARED))
    assert all(getattr(_lib, name).__name__ == name for name in _lib.DECLARED)


def handle_types(fn: object) -> Set[type]:
    """The handle types among a function's arguments (also behind a pointer)."""
    handles = {_lib.ReaderHandle, _lib.WriterHandle, _lib.NamesBuffer, _lib.DLPackHandle}
    found = set()
    for t in fn.argtypes:
        t = getattr(t, "_type_", t) if isinstance(t, type) and issubclass(t, ctypes._Pointer) else t
        if t in handles:
            found.add(t)
    return found


@pytest.mark.parametrize("prefix, handle", [
    ("da_reader_", _lib.ReaderHandle), ("da_writer_", _lib.WriterHandle),
    ("da_names_", _lib.NamesBuffer), ("da_list_", _lib.NamesBuffer),
    ("da_sox_list_", _lib.NamesBuffer), ("da_audio_to_dlpack", _lib.DLPackHandle)])
def test_each_handle_has_its_own_type(prefix, handle):
    functions = [name for name in _lib.DECLARED if name.startswith(prefix)]
    assert functions
    for name in functions:
        assert handle_types(getattr(_lib, name)) == {handle}, name


def test_a_handle_of_one_kind_is_refused_where_another_is_expected():
    writer = _lib.WriterHandle()
    with pytest.raises(ctypes.ArgumentError):
        _lib.da_reader_read(writer, 1, None, _lib.error_buffer(), _lib.ERROR_SIZE)
    with pytest.raises(ctypes.ArgumentError):
        _lib.da_reader_free(ctypes.byref(writer))
