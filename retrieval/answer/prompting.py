"""Prompt templates (Vietnamese, loaded from ``prompts/``) as LangChain ChatPromptTemplates.

Every value put into a prompt (passages, titles, the question) goes through ``injection.neutralize``:
chat-template tokens in a document or a question ("<|im_start|>system", "[INST]") are made inert, so
no model tokenizer reads them as control tokens. A passage is introduced by its document's own
metadata (type, number, issuing body, date, file), never by what its text claims to be.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.prompts import ChatPromptTemplate

from retrieval.answer.passages import Passage
from retrieval.document.injection import neutralize

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
MAX_PASSAGE_CHARS = 1000  # per passage in the prompt; the check still uses the whole passage


class PromptError(RuntimeError):
    pass


def prompts_dir() -> Path:
    env = os.environ.get("TRACUU_PROMPTS_DIR")
    return Path(env).expanduser() if env else PROMPTS_DIR


@lru_cache(maxsize=16)
def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip("\n")
    except OSError as exc:
        raise PromptError(f"Không đọc được mẫu câu lệnh '{path}': {exc.strerror}") from exc


def load_prompt(name: str, directory: Path | None = None) -> str:
    """Text of ``prompts/<name>.md`` (or ``.txt``)."""
    d = directory or prompts_dir()
    for suffix in (".md", ".txt"):
        if (d / f"{name}{suffix}").is_file():
            return _read(d / f"{name}{suffix}")
    raise PromptError(f"Thiếu mẫu câu lệnh '{name}' trong thư mục '{d}'")


class SafeChatPromptTemplate(ChatPromptTemplate):
    """A ChatPromptTemplate whose string variables are neutralised before formatting (``invoke`` and
    ``format_prompt`` go through ``format_messages`` too)."""

    def format_messages(self, **kwargs: Any) -> list:
        safe = {k: neutralize(v) if isinstance(v, str) else v for k, v in kwargs.items()}
        return super().format_messages(**safe)


def answer_prompt(directory: Path | None = None) -> ChatPromptTemplate:
    """System + user messages; variables: ``passages`` (see format_passages) and ``question``."""
    return SafeChatPromptTemplate.from_messages(
        [
            ("system", load_prompt("answer_system", directory)),
            ("human", load_prompt("answer_user", directory)),
        ]
    )


def passage_label(p: Passage) -> str:
    """The document behind a passage, from the index's own metadata: "Kế hoạch số 37/KH-MTTQ-BTT —
    Ban Thường trực …, ngày 2025-11-20 (tệp kh37.docx)"; the title when the header gave no number."""
    md = p.metadata
    kind = md.loai_van_ban or ""
    head = f"{kind} số {md.so_ky_hieu}".strip() if md.so_ky_hieu else (p.title or kind or p.source)
    extra = ", ".join(
        x for x in (md.co_quan_ban_hanh, f"ngày {md.ngay_ban_hanh}" if md.ngay_ban_hanh else "") if x
    )
    return f"{head}{f' — {extra}' if extra else ''} (tệp {p.source})"


def format_passages(passages: Sequence[Passage], directory: Path | None = None) -> str:
    """The numbered passages block: each passage as prompts/passage.md with n, title and text
    (title: ``passage_label``; everything neutralised)."""
    template = load_prompt("passage", directory)
    blocks = []
    for p in passages:
        text = " ".join(neutralize(p.text).split())
        if len(text) > MAX_PASSAGE_CHARS:
            text = text[:MAX_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        blocks.append(template.format(n=p.n, title=neutralize(passage_label(p)), text=text))
    return "\n\n".join(blocks)


def compose_prompt(directory: Path | None = None) -> ChatPromptTemplate:
    """Compose mode (llm_compose): variables ``candidates`` (numbered sentences) and ``question``."""
    return SafeChatPromptTemplate.from_messages(
        [
            ("system", load_prompt("compose_system", directory)),
            ("human", load_prompt("compose_user", directory)),
        ]
    )


def followup_prompt(directory: Path | None = None) -> ChatPromptTemplate:
    """Follow-up rewriting (followup.llm_rewriter): variables ``previous`` and ``question``."""
    return SafeChatPromptTemplate.from_messages(
        [
            ("system", load_prompt("followup_system", directory)),
            ("human", load_prompt("followup_user", directory)),
        ]
    )
