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

from retrieval.answer.facts import extract_facts, find_dates
from retrieval.answer.normalize import fold
from retrieval.answer.passages import Passage
from retrieval.answer.scope import asks_amount, states_amount
from retrieval.types import Span

MAX_SENTENCES = 3
MAX_PASSAGES = 5  # only the top passages are read
RANK_PRIOR = 0.15  # added as RANK_PRIOR / passage number
KEEP_RATIO = 0.85  # further sentences must score at least this share of the best one
SPECIFIC_LIMIT = 1  # a question for one date / number / document number gets one sentence
MIN_SCORE = 0.35
# words that ask rather than say what about ("ngày nào", "bao nhiêu", "khi nào"): not the topic
_ASKING = frozenset(["ngay", "nao", "bao", "nhieu", "gi", "ai", "dau", "khi", "thang", "nam", "may", "sao"])
OFF_TOPIC = 0.2  # a sentence sharing none of the question's own words, only the names it gives

_WANTS_DATE = re.compile(
    r"\b(?:ngay nao|khi nao|bao gio|luc nao|thoi gian nao|thoi diem nao|thoi han|han chot|truoc ngay|"
    r"nam nao|thang nao|ngay bao nhieu|ngay may|moc thoi gian|thoi gian)\b"
)
_WANTS_NUMBER = re.compile(r"\b(?:bao nhieu|so luong|ty le|ti le|phan tram|muc)\b")
_WANTS_SIGNER = re.compile(r"\b(?:ai ky|nguoi ky|ky ten|ky boi|do ai ky|ai la nguoi ky|ky thay mat)\b")
COUNTED_BONUS = 0.25  # the number is followed by the noun the question counts
SIGNER_BONUS = 0.5  # the signer's name line, when the question asks who signed
NAMED_BONUS = 0.3  # "<noun> thứ 10" / "<noun> 5" when the question asks "<noun> nào"
AMOUNT_BONUS = 0.4  # a sum of money ("400.000 đồng/dấu") when the question asks for one
NOTE_CONTEXT = 0.5  # share of the citing passage's coverage a footnote sentence inherits
_WANTS_CODE = re.compile(r"\b(?:so hieu|ky hieu|ki hieu|so van ban|van ban so|ke hoach so|so may|so nao)\b")
_HEADING = re.compile(r"^(?:\d+(?:\.\d+)*|[IVXLC]+|[a-zđ])\s*[.)\-–]\s", re.IGNORECASE)
_CODE = re.compile(r"\d+[a-zA-Z]*(?:\s*[-/–]\s*[A-ZĐa-zđ][\wĐđ]*)+")
# Question words, function words and generic document words (lower-case underthesea tokens).
_STOP_TEXT = (
    "và của các là được có cho trong với theo về những này để từ một đã thì như khi đến tại do nào gì ai "
    "bao_nhiêu hay hoặc không phải sao thế_nào như_thế_nào ra_sao ra sẽ đang cũng vào nêu trên dưới đó "
    "hãy cho_biết biết số mấy những_gì là_gì gồm bao_gồm nội_dung kế_hoạch văn_bản đâu ở bởi thế"
)
STOPWORDS = frozenset(_STOP_TEXT.split())
_SYLLABLE_STOP = frozenset(fold(w) for w in STOPWORDS if "_" not in w)
_CODE_TOKEN = "#"  # prefix of document-number tokens ("#427-kh/tu")


@dataclass(frozen=True)
class QuestionProfile:
    tokens: tuple[str, ...]  # distinct accent-free content tokens (words and their syllables)
    wants_date: bool
    wants_number: bool
    wants_code: bool
    wants_signer: bool = False
    counted: str = ""  # folded noun of "bao nhiêu <noun>" ("dang vien"): a count of what is asked
    wants_amount: bool = False  # a sum of money (the answer-type check refuses an answer without one)
    which: str = ""  # folded noun of "<noun> nào" ("ky hop"): answered by "<noun> thứ 10", "Điều 5"


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
    """Accent-free content tokens: word tokens ("bao_cao") plus their syllables ("bao", "cao"), and
    document numbers as single tokens ("#427-kh/tu", whatever the spacing around - and /)."""
    out: set[str] = {_CODE_TOKEN + c for c in extract_facts(text).codes}
    for m in reversed(list(_CODE.finditer(text))):
        text = text[: m.start()] + " " + text[m.end() :]
    for word in _word_tokenize()(text):
        if "_".join(word.lower().split()) in STOPWORDS:
            continue
        plain = "_".join(fold(word).split())
        if not re.search(r"\w", plain):
            continue
        plain = re.sub(r"[^\w/\-]", "", plain)
        if not plain:
            continue
        out.add(plain)
        if "_" in plain:
            out.update(s for s in plain.split("_") if s and s not in _SYLLABLE_STOP)
    return frozenset(out)


