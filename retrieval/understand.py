"""Question understanding before search: what a Vietnamese question asks for, and which documents it
restricts itself to. Pure rules, accent-insensitive (questions typed with or without diacritics).

``understand(question, today)`` returns an ``Understanding``:
- intent: "fact" (a passage answers it), "metadata" (a field of one document: người ký, ngày ban
  hành, cơ quan, số/ký hiệu, trích yếu, căn cứ), "list" (which documents …), "references" (which
  documents implement / cite a numbered document), "count" (how many documents), "compare";
- the document numbers it names, the years ("năm 2020", "từ 2020 đến 2023", "năm ngoái" relative to
  ``today``, "giai đoạn 2026–2030"), provinces and issuing bodies it names;
- ``labels()``: the same in Vietnamese, shown to the user so a filter can be seen and removed.

No LLM, no index: the catalogue turns these into concrete document filters (retrieval/catalog).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from retrieval.answer.normalize import fold
from retrieval.answer.scope import named_places
from retrieval.query import DOC_TYPES, NumberRef, number_refs
from retrieval.segment import strip_accents

FILTER_KINDS = ("years", "provinces", "bodies", "types")
INTENTS = ("fact", "metadata", "list", "references", "count", "compare")
FIELD_LABELS = {
    "nguoi_ky": "người ký",
    "ngay_ban_hanh": "ngày ban hành",
    "co_quan_ban_hanh": "cơ quan ban hành",
    "so_ky_hieu": "số/ký hiệu",
    "trich_yeu": "trích yếu",
    "references": "căn cứ",
}
INTENT_LABELS = {
    "fact": "hỏi nội dung",
    "metadata": "hỏi thông tin văn bản",
    "list": "liệt kê văn bản",
    "references": "văn bản thực hiện/trích dẫn",
    "count": "đếm văn bản",
    "compare": "so sánh",
}

# Patterns run on the folded (accent-free, lower-case) question.
_FIELD_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    (
        "nguoi_ky",
        re.compile(r"\b(?:ai ky|nguoi ky|ky ten|ky boi|do ai ky|ai la nguoi ky|ky thay mat|ai da ky)\b"),
    ),
    (
        "ngay_ban_hanh",
        re.compile(
            r"\b(?:ngay ban hanh|ban hanh (?:vao )?"
            r"(?:ngay nao|khi nao|luc nao|bao gio|ngay may|nam nao|thang nao)"
            r"|ky (?:vao )?(?:ngay nao|khi nao|ngay may)|ra doi (?:khi nao|ngay nao)|co ngay nao"
            r"|(?:de|ghi) ngay (?:nao|bao nhieu|may)"
            r"|\d\S*/\S+ (?:ngay nao|ngay may))\b"  # "công văn 21/TTVH ngày nào": the number's date
        ),
    ),
    (
        "co_quan_ban_hanh",
        re.compile(
            r"\b(?:co quan (?:nao )?(?:da )?ban hanh|(?:co quan|don vi|ai) nao (?:da )?ban hanh"
            r"|do (?:co quan|don vi) nao (?:da )?ban hanh|ai (?:da )?ban hanh|co quan ban hanh)\b"
        ),
    ),
    (
        "so_ky_hieu",
        re.compile(
            r"\b(?:so (?:va )?ky hieu|so hieu|ky hieu|ki hieu|mang so (?:nao|bao nhieu|may)"
            r"|co so (?:nao|bao nhieu|may)"
            r"|so may|so bao nhieu)\b"
        ),
    ),
    ("trich_yeu", re.compile(r"\b(?:trich yeu|ten (?:day du|goi) cua|tieu de|ve viec gi|ten van ban)\b")),
    (
        "references",
        re.compile(
            r"\b(?:can cu (?:vao )?(?:van ban|nhung|cac|gi|dau)|dua tren (?:van ban|nhung|cac)"
            r"|(?:thuc hien|trien khai|cu the hoa) "
            r"(?:van ban|chi thi|nghi quyet|ket luan|ke hoach|huong dan)? ?nao"
            r"|can cu nao|co so phap ly)\b"
        ),
    ),
)
# Document types (folded) -> loại văn bản as the catalogue writes it.
DOC_TYPE_NAMES = {
    "van ban": None,
    "tai lieu": None,
    "ke hoach": "Kế hoạch",
    "chi thi": "Chỉ thị",
    "nghi quyet": "Nghị quyết",
    "quyet dinh": "Quyết định",
    "huong dan": "Hướng dẫn",
    "cong van": "Công văn",
    "thong bao": "Thông báo",
    "ket luan": "Kết luận",
    "chuong trinh": "Chương trình",
    "de an": "Đề án",
    "quy dinh": "Quy định",
    "bao cao": "Báo cáo",
    "thong tu": "Thông tư",
    "nghi dinh": "Nghị định",
    "luat": "Luật",
}
_DOC_WORD = "(?:" + "|".join(sorted(DOC_TYPE_NAMES, key=len, reverse=True)) + ")"
_LIST = re.compile(
    # "liệt kê / danh sách" only of documents: "Danh sách hộ gia đình … gửi trước ngày nào?" asks a fact
    rf"\b(?:(?:nhung|cac|mot so) {_DOC_WORD} (?:\w+ ){{0,3}}?nao|(?:liet ke|danh sach)(?: (?:cac|nhung))? "
    rf"{_DOC_WORD}|{_DOC_WORD} nao (?:da )?"
    rf"(?:duoc )?(?:ban hanh|co|noi|ve|thuoc)|co (?:nhung|cac) {_DOC_WORD}|gom nhung {_DOC_WORD})\b"
)
# "Văn bản nào của Đoàn thanh niên năm 2018?": only a body (and a time) after it — which documents
_WHOSE = re.compile(rf"^(?:co )?{_DOC_WORD} nao (?:cua|do) (?:\S+ ){{0,7}}\S+\s*[?.]?$")
_COUNT = re.compile(rf"\b(?:bao nhieu|may|so luong) {_DOC_WORD}\b")
_REFERENCE_VERB = (
    r"(?:thuc hien|trien khai|cu the hoa|quan triet|can cu|dan chieu|trich dan|nhac den|nhac toi|neu|de cap"
    r"|vien dan|theo|huong dan thuc hien|lam theo)"
)
_REFERENCES = re.compile(
    rf"\b(?:{_DOC_WORD}|nhung|cac|noi|don vi|tinh|co quan)\b(?: \w+){{0,3}}? (?:nao|gi) (?:\w+ ){{0,2}}?"
    rf"{_REFERENCE_VERB}\b|\b{_REFERENCE_VERB} (?:\w+ ){{0,4}}?(?:boi|tai) (?:nhung|cac)? ?{_DOC_WORD} nao\b"
    rf"|\b(?:nhung|cac) {_DOC_WORD} {_REFERENCE_VERB}\b"
)
# "<implementing verb> <document type> [name]" right before a field phrase: the cited document's field
_CITED_BEFORE = re.compile(
    rf"\b(?:thuc hien|trien khai|can cu|theo|cua) {_DOC_WORD}(?: (?:so|cua|nay|do))?(?: \w+){{0,2}}\s*$"
)
_COMPARE = re.compile(r"\b(?:so sanh|khac nhau|giong nhau|khac gi|thay doi gi|diem moi)\b")
_PLURAL = re.compile(rf"\b(?:cac|nhung|tung|moi) {_DOC_WORD}\b")

# Years and ranges.
_RANGE = re.compile(
    r"\b(?:tu|trong|cac nam)(?: cac)?(?: nam)? ?((?:19|20)\d\d) (?:den|toi|cho den) (?:het )?(?:nam )?"
    r"((?:19|20)\d\d)\b"
)
_PERIOD = re.compile(r"\b(?:giai doan|thoi ky|nhiem ky) ((?:19|20)\d\d) ?[-–—/] ?((?:19|20)\d\d)\b")
_SPAN = re.compile(r"\b(?:nam )?((?:19|20)\d\d) ?[-–—] ?((?:19|20)\d\d)\b")
_YEAR = re.compile(r"\bnam ((?:19|20)\d\d)\b")
_SINCE = re.compile(r"\b(?:tu|sau) (?:nam )?((?:19|20)\d\d) (?:den nay|tro lai day|tro di|den gio)\b")
_BEFORE = re.compile(r"\btruoc nam ((?:19|20)\d\d)\b")
_RELATIVE = (
    (re.compile(r"\bnam (?:ngoai|roi|truoc)\b"), -1),
    (re.compile(r"\bnam nay\b"), 0),
    (re.compile(r"\bnam (?:toi|sau|ke tiep)\b"), 1),
)
_RELATIVE_LABELS = {-1: "năm ngoái", 0: "năm nay", 1: "năm tới"}
_QUESTION_WORD = re.compile(r"\b(?:nao|gi|bao nhieu|ai|the nao|ra sao|khi nao|bao gio|dau|may)\b")
# Issuing bodies named as the issuer ("của Tỉnh ủy", "Ủy ban MTTQ tỉnh …"): label -> co_quan substrings.
_BODIES: tuple[tuple[str, re.Pattern, tuple[str, ...]], ...] = (
    (
        "Tỉnh ủy",
        re.compile(r"\b(?:(?:ban thuong vu|btv) )?tinh uy\b"),
        ("tỉnh ủy", "tỉnh uỷ"),
    ),
    (
        "Ủy ban MTTQ",
        re.compile(
            r"\b(?:uy ban|ban thuong truc|btt|ubmttq|uy ban mat tran)\b(?: uy ban)? ?(?:mttq|mat tran)"
        ),
        ("mttq", "mặt trận"),
    ),
    ("HĐND", re.compile(r"\b(?:hdnd|hoi dong nhan dan)\b"), ("hđnd", "hội đồng nhân dân")),
    # mass organizations: each level names itself its own way ("Tỉnh đoàn", "BCH Đoàn huyện …")
    (
        "Đoàn Thanh niên",
        re.compile(r"\b(?:doan (?:thanh nien|tncs)|tinh doan|huyen doan|thanh doan|doan tn)\b"),
        ("đoàn tncs", "đoàn thanh niên", "tỉnh đoàn", "huyện đoàn", "thành đoàn", "hành đoàn", "đoàn huyện"),
    ),
    ("Hội Phụ nữ", re.compile(r"\bhoi (?:lien hiep )?phu nu\b"), ("phụ nữ",)),
    ("Công đoàn", re.compile(r"\b(?:cong doan|lien doan lao dong)\b"), ("công đoàn", "liên đoàn lao động")),
    ("UBND", re.compile(r"\b(?:ubnd|uy ban nhan dan)\b"), ("ubnd", "ủy ban nhân dân", "uỷ ban nhân dân")),
)
_MASS_ORGS = frozenset(["Đoàn Thanh niên", "Hội Phụ nữ", "Công đoàn"])
_ISSUER_CUE = re.compile(r"\b(?:cua|do|thuoc)\s*$")
# A body that completes a noun is the topic, not the issuer ("đại biểu HĐND xã", "kỳ họp HĐND tỉnh").
_BODY_AS_TOPIC = re.compile(
    r"\b(?:dai bieu|thanh vien|(?:pho )?chu tich|uy vien|ky hop|bau cu|ung cu|cu tri|nhiem ky|can bo"
    r"|cong chuc|lanh dao|van phong|co quan|to chuc bo may)\s*$"
)


@dataclass(frozen=True)
class Understanding:
    question: str
    intent: str = "fact"
    field: str | None = None  # metadata field asked (a key of FIELD_LABELS)
    also: tuple[str, ...] = ()  # further fields asked with it ("ngày nào, ai ký?")
    numbers: tuple[NumberRef, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    year_text: str | None = None  # how the question put it ("năm ngoái", "từ 2020 đến 2023")
    provinces: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()  # labels of _BODIES
    body_keys: tuple[str, ...] = ()  # co_quan substrings of those bodies
    doc_types: tuple[str, ...] = ()  # loại văn bản a list/count question asks for ("Thông tư")
    plural: bool = False  # "các kế hoạch …": several documents expected

    @property
    def has_filters(self) -> bool:
        return bool(self.year_from or self.year_to or self.provinces or self.bodies or self.doc_types)

    def without_filters(self, kinds: Iterable[str] | None = None) -> Understanding:
        """This understanding without the filters of ``kinds`` (all when None): "years", "provinces",
        "bodies", "types" — the chips a user removes in the chat."""
        drop = set(FILTER_KINDS if kinds is None else kinds)
        keep = {
            "year_from": None if "years" in drop else self.year_from,
            "year_to": None if "years" in drop else self.year_to,
            "year_text": None if "years" in drop else self.year_text,
            "provinces": () if "provinces" in drop else self.provinces,
            "bodies": () if "bodies" in drop else self.bodies,
            "body_keys": () if "bodies" in drop else self.body_keys,
            "doc_types": () if "types" in drop else self.doc_types,
        }
        return replace(self, **keep)

    def filter_chips(self) -> list[tuple[str, str]]:
        """(kind, Vietnamese label) of each filter the question implied, in display order."""
        labels = self.labels()["bo_loc"]
        kinds = ["years"] if self.year_from or self.year_to else []
        kinds += ["provinces"] * len(self.provinces) + ["bodies"] * len(self.bodies)
        kinds += ["types"] * len(self.doc_types)
        return list(zip(kinds, labels, strict=True))

    def labels(self) -> dict:
        """Vietnamese labels of what was understood (the answer JSON's ``understood``)."""
        filters: list[str] = []
        if self.year_from or self.year_to:
            if self.year_from == self.year_to:
                years = f"năm {self.year_from}"
            elif self.year_from and self.year_to:
                years = f"từ năm {self.year_from} đến năm {self.year_to}"
            elif self.year_from:
                years = f"từ năm {self.year_from}"
            else:
                years = f"đến năm {self.year_to}"
            if self.year_text:
                years += f" ({self.year_text})"
            filters.append(years)
        filters += [f"tỉnh/thành: {p}" for p in self.provinces]
        filters += [f"cơ quan: {b}" for b in self.bodies]
        filters += [f"loại: {t}" for t in self.doc_types]
        out = {
            "y_dinh": INTENT_LABELS[self.intent],
            "bo_loc": filters,
            "so_hieu": [
                r.full or (f"{r.number}-{r.initials}" if r.initials else r.number) for r in self.numbers
            ],
        }
        if self.field:
            out["truong"] = FIELD_LABELS[self.field]
        return out


def _folded(question: str) -> str:
    q = fold(question).lower()
    q = re.sub(r"[?!.,;:()\"“”]", " ", q)
    return re.sub(r"\s+", " ", q).strip()


def years_of(folded: str, today: dt.date) -> tuple[int | None, int | None, str | None]:
    """(from, to, phrase) of the years a folded question restricts itself to."""
    for pat in (_RANGE, _PERIOD):
        m = pat.search(folded)
        if m:
            a, b = sorted((int(m[1]), int(m[2])))
            if pat is _PERIOD:  # a plan for a period is issued up to a year before it starts
                return a - 1, b, f"giai đoạn {a}–{b}"
            return a, b, None
    m = _SINCE.search(folded)
    if m:
        return int(m[1]), today.year, None
    m = _BEFORE.search(folded)
    if m:
        return None, int(m[1]) - 1, None
    for pat, delta in _RELATIVE:
        if pat.search(folded):
            return today.year + delta, today.year + delta, _RELATIVE_LABELS[delta]
    years = sorted({int(y) for y in _YEAR.findall(folded)})
    if len(years) == 1:
        return years[0], years[0], None
    if len(years) > 1:  # "năm 2020 và năm 2023": both, and what lies between is not asked
        return years[0], years[-1], None
    m = _SPAN.search(folded)
    if m and int(m[1]) < int(m[2]):
        return int(m[1]), int(m[2]), None
    return None, None, None


# Any other body named after "của/do/thuộc": a ministry, department, office … by its own name ("của Bộ
# Giáo dục và Đào tạo", "do Sở Y tế ban hành"); its words up to a verb, a time or the question word.
_NAMED_BODY = re.compile(
    r"\b(?:cua|do|thuoc) ((?:bo|so|cuc|tong cuc|van phong|ban|hoi|doan|thanh tra|ngan hang|bao hiem) "
    r"[a-z]+(?: [a-z-]+){0,7}?)(?= (?:ban hanh|nam|trong|tu|den|co|ve|nao|gi|quy dinh|huong dan|ky|da|la|bao"
    r"|tinh|thanh pho|huyen|xa|phuong|quan|thi xa|nhung|cac|ma|thi|ve viec)\b|\s*[?.,]|$)"
)
# The name of a thing, not of an issuer ("của bộ máy", "số lượng", "hội đồng quản trị", "ban chỉ đạo"
# is no issuer of documents here)
_NOT_A_NAME = re.compile(
    r"^(?:bo (?:may|phan|ho so|tieu chi|chi so)|so (?:luong|lieu|ke hoach|van ban)|ban (?:hanh|chi dao)"
    r"|hoi (?:dong|nghi|thao|vien)|bo chinh tri|ban bi thu|ban chap hanh)\b"  # central organs: cited
)


def _named_body(question: str, folded: str) -> tuple[str, str] | None:
    """(label as typed, accent-free key) of a body named by its own name after an issuer cue."""
    m = _NAMED_BODY.search(folded)
    if not m or _NOT_A_NAME.match(m.group(1)) or len(m.group(1).split()) < 2:
        return None
    # an issuer of the documents asked about: a document word just before ("văn bản nào của Bộ …",
    # "công văn của Văn phòng …"); "nhiệm vụ của Ban Tuyên giáo" names the topic
    if not re.search(rf"\b{_DOC_WORD}\b(?: \w+){{0,3}}\s*$", folded[: m.start()]):
        return None
    words = question.split()
    # the label keeps the question's own spelling: the same words, found by their folded form
    fw = [strip_accents(w).lower().strip("?.,;:") for w in words]
    want = m.group(1).split()
    for i in range(len(fw) - len(want) + 1):
        if fw[i : i + len(want)] == want:
            return " ".join(w.strip("?.,;:") for w in words[i : i + len(want)]), m.group(1)
    return m.group(1), m.group(1)


def bodies_of(folded: str, question: str = "") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Issuing bodies the question names as the issuer: "của/do <body>" or "<body> tỉnh X"."""
    labels: list[str] = []
    keys: list[str] = []
    for label, pat, subs in _BODIES:
        for m in pat.finditer(folded):
            before = folded[: m.start()]
            after = folded[m.end() :]
            if _BODY_AS_TOPIC.search(before):
                continue
            issued = re.search(rf"\b{_DOC_WORD}\b(?: \w+){{0,3}} (?:cua|do|thuoc)\s*$", before)
            if label in _MASS_ORGS and not issued:
                continue  # "nhiệm vụ của Đoàn thanh niên" is the topic; "kế hoạch của Tỉnh đoàn" the issuer
            if _ISSUER_CUE.search(before) or re.match(r"\s*(?:tinh|thanh pho|xa|phuong|huyen)\b", after):
                labels.append(label)
                keys.extend(subs)
                break
    if not labels and (named := _named_body(question or folded, folded)):
        labels.append(named[0])
        keys.append(named[1])
    return tuple(labels), tuple(keys)


def intent_of(folded: str, numbers: tuple[NumberRef, ...]) -> tuple[str, str | None]:
    if _COMPARE.search(folded):
        return "compare", None
    if _COUNT.search(folded):
        return "count", None
    if numbers and _REFERENCES.search(folded) and not _own_field(folded):
        return "references", None
    fld = _own_field(folded)
    if fld == "references" and not numbers and _LIST.search(folded):
        return "list", None
    if fld:
        return "metadata", fld
    if _LIST.search(folded) or (_PLURAL.match(folded) and not _QUESTION_WORD.search(folded)):
        return "list", None
    if _WHOSE.match(folded):
        return "list", None
    return "fact", None


def _field_hits(folded: str) -> list[tuple[str, int, bool]]:
    """(field, position, asked of the question's own document) of each field phrase, in pattern order;
    a phrase following a document cited without its number asks about that one ("… thực hiện hướng dẫn
    số mấy", "… theo Kế hoạch nào ban hành ngày nào")."""
    out = []
    for name, pat in _FIELD_PATTERNS:
        if m := pat.search(folded):
            cited = _CITED_BEFORE.search(folded[: m.start()])
            own = name == "references" or not cited or bool(re.search(r"\d", cited.group(0)))
            out.append((name, m.start(), own))
    return out


def _own_field(folded: str) -> str | None:
    """The metadata field asked of the question's own document; None when the field follows a cited
    document."""
    hits = _field_hits(folded)
    return hits[0][0] if hits and hits[0][2] else None


def _more_fields(folded: str, first: str | None) -> tuple[str, ...]:
    """The other metadata fields one question asks of its document, in the question's order ("Công văn
    21/TTVH ngày nào, ai ký?": the date, then the signer)."""
    found = sorted(
        (at, name) for name, at, own in _field_hits(folded) if own and name not in (first, "references")
    )
    return tuple(name for _, name in found)


def numbers_of(question: str) -> tuple[NumberRef, ...]:
    """Document numbers named in full ("12/2024/NQ-HĐND", "05-CT/TW"), then typed ones ("kế hoạch 427")."""
    from retrieval.catalog.graph import NUMBER

    out: list[NumberRef] = []
    spans: list[tuple[int, int]] = []
    for m in NUMBER.finditer(question):
        full = re.sub(r"\s+", "", m.group(0))
        initials = next((p for p in re.split(r"[-/]", full)[1:] if p and not p.isdigit()), None)
        out.append(NumberRef(m.group(1), initials, full))
        spans.append(m.span())
    taken = {r.number.lstrip("0") for r in out}
    for r in number_refs(question) or number_refs(strip_accents(question)) or _typed_plain(question):
        if r.number.lstrip("0") not in taken and not (r.full and out):
            out.append(r)
    return tuple(out)


_PLAIN_TYPES = {fold(k).lower(): v for k, v in DOC_TYPES.items()}
_TYPED_PLAIN = re.compile(
    r"\b(" + "|".join(sorted(_PLAIN_TYPES, key=len, reverse=True)) + r")\s+(?:so\s+)?(\d{1,5})\b(?![/-])"
)


def _typed_plain(question: str) -> list[NumberRef]:
    """ "ke hoach 37" typed without diacritics: number 37 of type KH."""
    return [NumberRef(m[2], _PLAIN_TYPES[m[1]], None) for m in _TYPED_PLAIN.finditer(_folded(question))]


def types_of(folded: str) -> tuple[str, ...]:
    """loại văn bản a list asks for: "các thông tư", "bao nhiêu kế hoạch", "kế hoạch nào"."""
    found = []
    for m in re.finditer(
        rf"\b(?:cac|nhung|bao nhieu|may|liet ke|danh sach)(?: cac)? ({_DOC_WORD})\b", folded
    ):
        found.append(m.group(1))
    found += re.findall(rf"\b({_DOC_WORD}) nao\b", folded)
    names = [DOC_TYPE_NAMES[f] for f in found if DOC_TYPE_NAMES.get(f)]
    return tuple(dict.fromkeys(names))


def understand(question: str, today: dt.date | None = None) -> Understanding:
    """What ``question`` asks (pure: the same question and day give the same, immutable answer; the
    search and the answerer both ask, so the last few are remembered)."""
    return _understand(question, today or dt.date.today())


@functools.lru_cache(maxsize=256)
def _understand(question: str, today: dt.date) -> Understanding:
    folded = _folded(question)
    numbers = numbers_of(question)
    intent, fld = intent_of(folded, numbers)
    y_from, y_to, y_text = years_of(folded, today)
    bodies, keys = bodies_of(folded, question)
    return Understanding(
        question=question,
        intent=intent,
        field=fld,
        also=_more_fields(folded, fld) if intent == "metadata" else (),
        numbers=numbers,
        year_from=y_from,
        year_to=y_to,
        year_text=y_text,
        provinces=tuple(named_places(question)),
        bodies=bodies,
        body_keys=keys,
        plural=bool(_PLURAL.search(folded)),
        doc_types=types_of(folded) if intent in ("list", "count") else (),
    )
