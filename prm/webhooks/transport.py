"""One webhook POST to a checked target (targets.Target), over http.client.

The connection goes to an address targets.check() accepted, never to a name: the
Host header and the TLS server name (SNI, and the certificate check) are the URL's
host, but no second DNS lookup happens, so a name that changes its answer between
the check and the connection (DNS rebinding) cannot move the request. No redirect
is followed (http.client follows none: a 3xx is an answer like any other), the
answer's body is never read, and a failure is reported as a coarse category
("connection failed", "timed out", "TLS error", ...) without the operating system's
detail, so the delivery log cannot be used to scan ports or read internal answers.

The standard library does this in a few lines; urllib and requests resolve the name
themselves and follow redirects, which is what must not happen here.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from contextlib import suppress
from dataclasses import dataclass

from .targets import URL_NOT_ALLOWED, IPAddress, Target

CONNECTION_FAILED = "connection failed"
TIMED_OUT = "timed out"
TLS_ERROR = "TLS error"
BAD_ANSWER = "invalid HTTP answer"
REDIRECT = "redirect not followed"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST `body` to the target, trying its checked addresses in turn until one
    connects; the whole try takes at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    # A receiver that trickles its handshake or answer a byte at a time keeps every
    # socket read under the timeout: the connection is cut at the deadline instead.
    cut = threading.Event()
    current: list[http.client.HTTPConnection] = []

    def cut_off() -> None:
        cut.set()
        for connection in current:
            if connection.sock is not None:
                with suppress(OSError):
                    connection.sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout, cut_off)
    timer.daemon = True
    timer.start()
    try:
        error = CONNECTION_FAILED
        for address in target.addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or cut.is_set():
                return Outcome(None, TIMED_OUT)
            connection = _connection(target, address, remaining)
            current[:] = [connection]
            try:
                connection.connect()
            except (OSError, ssl.SSLError) as failure:
                connection.close()
                error = _category(failure, cut=cut.is_set())
                if error in (TLS_ERROR, TIMED_OUT):
                    # the receiver answered (TLS), or time is up: another address won't help
                    return Outcome(None, error)
                continue
            return _exchange(connection, target, body, headers, cut)
        return Outcome(None, error)
    finally:
        timer.cancel()


def _exchange(
    connection: http.client.HTTPConnection,
    target: Target,
    body: bytes,
    headers: dict[str, str],
    cut: threading.Event,
) -> Outcome:
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        status = connection.getresponse().status  # the body is never read
    except (OSError, ssl.SSLError, http.client.HTTPException) as failure:
        return Outcome(None, _category(failure, cut=cut.is_set()))
    except ValueError:  # a request http.client will not write (targets.py checks first)
        return Outcome(None, URL_NOT_ALLOWED)
    finally:
        connection.close()
    if cut.is_set():  # what came before the cut is not an answer
        return Outcome(None, TIMED_OUT)
    return Outcome(status, REDIRECT if 300 <= status < 400 else "")


def _category(failure: BaseException, *, cut: bool) -> str:
    if cut or isinstance(failure, TimeoutError):
        return TIMED_OUT
    if isinstance(failure, ssl.SSLError | ssl.CertificateError):
        return TLS_ERROR
    if isinstance(failure, http.client.HTTPException):
        return BAD_ANSWER
    return CONNECTION_FAILED


def _connection(target: Target, address: IPAddress, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target.host, target.port, address=address, timeout=timeout)
    return _PinnedHTTPConnection(target.host, target.port, address=address, timeout=timeout)


def _open_socket(address: IPAddress, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((str(address), port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Host header of the URL's host; the TCP connection to the checked address."""

    def __init__(self, host: str, port: int, *, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address
        self.seconds = timeout

    def connect(self) -> None:
        self.sock = _open_socket(self.pinned_address, self.port, self.seconds)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, over TLS: SNI and the certificate check are for the URL's host."""

    def __init__(self, host: str, port: int, *, address: IPAddress, timeout: float) -> None:
        # The system's trusted CAs (SSL_CERT_FILE / SSL_CERT_DIR are honoured), host
        # name checked, TLS 1.2 at least.
        self.tls = ssl.create_default_context()
        self.tls.minimum_version = ssl.TLSVersion.TLSv1_2
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.pinned_address = address
        self.seconds = timeout

    def connect(self) -> None:
        sock = _open_socket(self.pinned_address, self.port, self.seconds)
        try:
            # The handshake runs with self.sock set, so a cut at the deadline stops it.
            self.sock = self.tls.wrap_socket(
                sock, server_hostname=self.host, do_handshake_on_connect=False
            )
            self.sock.do_handshake()
        except BaseException:
            sock.close()
            if self.sock is not None:
                self.sock.close()
            raise
