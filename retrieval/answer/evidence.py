"""Where in a passage a claim is supported: the best window of the document text, and how well it
supports the claim. Pure functions.

Windows are single sentences, adjacent pairs, and short runs (a document header, a list of short
lines). A claim is supported by a window when every fact it states (dates, numbers, document numbers,
quoted spans) is in the window or in the document's title/metadata, and the window holds most of
the claim's words: MIN_SYLLABLES of its content syllables and MIN_BIGRAMS of its syllable pairs
(pairs tell a paraphrase of this sentence from a sentence that merely shares common words; a
window over LONG_WINDOW_RATIO times longer than the claim needs MIN_BIGRAMS_LONG_WINDOW). Loose
paraphrases fail on purpose: the Answerer then falls back to verbatim extractive quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from retrieval.answer.facts import (
    Facts,
    SourceIndex,
    content_syllables,
    extract_facts,
    missing_facts,
    tagged_syllables,
)
from retrieval.answer.normalize import norm, normalize
from retrieval.answer.passages import Passage, iso_to_vn
from retrieval.types import Span

MIN_SYLLABLES = 0.8
MIN_BIGRAMS = 0.4
# A window much longer than the claim shares words by chance: it must share more syllable pairs.
LONG_WINDOW_RATIO = 5.0
MIN_BIGRAMS_LONG_WINDOW = 0.6
WINDOW_MAX_SENTENCES = 4
WINDOW_MAX_CHARS = 300
_MIN_BIGRAMS_TESTED = 3  # shorter claims are judged on syllables and facts only


@dataclass(frozen=True)
class Evidence:
    n: int  # passage number
    span: Span  # document span of the supporting window
    syllables: float  # share of the claim's content syllables found in the window
    bigrams: float  # share of the claim's syllable pairs found in the window
    missing: tuple[str, ...]  # facts of the claim found neither in the window nor in the metadata
    verbatim: bool = False  # the claim is a copy of the window text
    length_ratio: float = 1.0  # window length / claim length

    @property
    def supports(self) -> bool:
        if self.missing:
            return False
        if self.verbatim:
            return True
        min_bigrams = MIN_BIGRAMS_LONG_WINDOW if self.length_ratio > LONG_WINDOW_RATIO else MIN_BIGRAMS
        return self.syllables >= MIN_SYLLABLES and self.bigrams >= min_bigrams

    @property
    def score(self) -> float:
        return (2.0 if self.verbatim else 0.0) - len(self.missing) + self.syllables + self.bigrams


def bigrams(text: str) -> frozenset[tuple[str, str]]:
    """Pairs of adjacent accent-free syllables, except pairs of two function words."""
    sy = tagged_syllables(text)
    return frozenset((a, b) for (a, fa), (b, fb) in zip(sy, sy[1:], strict=False) if not (fa and fb))


@lru_cache(maxsize=8192)
def _window_index(text: str) -> tuple[SourceIndex, frozenset[tuple[str, str]]]:
    return SourceIndex.of(text), bigrams(text)


@lru_cache(maxsize=1024)
def _meta_index(text: str) -> SourceIndex:
    return SourceIndex.of(text)


def lexical_support(claim: str, window: str) -> tuple[float, float]:
    """(share of content syllables, share of syllable pairs) of ``claim`` found in ``window``."""
    src, window_pairs = _window_index(window)
    syls = content_syllables(claim)
    syl = sum(s in src.syllables for s in syls) / len(syls) if syls else 1.0
    pairs = bigrams(claim)
    if len(pairs) < _MIN_BIGRAMS_TESTED:
        return syl, 1.0
    return syl, len(pairs & window_pairs) / len(pairs)


def windows(p: Passage) -> list[Span]:
    """Each sentence (of the body and of the cited footnotes), and runs of up to WINDOW_MAX_SENTENCES
    adjacent sentences (only whitespace or bullets between them) spanning at most WINDOW_MAX_CHARS;
    a pair of adjacent sentences always."""
    out: list[Span] = []
    groups = [list(p.sentences) or [(p.start, p.end)]]
    groups += [[sp for sp in p.note_sentences if s <= sp[0] < e] for (s, e), _ in p.notes]
    for sents in groups:  # body and each cited footnote: windows never straddle two of them
        out.extend(sents)
        for i in range(len(sents)):
            for j in range(i + 1, min(len(sents), i + WINDOW_MAX_SENTENCES)):
                if not _adjacent(p, sents[j - 1], sents[j]):
                    break
                span = (sents[i][0], sents[j][1])
                if j > i + 1 and span[1] - span[0] > WINDOW_MAX_CHARS:
                    break
                out.append(span)
    return out


def _adjacent(p: Passage, a: Span, b: Span) -> bool:
    return a[1] <= b[0] <= a[1] + 12 and not p.quote((a[1], b[0])).strip(" \t\n\u00a0-–•*+·")


def _meta_text(p: Passage) -> str:
    md = p.metadata
    parts = (p.title, md.so_ky_hieu, md.trich_yeu, iso_to_vn(md.ngay_ban_hanh), *p.heading_path)
    return "\n".join(x for x in parts if x)


def _evidence(claim: str, facts: Facts, p: Passage, span: Span, verbatim: bool = False) -> Evidence:
    window = p.quote(span)
    src, _ = _window_index(window)
    missing = tuple(missing_facts(facts, [src, _meta_index(_meta_text(p))]))
    syl, big = (1.0, 1.0) if verbatim else lexical_support(claim, window)
    return Evidence(p.n, span, syl, big, missing, verbatim, len(window) / max(1, len(claim)))


def _verbatim(claim: str, p: Passage) -> Span | None:
    """Document span of the claim copied verbatim (after normalization) inside one body piece."""
    nc = norm(claim)
    if len(nc) < 10:
        return None
    for start, end in (*p.spans, *(span for span, _ in p.notes)):
        piece = p.quote((start, end))
        nt = normalize(piece)
        i = nt.find(nc)
        if i >= 0:
            s, e = nt.span_of(i, i + len(nc))
            tail = re.match(r"[.;:!?…/)”\"]{1,3}", piece[e:])  # the closing punctuation it lost
            e += tail.end() if tail else 0
            return start + s, start + e
    return None


def find_evidence(claim: str, p: Passage) -> Evidence:
    """The window of ``p`` that best supports ``claim`` (check ``Evidence.supports``)."""
    facts = extract_facts(claim)
    verbatim = _verbatim(claim, p)
    if verbatim is not None:
        return _evidence(claim, facts, p, verbatim, verbatim=True)
    spans = windows(p)
    best = max(
        (_evidence(claim, facts, p, span) for span in spans),
        key=lambda ev: (ev.score, -(ev.span[1] - ev.span[0])),
    )
    return best