def topic_tokens(question: str) -> frozenset[str]:
    """The question's tokens without the names it gives (capitalised words after the first): what it is
    about. "Sở Giáo dục … cho học sinh nghỉ học ngày nào?" -> học sinh, nghỉ học."""
    words = question.split()
    opens_name = any(x[:1].isupper() for x in words[1:3])  # a first word that starts a name too
    caps = [i for i, w in enumerate(words) if w[:1].isupper() and (i or opens_name)]
    named = set(caps)
    for a, b in zip(caps, caps[1:], strict=False):
        if b - a <= 3:  # "Giáo dục và Đào tạo": the lower-case words inside a name belong to it
            named.update(range(a, b))
    return tokens(" ".join(w for i, w in enumerate(words) if i not in named)) - _ASKING


def doc_code_tokens(p: Passage) -> frozenset[str]:
    """The document's own number ("Kế hoạch số 427-KH/TU ...") counts as present in each sentence."""
    return frozenset(t for t in tokens(p.metadata.so_ky_hieu or "") if t.startswith(_CODE_TOKEN))


@lru_cache(maxsize=256)
def profile(question: str) -> QuestionProfile:
    """What the question asks for (pure, so remembered: ``states_asked_type`` asks for every candidate)."""
    folded = fold(question)
    how_many = re.search(r"\bmấy\b", question.lower()) is not None
    return QuestionProfile(
        tokens=tuple(sorted(tokens(question))),
        wants_date=bool(_WANTS_DATE.search(folded)),
        wants_number=bool(_WANTS_NUMBER.search(folded)) or how_many,
        wants_code=bool(_WANTS_CODE.search(folded)),
        wants_signer=bool(_WANTS_SIGNER.search(folded)),
        counted=_counted(folded),
        wants_amount=asks_amount(question),
        which=_which(folded),
    )


def _which(folded: str) -> str:
    m = re.search(r"\b([a-z]+(?:\s+[a-z]+)?)\s+nao\b", folded)
    return m.group(1) if m and m.group(1).split()[-1] not in _NOT_NAMED else ""


# "<noun> nào" that no numbered name answers ("ngày nào" is a date, "văn bản nào" a document)
_NOT_NAMED = frozenset(["ngay", "nam", "thang", "gi", "ban", "the", "luc", "khi", "bao", "sao", "dau", "ai"])


def _counted(folded: str) -> str:
    m = re.search(r"\b(?:bao nhieu|may)\s+([a-z]+(?:\s+[a-z]+)?)", folded)
    if not m:
        return ""
    return m.group(1)


def _doc_tokens(p: Passage) -> frozenset[str]:
    """What the whole document is about (title, trích yếu, số/ký hiệu): the signer signed all of it."""
    md = p.metadata
    return tokens("\n".join(x for x in (p.title, md.trich_yeu, md.so_ky_hieu) if x))


def score_sentences(
    question: str, passages: Sequence[Passage], topic: frozenset[str] = frozenset()
) -> list[ScoredSentence]:
    """Every sentence of the first MAX_PASSAGES passages, and of the footnotes they cite, best first.

    A footnote sentence also gets NOTE_CONTEXT of the coverage of the passage that cites it (the
    footnote only details it); when the question asks who signed, the signature lines count the
    document's title as theirs and the signer's name line gets SIGNER_BONUS. With ``topic`` (the
    question's words without the names it gives), a sentence sharing none of them loses OFF_TOPIC."""
    prof = profile(question)
    cands: list[tuple[Passage, Span, frozenset[str], str]] = []  # kind: body / note / name / role
    for p in passages[:MAX_PASSAGES]:
        own = doc_code_tokens(p)
        sig = p.signature_lines
        if sig and prof.wants_signer:
            own = own | _doc_tokens(p)
        for span in p.sentences:
            kind = "body" if not sig else "name" if span == sig[-1] else "role"
            cands.append((p, span, tokens(p.quote(span)) | own, kind))
        for span in p.note_sentences:
            cands.append((p, span, tokens(p.quote(span)) | own, "note"))
    if not cands or not prof.tokens:
        return []
    df = Counter(t for _, _, toks, _ in cands for t in toks if t in prof.tokens)
    n = len(cands)
    weight = {t: math.log(1.0 + n / (1.0 + df[t])) for t in prof.tokens}
    total = sum(weight.values())
    body: dict[int, frozenset[str]] = {}
    for p, _, toks, kind in cands:
        if kind == "body":
            body[p.n] = body.get(p.n, frozenset()) | toks
    topic = topic & set(prof.tokens)
    out = []
    for p, span, toks, kind in cands:
        text = p.quote(span)
        coverage = sum(w for t, w in weight.items() if t in toks) / total
        score = coverage + RANK_PRIOR / p.n + _type_bonus(prof, text)
        if topic and not topic & toks and kind == "body":
            score -= OFF_TOPIC  # only the names the question gives: "… Sở X" in a sentence about uniforms
        if kind == "note":
            context = sum(w for t, w in weight.items() if t in body.get(p.n, ()) and t not in toks) / total
            score += NOTE_CONTEXT * context + _shape_penalty(text, toks)
        elif kind != "body" and prof.wants_signer:
            score += SIGNER_BONUS if kind == "name" else 0.0
        else:
            score += _shape_penalty(text, toks)
        out.append(ScoredSentence(p.n, span, coverage, score))
    out.sort(key=lambda s: (-s.score, s.passage, s.span))
    return out


