"""Markdown as people type it in a reply or a tier's terms: a list right under a line
of text is a list (CommonMark reads it so; Python-Markdown alone wanted an empty line
first and ran the items into the paragraph, "price list: - routers - switches")."""

from __future__ import annotations

from prm.web.markdown import markdown_to_html
from slas.templatetags.sla_markdown import render_markdown


def test_a_list_right_under_a_line_of_text_is_a_list() -> None:
    # given a reply typed without an empty line before its list
    text = "Here is the **2027** price list:\n- routers\n- switches"

    # when it is rendered, as a message (SLA renderer) and as programme terms
    for html in (render_markdown(text), markdown_to_html(text)):
        # then the line is a paragraph and the items are a list of their own
        assert "<p>Here is the <strong>2027</strong> price list:</p>" in html
        assert "<ul>\n<li>routers</li>\n<li>switches</li>\n</ul>" in html


def test_a_numbered_list_under_text_is_one_and_code_stays_code() -> None:
    # given a numbered list under a line, and a dash inside a code fence
    text = "Steps:\n1. sign in\n2. open Orders\n\n```\nnotes\n- not a list\n```"

    # when it is rendered
    html = render_markdown(text)

    # then the steps are an ordered list and the fenced lines are code as typed
    assert "<p>Steps:</p>\n<ol>\n<li>sign in</li>\n<li>open Orders</li>\n</ol>" in html
    assert "<pre><code>notes\n- not a list\n</code></pre>" in html


def test_items_of_a_list_stay_one_list() -> None:
    # given a list whose first item goes on over a second line
    text = "- one\n  more of one\n- two"

    # when it is rendered
    html = markdown_to_html(text)

    # then it is one tight list of two items (no empty lines put between them)
    assert html == "<ul>\n<li>one\n  more of one</li>\n<li>two</li>\n</ul>"
