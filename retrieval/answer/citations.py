"""Citation checking: parse [n] markers, verify each sentence against the passages it cites, drop
(or mark) what is unsupported, locate the exact quote behind every kept citation, renumber 1..N.

All functions are pure: (answer text, passages) in, records out.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.answer.facts import (
    SourceIndex,
    extract_facts,
    missing_facts,
    overlap,
    strip_list_marker,
)
from retrieval.answer.normalize import fold, norm, normalize
from retrieval.answer.passages import Passage, split_sentences
from retrieval.answer.result import REFUSAL, Citation
from retrieval.types import Span

MIN_OVERLAP = 0.5  # share of a sentence's content syllables that its cited passages must contain
UNVERIFIED_TAG = " (chưa kiểm chứng)"

_MARKER = re.compile(
    r"\[\s*(?:(?:đoạn(?:\s+văn)?|doan|passage|nguồn|nguon|source)\s*)?"
    r"(\d{1,3}(?:\s*(?:,|;|–|-|và|and)\s*\d{1,3})*)\s*\]",
    re.IGNORECASE,
)
_MARKER_AFTER_STOP = re.compile(r"(?<![/.])([.!?…])[ \t]*((?:\[[^\[\]\n]{1,40}\][ \t]*)+)")
_REFUSAL_KEY = fold(REFUSAL.split(" trong ")[0])


@dataclass(frozen=True)
class Marker:
    start: int
    end: int
    numbers: tuple[int, ...]


def parse_markers(text: str) -> list[Marker]:
    """Every [n], [n, m], [n-m], [Đoạn n] marker ([n][m] gives two markers), in order."""
    out = []
    for m in _MARKER.finditer(text):
        nums: list[int] = []
        for part in re.split(r"\s*(?:,|;|và|and)\s*", m.group(1)):
            rng = re.fullmatch(r"(\d+)\s*[–-]\s*(\d+)", part)
            if rng and int(rng[1]) <= int(rng[2]) <= int(rng[1]) + 10:
                nums.extend(range(int(rng[1]), int(rng[2]) + 1))
            elif part.strip().isdigit():
                nums.append(int(part))
        out.append(Marker(m.start(), m.end(), tuple(nums)))
    return out


def is_refusal(text: str) -> bool:
    return _REFUSAL_KEY in fold(text)


@dataclass(frozen=True)
class SentenceCheck:
    span: Span  # in the (marker-moved) answer text
    claim: str  # sentence text without markers
    own: tuple[int, ...]  # passage numbers cited in the sentence itself
    cited: tuple[int, ...]  # valid passage numbers it is checked against (own or inherited)
    invalid: tuple[int, ...]  # cited numbers that point at no passage
    missing: tuple[str, ...]  # facts not found in the cited passages
    overlap: float
    connective: bool = False  # an uncited lead-in line ("Cụ thể như sau:") kept without check

    @property
    def supported(self) -> bool:
        return self.connective or (bool(self.cited) and not self.missing and self.overlap >= MIN_OVERLAP)

    def reason(self) -> str:
        if self.connective or self.supported:
            return ""
        if not self.own and not self.cited:
            return "không có trích dẫn"
        if not self.cited:
            return "trích dẫn tới đoạn không tồn tại " + ", ".join(f"[{n}]" for n in self.invalid)
        if self.missing:
            return "không có trong đoạn được trích: " + "; ".join(self.missing)
        return "nội dung không khớp với đoạn được trích"


@dataclass(frozen=True)
class CheckedAnswer:
    text: str  # the answer with unsupported sentences dropped (or tagged) and markers renumbered
    citations: tuple[Citation, ...]
    sentences: tuple[SentenceCheck, ...]
    dropped: tuple[str, ...]  # claims removed
    refused: bool  # the backend answered with the refusal phrase

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(f"{s.claim} — {s.reason()}" for s in self.sentences if not s.supported)

    @property
    def invalid_markers(self) -> tuple[int, ...]:
        return tuple(sorted({n for s in self.sentences for n in s.invalid}))


def move_markers_before_stops(text: str) -> str:
    """ "Câu A. [1] Câu B" -> "Câu A [1]. Câu B", so a marker belongs to the sentence it follows."""
    return _MARKER_AFTER_STOP.sub(lambda m: " " + m.group(2).strip() + m.group(1) + " ", text)


def _claim_text(sentence: str) -> str:
    claim = _MARKER.sub(" ", sentence)
    return re.sub(r"\s+", " ", strip_list_marker(claim)).strip(" .;:,")


def check_sentences(text: str, passages: Sequence[Passage]) -> list[SentenceCheck]:
    """Split ``text`` (markers already moved) into sentences and check each one."""
    valid_numbers = {p.n for p in passages}
    index = {p.n: SourceIndex.of(p.support_text) for p in passages}
    raw: list[tuple[Span, str, tuple[int, ...], int]] = []  # span, claim, own numbers, line number
    line_of = _line_numbers(text)
    for s, e in split_sentences(text):
        nums = tuple(n for m in parse_markers(text[s:e]) for n in m.numbers)
        claim = _claim_text(text[s:e])
        if not claim and not nums:
            continue
        raw.append(((s, e), claim, nums, line_of(s)))
    out: list[SentenceCheck] = []
    for i, (span, claim, own, line) in enumerate(raw):
        cited = own or _inherited(raw, i, line)
        valid = tuple(dict.fromkeys(n for n in cited if n in valid_numbers))
        invalid = tuple(dict.fromkeys(n for n in cited if n not in valid_numbers))
        connective = not cited and _is_connective(text, span)
        if not valid:
            out.append(SentenceCheck(span, claim, own, (), invalid, (), 0.0, connective))
            continue
        sources = [index[n] for n in valid]
        missing = tuple(missing_facts(extract_facts(claim), sources))
        union = SourceIndex("", "", (), frozenset().union(*(s.syllables for s in sources)))
        out.append(SentenceCheck(span, claim, own, valid, invalid, missing, overlap(claim, union)))
    return out


def _line_numbers(text: str):
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    return lambda pos: bisect.bisect_right(starts, pos) - 1


def _inherited(raw: list, i: int, line: int) -> tuple[int, ...]:
    """Citations of the next cited sentence on the same line, else of the previous one."""
    for j in range(i + 1, len(raw)):
        if raw[j][3] != line:
            break
        if raw[j][2]:
            return raw[j][2]
    for j in range(i - 1, -1, -1):
        if raw[j][3] != line:
            break
        if raw[j][2]:
            return raw[j][2]
    return ()


def _is_connective(text: str, span: Span) -> bool:
    """A lead-in line without facts ending with ':' ("Các mốc thời gian như sau:")."""
    sentence = text[span[0] : span[1]].rstrip()
    return sentence.endswith(":") and extract_facts(sentence).empty and len(sentence) <= 120


def locate_quote(claim: str, passage: Passage) -> Span:
    """Document span of the passage text that best supports ``claim``: a quoted span's sentence, the
    claim itself when it is copied verbatim, else the sentence sharing most facts and words."""
    nt = normalize(passage.display_text)
    sentences = passage.sentences or ((passage.start, passage.end),)
    for q in extract_facts(claim).quotes:
        i = nt.find(norm(q))
        if i >= 0 and q:
            s, e = nt.span_of(i, i + len(norm(q)))
            s, e = s + passage.start, e + passage.start
            return next(((a, b) for a, b in sentences if a <= s and e <= b), (s, e))
    nc = norm(claim)
    if len(nc) >= 10:
        i = nt.find(nc)
        if i >= 0:
            s, e = nt.span_of(i, i + len(nc))
            # Take back the closing punctuation the claim lost (".", "./.", ")").
            tail = re.match(r"[.;:!?…/)”\"]{1,3}", passage.display_text[e:])
            e += tail.end() if tail else 0
            return s + passage.start, e + passage.start
    facts = extract_facts(claim)
    best, best_score = sentences[0], -1.0
    for span in sentences:
        src = SourceIndex.of(passage.quote(span))
        found = sum(1 for _ in facts.dates + facts.codes + facts.percents + facts.numbers + facts.quotes)
        found -= len(missing_facts(facts, [src]))
        score = 2.0 * found + overlap(claim, src)
        if score > best_score:
            best, best_score = span, score
    return best


def check_answer(text: str, passages: Sequence[Passage], mark_unsupported: bool = False) -> CheckedAnswer:
    """Verify an answer and rebuild it with renumbered, located citations.

    Unsupported sentences are dropped (or kept with UNVERIFIED_TAG when ``mark_unsupported``); markers
    pointing at no passage are always removed; kept citations are renumbered 1..N by first use.
    """
    text = move_markers_before_stops(text.strip())
    refused = is_refusal(text)
    checks = check_sentences(text, passages)
    by_n = {p.n: p for p in passages}
    keys: dict[tuple[int, Span], int] = {}
    citations: list[Citation] = []
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in ``text``
    dropped: list[str] = []
    for c in checks:
        if is_refusal(c.claim) and not c.own:
            continue
        keep = c.supported or (mark_unsupported and bool(c.cited))
        if not keep:
            dropped.append(c.claim)
            edits.append((c.span[0], c.span[1], ""))
            continue
        sentence = text[c.span[0] : c.span[1]]
        markers = parse_markers(sentence)
        new_numbers: list[int] = []
        for n in dict.fromkeys(n for m in markers for n in m.numbers):
            if n not in by_n:
                continue
            p = by_n[n]
            span = locate_quote(c.claim, p)
            key = (n, span)
            if key not in keys:
                keys[key] = len(keys) + 1
                citations.append(
                    Citation(
                        keys[key],
                        p.chunk_id,
                        p.doc_id,
                        p.source,
                        p.quote(span),
                        span[0],
                        span[1],
                        c.supported,
                    )
                )
            new_numbers.append(keys[key])
        rebuilt = _replace_markers(sentence, markers, new_numbers)
        if not c.supported:
            rebuilt = rebuilt.rstrip(" .") + UNVERIFIED_TAG + "."
        edits.append((c.span[0], c.span[1], rebuilt))
    out = _apply(text, edits)
    return CheckedAnswer(out, tuple(citations), tuple(checks), tuple(dropped), refused)


def _replace_markers(sentence: str, markers: list[Marker], numbers: list[int]) -> str:
    """Remove every marker; put the renumbered ones where the last marker was."""
    if not markers:
        return sentence
    new = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
    pieces, pos = [], 0
    for i, m in enumerate(markers):
        pieces.append(sentence[pos : m.start])
        if i == len(markers) - 1 and new:
            pieces.append(new)
        pos = m.end
    pieces.append(sentence[pos:])
    out = "".join(pieces)
    out = re.sub(r"[ \t]+(?=[.,;:!?])", "", out)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, pos = [], 0
    for s, e, rep in sorted(edits):
        out.append(text[pos:s])
        out.append(rep)
        pos = e
    out.append(text[pos:])
    lines = []
    for line in "".join(out).split("\n"):
        if line.strip() and not re.fullmatch(r"[\s\-–•*+.;,:]*|\s*\d+[.)]\s*", line):
            lines.append(re.sub(r"[ \t]{2,}", " ", line).rstrip())
        elif not line.strip() and lines and lines[-1] != "":
            lines.append("")
    return "\n".join(lines).strip()
