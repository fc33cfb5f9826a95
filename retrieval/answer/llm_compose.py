"""LLM answers a small model can get right: the model chooses and orders evidence, the code quotes it.

A 1.5B model retyping facts paraphrases numbers and cites the wrong passage, so most of its text fails
the citation check. Here the prompt lists numbered candidate sentences [S1]…[Sn] (the best-scoring
sentences of the passages, best first); the model answers with a short plan — one line per
point, an optional short lead phrase, then sentence ids ("Thời hạn báo cáo: S3 S1") — and the code
assembles the answer from the real sentences, each with its passage marker [n]. Quoted facts are
never retyped, so the answer passes the check whenever the model picked sentences at all.

Pure parts (``candidates``, ``parse_plan``, ``assemble``) are tested without a model;
``ComposeBackend`` wraps any LangChain chat model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval.answer.extractive import MIN_SCORE, score_sentences, states_asked_type
from retrieval.answer.facts import extract_facts
from retrieval.answer.normalize import fold
from retrieval.answer.passages import Passage
from retrieval.answer.result import REFUSAL
from retrieval.types import Span

MAX_CANDIDATES = 5
MAX_CANDIDATE_CHARS = 320  # shown to the model; the answer quotes the whole sentence
MAX_CHOSEN = 4
MAX_LEAD_CHARS = 80
_SID = re.compile(r"\[?\s*S\s*(\d{1,2})\s*\]?", re.IGNORECASE)
_REFUSAL_KEY = fold("Không tìm thấy thông tin")


@dataclass(frozen=True)
class Candidate:
    sid: int  # shown to the model as [S{sid}]
    passage: int  # Passage.n: the marker [n] the assembled sentence carries
    doc_id: str
    span: Span  # document span of the sentence
    text: str  # document text of the span, exactly


@dataclass(frozen=True)
class PlanLine:
    lead: str  # connecting phrase written by the model ("" when none or not acceptable)
    ids: tuple[int, ...]  # candidate ids, in the model's order


def candidates(question: str, passages: Sequence[Passage], limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """The best-scoring sentences of the passages (extractive scoring), no two overlapping in one
    document, numbered 1..N best first (the model is told so: grouped by document, it picked an
    on-topic sentence of the first document rather than the one holding the answer)."""
    by_n = {p.n: p for p in passages}
    chosen: list[tuple[Passage, Span]] = []
    scored = [s for s in score_sentences(question, passages) if s.score >= MIN_SCORE * 0.5]
    typed = [s for s in scored if states_asked_type(question, by_n[s.passage].quote(s.span))]
    for s in typed or scored:  # a question for a date / number / sum: only sentences stating one
        if len(chosen) >= limit:
            break
        p = by_n[s.passage]
        if any(q.doc_id == p.doc_id and sp[0] < s.span[1] and s.span[0] < sp[1] for q, sp in chosen):
            continue
        chosen.append((p, s.span))
    return [Candidate(i, p.n, p.doc_id, span, p.inline(span)) for i, (p, span) in enumerate(chosen, start=1)]


def format_candidates(cands: Sequence[Candidate], passages: Sequence[Passage], template: str) -> str:
    """The prompt's candidate block: a "Văn bản: title" line before each document's sentences."""
    titles = {p.doc_id: p.title or p.source for p in passages}
    lines: list[str] = []
    doc = None
    for c in cands:
        if c.doc_id != doc:
            if lines:
                lines.append("")
            lines.append(f"Văn bản: {titles.get(c.doc_id, c.doc_id)}")
            doc = c.doc_id
        text = " ".join(c.text.split())
        if len(text) > MAX_CANDIDATE_CHARS:
            text = text[:MAX_CANDIDATE_CHARS].rsplit(" ", 1)[0] + " …"
        lines.append(template.format(sid=c.sid, text=text))
    return "\n".join(lines)


def acceptable_lead(text: str) -> str:
    """The model's connecting phrase, kept only when short and fact-free (no number, date, code,
    quote): it is shown without a citation, so it must not state anything."""
    lead = re.sub(r"\s+", " ", text).strip(" \t-–•*.,;:|[]")
    if not lead or len(lead) > MAX_LEAD_CHARS or re.search(r"\d|[\"“”]", lead):
        return ""
    if not extract_facts(lead).empty or _REFUSAL_KEY in fold(lead):
        return ""
    return lead


def parse_plan(text: str, n_candidates: int) -> list[PlanLine]:
    """Lines (or "|"-separated groups) of the model's plan; ids outside 1..n_candidates are ignored,
    an id used twice counts once, lines without a valid id are dropped."""
    out: list[PlanLine] = []
    seen: set[int] = set()
    for raw in re.split(r"[\n|]", text):
        ids = []
        for m in _SID.finditer(raw):
            sid = int(m.group(1))
            if 1 <= sid <= n_candidates and sid not in seen:
                seen.add(sid)
                ids.append(sid)
        if not ids:
            continue
        first = _SID.search(raw)
        lead = acceptable_lead(raw[: first.start()]) if first else ""
        out.append(PlanLine(lead, tuple(ids)))
    return out


def is_refusal_plan(text: str) -> bool:
    return _REFUSAL_KEY in fold(text) and not _SID.search(text)


def assemble(plan: Sequence[PlanLine], cands: Sequence[Candidate], limit: int = MAX_CHOSEN) -> str:
    """Answer text from a plan: each line's lead phrase as a "lead:" line, then its sentences
    verbatim, one per line, each with its passage marker [n] (the format ``PlanReader`` streams)."""
    by_sid = {c.sid: c for c in cands}
    lines: list[str] = []
    used = 0
    for line in plan:
        items = []
        for sid in line.ids[: max(0, limit - used)]:
            items.append(_quoted(by_sid[sid]))
            used += 1
        if items:
            lines += [f"{line.lead}:"] * bool(line.lead) + items
    return "\n".join(lines)


def _quoted(c: Candidate) -> str:
    return f"{c.text.strip()} [{c.passage}]"


class PlanReader:
    """Reads the model's plan as it streams and returns the answer text each new sentence id adds:
    the sentence is quoted as soon as the model names it."""

    def __init__(self, cands: Sequence[Candidate], limit: int = MAX_CHOSEN) -> None:
        self.by_sid = {c.sid: c for c in cands}
        self.limit = limit
        self.buffer = ""
        self.pos = 0  # ids before this offset of ``buffer`` are handled
        self.used: list[int] = []
        self.lines: set[int] = set()  # starts of plan lines that already gave a sentence

    def feed(self, text: str, final: bool = False) -> str:
        self.buffer += text
        out = []
        for m in _SID.finditer(self.buffer, self.pos):
            if not final and m.end() == len(self.buffer):
                break  # "S1" may still become "S12"
            self.pos = m.end()
            sid = int(m.group(1))
            if sid not in self.by_sid or sid in self.used or len(self.used) >= self.limit:
                continue
            start = max(self.buffer.rfind("\n", 0, m.start()), self.buffer.rfind("|", 0, m.start())) + 1
            lead = "" if start in self.lines else acceptable_lead(self.buffer[start : m.start()])
            self.lines.add(start)
            piece = (f"{lead}:\n" if lead else "") + _quoted(self.by_sid[sid])
            out.append(("\n" if self.used else "") + piece)
            self.used.append(sid)
        return "".join(out)


class ComposeBackend:
    """LLM backend in compose mode: the model plans, the code quotes."""

    def __init__(self, name: str, chat_model: Any, max_passages: int = 5, prompts_dir: Path | None = None):
        from retrieval.answer.prompting import compose_prompt, load_prompt

        self.name = name
        self.chat_model = chat_model
        self.max_passages = max_passages
        self.prompt = compose_prompt(prompts_dir)
        self.template = load_prompt("compose_candidate", prompts_dir)

    def messages(self, question: str, passages: Sequence[Passage], cands: Sequence[Candidate]) -> list:
        block = format_candidates(cands, passages, self.template)
        return self.prompt.format_messages(candidates=block, question=question)

    def stream(self, question: str, passages: Sequence[Passage]) -> Iterator[str]:
        """Quoted sentences as the model names them (its plan, "S3 S1", is never shown)."""
        passages = list(passages[: self.max_passages])
        cands = candidates(question, passages)
        if not cands:
            return
        reader = PlanReader(cands)
        for chunk in self.chat_model.stream(self.messages(question, passages, cands)):
            yield from _pieces(reader.feed(chunk.text if isinstance(chunk.text, str) else str(chunk.content)))
        yield from _pieces(reader.feed("", final=True))
        if not reader.used and is_refusal_plan(reader.buffer):
            yield REFUSAL


def _pieces(text: str, words: int = 6) -> Iterator[str]:
    """``text`` in runs of a few words (for the chat's progressive display), character for character."""
    tokens = re.findall(r"\s*\S+", text)
    for i in range(0, len(tokens), words):
        yield "".join(tokens[i : i + words])
