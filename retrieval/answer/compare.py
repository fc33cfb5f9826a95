"""Two documents side by side, section by section: what was kept, added, dropped and changed.

Pure: two documents (text + parsed blocks) in, a ``Comparison`` out. Sections are the top-level
headings of the parsed section tree, matched by their normalized keywords (mục đích/yêu cầu, nội dung,
hình thức, thời gian, kinh phí, tổ chức thực hiện); inside a section the items are its sub-headings
(the bodies of "Tổ chức thực hiện", the tasks of "Nội dung"), else its sentences. Items of the two
documents are paired by shared content syllables; dated sentences and sentences with targets (%) are
compared across the whole body ("thời gian", "chỉ tiêu"), so a deadline moved from 30/11/2020 to
15/11/2023 is a change, not an addition and a removal. Every item cites the exact character span of
its text in its document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from retrieval.answer.facts import content_syllables, extract_facts
from retrieval.answer.passages import split_sentences
from retrieval.catalog.series import plain
from retrieval.types import Block, DocMetadata, Span

# (kind, label, pattern on the accent-free heading); a heading may open several kinds.
SECTION_KINDS: tuple[tuple[str, str, str], ...] = (
    ("muc_dich", "Mục đích, yêu cầu", r"muc dich|yeu cau|muc tieu|quan diem"),
    ("noi_dung", "Nội dung", r"noi dung|nhiem vu|giai phap|hoc tap|quan triet|hoat dong"),
    ("hinh_thuc", "Hình thức", r"hinh thuc|phuong thuc|phuong phap"),
    ("thoi_gian", "Thời gian", r"thoi gian|tien do|lo trinh|thoi han"),
    ("kinh_phi", "Kinh phí", r"kinh phi|ngan sach"),
    ("to_chuc", "Tổ chức thực hiện", r"to chuc thuc hien|trach nhiem|phan cong"),
)
DATES_KIND, TARGETS_KIND = "thoi_gian", "chi_tieu"
TARGETS_LABEL = "Chỉ tiêu"
MIN_PAIR = 0.34  # Jaccard of content syllables for two items to be "the same point"
MAX_ITEM_CHARS = 200  # shown in the table; the citation quotes the whole span
_TARGET = re.compile(r"\d\s?%|chi tieu|phan dau", re.IGNORECASE)
_NUMBERING = re.compile(r"^\s*(?:[IVXLC]+|\d+(?:\.\d+)*|[a-zđ])\s*[.)\-–]\s*", re.IGNORECASE)


@dataclass(frozen=True)
class CompareDoc:
    doc_id: str
    source: str
    title: str
    metadata: DocMetadata
    text: str  # the document text every span indexes
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Item:
    doc_id: str
    source: str
    start: int
    end: int
    quote: str  # text[start:end], exactly

    @property
    def label(self) -> str:
        text = " ".join(_NUMBERING.sub("", self.quote).split())
        return text if len(text) <= MAX_ITEM_CHARS else text[:MAX_ITEM_CHARS].rsplit(" ", 1)[0] + " …"

    def to_json(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class Change:
    what: str  # "ngày", "chỉ tiêu", "số liệu"
    a: Item
    b: Item
    before: tuple[str, ...]  # the facts of ``a`` that ``b`` lacks
    after: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    kind: str
    label: str
    a: tuple[Item, ...]
    b: tuple[Item, ...]
    common: tuple[tuple[Item, Item], ...] = ()
    dropped: tuple[Item, ...] = ()  # only in A
    added: tuple[Item, ...] = ()  # only in B
    changes: tuple[Change, ...] = field(default=())


@dataclass(frozen=True)
class Comparison:
    a: CompareDoc
    b: CompareDoc
    rows: tuple[Row, ...]
    same_series: bool = False


def section_kinds(heading: str) -> tuple[str, ...]:
    p = plain(_NUMBERING.sub("", heading))
    if re.search(SECTION_KINDS[-1][2], p):  # "Tổ chức thực hiện" is never also "nội dung"
        return ("to_chuc",)
    return tuple(kind for kind, _, pat in SECTION_KINDS if re.search(pat, p))


def _item(doc: CompareDoc, span: Span) -> Item:
    return Item(doc.doc_id, doc.source, span[0], span[1], doc.text[span[0] : span[1]])


def block_sentences(doc: CompareDoc, block: Block) -> list[Item]:
    """The block's sentences (a long sentence's ";"-clauses only when the sentence itself is too long)."""
    spans = [sp for s, e in block.spans for sp in split_sentences(doc.text[s:e], base=s)]
    out = []
    for sp in spans:
        inside = any(o != sp and o[0] <= sp[0] and sp[1] <= o[1] and o[1] - o[0] <= 600 for o in spans)
        if sp[1] - sp[0] <= 600 and not inside:
            out.append(_item(doc, sp))
    return out


def _heading_span(doc: CompareDoc, block: Block) -> Span:
    s, e = block.spans[0]
    piece = doc.text[s:e]
    lead = len(piece) - len(piece.lstrip(" \t*#"))
    return s + lead, s + len(piece.rstrip(" \t*"))


def section_items(doc: CompareDoc) -> dict[str, list[Item]]:
    """Items per section kind: the level-2 headings of the matching top-level sections where there
    are some, else the sentences of their blocks."""
    heads: dict[str, list[Item]] = {}
    sents: dict[str, list[Item]] = {}
    for block in doc.blocks:
        if not block.heading_path:
            continue
        kinds = section_kinds(block.heading_path[0])
        if not kinds:
            continue
        for kind in kinds:
            if block.kind == "heading" and len(block.heading_path) == 2:
                heads.setdefault(kind, []).append(_item(doc, _heading_span(doc, block)))
            elif block.kind != "heading":
                sents.setdefault(kind, []).extend(block_sentences(doc, block))
    return {k: heads.get(k) or sents.get(k, []) for k in {*heads, *sents}}


def body_sentences(doc: CompareDoc) -> list[Item]:
    return [it for b in doc.blocks if b.kind != "heading" for it in block_sentences(doc, b)]


def _key(item: Item) -> frozenset[str]:
    text = re.sub(r"\d+", " ", _NUMBERING.sub("", item.quote))
    return frozenset(plain(s) for s in content_syllables(text))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def pair_items(
    a: Sequence[Item], b: Sequence[Item]
) -> tuple[list[tuple[Item, Item]], list[Item], list[Item]]:
    """Greedy best-first pairing by content-syllable Jaccard ≥ MIN_PAIR: (pairs, only a, only b)."""
    ka, kb = [_key(x) for x in a], [_key(y) for y in b]
    scored = sorted(
        ((_jaccard(ka[i], kb[j]), i, j) for i in range(len(a)) for j in range(len(b))), reverse=True
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for score, i, j in scored:
        if score < MIN_PAIR:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((i, j))
    pairs.sort()
    only_a = [x for i, x in enumerate(a) if i not in used_a]
    only_b = [y for j, y in enumerate(b) if j not in used_b]
    return [(a[i], b[j]) for i, j in pairs], only_a, only_b


def _facts(item: Item) -> tuple[set[str], set[str], set[str]]:
    f = extract_facts(item.quote)
    dates = {"/".join(str(x) for x in d if x is not None) for d in f.dates}
    return dates, {p + "%" for p in f.percents}, set(f.numbers)


def fact_changes(pairs: Sequence[tuple[Item, Item]]) -> list[Change]:
    """Paired items whose dates, percentages or other numbers differ."""
    out = []
    for a, b in pairs:
        for what, fa, fb in zip(("ngày", "chỉ tiêu", "số liệu"), _facts(a), _facts(b), strict=True):
            if fa and fb and fa != fb:
                out.append(Change(what, a, b, tuple(sorted(fa - fb)), tuple(sorted(fb - fa))))
                break
    return out


def _row(kind: str, label: str, a: Sequence[Item], b: Sequence[Item]) -> Row:
    pairs, only_a, only_b = pair_items(a, b)
    return Row(
        kind,
        label,
        tuple(a),
        tuple(b),
        tuple(pairs),
        tuple(only_a),
        tuple(only_b),
        tuple(fact_changes(pairs)),
    )


def _with_facts(items: Sequence[Item], wanted: str) -> list[Item]:
    """Dated sentences (not document numbers' dates) or sentences stating a target."""
    out = []
    for it in items:
        facts = extract_facts(it.quote)
        dated = bool(facts.dates) and not facts.codes
        target = bool(facts.percents) or _TARGET.search(plain(it.quote)) is not None
        if dated if wanted == DATES_KIND else target:
            out.append(it)
    return out


def compare_documents(a: CompareDoc, b: CompareDoc, same_series: bool = False) -> Comparison:
    """The comparison table: one row per section kind present in either document, then the dated
    sentences ("Thời gian") and the targets ("Chỉ tiêu") of the whole bodies."""
    sa, sb = section_items(a), section_items(b)
    rows = []
    for kind, label, _ in SECTION_KINDS:
        if kind == DATES_KIND:
            continue
        if sa.get(kind) or sb.get(kind):
            rows.append(_row(kind, label, sa.get(kind, []), sb.get(kind, [])))
    body_a, body_b = body_sentences(a), body_sentences(b)
    for kind, label in ((DATES_KIND, "Thời gian, thời hạn"), (TARGETS_KIND, TARGETS_LABEL)):
        xa, xb = _with_facts(body_a, kind), _with_facts(body_b, kind)
        if xa or xb:
            rows.append(_row(kind, label, xa, xb))
    return Comparison(a, b, tuple(rows), same_series)


# ---------------------------------------------------------------------------------------- output
MAX_SHOWN = 4  # items per list in the text table; the JSON has them all


@dataclass(frozen=True)
class Rendered:
    text: str  # Vietnamese table with [n] markers
    cited: tuple[Item, ...]  # cited[n - 1] is the passage behind [n]


def doc_label(doc: CompareDoc) -> str:
    md = doc.metadata
    parts = [md.so_ky_hieu or "không số"]
    if md.ngay_ban_hanh:
        y, m, d = md.ngay_ban_hanh.split("-")
        parts.append(f"ngày {int(d)}/{int(m)}/{y}")
    if md.co_quan_ban_hanh:
        parts.append(md.co_quan_ban_hanh)
    return f"{doc.title or doc.source} ({'; '.join(parts)})"


def render(cmp: Comparison, max_shown: int = MAX_SHOWN) -> Rendered:
    cited: dict[tuple[str, int, int], int] = {}
    items: list[Item] = []

    def ref(it: Item) -> str:
        key = (it.doc_id, it.start, it.end)
        if key not in cited:
            items.append(it)
            cited[key] = len(items)
        return f"{it.label} [{cited[key]}]"

    def listing(head: str, xs: Sequence, show) -> list[str]:
        if not xs:
            return []
        lines = [f"- {head}:"] + [f"  + {show(x)}" for x in xs[:max_shown]]
        if len(xs) > max_shown:
            lines.append(f"  + (và {len(xs) - max_shown} điểm khác)")
        return lines

    lines = ["So sánh hai văn bản:", f"(A) {doc_label(cmp.a)}", f"(B) {doc_label(cmp.b)}"]
    if cmp.same_series:
        lines.append("Hai văn bản thuộc cùng một loạt kế hoạch qua các năm.")
    for row in cmp.rows:
        lines += ["", f"{row.label}:"]
        if not row.a or not row.b:
            who, only = ("(A)", row.a) if row.a else ("(B)", row.b)
            lines += listing(f"Chỉ {who} có mục này", only, ref)
            continue
        changed = {(c.a.start, c.b.start) for c in row.changes}
        same = [p for p in row.common if (p[0].start, p[1].start) not in changed]
        lines += listing(
            f"Giống nhau ({len(same)} điểm)", same, lambda p: f"(A) {ref(p[0])} — (B) {ref(p[1])}"
        )
        lines += listing(
            "Thay đổi",
            row.changes,
            lambda c: (
                f"{c.what} {', '.join(c.before) or '—'} → {', '.join(c.after) or '—'}: "
                f"(A) {ref(c.a)} — (B) {ref(c.b)}"
            ),
        )
        lines += listing("Chỉ có ở (A), không còn ở (B)", row.dropped, ref)
        lines += listing("Mới ở (B)", row.added, ref)
    return Rendered("\n".join(lines), tuple(items))


def to_json(cmp: Comparison) -> dict:
    def doc(d: CompareDoc) -> dict:
        return {"doc_id": d.doc_id, "source": d.source, "title": d.title, "metadata": d.metadata.public()}

    def items(xs: Sequence[Item]) -> list[dict]:
        return [x.to_json() for x in xs]

    return {
        "a": doc(cmp.a),
        "b": doc(cmp.b),
        "same_series": cmp.same_series,
        "rows": [
            {
                "kind": r.kind,
                "label": r.label,
                "a": items(r.a),
                "b": items(r.b),
                "common": [[x.to_json(), y.to_json()] for x, y in r.common],
                "dropped": items(r.dropped),
                "added": items(r.added),
                "changes": [
                    {
                        "what": c.what,
                        "before": list(c.before),
                        "after": list(c.after),
                        "a": c.a.to_json(),
                        "b": c.b.to_json(),
                    }
                    for c in r.changes
                ],
            }
            for r in cmp.rows
        ],
    }
