"""The OpenAPI document (/api/schema/) and its Swagger UI page (/api/docs/).

Both are public. Generating the document takes 0.2-0.6 s of CPU and writing it as YAML
another 0.4 s, yet it is the same for every caller and every tenant: it is generated
without the caller's request (so neither the user nor the host can change it) and
kept, written out, in the process, one copy per language, API version and format.
Anonymous callers are rate-limited per address on top (a version or language they
make up costs a generation).

The docs page is drf-spectacular's "split" Swagger UI: its set-up script comes from
its own URL instead of an inline <script>, and its page styles from swagger-ui-dist's
index.css instead of an inline <style>, so it runs under the site's
Content-Security-Policy like every other page. Swagger UI itself is served from our
static files (npm's swagger-ui-dist), never from a CDN.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request

from .renderers import JSONRenderer
from .throttling import AnonymousRateThrottle, ApiKeyRateThrottle, SessionUserRateThrottle

# Documents kept per process, and each written out per format; a handful covers every
# real use (one language, one version, YAML and JSON), and the bound keeps made-up
# ?lang= or ?version= values from filling the memory.
SCHEMA_CACHE_SIZE = 8

_documents: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_written: OrderedDict[tuple[str, str, str], tuple[bytes, str]] = OrderedDict()
_lock = threading.Lock()


def schema_cache_clear() -> None:
    """Forget every kept document (tests; a deployment restarts the processes)."""
    with _lock:
        _documents.clear()
        _written.clear()


def _kept(cache: OrderedDict[Any, Any], key: Any) -> Any:
    with _lock:
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
        return value


def _keep(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    with _lock:
        cache[key] = value
        while len(cache) > SCHEMA_CACHE_SIZE:
            cache.popitem(last=False)


class SchemaView(SpectacularAPIView):
    permission_classes = [AllowAny]
    throttle_classes = [ApiKeyRateThrottle, SessionUserRateThrottle, AnonymousRateThrottle]

    def _get_schema_response(self, request: Request) -> HttpResponse:
        version = self.api_version or request.version or self._get_version_parameter(request)
        renderer = request.accepted_renderer
        document_key = (translation.get_language() or "", str(version or ""))
        written_key = (*document_key, renderer.media_type)
        written = _kept(_written, written_key)
        if written is None:
            document = _kept(_documents, document_key)
            if document is None:
                generator = self.generator_class(
                    urlconf=self.urlconf, api_version=version, patterns=self.patterns
                )
                # No request: the document must not depend on who asks, or on which host.
                document = generator.get_schema(request=None, public=self.serve_public)
                _keep(_documents, document_key, document)
            content = renderer.render(document, renderer_context=self.get_renderer_context())
            charset = getattr(renderer, "charset", None)
            content_type = (
                f"{renderer.media_type}; charset={charset}" if charset else renderer.media_type
            )
            written = (content, content_type)
            _keep(_written, written_key, written)
        content, content_type = written
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            f'inline; filename="{self._get_filename(request, version)}"'
        )
        return response

    def handle_exception(self, exc: Exception) -> Any:
        # Errors (429 above all) in the API's one JSON shape, not as an OpenAPI document.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class DocsView(SpectacularSwaggerSplitView):
    permission_classes = [AllowAny]
    template_name = "api/swagger_ui.html"

    @extend_schema(exclude=True)  # a page, not an operation (as drf-spectacular's own get)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        # The set-up script's URL is this page's path alone: drf-spectacular would
        # otherwise write the caller's whole query string back into the page.
        self.url_self = request.path
        return super().get(request, *args, **kwargs)
