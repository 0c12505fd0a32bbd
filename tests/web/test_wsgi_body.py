"""read_body: a WSGI request's body within a cap, never read past it (werkzeug requests built from
a WSGI environ whose input stream counts what is read from it)."""

from __future__ import annotations

import io

import pytest
from vaultra.web.wsgi_body import BodyIncomplete, BodyTooLarge, discard_body, read_body
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

CAP = 1000


class Input(io.RawIOBase):
    """wsgi.input: `size` bytes (or an endless stream), counting what is read; `fail` raises
    once the data is out instead of answering EOF."""

    def __init__(self, size: int | None, fail: Exception | None = None) -> None:
        self.size, self.fail, self.read_bytes = size, fail, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        left = len(buffer) if self.size is None else min(len(buffer), self.size - self.read_bytes)
        if left == 0 and self.fail is not None:
            raise self.fail
        buffer[:left] = b"x" * left
        self.read_bytes += left
        return left


def request_with(stream: Input, content_length: str | None) -> Request:
    environ = EnvironBuilder(method="POST").get_environ()
    environ["wsgi.input"] = stream
    environ.pop("CONTENT_LENGTH", None)
    if content_length is None:  # a chunked body, de-chunked by the server (as gunicorn does)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = content_length
    return Request(environ)


@pytest.mark.parametrize("declared", [str(CAP + 1), str(200 * 1024 * 1024), "1" + "0" * 20])
def test_a_declared_length_past_the_cap_is_refused_before_reading(declared: str) -> None:
    stream = Input(None)
    with pytest.raises(BodyTooLarge) as refused:
        read_body(request_with(stream, declared), CAP)
    assert stream.read_bytes == 0
    assert refused.value.status == 413
    assert refused.value.detail == f"request body exceeds {CAP} bytes"


@pytest.mark.parametrize("declared", [None, str(CAP)])
def test_a_body_up_to_the_cap_is_read_whole(declared: str | None) -> None:
    assert read_body(request_with(Input(CAP), declared), CAP) == b"x" * CAP


def test_an_endless_chunked_body_is_read_one_byte_past_the_cap_and_no_further() -> None:
    stream = Input(None)
    with pytest.raises(BodyTooLarge):
        read_body(request_with(stream, None), CAP)
    assert stream.read_bytes == CAP + 1


def test_a_body_cut_short_is_incomplete_not_an_error() -> None:
    # werkzeug's LimitedStream turns a short read under a Content-Length into ClientDisconnected
    with pytest.raises(BodyIncomplete) as short:
        read_body(request_with(Input(10), "500"), CAP)
    # a reset; gunicorn's NoMoreData (an IOError); its parser's errors (a malformed chunk)
    for failure in (ConnectionResetError(), OSError("no more data"), ValueError("bad chunk")):
        with pytest.raises(BodyIncomplete) as failed:
            read_body(request_with(Input(10, fail=failure), None), CAP)
        assert failed.value.status == 400
    assert short.value.status == 400
    assert short.value.detail == "client disconnected after 10 body bytes"


def test_a_refused_body_is_left_for_no_one_to_read() -> None:
    """functions-framework calls request.get_data() after every response: it must find nothing."""
    for declared in (str(200 * 1024 * 1024), None):
        stream = Input(None)
        request = request_with(stream, declared)
        with pytest.raises(BodyTooLarge):
            read_body(request, CAP)
        read_before = stream.read_bytes
        assert request.get_data() == b"" and stream.read_bytes == read_before


def test_discard_body_leaves_nothing_to_read() -> None:
    stream = Input(None)
    request = request_with(stream, "1" + "0" * 20)
    discard_body(request)
    assert request.get_data() == b"" and stream.read_bytes == 0
