"""The `openai` backend against a tiny fake OpenAI-compatible server on 127.0.0.1 (stdlib only).

The server answers /v1/chat/completions (streamed as server-sent events, or not), records what it
was sent, and stops when the test ends. Every request is bounded by the client timeout.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from retrieval.answer import Answerer, make_backend
from retrieval.answer.result import REFUSAL
from retrieval.answer.testing import hits_from_needles, read_document
from retrieval.settings import Settings

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
NEEDLES = [
    ("000_7f24dc1676206cad.txt", "- Báo cáo kết quả thực hiện chuyên đề năm 2020"),
    ("004_18ce676507074b40.txt", "Sau hội nghị cấp tỉnh"),
]
MAX_REQUESTS = 20


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reply = ""
        self.status = 200
        self.requests: list[dict] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAI

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
        if len(self.server.requests) > MAX_REQUESTS or self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        if self.server.status != 200:
            self.send_response(self.server.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "server error", "type": "server_error"}}')
            return
        reply, model = self.server.reply, body.get("model", "fake")
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            pieces = [reply[i : i + 5] for i in range(0, len(reply), 5)]
            for i, piece in enumerate(pieces):
                delta = {"content": piece, **({"role": "assistant"} if i == 0 else {})}
                self._event(_chunk(model, delta, None))
            self._event(_chunk(model, {}, "stop"))
            self.wfile.write(b"data: [DONE]\n\n")
            return
        data = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        payload = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _event(self, data: dict) -> None:
        self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
        self.wfile.flush()


def _chunk(model: str, delta: dict, finish: str | None) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


class FakeSearcher:
    def __init__(self) -> None:
        self.hits = hits_from_needles(CORPUS, NEEDLES, lines=4)

    def search(self, query, k=10, mode="hybrid", filters=None):
        return self.hits[:k]


@pytest.fixture
def server():
    srv = FakeOpenAI()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _answerer(server, key: str | None = "sk-test") -> Answerer:
    settings = Settings(llm_base_url=server.base_url, llm_model="qwen-test", llm_api_key=key)
    backend = make_backend("openai", settings)
    backend.chat_model.request_timeout = 10
    return Answerer(FakeSearcher(), backend)


def test_openai_backend_streams_and_checks_citations(server):
    server.reply = (
        "Báo cáo năm phải gửi trước ngày 30/11/2020 [1]. "
        "Báo cáo 6 tháng gửi trước ngày 15/6/2021 [1]. "
        "Hội nghị trực tuyến được tổ chức ngày 17-12-2019 [2][5]."
    )
    answerer = _answerer(server)
    stream = answerer.stream("Báo cáo năm phải gửi trước ngày nào?")
    pieces = list(stream)
    assert len(pieces) > 3 and "".join(pieces) == server.reply  # tokens as they came
    answer = stream.answer
    assert answer.backend == "openai" and not answer.refused
    assert "30/11/2020 [1]" in answer.answer and "17-12-2019 [2]" in answer.answer
    assert "15/6/2021" not in answer.answer and "[5]" not in answer.answer
    assert "Đã lược bỏ 1 câu" in answer.answer
    for c in answer.citations:
        assert c.verified and read_document(CORPUS / c.source)[c.start : c.end] == c.quote

    sent = server.requests[-1]
    assert sent["model"] == "qwen-test" and sent["temperature"] == 0 and sent["stream"] is True
    assert sent["auth"] == "Bearer sk-test"
    system, user = sent["messages"][0]["content"], sent["messages"][1]["content"]
    assert REFUSAL in system
    assert "[1] " in user and "[2] " in user and "30/11/2020" in user
    assert "Câu hỏi: Báo cáo năm phải gửi trước ngày nào?" in user


def test_openai_refusal_and_server_error_fallback(server):
    server.reply = REFUSAL
    answer = _answerer(server, key=None).answer("Báo cáo năm phải gửi trước ngày nào?")
    assert answer.refused and answer.answer.startswith(REFUSAL) and not answer.citations

    server.status = 500
    answer = _answerer(server).answer("Báo cáo năm phải gửi trước ngày nào?")
    assert answer.backend == "extractive" and not answer.refused
    assert "30/11/2020" in answer.answer and "Không dùng được mô hình ngôn ngữ" in answer.answer


def test_openai_chat_model_works_in_a_plain_langchain_chain(server):
    from langchain_core.output_parsers import StrOutputParser

    from retrieval.answer.prompting import answer_prompt

    server.reply = "Báo cáo năm gửi trước ngày 30/11/2020 [1]."
    backend = make_backend("openai", Settings(llm_base_url=server.base_url, llm_model="m"))
    chain = answer_prompt() | backend.chat_model | StrOutputParser()
    assert chain.invoke({"passages": "[1] ...", "question": "?"}) == server.reply
    assert server.requests[-1].get("stream") in (None, False)