def _type_bonus(prof: QuestionProfile, text: str) -> float:
    bonus = 0.0
    folded = fold(text)
    if prof.wants_date:
        bonus += 0.25 if find_dates(folded)[0] else -0.1
    if prof.wants_number:
        bonus += 0.2 if _states_quantity(folded) else -0.05
        if prof.counted and _counts(prof.counted, folded):
            bonus += COUNTED_BONUS  # "3.640 đảng viên" for "bao nhiêu đảng viên"
        elif " " in prof.counted and _counts(prof.counted.split()[0], folded):
            bonus += COUNTED_BONUS  # "ít nhất là 5 cuộc" for "bao nhiêu cuộc tiếp xúc"
    if prof.wants_code:
        bonus += 0.2 if _CODE.search(text) else 0.0
    if prof.wants_amount:
        bonus += AMOUNT_BONUS if states_amount(text) else -0.1
    names = f"{prof.which}|{prof.which.split()[-1]}" if prof.which else ""
    if names and re.search(rf"\b(?:{names})\s+(?:thu\s+)?(?:\d+|[ivxlc]+)\b", folded):
        bonus += NAMED_BONUS  # "Kỳ họp thứ 10" for "kỳ họp nào"
    return bonus


def states_asked_type(question: str, text: str) -> bool:
    """``text`` states what kind of value the question asks for (a date, a quantity, a sum of money, a
    document number); True for a question that asks for none of them."""
    prof = profile(question)
    folded = fold(text)
    counted = prof.counted.split()[0] if prof.counted else ""
    checks = [
        (prof.wants_date, lambda: bool(find_dates(_CITED_DATE.sub(" ", folded))[0])),
        (prof.wants_number and not prof.wants_date, lambda: _states_quantity(folded)),
        # "bao nhiêu đảng viên": the number of that noun ("3.640 đảng viên"), not any number
        (bool(counted), lambda: _counts(counted, folded)),
        (prof.wants_amount, lambda: states_amount(text)),
        (prof.wants_code, lambda: bool(_CODE.search(text))),
    ]
    return all(check() for wanted, check in checks if wanted)


def _counts(noun: str, folded: str) -> bool:
    """``folded`` gives a number of ``noun`` ("3.640 dang vien" for "dang vien")."""
    return re.search(rf"\d[\d.,]*\s+{re.escape(noun)}\b", folded) is not None


# the date of a cited document ("Quyết định số 218-QĐ/TW, ngày 12/12/2013") is not the date asked for
_CITED_DATE = re.compile(
    r"\d+[\w/.-]*[-/][a-z][\w/-]*\s*,?\s*(?:ngay|ban hanh ngay)\s*[\d/.-]+(?:\s*thang\s*\d+\s*nam\s*\d+)?"
)


def _states_quantity(folded: str) -> bool:
    """A number that is not part of a document number or a date ("74mm", "12 thành viên", "100%"; not
    "Thông tư 16/2024/TT-BCA", "ngày 16/6/2022"): what "bao nhiêu" asks for."""
    _, rest = find_dates(folded)
    return any(re.search(r"\d", w) and not _CODE_WORD.search(w) for w in rest.split())


_CODE_WORD = re.compile(r"\d.*[-/–].*[^\W\d_]|[^\W\d_].*[-/–].*\d")  # "16/2024/tt-bca", "qđ-15"


def _shape_penalty(text: str, toks: frozenset[str]) -> float:
    penalty = 0.0
    if len(toks) < 4:
        penalty -= 0.2
    if _HEADING.match(text) and len(text) < 100 and not text.rstrip().endswith((".", ";", ":")):
        penalty -= 0.3  # a section heading ("1. Nội dung tuyên truyền trọng tâm") answers nothing
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.7:  # headings in capitals
        penalty -= 0.1
    return penalty


