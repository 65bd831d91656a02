"""What the webhook tests deliver to, all on loopback: an HTTP receiver that answers
what it is told, a bare listening socket that counts connections (to show that
nothing reached it), and a DNS server whose answers the test sets (to make a public
name resolve to 127.0.0.1, or change its answer between two lookups)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dnslib import AAAA, QTYPE, RCODE, RR, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class Receiver:
    """An HTTP server on `host` that answers with the given status codes in turn
    (200 once they run out), with `location` on redirects and `body` as the answer's
    body, and keeps what it received."""

    def __init__(
        self,
        answers: list[int],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        location: str = "",
        body: bytes = b"ok",
    ) -> None:
        self.answers = list(answers)
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.received.append(
                    {"headers": self.headers, "body": payload, "status": status, "path": self.path}
                )
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://{host}:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Listener:
    """A TCP socket listening on `host`:`port` that accepts and counts connections
    and answers nothing (or `send`, at once or a byte every 0.2 s with `trickle`):
    the proof that no request reached this address."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, send: bytes = b"", trickle: bool = False
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, port))
        self.socket.listen(16)
        self.socket.settimeout(0.1)
        self.host = host
        self.port = int(self.socket.getsockname()[1])
        self.connections = 0
        self.send = send
        self.trickle = trickle
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            self._open.append(connection)
            if self.send:
                threading.Thread(target=self._trickle, args=(connection,), daemon=True).start()

    def _trickle(self, connection: socket.socket) -> None:
        if not self.trickle:
            with suppress(OSError):
                connection.sendall(self.send)
            return
        for byte in self.send:  # an answer that never quite arrives
            if self._stop.is_set():
                return
            with suppress(OSError):
                connection.sendall(bytes([byte]))
            time.sleep(0.2)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=2)
        for connection in self._open:
            connection.close()
        self.socket.close()


class Answers(BaseResolver):
    """Answers A and AAAA questions from `records`: name -> type -> a list of answer
    sets, used one per question, the last one repeated. Names not there: NXDOMAIN."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, list[list[str]]]] = {}
        self.questions: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def set(self, name: str, **answers: list[str] | list[list[str]]) -> None:
        """`set("hooks.example.com", A=["127.0.0.1"])`, or for answers that change,
        `A=[["127.0.0.1"], ["127.0.0.2"]]`."""
        with self._lock:
            self.records[name] = {
                rtype: [list(step) for step in values]
                if values and isinstance(values[0], list)
                else [list(values)]  # type: ignore[arg-type]
                for rtype, values in answers.items()
            }

    def asked(self, name: str) -> list[str]:
        return [qtype for qname, qtype in list(self.questions) if qname == name]

    def resolve(self, request: Any, handler: Any) -> Any:
        name, qtype = str(request.q.qname).lower().rstrip("."), QTYPE[request.q.qtype]
        reply = request.reply()
        with self._lock:
            self.questions.append((name, qtype))
            if name not in self.records:
                reply.header.rcode = RCODE.NXDOMAIN
                return reply
            steps = self.records[name].get(qtype, [[]])
            values = steps.pop(0) if len(steps) > 1 else steps[0]
        for value in values:
            data = A(value) if qtype == "A" else AAAA(value)
            reply.add_answer(RR(name, QTYPE.reverse[qtype], rdata=data, ttl=0))
        return reply


@contextmanager
def dns_answers() -> Iterator[tuple[Answers, str]]:
    """A DNS server on 127.0.0.1 answering from an `Answers`; yields it and the
    server's address for PRM_DNS_NAMESERVERS."""
    answers = Answers()
    quiet = DNSLogger(log="-request,-reply,-truncated,-error", prefix=False)
    server = DNSServer(answers, address="127.0.0.1", port=0, logger=quiet)
    server.start_thread()
    try:
        yield answers, f"127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.stop()
        server.server.server_close()


def wait_for(predicate: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)
