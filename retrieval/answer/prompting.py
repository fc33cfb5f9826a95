"""Prompt templates (Vietnamese, loaded from ``prompts/``) as LangChain ChatPromptTemplates."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

from retrieval.answer.passages import Passage

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


def answer_prompt(directory: Path | None = None) -> ChatPromptTemplate:
    """System + user messages; variables: ``passages`` (see format_passages) and ``question``."""
    return ChatPromptTemplate.from_messages(
        [
            ("system", load_prompt("answer_system", directory)),
            ("human", load_prompt("answer_user", directory)),
        ]
    )


def format_passages(passages: Sequence[Passage], directory: Path | None = None) -> str:
    """The numbered passages block: each passage as prompts/passage.md with n, title and text."""
    template = load_prompt("passage", directory)
    blocks = []
    for p in passages:
        text = " ".join(p.text.split())
        if len(text) > MAX_PASSAGE_CHARS:
            text = text[:MAX_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        blocks.append(template.format(n=p.n, title=p.title or p.source, text=text))
    return "\n\n".join(blocks)


def compose_prompt(directory: Path | None = None) -> ChatPromptTemplate:
    """Compose mode (llm_compose): variables ``candidates`` (numbered sentences) and ``question``."""
    return ChatPromptTemplate.from_messages(
        [
            ("system", load_prompt("compose_system", directory)),
            ("human", load_prompt("compose_user", directory)),
        ]
    )


def followup_prompt(directory: Path | None = None) -> ChatPromptTemplate:
    """Follow-up rewriting (followup.llm_rewriter): variables ``previous`` and ``question``."""
    return ChatPromptTemplate.from_messages(
        [
            ("system", load_prompt("followup_system", directory)),
            ("human", load_prompt("followup_user", directory)),
        ]
    )
