#!/usr/bin/env python3
"""Validate the evaluation question set (eval/questions.jsonl) against the sample corpus.

Checks, for every line:
  * valid JSON object with exactly the fields id, question, category, gold, answer, answer_keywords;
  * id of the form qNNN, unique; question text unique and non-empty;
  * category is one of the known categories;
  * no_answer items have empty gold, answer and answer_keywords; all others have at least one gold,
    a non-empty answer and 1-4 keywords, each keyword contained in the answer (normalized);
  * every gold names an existing corpus file stem and its passage (20-300 characters) is an exact
    substring of that file;
  * multi_doc items cite at least two different documents, other items exactly one;
  * footnote items: every gold passage lies on a footnote line (one starting with a superscript digit);
  * document kinds (metadata, list, reference, multi_year, time_phrase, province_filter) may carry
    ``gold_docs`` (the documents a list answer must name: corpus stems, covering every gold passage's
    document; required for list, reference, multi_year) and ``today`` (ISO date that relative time
    phrases such as "năm ngoái" refer to; required for time_phrase);
  * no_diacritics items: the question contains no Vietnamese diacritics (and no đ);
  * paraphrase items: the question shares no content syllable with its gold passages.
Then the per-category and per-document coverage is checked against minimum counts.

Prints a table and exits with status 1 if any problem was found, 0 otherwise.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QUESTIONS = REPO_ROOT / "eval" / "questions.jsonl"
DEFAULT_CORPUS = REPO_ROOT / "corpus"

FIELDS = ("id", "question", "category", "gold", "answer", "answer_keywords")
OPTIONAL_FIELDS = ("gold_docs", "today")
MIN_PER_CATEGORY = {
    "fact": 10,
    "date": 6,
    "doc_number": 6,
    "paraphrase": 6,
    "no_diacritics": 6,
    "footnote": 3,
    "multi_doc": 4,
    "no_answer": 5,
    # questions about documents rather than passages (answered from the catalogue)
    "metadata": 12,
    "list": 5,
    "reference": 5,
    "multi_year": 4,
    "time_phrase": 4,
    "province_filter": 4,
}
DOC_KINDS = ("metadata", "list", "reference", "multi_year", "time_phrase", "province_filter")
NEEDS_GOLD_DOCS = ("list", "reference", "multi_year")
SEVERAL_DOCS_OK = ("multi_doc", "list", "reference", "multi_year", "time_phrase")
MIN_TOTAL = 48
MIN_TOTAL_REAL = 40
# the real set: the kinds a hidden set of real documents is judged on
REAL_KINDS = (
    "fact",
    "doc_number",
    "paraphrase",
    "no_diacritics",
    "no_answer",
    "metadata",
    "list",
    "reference",
)
MIN_GOLD_PER_DOC = 3
PASSAGE_MIN, PASSAGE_MAX = 20, 300
KEYWORDS_MIN, KEYWORDS_MAX = 1, 4
ID_RE = re.compile(r"^q\d{3}$")
SUPERSCRIPT_DIGITS = set("⁰¹²³⁴⁵⁶⁷⁸⁹")

# Vietnamese function syllables a paraphrase may share with its passage.
_STOP_TEXT = """
ai bao bằng bị cho chỉ có của các cái cả còn cùng đã đang để đến đó được gì hay hoặc khi không là
lại mà mấy mỗi một nào này nên nhiêu những như nếu ở ra rằng sao sẽ thì theo thế trên trong từ và
vào về với vì đâu ấy hãy phải tại
"""
STOP_SYLLABLES = frozenset(_STOP_TEXT.split())


def normalize(text: str) -> str:
    """NFC, case-folded, whitespace (including NBSP) collapsed."""
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(text.split())


def syllables(text: str) -> set[str]:
    return set(re.findall(r"\w+", normalize(text)))


def has_diacritics(text: str) -> bool:
    if "đ" in text.casefold():
        return True
    decomposed = unicodedata.normalize("NFD", text)
    return any(unicodedata.combining(ch) for ch in decomposed)


def line_containing(text: str, start: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    return text[line_start : line_end if line_end != -1 else len(text)]


def load_corpus(corpus_dir: Path, any_format: bool = False) -> dict[str, str | None]:
    """Text of each .txt file by stem; with ``any_format`` every file by stem, text None (the real
    set's passages are metadata values, checked by the evaluation, not substrings of the raw files)."""
    docs: dict[str, str | None] = {}
    for path in sorted(corpus_dir.glob("*" if any_format else "*.txt")):
        if any_format:  # the real set: gold "passages" are metadata values (gold_metadata.jsonl)
            docs[path.stem] = None
        else:
            docs[path.stem] = path.read_text(encoding="utf-8")
    return docs


def check_gold(qid: str, category: str, gold: object, docs: dict[str, str], problems: list[str]) -> list[str]:
    """Validate one gold entry; return the passage text (or an empty list) for later checks."""
    if not isinstance(gold, dict) or set(gold) != {"doc", "passage"}:
        problems.append(f"{qid}: gold entry must be an object with exactly 'doc' and 'passage': {gold!r}")
        return []
    doc, passage = gold["doc"], gold["passage"]
    if not isinstance(doc, str) or doc not in docs:
        problems.append(f"{qid}: unknown gold doc {doc!r}")
        return []
    if not isinstance(passage, str):
        problems.append(f"{qid}: gold passage must be a string")
        return []
    if not PASSAGE_MIN <= len(passage) <= PASSAGE_MAX and docs[doc] is not None:
        bounds = f"{PASSAGE_MIN}-{PASSAGE_MAX}"
        problems.append(f"{qid}: passage length {len(passage)} outside {bounds}: {passage!r}")
    text = docs[doc]
    if text is None:  # docx, doc, html, pdf: the passage is a metadata value checked by the evaluation
        return [passage]
    position = text.find(passage)
    if position == -1:
        problems.append(f"{qid}: passage is not an exact substring of {doc}: {passage!r}")
        return []
    if category == "footnote":
        line = line_containing(text, position)
        if not line or line[0] not in SUPERSCRIPT_DIGITS:
            problems.append(f"{qid}: footnote passage is not on a footnote line of {doc}: {passage!r}")
    return [passage]


def check_item(item: object, line_no: int, docs: dict[str, str], problems: list[str]) -> dict | None:
    where = f"line {line_no}"
    if not isinstance(item, dict):
        problems.append(f"{where}: not a JSON object")
        return None
    missing = [f for f in FIELDS if f not in item]
    extra = [f for f in item if f not in FIELDS and f not in OPTIONAL_FIELDS]
    if missing or extra:
        problems.append(f"{where}: missing fields {missing}, unexpected fields {extra}")
        return None
    qid = item["id"]
    if not isinstance(qid, str) or not ID_RE.match(qid):
        problems.append(f"{where}: bad id {qid!r}")
        return None
    category, question = item["category"], item["question"]
    gold, answer, keywords = item["gold"], item["answer"], item["answer_keywords"]
    if category not in MIN_PER_CATEGORY:
        problems.append(f"{qid}: unknown category {category!r}")
        return None
    if not isinstance(question, str) or not question.strip():
        problems.append(f"{qid}: empty question")
        return None
    if not isinstance(gold, list) or not isinstance(answer, str) or not isinstance(keywords, list):
        problems.append(f"{qid}: gold and answer_keywords must be lists, answer a string")
        return None

    if category == "no_answer":
        if gold or answer or keywords:
            problems.append(f"{qid}: no_answer items need empty gold, answer and answer_keywords")
        return item

    if not gold:
        problems.append(f"{qid}: gold is empty")
    if not answer.strip():
        problems.append(f"{qid}: answer is empty")
    if not KEYWORDS_MIN <= len(keywords) <= KEYWORDS_MAX:
        problems.append(f"{qid}: needs {KEYWORDS_MIN}-{KEYWORDS_MAX} answer_keywords, has {len(keywords)}")
    for keyword in keywords:
        if not isinstance(keyword, str) or not keyword.strip():
            problems.append(f"{qid}: empty or non-string keyword {keyword!r}")
        elif normalize(keyword) not in normalize(answer):
            problems.append(f"{qid}: keyword {keyword!r} not contained in the reference answer")

    passages: list[str] = []
    for entry in gold:
        passages += check_gold(qid, category, entry, docs, problems)

    gold_docs = {entry.get("doc") for entry in gold if isinstance(entry, dict)}
    if category in ("multi_doc", "multi_year") and len(gold_docs) < 2:
        problems.append(f"{qid}: {category} needs gold passages from at least two documents")
    if category not in SEVERAL_DOCS_OK and len(gold_docs) > 1:
        problems.append(f"{qid}: only {', '.join(SEVERAL_DOCS_OK)} items may cite several documents")
    problems += check_doc_fields(qid, category, item, gold_docs, docs)

    if category == "no_diacritics" and has_diacritics(question):
        problems.append(f"{qid}: no_diacritics question contains diacritics: {question!r}")
    if category == "paraphrase":
        shared = syllables(question) & set().union(*(syllables(p) for p in passages)) - STOP_SYLLABLES
        if shared:
            problems.append(f"{qid}: paraphrase shares content syllables with its passage: {sorted(shared)}")
    return item


def check_doc_fields(qid: str, category: str, item: dict, gold_docs: set, docs: dict[str, str]) -> list[str]:
    """``gold_docs`` and ``today`` of the document kinds."""
    out: list[str] = []
    listed = item.get("gold_docs")
    if ("gold_docs" in item or "today" in item) and category not in DOC_KINDS:
        out.append(f"{qid}: gold_docs/today are only for {', '.join(DOC_KINDS)}")
    if category in NEEDS_GOLD_DOCS and not listed:
        out.append(f"{qid}: {category} needs gold_docs")
    if listed is not None:
        if not isinstance(listed, list) or not listed or len(set(listed)) != len(listed):
            out.append(f"{qid}: gold_docs must be a non-empty list of distinct documents")
        else:
            out += [f"{qid}: unknown gold_docs entry {d!r}" for d in listed if d not in docs]
            out += [
                f"{qid}: gold passage document {d} missing from gold_docs" for d in gold_docs - set(listed)
            ]
    if category == "time_phrase" and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(item.get("today", ""))):
        out.append(f"{qid}: time_phrase needs today (YYYY-MM-DD)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--real",
        action="store_true",
        help="a set over ../shared/corpus/real (any format; every real kind present, at least 40 questions)",
    )
    args = parser.parse_args(argv)

    problems: list[str] = []
    docs = load_corpus(args.corpus, any_format=args.real)
    if not docs:
        print(f"no corpus files found in {args.corpus}")
        return 1

    items: list[dict] = []
    with args.questions.open(encoding="utf-8") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                problems.append(f"line {line_no}: blank line")
                continue
            try:
                parsed = json.loads(raw)
            except json.JSONDecodeError as exc:
                problems.append(f"line {line_no}: invalid JSON ({exc})")
                continue
            item = check_item(parsed, line_no, docs, problems)
            if item is not None:
                items.append(item)

    id_counts = Counter(item["id"] for item in items)
    problems += [f"{qid}: duplicate id" for qid, n in id_counts.items() if n > 1]
    question_counts = Counter(normalize(item["question"]) for item in items)
    problems += [f"duplicate question: {q!r}" for q, n in question_counts.items() if n > 1]

    per_category = Counter(item["category"] for item in items)
    per_doc: Counter[str] = Counter()
    for item in items:
        for doc in {g.get("doc") for g in item["gold"] if isinstance(g, dict)}:
            per_doc[doc] += 1

    print(f"{'category':<15}{'count':>7}{'min':>6}  status")
    minimums = MIN_PER_CATEGORY if not args.real else {c: 1 for c in REAL_KINDS}
    min_total = MIN_TOTAL if not args.real else MIN_TOTAL_REAL
    for category, minimum in minimums.items():
        count = per_category[category]
        ok = count >= minimum
        print(f"{category:<15}{count:>7}{minimum:>6}  {'ok' if ok else 'TOO FEW'}")
        if not ok:
            problems.append(f"category {category}: {count} questions, need at least {minimum}")
    total_ok = len(items) >= min_total
    print(f"{'total':<15}{len(items):>7}{min_total:>6}  {'ok' if total_ok else 'TOO FEW'}")
    if not total_ok:
        problems.append(f"{len(items)} questions in total, need at least {min_total}")

    print()
    print(f"{'document':<28}{'questions':>10}")
    for doc in docs:
        if args.real:
            continue  # the real set asks about some documents, not all
        print(f"{doc:<28}{per_doc[doc]:>10}")
        if per_doc[doc] < MIN_GOLD_PER_DOC:
            problems.append(f"document {doc}: cited by {per_doc[doc]} questions, need {MIN_GOLD_PER_DOC}")

    print()
    if problems:
        print(f"{len(problems)} problem(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
