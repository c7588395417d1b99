"""torchaudio's ``torchaudio.io`` spelling: ``from decode_audio.io import StreamReader,
StreamWriter, CodecConfig``.

(The package's own modules import the standard library's ``io`` by absolute import, which
this module does not shadow.)
"""

from ._reader import StreamReader
from ._writer import CodecConfig, StreamWriter

__all__ = ["CodecConfig", "StreamReader", "StreamWriter"]
