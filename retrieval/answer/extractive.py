"""Extractive answers: the passage sentences that best answer the question, quoted verbatim.

A sentence scores by the IDF-weighted share of the question's word tokens it contains (underthesea
words and their syllables, accent-insensitive, stop words dropped), plus a prior for the passage's
retrieval rank, plus a bonus when the question asks for a date / number / document number and the
sentence has one. No LLM; fast enough to run on every question.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from retrieval.answer.facts import find_dates
from retrieval.answer.normalize import fold
from retrieval.answer.passages import Passage
from retrieval.types import Span

MAX_SENTENCES = 3
MAX_PASSAGES = 5  # only the top passages are read
RANK_PRIOR = 0.15  # added as RANK_PRIOR / passage number
KEEP_RATIO = 0.8  # further sentences must score at least this share of the best one
MIN_SCORE = 0.35

_WANTS_DATE = re.compile(
    r"\b(?:ngay nao|khi nao|bao gio|luc nao|thoi gian nao|thoi diem nao|thoi han|han chot|truoc ngay|"
    r"nam nao|thang nao|ngay bao nhieu|ngay may|moc thoi gian)\b"
)
_WANTS_NUMBER = re.compile(r"\b(?:bao nhieu|so luong|ty le|ti le|phan tram|muc)\b")
_WANTS_CODE = re.compile(r"\b(?:so hieu|ky hieu|ki hieu|so van ban|van ban so|ke hoach so|so may|so nao)\b")
_CODE = re.compile(r"\d+\s*[-/]\s*[A-ZĐ]{1,6}")
# Question words and function words (accent-free underthesea tokens) that carry no content.
_STOP_TEXT = (
    "va cua cac la duoc co cho trong voi theo ve nhung nay de tu mot da thi nhu khi den tai do nao gi ai "
    "bao_nhieu hay hoac khong phai sao the_nao ra se dang cung vao neu tren duoi do the nhu_the_nao "
    "hay_cho_biet cho_biet biet ngay_nao khi_nao bao_gio muon nhat can duoc_khong"
)
STOPWORDS = frozenset(_STOP_TEXT.split())
_SYLLABLE_STOP = frozenset(w for w in STOPWORDS if "_" not in w)


@dataclass(frozen=True)
class QuestionProfile:
    tokens: tuple[str, ...]  # distinct accent-free content tokens (words and their syllables)
    wants_date: bool
    wants_number: bool
    wants_code: bool


@dataclass(frozen=True)
class ScoredSentence:
    passage: int  # Passage.n
    span: Span  # document span
    coverage: float  # IDF-weighted share of the question tokens the sentence contains
    score: float


@lru_cache(maxsize=1)
def _word_tokenize():
    from underthesea import word_tokenize

    return word_tokenize


@lru_cache(maxsize=4096)
def tokens(text: str) -> frozenset[str]:
    """Accent-free content tokens: word tokens ("bao_cao") plus their syllables ("bao", "cao")."""
    out: set[str] = set()
    for word in _word_tokenize()(text):
        plain = "_".join(fold(word).split())
        if not re.search(r"\w", plain) or plain in STOPWORDS:
            continue
        plain = re.sub(r"[^\w/\-]", "", plain)
        if not plain:
            continue
        out.add(plain)
        if "_" in plain:
            out.update(s for s in plain.split("_") if s and s not in _SYLLABLE_STOP)
    return frozenset(out)


def profile(question: str) -> QuestionProfile:
    folded = fold(question)
    how_many = re.search(r"\bmấy\b", question.lower()) is not None
    return QuestionProfile(
        tokens=tuple(sorted(tokens(question))),
        wants_date=bool(_WANTS_DATE.search(folded)),
        wants_number=bool(_WANTS_NUMBER.search(folded)) or how_many,
        wants_code=bool(_WANTS_CODE.search(folded)),
    )


def score_sentences(question: str, passages: Sequence[Passage]) -> list[ScoredSentence]:
    """Every sentence of the first MAX_PASSAGES passages, best first."""
    prof = profile(question)
    cands: list[tuple[Passage, Span, frozenset[str]]] = []
    for p in passages[:MAX_PASSAGES]:
        for span in p.sentences:
            cands.append((p, span, tokens(p.quote(span))))
    if not cands or not prof.tokens:
        return []
    df = Counter(t for _, _, toks in cands for t in toks if t in prof.tokens)
    n = len(cands)
    weight = {t: math.log(1.0 + n / (1.0 + df[t])) for t in prof.tokens}
    total = sum(weight.values())
    out = []
    for p, span, toks in cands:
        text = p.quote(span)
        coverage = sum(w for t, w in weight.items() if t in toks) / total
        score = coverage + RANK_PRIOR / p.n + _type_bonus(prof, text) + _shape_penalty(text, toks)
        out.append(ScoredSentence(p.n, span, coverage, score))
    out.sort(key=lambda s: (-s.score, s.passage, s.span))
    return out


def _type_bonus(prof: QuestionProfile, text: str) -> float:
    bonus = 0.0
    if prof.wants_date:
        bonus += 0.25 if find_dates(fold(text))[0] else -0.1
    if prof.wants_number:
        bonus += 0.2 if re.search(r"\d", text) else -0.05
    if prof.wants_code:
        bonus += 0.2 if _CODE.search(text) else 0.0
    return bonus


def _shape_penalty(text: str, toks: frozenset[str]) -> float:
    penalty = 0.0
    if len(toks) < 4:
        penalty -= 0.2
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.7:  # headings in capitals
        penalty -= 0.1
    return penalty


def select(scored: Sequence[ScoredSentence], passages: Sequence[Passage], limit: int = MAX_SENTENCES):
    """The best sentence plus those close to it, never two overlapping spans of one document."""
    if not scored or scored[0].score < MIN_SCORE * 0.5:
        return []
    by_n = {p.n: p for p in passages}
    best = scored[0].score
    chosen: list[ScoredSentence] = []
    for s in scored:
        if len(chosen) >= limit or (chosen and s.score < max(KEEP_RATIO * best, MIN_SCORE)):
            break
        doc = by_n[s.passage].doc_id
        if any(by_n[c.passage].doc_id == doc and c.span[0] < s.span[1] and s.span[0] < c.span[1] for c in chosen):
            continue
        chosen.append(s)
    return chosen


def extract(question: str, passages: Sequence[Passage], limit: int = MAX_SENTENCES) -> str:
    """Answer text: the chosen sentences verbatim, each followed by its passage marker [n]."""
    by_n = {p.n: p for p in passages}
    chosen = select(score_sentences(question, passages), passages, limit)
    lines = [f"{by_n[s.passage].quote(s.span)} [{s.passage}]" for s in chosen]
    if len(lines) == 1:
        return lines[0]
    return "\n".join(f"- {line}" for line in lines)


class ExtractiveBackend:
    """No-LLM backend: yields the whole extractive answer at once."""

    name = "extractive"
    max_passages = MAX_PASSAGES

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        text = extract(question, passages)
        if text:
            yield text
