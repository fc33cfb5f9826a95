"""Pure functions: fusion, metrics, query parsing, accent restoration, settings validation."""

from __future__ import annotations

import math

import pytest

from retrieval.accents import AccentModel
from retrieval.fusion import rrf, top
from retrieval.metrics import mean_metrics, mrr_at, ndcg_at, per_query, rank_of_first_gold, recall_at
from retrieval.query import clean_query, number_refs
from retrieval.settings import Settings, SettingsError


def test_rrf_weights_and_ties():
    scores = rrf({"a": [1, 2, 3], "b": [3, 1]}, k=60)
    assert scores[1] == pytest.approx(1 / 61 + 1 / 62)
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)
    assert scores[2] == pytest.approx(1 / 62)
    assert [i for i, _ in top(scores, 3)] == [1, 3, 2]
    weighted = rrf({"a": [1], "b": [2]}, weights={"a": 0.0, "b": 1.0}, k=10)
    assert weighted == {2: pytest.approx(1 / 11)}


def test_metrics_per_query_values():
    gold = {"d2": 1.0}
    ranked = ["d1", "d2", "d3"]
    assert rank_of_first_gold(ranked, gold) == 2
    assert mrr_at(ranked, gold, 10) == 0.5
    assert recall_at(ranked, gold, 1) == 0.0 and recall_at(ranked, gold, 5) == 1.0
    assert ndcg_at(ranked, gold, 10) == pytest.approx(1 / math.log2(3))
    assert mrr_at(["x"] * 10 + ["d2"], gold, 10) == 0.0
    rows = [per_query(ranked, gold), per_query(["d2"], gold)]
    assert mean_metrics(rows)["mrr@10"] == pytest.approx(0.75)


def test_clean_query_removes_quiz_boilerplate():
    q = "Theo Luật Du lịch, hợp đồng lữ hành không cần phải được lập thành văn bản. Đúng hay sai?"
    assert "sai" not in clean_query(q).lower().split()
    assert clean_query("hop dong lu hanh, dung hay sai?") == "hop dong lu hanh"
    assert clean_query("?") == "?"


@pytest.mark.parametrize(
    ("query", "number", "initials", "full"),
    [
        ("Kế hoạch 427 - KH/TU nói gì?", "427", "KH", "427-KH/TU"),
        ("nội dung 37/KH-MTTQ-BTT", "37", "KH", "37/KH-MTTQ-BTT"),
        ("Chỉ thị 05 về học tập", "05", "CT", None),
        ("kế hoạch số 159", "159", "KH", None),
    ],
)
def test_number_refs(query, number, initials, full):
    ref = number_refs(query)[0]
    assert (ref.number, ref.initials) == (number, initials)
    assert ref.full == full


def test_number_ref_matching_and_mentions():
    (ref,) = number_refs("Kế hoạch 427")
    assert ref.matches("427-KH/TU") and not ref.matches("37/KH-MTTQ-BTT") and not ref.matches(None)
    (ct,) = number_refs("Chỉ thị 05")
    assert ct.pattern().search("thực hiện Chỉ thị 05 -CT/TW của Bộ Chính trị")
    assert not ct.pattern().search("Kế hoạch 05-KH/TU")
    (full,) = number_refs("427 - KH/TU")
    assert full.matches("427-KH/TU")


def test_accent_restoration_learns_from_corpus():
    texts = [
        "Báo cáo năm gửi trước ngày 30/11/2020.",
        "Báo cáo 6 tháng gửi trước ngày 15/6/2020.",
        "Ban Thường trực Ủy ban MTTQ tỉnh xây dựng kế hoạch.",
        "bản đồ và bàn ghế",
    ]
    model = AccentModel.build(texts)
    assert model.restore("bao cao nam gui truoc ngay nao").startswith("báo cáo năm gửi trước ngày")
    assert model.restore("ban thuong truc") == "ban thường trực"


def test_settings_validation(monkeypatch):
    with pytest.raises(SettingsError):
        Settings(embed_batch_size=0)
    with pytest.raises(SettingsError):
        Settings(answer_backend="gpt")
    monkeypatch.setenv("TRACUU_RRF_K", "abc")
    with pytest.raises(SettingsError, match="TRACUU_RRF_K"):
        Settings.from_env()
    monkeypatch.setenv("TRACUU_RRF_K", "20")
    monkeypatch.setenv("TRACUU_EMBED_SEGMENTED", "true")
    s = Settings.from_env()
    assert s.rrf_k == 20 and s.embed_segmented is True
    assert s.effective_query_prefix == "query: "
    assert Settings(embed_model="/models/phobert").effective_query_prefix == ""
