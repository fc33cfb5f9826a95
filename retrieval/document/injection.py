"""Passages that talk to an AI instead of to a cadre: planted instructions, chat-template tokens and
fake verification marks. Pure functions, no dependencies.

A real administrative document never addresses "the assistant", never contains a chat model's
control tokens and never claims its own citations are verified. A file that does was written to steer
an answering model, so its passages are flagged at indexing time (``Chunk.flags``), shown as such in
the document list, and left out of answers unless ``TRACUU_ALLOW_FLAGGED=true``. Independently, every
prompt built for a language model neutralises template tokens (``neutralize``), so even an allowed or
unflagged passage cannot open a "system" turn.

Text is matched after NFKC (full-width look-alikes), zero-width removal, case folding, and also with
Vietnamese diacritics stripped, so "Bo qua moi huong dan" is caught like "Bỏ qua mọi hướng dẫn".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Any

FLAG_TEMPLATE = "chat_template"  # control tokens of a chat model's prompt format
FLAG_INSTRUCTION = "ai_instruction"  # an imperative addressed to an AI / assistant / model
FLAG_FAKE_CHECK = "fake_verification"  # a claim that its own quotes or citations are verified
FLAG_DOCUMENT = "flagged_document"  # another passage of the same document is flagged
FLAG_LABELS = {
    FLAG_DOCUMENT: "thuộc văn bản có đoạn nhắm vào trợ lý AI",
    FLAG_TEMPLATE: "chứa mã điều khiển của mô hình ngôn ngữ (chat template)",
    FLAG_INSTRUCTION: "chứa câu ra lệnh cho trợ lý AI",
    FLAG_FAKE_CHECK: "tự nhận là “đã kiểm chứng”",
}

# Chat-template control tokens of the common model families.
TEMPLATE_TOKEN = re.compile(
    r"<\|\s*(?:im_start|im_end|im_sep|system|user|assistant|end|endoftext|eot_id|eom_id|"
    r"begin_of_text|end_of_text|start_header_id|end_header_id|fim_\w+|tool|ipython|"
    r"start|message|channel|constrain|return|call)\s*\|>"  # ChatML/Qwen, Phi, Llama 3, gpt-oss
    r"|<\|\s*im_start\s*\|?"  # a broken ChatML opener is still meant as one
    r"|\[/?\s*INST\s*\]|<<\s*/?\s*SYS\s*>>"  # Llama 2 / Mistral
    r"|<\s*/?\s*(?:start_of_turn|end_of_turn)\s*>"  # Gemma
    r"|<\s*/?\s*(?:bos|eos|\|?s\|?)\s*>(?=\s*(?:\[INST\]|<<SYS>>|system|user|assistant))"
    r"|\[/?(?:SYSTEM_PROMPT|AVAILABLE_TOOLS|TOOL_CALLS)\]"  # Mistral v3+
    r"|<\|?(?:user|assistant|system)\|?>",
    re.IGNORECASE,
)
# Who a planted instruction addresses. Folded text has no diacritics, so Vietnamese "ai" ("who")
# cannot stand for "AI": only compounds count. _AI_STRICT leaves out words that also name people or
# offices ("trợ lý" of a secretary, "hệ thống", "máy").
_AI_STRICT = (
    r"(?:tro ly (?:ao|ai|tra cuu|so|thong minh)|mo hinh (?:ngon ngu|ai|tri tue nhan tao)|he thong ai|"
    r"cong cu ai|chatbot|chat bot|assistant|language model|llm|ai model|gpt|chatgpt|qwen|llama|gemini|"
    r"claude|copilot)"
)
_AI = rf"(?:{_AI_STRICT}|tro ly|mo hinh|model|bot)"
_GUIDANCE = (
    r"(?:huong dan|chi dan|chi thi|yeu cau|quy tac|lenh|cau lenh|nguyen tac|thiet lap|"
    r"instructions?|prompts?|rules|directions|guidelines|context)"
)
_INSTRUCTION = [
    # Vietnamese (matched without diacritics)
    rf"\b(?:bo qua|phot lo|quen(?: di)?|vo hieu hoa)\s+(?:moi|tat ca|toan bo|het)\s+(?:cac\s+|nhung\s+)?"
    rf"{_GUIDANCE}",
    rf"\b(?:bo qua|phot lo|quen(?: di)?)\s+(?:cac\s+|nhung\s+)?{_GUIDANCE}\s+"
    r"(?:truoc(?: do| day)?|o tren|phia tren|tren day|cua he thong|ban dau|da nhan)\b",
    rf"\bban (?:la|dong vai|hay dong vai|se la|dang la)\s+(?:mot\s+)?{_AI}\b",
    rf"\b(?:gui|danh cho|luu y cho|chu y|thong diep cho|nhan voi|yeu cau)\s+(?:cac\s+)?{_AI_STRICT}\b",
    rf"\b{_AI_STRICT}\s+(?:hay|phai|can|bat buoc|duoc yeu cau)\s+(?:luon\s+)?"
    r"(?:tra loi|trich dan|noi|khang dinh|ghi|xac nhan|coi|uu tien|chi dan)",
    r"\bkhi (?:duoc |co (?:ai |nguoi )?)?hoi\b.{0,120}?\b(?:hay|luon)\s+(?:luon\s+)?"
    r"(?:tra loi|khang dinh|noi|trich dan|dan nguon)\s+(?:la|rang|theo)\b",
    r"\b(?:loi nhac|cau lenh) he thong\b|\bche do nha phat trien\b",
    # English
    rf"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
    rf"(?:previous|prior|above|earlier|preceding|system|original)?\s*{_GUIDANCE}",
    rf"\byou are (?:now\s+)?(?:an?\s+)?(?:helpful\s+)?{_AI}\b",
    r"\bas an ai\b|\bsystem prompt\b|\bnew instructions?\s*:|\bdeveloper mode\b|\bjailbreak",
    rf"\b(?:attention|note|message)\s+(?:to|for)\s+(?:the\s+)?{_AI_STRICT}\b",
    rf"\b(?:the\s+)?{_AI_STRICT}\s+(?:must|should|shall)\s+(?:always\s+)?(?:answer|reply|say|cite|state)",
]
_INSTRUCTION_RE = re.compile("|".join(f"(?:{p})" for p in _INSTRUCTION), re.DOTALL)
_CHECK_MARK = "✓✔☑✅🗸"
_FAKE_CHECK = re.compile(
    r"\btrich dan (?:da |duoc )*(?:kiem chung|xac minh|xac thuc)"
    r"|\b(?:verified|fact[- ]checked) (?:citation|source|quote|answer)s?\b"
    rf"|[{_CHECK_MARK}]\s*\(?\s*(?:da |duoc )*(?:kiem chung|xac minh|xac thuc|verified)"
    rf"|(?:kiem chung|xac minh|xac thuc|verified)\s*\)?\s*:?\s*[{_CHECK_MARK}]"
)
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def fold(text: str) -> str:
    """NFKC, zero-width characters removed, case-folded, Vietnamese diacritics stripped, đ -> d."""
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).casefold()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(text.replace("đ", "d").split())


def detect(text: str) -> tuple[str, ...]:
    """Flags of a passage (sorted, empty for ordinary text)."""
    nfkc = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    folded = fold(text)
    flags = set()
    if TEMPLATE_TOKEN.search(nfkc):
        flags.add(FLAG_TEMPLATE)
    if _INSTRUCTION_RE.search(folded):
        flags.add(FLAG_INSTRUCTION)
    if _FAKE_CHECK.search(folded):
        flags.add(FLAG_FAKE_CHECK)
    return tuple(sorted(flags))


def describe(flags: tuple[str, ...] | list[str]) -> str:
    """Vietnamese phrase for the UI and reports: "chứa câu ra lệnh cho trợ lý AI; …"."""
    return "; ".join(FLAG_LABELS.get(f, f) for f in flags)


def _defuse(match: re.Match[str]) -> str:
    return match.group(0).translate(str.maketrans({"<": "‹", ">": "›", "[": "⟦", "]": "⟧", "|": "¦"}))


def neutralize(text: str) -> str:
    """``text`` with every chat-template token made inert (still readable: "‹¦im_start¦›system"), so
    no tokenizer turns it into a control token; everything else unchanged."""
    nfkc = unicodedata.normalize("NFKC", text)
    if nfkc != text and TEMPLATE_TOKEN.search(nfkc):
        text = nfkc  # full-width look-alikes would survive otherwise
    return TEMPLATE_TOKEN.sub(_defuse, text)


def chunk_flags(chunk: Any, document_text: str = "") -> tuple[str, ...]:
    """Flags of a chunk: its cleaned text, its exact document text and its footnotes."""
    shown = "\n".join(document_text[s:e] for s, e in chunk.spans) if document_text else ""
    return detect("\n".join((chunk.text, shown, *chunk.footnotes)))


def flag_chunks(chunks: list, document_text: str = "") -> list:
    """The chunks of one document with their ``flags`` set. A document with any flagged passage was
    written to steer an assistant, so all its passages carry FLAG_DOCUMENT: its false facts usually
    sit in other paragraphs than its instructions."""
    own = [chunk_flags(c, document_text) for c in chunks]
    if not any(own):
        return list(chunks)
    return [replace(c, flags=tuple(sorted({*f, FLAG_DOCUMENT}))) for c, f in zip(chunks, own, strict=True)]


def hit_usable(hit: Any, allow_flagged: bool = False) -> bool:
    """May a search hit ground an answer? Chunks of indexes built before flags existed are checked
    now (a few regular expressions per hit)."""
    if allow_flagged:
        return True
    chunk = hit.chunk
    return not (chunk.flags or detect("\n".join((chunk.text, hit.display_text, *chunk.footnotes))))


def usable_hits(hits: list, allow_flagged: bool = False) -> list:
    """The hits that may ground an answer (flagged passages dropped unless ``allow_flagged``)."""
    return [h for h in hits if hit_usable(h, allow_flagged)]
