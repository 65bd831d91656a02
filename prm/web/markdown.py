"""Markdown that staff write (SLA policies, programme terms), as HTML safe to show to
anyone: rendered with Python-Markdown, then sanitised with nh3 (an allow-list of tags
and attributes; scripts, styles and event handlers dropped; links given
rel="noopener noreferrer").

Images are shown only from the tenant's own host: a root-relative path such as
"/media/logo.png". Any other image (another host, a protocol-relative "//host/x",
a data: URL) would be fetched by every partner user's browser that opens the page,
which tells its owner who read what and when (a tracking pixel), so it is not
loaded: Markdown's `![text](url)` becomes a plain link to it, and an <img> written as
HTML loses its src. The Content-Security-Policy's img-src (prm/settings/base.py)
refuses other hosts as well; this keeps the pages from asking.

A list may start right under a line of text ("Benefits:" then "- a", "- b"), as people
type it and as CommonMark reads it; Python-Markdown alone wants an empty line first
and ran the items into the paragraph ("Benefits: - a - b").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Sequence
from typing import Any

import markdown
import nh3
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor


def is_own_image(src: str) -> bool:
    """A path on the page's own host: starts with one "/", and nothing a browser would
    read as another host ("//host", "/\\host", or those with a tab or newline in
    between, which URL parsers drop) or as a scheme."""
    if not src.startswith("/") or src.startswith("//"):
        return False
    return not any(character == "\\" or ord(character) <= 0x20 for character in src)


class _ForeignImagesToLinks(Treeprocessor):
    """`![text](https://elsewhere/x.png)` becomes a link "text" to that address (or the
    bare text inside a link), so the reader can still choose to open it."""

    def run(self, root: etree.Element) -> None:
        for parent in root.iter():
            for index, child in enumerate(list(parent)):
                if child.tag != "img" or is_own_image(child.get("src", "")):
                    continue
                src = child.get("src", "")
                text = child.get("alt") or child.get("title") or src
                if parent.tag == "a" or not src:
                    replacement = etree.Element("span")
                else:
                    replacement = etree.Element("a", {"href": src})
                replacement.text = text
                replacement.tail = child.tail
                parent[index] = replacement


class OwnImagesOnly(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After "inline" (priority 20), which turns ![...](...) into <img>.
        md.treeprocessors.register(_ForeignImagesToLinks(md), "prm_own_images_only", 5)


_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)]) +\S")
_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")


class _ListsAfterText(Preprocessor):
    """An empty line before a list item that follows a line of text (outside code
    fences and lists), so the items are a list, not words of the paragraph."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        in_fence = in_list = False
        for line in lines:
            if _FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence:
                if not line.strip():
                    in_list = False
                elif _LIST_ITEM.match(line):
                    if out and out[-1].strip() and not in_list:
                        out.append("")
                    in_list = True
            out.append(line)
        return out


class ListsAfterText(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Before the block parser, after whitespace is normalised (priority 30).
        md.preprocessors.register(_ListsAfterText(md), "prm_lists_after_text", 28)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not is_own_image(value):
        return None
    return value


def sanitise_html(html: str) -> str:
    return nh3.clean(html, attribute_filter=_attribute_filter)


def markdown_to_html(
    text: str,
    *,
    extensions: Sequence[str | Extension] = (),
    extension_configs: dict[str, dict[str, Any]] | None = None,
) -> str:
    """`text` rendered and sanitised; "" for no text."""
    if not text:
        return ""
    html = markdown.markdown(
        text,
        extensions=[*extensions, ListsAfterText(), OwnImagesOnly()],
        extension_configs=extension_configs or {},
    )
    return sanitise_html(html)
