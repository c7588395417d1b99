"""The signatures of the decode entry points agree with the one option table (_options.py):
every option a signature names is in the table for that entry point with the same default,
every option the table gives an entry point is in its signature or passes through its
``**decode_kwargs``, and nothing else does (as python-soundfile's argspec test holds its
functions to each other)."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, List

import pytest

import decode_audio
from conftest import make_input
from decode_audio import StreamReader
from decode_audio._options import OPTIONS, accepted

# entry point -> (function, its parameters that are not options)
ENTRY_POINTS: Dict[str, Any] = {
    "decode": (decode_audio.decode, ["src"]),
    "load": (decode_audio.load, ["src"]),
    "info": (decode_audio.info, ["src"]),
    "stream": (decode_audio.stream, ["src", "frames_per_chunk"]),
    "load_many": (decode_audio.load_many, ["srcs", "num_threads", "errors"]),
    "StreamReader": (StreamReader.__init__, ["self", "src"]),
    "add_basic_audio_stream": (StreamReader.add_basic_audio_stream,
                               ["self", "frames_per_chunk", "buffer_chunk_size"]),
    "add_audio_stream": (StreamReader.add_audio_stream,
                         ["self", "frames_per_chunk", "buffer_chunk_size"]),
}


def named(fn: Callable) -> List[inspect.Parameter]:
    return [p for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def passes_keywords(fn: Callable) -> bool:
    return any(p.kind == p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())


def test_every_option_of_the_table_has_an_entry_point_and_a_known_backend():
    for option in OPTIONS.values():
        assert option.entry_points <= set(ENTRY_POINTS), option.name
        assert option.entry_points and option.backends <= {"ffmpeg", "sox", "soundfile"}
        assert "ffmpeg" in option.backends
        assert set(option.defaults) <= option.entry_points


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_no_two_options_of_an_entry_point_share_a_keyword(entry_point):
    keywords = [o.keyword for o in OPTIONS.values() if entry_point in o.entry_points]
    assert len(keywords) == len(set(keywords))


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_each_parameter_is_an_option_of_the_table_with_its_default(entry_point):
    fn, plain = ENTRY_POINTS[entry_point]
    options = accepted(entry_point)
    for p in named(fn):
        if p.name in plain:
            continue
        assert p.name in options, f"{entry_point}({p.name}) is not in the option table"
        assert p.default == options[p.name].default_for(entry_point), (entry_point, p.name)
    assert [p.name for p in named(fn)][: len(plain)] == plain


@pytest.mark.parametrize("entry_point", sorted(n for n, (fn, _) in ENTRY_POINTS.items()
                                              if not passes_keywords(fn)))
def test_a_signature_without_keywords_names_every_option_of_its_entry_point(entry_point):
    fn, plain = ENTRY_POINTS[entry_point]
    assert {p.name for p in named(fn)} - set(plain) == set(accepted(entry_point))


def test_decode_takes_its_options_by_keyword_in_the_table_order():
    params = named(decode_audio.decode)[1:]
    assert all(p.kind == p.KEYWORD_ONLY for p in params)
    assert [p.name for p in params] == [o.keyword for o in OPTIONS.values()
                                        if "decode" in o.entry_points]


def test_load_many_passes_on_what_decode_takes():
    # but num_threads: load_many's own is its pool's, and it decodes each input on one thread
    explicit = {p.name for p in named(decode_audio.load_many)}
    assert set(accepted("load_many")) == set(accepted("decode")) - {"num_threads"}
    assert explicit & set(accepted("decode")) == {"num_threads"}


# ---- the keywords that pass through **decode_kwargs are those the table gives, and only ----

def through_keywords(entry_point: str) -> Dict[str, Any]:
    fn, _ = ENTRY_POINTS[entry_point]
    explicit = {p.name for p in named(fn)}
    return {k: o.default_for(entry_point) for k, o in accepted(entry_point).items()
            if k not in explicit}


def call(entry_point: str, path: str, **kwargs: Any) -> None:
    if entry_point == "load":
        pytest.importorskip("torch")
        decode_audio.load(path, **kwargs)
    elif entry_point == "stream":
        next(iter(decode_audio.stream(path, 100, **kwargs)))
    else:
        result = decode_audio.load_many([path], errors="return", **kwargs)[0]
        if isinstance(result, BaseException):
            raise result


@pytest.mark.parametrize("entry_point", ["load", "stream", "load_many"])
def test_every_keyword_the_table_passes_through_is_accepted(entry_point):
    path = make_input("wav_s16", 1, 8000)
    keywords = through_keywords(entry_point)
    assert keywords
    for keyword, default in keywords.items():
        call(entry_point, path, **{keyword: default})


@pytest.mark.parametrize("entry_point", ["load", "stream", "load_many"])
def test_a_keyword_the_table_does_not_give_an_entry_point_is_refused(entry_point):
    path = make_input("wav_s16", 1, 8000)
    fn, _ = ENTRY_POINTS[entry_point]
    taken = set(accepted(entry_point)) | {p.name for p in named(fn)}
    refused = {o.keyword for o in OPTIONS.values()} - taken | {"nonsense"}
    assert len(refused) > 1
    for keyword in sorted(refused):
        with pytest.raises(TypeError):
            call(entry_point, path, **{keyword: None})
