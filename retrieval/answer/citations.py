"""Citation checking: parse [n] markers, verify each sentence against the passages it cites, drop
(or mark) what is unsupported, locate the exact quote behind every kept citation, renumber 1..N.

All functions are pure: (answer text, passages) in, records out.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from retrieval.answer.evidence import Evidence, find_evidence
from retrieval.answer.facts import content_syllables, extract_facts, strip_list_marker
from retrieval.answer.normalize import fold
from retrieval.answer.passages import Passage, split_sentences
from retrieval.answer.result import REFUSAL, Citation
from retrieval.types import Span

UNVERIFIED_TAG = " (chưa kiểm chứng)"
REPAIR_MIN_BIGRAMS = 0.7  # a fact-free sentence is re-attributed only when it nearly copies the passage

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
    evidence: tuple[Evidence, ...] = ()  # best window of each cited passage
    connective: bool = False  # an uncited lead-in line ("Cụ thể như sau:") kept without check
    repaired: bool = False  # its own markers were wrong; ``cited`` is the passage that does support it

    @property
    def empty(self) -> bool:
        """No statement at all: only markers or punctuation ("[1][2]")."""
        return not content_syllables(self.claim) and extract_facts(self.claim).empty

    @property
    def supporting(self) -> tuple[Evidence, ...]:
        return tuple(ev for ev in self.evidence if ev.supports)

    @property
    def supported(self) -> bool:
        if self.connective:
            return True
        return not self.empty and bool(self.supporting)

    def reason(self) -> str:
        if self.connective or self.supported:
            return ""
        if self.empty:
            return "không có nội dung"
        if not self.own and not self.cited:
            return "không có trích dẫn"
        if not self.cited:
            return "trích dẫn tới đoạn không tồn tại " + ", ".join(f"[{n}]" for n in self.invalid)
        best = max(self.evidence, key=lambda ev: ev.score)
        if best.missing:
            return "không có trong đoạn được trích: " + "; ".join(best.missing)
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
    def repaired(self) -> int:
        """How many kept sentences had their citation numbers corrected."""
        return sum(1 for s in self.sentences if s.repaired)

    @property
    def invalid_markers(self) -> tuple[int, ...]:
        return tuple(sorted({n for s in self.sentences for n in s.invalid}))


def move_markers_before_stops(text: str) -> str:
    """ "Câu A. [1] Câu B" -> "Câu A [1]. Câu B", so a marker belongs to the sentence it follows."""
    return _MARKER_AFTER_STOP.sub(lambda m: " " + m.group(2).strip() + m.group(1) + " ", text)


def _claim_text(sentence: str) -> str:
    claim = _MARKER.sub(" ", sentence)
    return re.sub(r"\s+", " ", strip_list_marker(claim)).strip(" .;:,")


def check_sentences(text: str, passages: Sequence[Passage], repair: bool = True) -> list[SentenceCheck]:
    """Split ``text`` (markers already moved) into sentences and check each one.

    With ``repair``, a sentence whose own markers point at the wrong passage is re-attributed to the
    given passage that supports it, if it asserts at least one date, number, document number or quote.
    """
    by_n = {p.n: p for p in passages}
    raw: list[tuple[Span, str, tuple[int, ...], int]] = []  # span, claim, own numbers, line number
    line_of = _line_numbers(text)
    for s, e in split_sentences(text, clauses=False):  # clauses would overlap their sentence
        nums = tuple(n for m in parse_markers(text[s:e]) for n in m.numbers)
        claim = _claim_text(text[s:e])
        if not claim and not nums:
            continue
        raw.append(((s, e), claim, nums, line_of(s)))
    out: list[SentenceCheck] = []
    for i, (span, claim, own, line) in enumerate(raw):
        cited = own or _inherited(raw, i, line)
        valid = tuple(dict.fromkeys(n for n in cited if n in by_n))
        invalid = tuple(dict.fromkeys(n for n in cited if n not in by_n))
        connective = not cited and _is_connective(text, span)
        evidence = tuple(find_evidence(claim, by_n[n]) for n in valid) if claim else ()
        check = SentenceCheck(span, claim, own, valid, invalid, evidence, connective)
        if repair and not check.supported and not check.empty and not check.connective:
            check = _repaired(check, passages)
        out.append(check)
    return out


def _repaired(check: SentenceCheck, passages: Sequence[Passage]) -> SentenceCheck:
    """Attribute a sentence citing the wrong passage, or none, to the passage that supports it. It
    must state a fact (date, number, document number, quote) or be a near copy of the passage."""
    has_facts = not extract_facts(check.claim).empty
    found = [find_evidence(check.claim, p) for p in passages if p.n not in check.cited]
    found = [
        ev for ev in found if ev.supports and (has_facts or ev.verbatim or ev.bigrams >= REPAIR_MIN_BIGRAMS)
    ]
    if not found:
        return check
    best = max(found, key=lambda ev: ev.score)
    return replace(check, cited=(best.n,), evidence=(best,), repaired=True)


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


def check_answer(
    text: str, passages: Sequence[Passage], mark_unsupported: bool = False, repair: bool = True
) -> CheckedAnswer:
    """Verify an answer and rebuild it with renumbered, located citations.

    Unsupported sentences are dropped (or kept with UNVERIFIED_TAG when ``mark_unsupported``); markers
    pointing at no passage are always removed; kept citations are renumbered 1..N by first use. With
    ``repair``, a sentence citing the wrong passage (or none that exists) but fully supported by another
    given passage is re-attributed to it (counted in ``CheckedAnswer.repaired``).
    """
    text = move_markers_before_stops(text.strip())
    refused = is_refusal(text)
    checks = check_sentences(text, passages, repair)
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
            if c.claim:
                dropped.append(c.claim)
            edits.append((c.span[0], c.span[1], ""))
            continue
        sentence = text[c.span[0] : c.span[1]]
        markers = parse_markers(sentence)
        new_numbers: list[int] = []
        shown = c.supporting if c.supported else c.evidence
        for ev in () if c.connective else shown:  # every kept sentence carries its own citation
            p, span = by_n[ev.n], ev.span
            key = (ev.n, span)
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
    new = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
    if not markers:  # a sentence given a citation by repair: the marker goes before the final stop
        if not new:
            return sentence
        m = re.search(r"[.!?…;:]*\s*$", sentence)
        return sentence[: m.start()].rstrip() + " " + new + sentence[m.start() :].strip()
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
