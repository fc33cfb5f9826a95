"""PDF text layers typed in legacy Vietnamese fonts, and stream quirks of the old writers that made them.

Old Vietnamese PDFs (Word + .VnTime/VNI-Times, 1998-2008) embed the 8-bit fonts without a Unicode map,
so the text layer reads "B¸o c¸o"; the page's font resources still name the fonts, which tells the
encoding (``legacy_fonts``). Some of those writers also used inline-image filter abbreviations (/Fl) for
ordinary streams, which pypdf 7 refuses: they are renamed before text extraction.
"""

from __future__ import annotations

_FILTER_NAMES = {
    "/Fl": "/FlateDecode",
    "/AHx": "/ASCIIHexDecode",
    "/A85": "/ASCII85Decode",
    "/LZW": "/LZWDecode",
    "/RL": "/RunLengthDecode",
}


def _fix_filter(obj) -> None:
    from pypdf.generic import ArrayObject, NameObject

    try:
        obj = obj.get_object()
        flt = obj.get("/Filter")
    except Exception:  # not a stream or dictionary
        return
    if isinstance(flt, NameObject) and flt in _FILTER_NAMES:
        obj[NameObject("/Filter")] = NameObject(_FILTER_NAMES[flt])
    elif isinstance(flt, ArrayObject):
        obj[NameObject("/Filter")] = ArrayObject(NameObject(_FILTER_NAMES.get(f, f)) for f in flt)


def _page_font_dicts(page) -> list:
    try:
        fonts = page["/Resources"].get_object().get("/Font")
        fonts = fonts.get_object() if fonts is not None else {}
        out = [f.get_object() for f in fonts.values()]
    except Exception:  # damaged resources: text extraction reports it
        return []
    for f in list(out):
        for d in f.get("/DescendantFonts") or []:
            out.append(d.get_object())
    return out


def fix_abbreviated_filters(page) -> None:
    """Old PDF writers used inline-image filter abbreviations (/Fl) for streams, which pypdf 7 refuses;
    rename them in the page's content and font streams before extracting text."""
    contents = page.get("/Contents")
    if contents is not None:
        contents = contents.get_object()
        for c in contents if isinstance(contents, list) else [contents]:
            _fix_filter(c)
    for font in _page_font_dicts(page):
        if "/ToUnicode" in font:
            _fix_filter(font["/ToUnicode"])


def page_font_names(page) -> list[str]:
    return [str(f.get("/BaseFont", "")) for f in _page_font_dicts(page)]


def decode_legacy_pages(texts: list[str], page_fonts: list[list[str]]) -> str:
    """Re-decode, in place, pages set in legacy Vietnamese fonts (.VnTime, VNI-Times: named in the page's
    font resources) when their text reads as the fonts' bytes; returns the encodings used ("" if none)."""
    from retrieval.ingest.legacy_fonts import FontCoding, font_coding, judge_font, redecode

    by_encoding: dict[str, list[int]] = {}
    for i, names in enumerate(page_fonts[: len(texts)]):
        encs = [c.encoding for c in (font_coding(n.lstrip("/")) for n in names) if c is not None]
        if encs:
            by_encoding.setdefault(max(set(encs), key=encs.count), []).append(i)
    used = []
    for enc, pages in sorted(by_encoding.items()):
        sample_font = next(n for i in pages for n in page_fonts[i] if font_coding(n.lstrip("/")))
        if judge_font(sample_font.lstrip("/"), [texts[i] for i in pages]) is None:
            continue
        for i in pages:
            texts[i] = redecode(texts[i], FontCoding(enc))
        used.append(enc.upper())
    return ", ".join(used)
