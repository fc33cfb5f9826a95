"""Follow-up questions made standalone, from the conversation so far.

Rules first (pure functions, tested on real phrasings with and without diacritics):

- "Còn … thì sao?", "còn năm 2023?", "Năm 2023 thì sao?": the previous question with the new year /
  body / province / document number swapped in (added when it had none); after a comparison ("So sánh
  A và B"), the new document replaces B; a new aspect with no entity ("Còn hình thức tuyên truyền thì
  sao?") is asked of the previous question's document;
- pronouns "văn bản này/đó/trên", "kế hoạch đó", "nó": replaced by the previous document's designation
  (its number or title when the previous answer cited one, else the document phrase of the question);
- an elided subject ("Do ai ký?", "Ban hành ngày nào?"): the previous document's designation first.

When no rule applies to a question that still reads as a follow-up and an LLM rewriter is given, the
model rewrites it (one line, checked for length). The result says which rule fired; the answer shows
the rewritten question (JSON ``rewritten_question``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from retrieval.catalog.series import plain

HISTORY_ERROR = 'Tệp lịch sử hội thoại phải là danh sách JSON các lượt {{"question", "answer"}}: {why}'
MAX_REWRITE_CHARS = 300
_DOC_TYPE = r"(?:van ban|ke hoach|huong dan|chi thi|nghi quyet|quyet dinh|cong van|thong bao|bao cao|de an)"
_PRONOUN = re.compile(rf"\b{_DOC_TYPE}\s+(?:nay|do|tren|ay|vua (?:roi|neu|noi))\b|^no\b|\bcua no\b")
# Typed with diacritics, "do" (by) is not "đó" (that): "Kế hoạch do ai ký?" names no document.
_PRONOUN_WORD = frozenset(["này", "đó", "trên", "ấy", "vừa", "nó"])
_BY = re.compile(r"\s*(?:ai|co quan|ban|so|tinh|ubnd|uy ban|mttq|cap|bo)\b")
_CON = re.compile(
    r"^\s*(?:(?:vay|the|con)\s+)?con\s+(?P<x>.+?)(?:\s+(?:thi sao|the nao|ra sao))?\s*[?.!]*\s*$"
)
_THI_SAO = re.compile(r"^\s*(?P<x>.+?)\s+(?:thi sao|the nao roi|ra sao)\s*[?.!]*\s*$")
_QUESTION_WORD = re.compile(r"\b(?:ai|gi|nao|bao nhieu|bao gio|khi nao|dau|may|sao|khong)\b")
_COMPARE = re.compile(
    r"^(?P<head>.*?\b(?:so sanh|doi chieu)\b.+?)\s+(?P<sep>va|voi|so voi)\s+(?P<b>.+?)\s*[?.!]*$"
)
_YEAR = re.compile(r"(?:\bnăm\s+|\bnam\s+)?(?<![\d/.-])(?:19[4-9]\d|20\d\d)(?![\d/])", re.IGNORECASE)
_CODE = re.compile(
    r"(?:\bsố\s+|\bso\s+)?\b\d{1,5}\s*[-/]\s*[A-Za-zĐđ]{1,8}(?:\s*[-/]\s*[A-Za-zĐđ0-9]{1,8}){0,3}"
)
# Issuing bodies (accent-free); longest forms first so "Ban Thường vụ Tỉnh ủy" is one mention.
_BODY = re.compile(
    r"\b(?:ban thuong (?:vu|truc)\s+)?(?:uy ban\s+)?(?:mttq|mat tran to quoc|ubmttq)(?:\s+viet nam)?\b"
    r"|\b(?:ban thuong vu\s+)?(?:tinh uy|thanh uy|huyen uy|dang uy)\b"
    r"|\b(?:ubnd|uy ban nhan dan|hdnd|hoi dong nhan dan|tinh doan|doan thanh nien|hoi nong dan"
    r"|hoi lien hiep phu nu|hoi phu nu|cong doan|hoi cuu chien binh)\b"
)
_CONTENT_FILLER = frozenset(
    [
        "cua",
        "nam",
        "tinh",
        "thanh",
        "pho",
        "ke",
        "hoach",
        "van",
        "ban",
        "do",
        "cac",
        "thi",
        "sao",
        "con",
        "vay",
        "the",
    ]
)


@dataclass(frozen=True)
class HistoryTurn:
    question: str
    answer: str = ""
    rewritten_question: str | None = None  # what was really asked, when that turn was a follow-up
    documents: tuple[str, ...] = ()  # designations of the documents its answer cited


@dataclass(frozen=True)
class Rewrite:
    question: str  # the standalone question to answer
    original: str
    rule: str | None = None  # "con_thi_sao", "so_sanh", "dai_tu", "luoc_chu_ngu", "llm"; None: unchanged

    @property
    def changed(self) -> bool:
        return self.question != self.original


def turns_from_json(data: object) -> list[HistoryTurn]:
    """History turns from JSON (a list of {question, answer[, rewritten_question, citations]});
    ValueError with a Vietnamese message on any other shape."""
    if not isinstance(data, list):
        raise ValueError(HISTORY_ERROR.format(why="không phải một danh sách"))
    out = []
    for i, turn in enumerate(data, start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get("question"), str):
            raise ValueError(HISTORY_ERROR.format(why=f'lượt {i} thiếu trường "question"'))
        docs = []
        for c in turn.get("citations") or []:
            if isinstance(c, dict):
                md = c.get("metadata") or {}
                code = md.get("so_ky_hieu")
                label = " ".join(x for x in (md.get("loai_van_ban"), code) if x) if code else c.get("title")
                if label and label not in docs:
                    docs.append(str(label))
        out.append(
            HistoryTurn(
                turn["question"], str(turn.get("answer") or ""), turn.get("rewritten_question"), tuple(docs)
            )
        )
    return out


@dataclass(frozen=True)
class Mention:
    kind: str  # "year" | "code" | "body" | "place"
    start: int
    end: int
    text: str


def mentions(text: str) -> list[Mention]:
    """Years, document numbers, issuing bodies and provinces named in ``text``, in order, with spans
    (accent-insensitive: "Khanh Hoa" is Khánh Hòa)."""
    from retrieval.answer.scope import _NEEDS_PREFIX, PROVINCES

    low = plain(text)
    found: list[Mention] = []
    for m in _CODE.finditer(text):
        found.append(Mention("code", m.start(), m.end(), m.group()))
    for m in _YEAR.finditer(text):
        found.append(Mention("year", m.start(), m.end(), m.group()))
    for m in _BODY.finditer(low):
        found.append(Mention("body", m.start(), m.end(), text[m.start() : m.end()]))
    for name in PROVINCES:
        prefix = r"(?:thanh pho|tp\.?)\s+" if name in _NEEDS_PREFIX else ""
        for m in re.finditer(rf"\b{prefix}{re.escape(plain(name))}\b", low):
            found.append(Mention("place", m.start(), m.end(), text[m.start() : m.end()]))
    found.sort(key=lambda x: (x.start, -x.end))
    out: list[Mention] = []
    for x in found:  # overlapping mentions: the earlier (longer) one wins ("427-KH/TU" is not a year)
        if not out or x.start >= out[-1].end:
            out.append(x)
    return out


def swap_mentions(previous: str, new: Sequence[Mention]) -> str:
    """``previous`` with each kind named in ``new`` replaced (its first mention of that kind; others of
    the kind dropped from the replacement list) or, when ``previous`` has none, appended."""
    old = mentions(previous)
    edits: list[tuple[int, int, str]] = []
    extra: list[str] = []
    for kind in dict.fromkeys(m.kind for m in new):
        values = [m.text for m in new if m.kind == kind]
        targets = [m for m in old if m.kind == kind]
        for i, target in enumerate(targets[: len(values)]):
            edits.append((target.start, target.end, _keep_prefix(target.text, values[i], kind)))
        for value in values[len(targets) :]:
            extra.append(f"của {value}" if kind == "body" else value)
    out = previous
    for s, e, rep in sorted(edits, reverse=True):
        out = out[:s] + rep + out[e:]
    if extra:
        body = out.rstrip(" ?.!")
        out = body + " " + " ".join(extra) + out[len(body) :]
    return out


def _keep_prefix(old: str, new: str, kind: str) -> str:
    """A year replaces a year keeping the old "năm" (or adding it); other kinds as written."""
    if kind != "year":
        return new
    digits = re.search(r"\d{4}", new).group()  # type: ignore[union-attr]
    return re.sub(r"\d{4}", digits, old)


def _designation(prev: str, turn: HistoryTurn) -> str:
    """How the previous turn named its document: the cited document, else the question's phrase from
    its first document-type word through its last entity, else the entities themselves."""
    if len(turn.documents) == 1:
        return turn.documents[0]
    low = plain(prev)
    ents = mentions(prev)
    doc = re.search(rf"\b{_DOC_TYPE}\b", low)
    if doc and ents and ents[-1].end > doc.start():
        return prev[doc.start() : ents[-1].end]
    if ents:
        return "văn bản " + " ".join(m.text for m in ents)
    return ""


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", plain(text)) if w not in _CONTENT_FILLER and len(w) > 1]


def _is_elided(question: str) -> bool:
    """A short question with a question word, naming no document: "Do ai ký?", "Ban hành ngày nào?"."""
    low = plain(question)
    return (
        len(_content_words(question)) <= 4
        and _QUESTION_WORD.search(low) is not None
        and not re.search(rf"\b{_DOC_TYPE}\b", low)
        and not mentions(question)
    )


def _bare_document(question: str, low: str) -> re.Match[str] | None:
    """A short question naming a document only by its type ("Kế hoạch do ai ký?")."""
    doc = re.search(rf"\b{_DOC_TYPE}\b", low)
    if doc is None or doc.group() == "bao cao" or mentions(question) or len(_content_words(question)) > 4:
        return None
    return doc if _QUESTION_WORD.search(low) else None


def _pronoun(question: str, low: str) -> re.Match[str] | None:
    """The "văn bản này/đó/trên" phrase; with diacritics the pronoun word must be one; without them
    "do" followed by who/which body is "by", not "that"."""
    accented = plain(question) != question.lower()
    for m in _PRONOUN.finditer(low):
        word = question[m.start() : m.end()].split()[-1].lower()
        if accented and word not in _PRONOUN_WORD:
            continue
        if not accented and word == "do" and _BY.match(low, m.end()):
            continue
        return m
    return None


def _embedded(target: str) -> str:
    """A designation inside a sentence: "Kế hoạch …" -> "kế hoạch …" (proper names unchanged)."""
    return target[:1].lower() + target[1:] if re.match(rf"{_DOC_TYPE}\b", plain(target)) else target


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def rewrite_followup(
    question: str, history: Sequence[HistoryTurn], llm: Callable[[str, str], str] | None = None
) -> Rewrite:
    """The standalone form of ``question`` given the earlier turns (oldest first)."""
    if not history:
        return Rewrite(question, question)
    turn = history[-1]
    prev = (turn.rewritten_question or turn.question).strip()
    q = question.strip()
    low = plain(q)
    m = _CON.match(low) or _THI_SAO.match(low)
    if m:
        x = q[m.start("x") : m.end("x")].strip(" ,")
        cmp = _COMPARE.match(plain(prev))
        if cmp:
            return Rewrite(f"{prev[: cmp.end('sep')]} {x}", question, "so_sanh")
        new = mentions(x)
        if new:
            return Rewrite(swap_mentions(prev, new), question, "con_thi_sao")
        target = _designation(prev, turn)
        if target:
            return Rewrite(
                f"{_sentence_case(x)} của {_embedded(target)} như thế nào?", question, "con_thi_sao"
            )
    pron = _pronoun(q, low)
    if pron:
        target = _designation(prev, turn)
        if target:
            return Rewrite(q[: pron.start()] + target + q[pron.end() :], question, "dai_tu")
    bare = _bare_document(q, low)
    if bare:
        target = _designation(prev, turn)
        if target:
            return Rewrite(q[: bare.start()] + target + q[bare.end() :], question, "luoc_chu_ngu")
    if _is_elided(q):
        target = _designation(prev, turn)
        if target:
            rest = q[:1].lower() + q[1:]
            return Rewrite(f"{_sentence_case(target)} {rest}", question, "luoc_chu_ngu")
    if llm is not None and (m or pron or _is_elided(q)):
        rewritten = " ".join(llm(prev, q).split())
        if rewritten and len(rewritten) <= MAX_REWRITE_CHARS:
            return Rewrite(rewritten, question, "llm")
    return Rewrite(question, question)


def llm_rewriter(chat_model: Any) -> Callable[[str, str], str]:
    """(previous question, follow-up) -> the model's standalone question (its first line)."""
    from retrieval.answer.prompting import followup_prompt

    prompt = followup_prompt()

    def rewrite(previous: str, question: str) -> str:
        text = "".join(
            c.text if isinstance(c.text, str) else str(c.content)
            for c in chat_model.stream(prompt.format_messages(previous=previous, question=question))
        )
        lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
        return lines[0].removeprefix("Câu hỏi đầy đủ:").strip() if lines else ""

    return rewrite
