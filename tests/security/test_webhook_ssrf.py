"""Issue 13, finding 1 replayed: webhook SSRF with the answer readable.

The attack: a tenant subscribes a webhook to an internal address (loopback, the cloud
metadata service, a private network, in any spelling), or to a public name that
resolves to one, or to a receiver that redirects to one, then reads the answer's body
and the connection errors in the delivery log. Every replay here must fail: the API
answers 400 naming `url`, the service refuses, a subscription forced into the
database is not delivered, and real sockets listening on loopback see no connection.

The test settings allow loopback (PRM_WEBHOOK_ALLOWED_NETWORKS = 127.0.0.0/8) so the
other webhook tests can deliver; these tests set the list back to empty, as in
production, wherever they show a refusal.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from prm.webhooks.delivery import delivery_attempt
from prm.webhooks.models import Attempt, Delivery, DeliveryState, Subscription
from prm.webhooks.services import subscription_create, webhook_emit
from tests.webhooks.receivers import Answers, Listener, Receiver

pytestmark = pytest.mark.django_db

PUBLIC_ADDRESS = "93.184.215.14"  # a public address; nothing in these tests connects to it


@pytest.fixture
def production_rules(settings: Any) -> None:
    """No network allowed beyond the public internet; http still allowed, so the
    refusals shown are those of the address, not of the scheme."""
    settings.PRM_WEBHOOK_ALLOWED_NETWORKS = []
    settings.PRM_WEBHOOK_ALLOW_HTTP = True


@pytest.fixture
def listeners() -> Iterator[dict[str, Listener]]:
    """Sockets listening on 127.0.0.1 and ::1 (the same port on both), counting
    every connection they get."""
    v4 = Listener("127.0.0.1")
    try:
        v6 = Listener("::1", v4.port)
    except OSError:  # that port is taken on ::1: take one free on both
        v4.close()
        v6 = Listener("::1")
        v4 = Listener("127.0.0.1", v6.port)
    try:
        yield {"v4": v4, "v6": v6}
    finally:
        v4.close()
        v6.close()


# {port}: the listeners' port. Each is refused for the reason in its comment.
ATTACKS = [
    "http://127.0.0.1:{port}/",  # loopback
    "http://127.255.255.254:{port}/",  # loopback, elsewhere in 127/8
    "http://localhost:{port}/",  # the loopback name
    "http://LocalHost.:{port}/",  # ... in capitals with the root dot
    "http://sub.localhost:{port}/",  # ... and below it
    "http://[::1]:{port}/",  # IPv6 loopback
    "http://0.0.0.0:{port}/",  # "this host": connects to loopback on Linux
    "http://[::]:{port}/",  # IPv6 unspecified
    "http://[::ffff:127.0.0.1]:{port}/",  # IPv4-mapped loopback
    "http://[::ffff:169.254.169.254]/latest/meta-data/",  # IPv4-mapped metadata
    "http://[::127.0.0.1]:{port}/",  # IPv4-compatible loopback
    "http://[2002:7f00:1::]:{port}/",  # 6to4 of 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://2130706433:{port}/",  # decimal 127.0.0.1
    "http://0x7f.1:{port}/",  # hex
    "http://0x7f000001:{port}/",  # hex, one number
    "http://017700000001:{port}/",  # octal
    "http://0177.0.0.1:{port}/",  # octal first part
    "http://127.1:{port}/",  # short form
    "http://10.0.0.1/",  # private
    "http://172.16.0.1/",  # private
    "http://192.168.1.1/",  # private
    "http://100.64.0.1/",  # CGNAT
    "http://169.254.169.254/latest/meta-data/iam",  # link-local: cloud metadata
    "http://[fe80::1]/",  # IPv6 link-local
    "http://[fd00::1]/",  # IPv6 unique local
    "http://224.0.0.1/",  # multicast
    "http://[ff02::1]/",  # IPv6 multicast
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",  # broadcast
    "http://metadata.google.internal/computeMetadata/v1/",  # the metadata name
    "http://metadata/computeMetadata/v1/",  # ... its short form
    "http://db.internal:{port}/",  # private-use names
    "http://printer.local:{port}/",
    "http://user:password@127.0.0.1:{port}/",  # credentials in the URL
    "http://loopback-name.com:{port}/",  # a public name resolving to 127.0.0.1
    "http://mixed-name.com:{port}/",  # one public address and 127.0.0.1
    "http://v6-name.com:{port}/",  # AAAA ::1
    "http://cname-name.com:{port}/",  # A 10.0.0.5
    "http://made-up-name-4f3a.com:{port}/",  # does not resolve at all
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_internal_target_is_refused_everywhere_and_never_contacted(
    attack: str,
    production_rules: None,
    webhook_dns: Answers,
    listeners: dict[str, Listener],
    api_client: Any,
    tenant_a: Any,
    in_tenant: Any,
) -> None:
    # given names that a public DNS could well answer so, on the loopback DNS server
    webhook_dns.set("loopback-name.com", A=["127.0.0.1"])
    webhook_dns.set("mixed-name.com", A=[PUBLIC_ADDRESS, "127.0.0.1"])
    webhook_dns.set("v6-name.com", AAAA=["::1"])
    webhook_dns.set("cname-name.com", A=["10.0.0.5"])
    url = attack.format(port=listeners["v4"].port)
    key = api_client(tenant_a, ["webhooks"])

    # when a key with the webhooks scope subscribes it
    answer = key.post(
        "/api/v1/webhooks/", {"url": url, "events": ["partner.updated"]}, "application/json"
    )
    # then the API answers 400 naming url, and nothing is stored
    assert answer.status_code == 400, answer.json()
    assert set(answer.json()["errors"]) == {"url"}
    with in_tenant(tenant_a):
        assert not Subscription.objects.exists()
        # and the service refuses it too (the form and the API share it)
        with pytest.raises(ValidationError) as refused:
            subscription_create(url=url, events=["partner.updated"])
        assert set(refused.value.message_dict) == {"url"}
        # and a subscription forced into the database is not delivered either
        forced = Subscription.objects.create(url=url, events=["partner.updated"], secret="s")
        webhook_emit(event="partner.updated", data={"ref": "x"})
        delivery = Delivery.objects.get(subscription=forced)
        delivery_attempt(delivery=delivery)
        attempt = Attempt.objects.get(delivery=delivery)
    assert attempt.status_code is None
    assert attempt.error in {"address not allowed", "host name did not resolve", "URL not allowed"}
    # and not one connection reached loopback
    time.sleep(0.2)
    assert (listeners["v4"].connections, listeners["v6"].connections) == (0, 0)


def test_a_made_up_name_is_asked_only_of_the_configured_resolver(
    production_rules: None, webhook_dns: Answers, in_tenant: Any, tenant_a: Any
) -> None:
    # when a name nobody registered is subscribed (as a fuzzer would)
    with in_tenant(tenant_a), pytest.raises(ValidationError) as refused:
        subscription_create(url="https://no-such-receiver-9d1e.com/x", events=["partner.updated"])
    # then it is refused as unknown, having been asked of the loopback DNS server
    assert "does not exist in DNS" in refused.value.message_dict["url"][0]
    assert webhook_dns.asked("no-such-receiver-9d1e.com") == ["A"]


def test_http_is_refused_unless_allowed(
    settings: Any, webhook_dns: Answers, alpha_admin: Any
) -> None:
    # given production's rules: https only, no network allowed
    settings.PRM_WEBHOOK_ALLOW_HTTP = False
    settings.PRM_WEBHOOK_ALLOWED_NETWORKS = []
    webhook_dns.set("hooks.receiver-erp.com", A=[PUBLIC_ADDRESS])
    post = lambda url: alpha_admin.post(  # noqa: E731
        "/api/v1/webhooks/", {"url": url, "events": ["partner.created"]}, "application/json"
    )
    # when an admin subscribes a public receiver over http, then over https
    plain, secure = (
        post("http://hooks.receiver-erp.com/x"),
        post("https://hooks.receiver-erp.com/x"),
    )
    # then http is refused saying so, and https to the public name is accepted
    assert plain.status_code == 400
    assert "https only" in plain.json()["errors"]["url"][0]
    assert secure.status_code == 201, secure.json()


def test_a_name_that_turns_internal_after_subscribing_is_not_delivered(
    production_rules: None,
    webhook_dns: Answers,
    listeners: dict[str, Listener],
    in_tenant: Any,
    tenant_a: Any,
) -> None:
    # given a subscription accepted while its name resolved to a public address
    webhook_dns.set("rebinding-name.com", A=[PUBLIC_ADDRESS])
    url = f"http://rebinding-name.com:{listeners['v4'].port}/hooks"
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(url=url, events=["partner.updated"])
        webhook_emit(event="partner.updated", data={"ref": "x"})
        delivery = Delivery.objects.get(subscription=subscription)
        # when the name points to loopback by the time of the delivery
        webhook_dns.set("rebinding-name.com", A=["127.0.0.1"])
        wait = delivery_attempt(delivery=delivery)
        attempt = Attempt.objects.get(delivery=delivery)
    # then the try fails as "address not allowed", to be retried, and nothing connected
    assert wait is not None
    assert (attempt.status_code, attempt.error) == (None, "address not allowed")
    assert listeners["v4"].connections == 0


def test_a_delivery_connects_to_the_address_it_checked(
    settings: Any,
    webhook_dns: Answers,
    receiver_on: Any,
    in_tenant: Any,
    tenant_a: Any,
) -> None:
    # given only 127.0.0.1 allowed, a receiver there, and a listener on 127.0.0.2 at the
    # same port, which a second lookup of the name would lead to
    settings.PRM_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    receiver = receiver_on("127.0.0.1")
    other = Listener("127.0.0.2", receiver.port)
    try:
        url = f"http://pinned-name.com:{receiver.port}/hooks?tenant=alpha"
        webhook_dns.set("pinned-name.com", A=["127.0.0.1"])
        with in_tenant(tenant_a):
            subscription, _secret = subscription_create(url=url, events=["partner.updated"])
            webhook_emit(event="partner.updated", data={"ref": "x"})
            delivery = Delivery.objects.get(subscription=subscription)
            # when the name answers 127.0.0.1 once, then 127.0.0.2 to every later question
            webhook_dns.set("pinned-name.com", A=[["127.0.0.1"], ["127.0.0.2"]])
            webhook_dns.questions.clear()
            assert delivery_attempt(delivery=delivery) is None
            delivery.refresh_from_db()
        # then the delivery went to the address checked, with the name as Host
        assert delivery.state == DeliveryState.SUCCEEDED
        assert len(receiver.received) == 1
        assert receiver.received[0]["headers"]["Host"] == f"pinned-name.com:{receiver.port}"
        assert receiver.received[0]["path"] == "/hooks?tenant=alpha"
        # and the name was looked up once, and nothing went to the second answer
        assert webhook_dns.asked("pinned-name.com") == ["A", "AAAA"]
        assert other.connections == 0
    finally:
        other.close()


@pytest.fixture
def receiver_on() -> Iterator[Any]:
    receivers: list[Receiver] = []

    def make(host: str, answers: list[int] | None = None, **options: Any) -> Receiver:
        receivers.append(Receiver(answers or [], host=host, **options))
        return receivers[-1]

    yield make
    for receiver in receivers:
        receiver.close()


def test_a_redirect_to_loopback_is_not_followed(
    receiver_on: Any, in_tenant: Any, tenant_a: Any, alpha_admin: Any
) -> None:
    # given a receiver on 127.0.0.1 (allowed by the test settings) that redirects to the
    # "metadata service" on another loopback port (which those settings allow too)
    metadata = Listener("127.0.0.1")
    try:
        target = f"http://127.0.0.1:{metadata.port}/latest/meta-data/iam"
        receiver = receiver_on("127.0.0.1", [302, 307, 308], location=target)
        with in_tenant(tenant_a):
            subscription, _secret = subscription_create(
                url=receiver.url, events=["partner.updated"]
            )
            webhook_emit(event="partner.updated", data={"ref": "x"})
            delivery = Delivery.objects.get(subscription=subscription)
            # when it is delivered three times
            for _ in range(3):
                delivery_attempt(delivery=delivery)
            delivery.refresh_from_db()
            attempts = list(Attempt.objects.filter(delivery=delivery).order_by("id"))
        time.sleep(0.2)
        # then each redirect is a failed try with its status, and the target saw nothing
        assert [hit["status"] for hit in receiver.received] == [302, 307, 308]
        assert [(a.status_code, a.error) for a in attempts] == [
            (302, "redirect not followed"),
            (307, "redirect not followed"),
            (308, "redirect not followed"),
        ]
        assert delivery.state == DeliveryState.RETRYING
        assert metadata.connections == 0
        # and the API's log says the same
        log = alpha_admin.get(f"/api/v1/webhooks/{subscription.pk}/deliveries/").json()
        assert {entry["status_code"] for entry in log[0]["attempt_log"]} == {302, 307, 308}
    finally:
        metadata.close()


def test_the_answer_body_is_never_stored_or_shown(
    receiver_on: Any, in_tenant: Any, tenant_a: Any, alpha_admin: Any
) -> None:
    # given a receiver whose answers carry secrets, failing then succeeding
    secret = b"INTERNAL-ONLY: AccessKeyId=AKIAEXAMPLE SecretAccessKey=wJalrXUtnFEMI"
    receiver = receiver_on("127.0.0.1", [500], body=secret)
    with in_tenant(tenant_a):
        subscription, _secret = subscription_create(url=receiver.url, events=["partner.updated"])
        webhook_emit(event="partner.updated", data={"ref": "x"})
        delivery = Delivery.objects.get(subscription=subscription)
        delivery_attempt(delivery=delivery)
        delivery_attempt(delivery=delivery)
        stored = list(Attempt.objects.filter(delivery=delivery).values())
    # then the log has status codes and timings only
    assert sorted(row["status_code"] or 0 for row in stored) == [200, 500]
    assert "INTERNAL-ONLY" not in repr(stored)
    log = alpha_admin.get(f"/api/v1/webhooks/{subscription.pk}/deliveries/")
    assert "INTERNAL-ONLY" not in log.content.decode()
    assert set(log.json()[0]["attempt_log"][0]) == {
        "attempted_at",
        "status_code",
        "error",
        "duration_ms",
    }
    page = alpha_admin.get(f"/settings/webhooks/{subscription.pk}/")
    assert "INTERNAL-ONLY" not in page.content.decode()


def _attempt_error(url: str, in_tenant: Any, tenant: Any) -> tuple[Attempt, float]:
    with in_tenant(tenant):
        subscription, _secret = subscription_create(url=url, events=["partner.updated"])
        webhook_emit(event="partner.updated", data={"ref": "x"})
        delivery = Delivery.objects.get(subscription=subscription)
        started = time.monotonic()
        delivery_attempt(delivery=delivery)
        took = time.monotonic() - started
        return Attempt.objects.get(delivery=delivery), took


def test_a_closed_port_reads_connection_failed_without_detail(
    in_tenant: Any, tenant_a: Any
) -> None:
    # given a loopback port nobody listens on (allowed by the test settings)
    probe = Listener("127.0.0.1")
    port = probe.port
    probe.close()
    attempt, _took = _attempt_error(f"http://127.0.0.1:{port}/x", in_tenant, tenant_a)
    assert (attempt.status_code, attempt.error) == (None, "connection failed")


def test_a_silent_or_trickling_receiver_reads_timed_out_within_the_timeout(
    settings: Any, in_tenant: Any, tenant_a: Any, listener_factory: Any
) -> None:
    # given receivers that accept and never answer, or answer (or shake hands) a byte
    # every 0.2 s
    settings.PRM_WEBHOOK_TIMEOUT = 1.0
    silent = listener_factory()
    trickling = listener_factory(send=b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 99, trickle=True)
    # (a TLS record header announcing 80 bytes, then the bytes, slowly)
    slow_tls = listener_factory(send=b"\x16\x03\x03\x00\x50" + b"\x02" * 80, trickle=True)
    for scheme, listener in (("http", silent), ("http", trickling), ("https", slow_tls)):
        url = f"{scheme}://127.0.0.1:{listener.port}/x"
        attempt, took = _attempt_error(url, in_tenant, tenant_a)
        # then the try is cut at the timeout and logged as timed out
        assert (attempt.status_code, attempt.error) == (None, "timed out")
        assert took < 2.5
        assert listener.connections == 1


def test_a_garbled_answer_or_a_non_tls_receiver_reads_as_a_category(
    in_tenant: Any, tenant_a: Any, receiver_on: Any, listener_factory: Any
) -> None:
    # given a listener that answers garbage, and a plain-http receiver given as https
    garbage = listener_factory(send=b"SSH-2.0-OpenSSH_9.6\r\n")
    plain = receiver_on("127.0.0.1")
    garbled, _took = _attempt_error(f"http://127.0.0.1:{garbage.port}/x", in_tenant, tenant_a)
    not_tls, _took = _attempt_error(f"https://127.0.0.1:{plain.port}/x", in_tenant, tenant_a)
    assert (garbled.status_code, garbled.error) == (None, "invalid HTTP answer")
    assert (not_tls.status_code, not_tls.error) == (None, "TLS error")


# --- https: the certificate and SNI are checked for the URL's name, on the pinned address


@pytest.fixture
def tls_receiver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An https receiver on 127.0.0.1 with a certificate for hooks.receiver-erp.com from
    a CA of this test only (trusted through SSL_CERT_FILE), recording the SNI names."""
    import ssl
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)

    ca = ["-subj", "/CN=Test CA", "-keyout", "ca.key", "-out", "ca.pem"]
    ca_use = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign"]
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", *ca, *ca_use)
    name = ["-subj", "/CN=hooks.receiver-erp.com", "-keyout", "server.key", "-out", "server.csr"]
    openssl("req", "-newkey", "rsa:2048", "-nodes", *name)
    (tmp_path / "san.ext").write_text("subjectAltName=DNS:hooks.receiver-erp.com\n")
    signed = ["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-extfile", "san.ext"]
    openssl("x509", "-req", "-in", "server.csr", "-days", "2", "-out", "server.pem", *signed)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    received: list[dict[str, Any]] = []
    server_names: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"host": self.headers["Host"]})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"port": server.server_address[1], "received": received, "sni": server_names}
    finally:
        server.shutdown()
        server.server_close()


def test_https_is_verified_for_the_name_while_connecting_to_the_checked_address(
    tls_receiver: Any, webhook_dns: Answers, in_tenant: Any, tenant_a: Any, settings: Any
) -> None:
    # given https only, and the receiver's name resolving to it (loopback, allowed here)
    settings.PRM_WEBHOOK_ALLOW_HTTP = False
    port = tls_receiver["port"]
    webhook_dns.set("hooks.receiver-erp.com", A=["127.0.0.1"])
    webhook_dns.set("other-name.com", A=["127.0.0.1"])
    # when it is delivered to by its name, and by another name on the same address
    good, _took = _attempt_error(f"https://hooks.receiver-erp.com:{port}/x", in_tenant, tenant_a)
    wrong, _took = _attempt_error(f"https://other-name.com:{port}/x", in_tenant, tenant_a)
    # then the first is delivered with the name in SNI and Host; the second fails as TLS
    assert (good.status_code, good.error) == (204, "")
    assert tls_receiver["received"] == [{"host": f"hooks.receiver-erp.com:{port}"}]
    assert tls_receiver["sni"][0] == "hooks.receiver-erp.com"
    assert (wrong.status_code, wrong.error) == (None, "TLS error")