def select(
    scored: Sequence[ScoredSentence],
    passages: Sequence[Passage],
    limit: int = MAX_SENTENCES,
    specific: bool = False,
) -> list[ScoredSentence]:
    """The best sentence plus those close to it, never two overlapping spans of one document."""
    if not scored or scored[0].score < MIN_SCORE * 0.5:
        return []
    by_n = {p.n: p for p in passages}
    best = scored[0].score
    limit = min(limit, SPECIFIC_LIMIT) if specific else limit
    chosen: list[ScoredSentence] = []
    for s in scored:
        if len(chosen) >= limit or (chosen and s.score < max(KEEP_RATIO * best, MIN_SCORE)):
            break
        doc = by_n[s.passage].doc_id
        if any(
            by_n[c.passage].doc_id == doc and c.span[0] < s.span[1] and s.span[0] < c.span[1] for c in chosen
        ):
            continue
        chosen.append(s)
    return chosen


def extract(question: str, passages: Sequence[Passage], limit: int = MAX_SENTENCES) -> str:
    """Answer text: the chosen sentences verbatim, each followed by its passage marker [n]."""
    by_n = {p.n: p for p in passages}
    prof = profile(question)
    specific = prof.wants_date or prof.wants_number or prof.wants_code
    topic = topic_tokens(question)
    scored = score_sentences(question, passages, topic)
    chosen = select(scored, passages, limit, specific or prof.wants_signer)
    lines = [f"{by_n[s.passage].inline(s.span)} [{s.passage}]" for s in chosen]
    if prof.wants_signer and chosen:
        lines += _signer_role(by_n[chosen[0].passage], chosen[0].span)
    several = _other_documents(prof, scored, by_n, chosen, topic) if specific else []
    if several:
        return several_documents(several, by_n)
    if len(lines) == 1:
        return lines[0]
    return "\n".join(f"- {line}" for line in lines)


MULTI_DOC_RATIO = 0.9  # another document's best sentence within this share of the best answers too
_COUNT_WORDS = {2: "Hai", 3: "Ba", 4: "Bốn", 5: "Năm"}


def _other_documents(
    prof: QuestionProfile,
    scored: Sequence[ScoredSentence],
    by_n: dict,
    chosen: Sequence[ScoredSentence],
    topic: frozenset[str] = frozenset(),
) -> list[ScoredSentence]:
    """When other documents state the asked date/number as well as the best one does (a 2020 and a
    2024 plan with their own deadlines), the best sentence of each document; else []."""
    if not chosen or prof.wants_code or prof.wants_signer:
        return []
    best = chosen[0]
    per_doc: dict[str, ScoredSentence] = {by_n[best.passage].doc_id: best}
    wanted = len(topic & tokens(by_n[best.passage].quote(best.span)))
    for s in scored:
        doc = by_n[s.passage].doc_id
        if (
            doc in per_doc
            or s.score < MULTI_DOC_RATIO * best.score
            or s.coverage < MULTI_DOC_RATIO * best.coverage
        ):
            continue
        if wanted and 2 * len(topic & tokens(by_n[s.passage].quote(s.span))) < wanted:
            continue  # scores as well through the names the question gives, but not about its topic
        text = fold(by_n[s.passage].quote(s.span))
        if (prof.wants_date and not find_dates(text)[0]) or (
            prof.wants_number and not re.search(r"\d", text)
        ):
            continue
        per_doc[doc] = s
    if len(per_doc) < 2:
        return []
    return sorted(
        per_doc.values(), key=lambda s: (by_n[s.passage].metadata.ngay_ban_hanh or "", -s.score), reverse=True
    )


def several_documents(chosen: Sequence[ScoredSentence], by_n: dict) -> str:
    """One line per document, newest first, under a fact-free lead saying there are several."""
    count = _COUNT_WORDS.get(len(chosen), "Nhiều")
    lead = f"{count} văn bản nêu nội dung này, mỗi văn bản một quy định (văn bản mới nhất trước):"
    lines = [lead]
    for s in chosen:
        p = by_n[s.passage]
        md = p.metadata
        name = f"{md.loai_van_ban or 'Văn bản'} của {md.co_quan_ban_hanh}" if md.co_quan_ban_hanh else p.title
        name = " ".join(re.sub(r"[\d/]+", " ", name).split())[:100]  # a lead line states no fact
        lines += [f"{name}:", f"- {p.inline(s.span)} [{s.passage}]"]
    return "\n".join(lines)


def _signer_role(p: Passage, name: Span) -> list[str]:
    """The role line just above the signer's name ("PHÓ CHỦ TỊCH"), quoted, when ``name`` is it."""
    lines = p.signature_lines
    if len(lines) < 2 or name != lines[-1]:
        return []
    return [f"{p.inline(lines[-2])} [{p.n}]"]


class ExtractiveBackend:
    """No-LLM backend: yields the whole extractive answer at once."""

    name = "extractive"
    max_passages = MAX_PASSAGES

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        text = extract(question, passages)
        if text:
            yield text
