"""The pages' teaching text, kept in ``app_pages/content/<page>.md`` beside them, and the glossary.

A content file holds one section per block of text, each opened by a line ``<!-- name -->``. A section may cite
a measured figure as ``{fig:KEY}`` (filled from ``bench/results.json`` by :func:`core.base.measured.fill`,
its provenance in a details expander) and a page's value as ``{name}``. A section ``words`` that a page never
shows names the terms it uses outside its content (for :func:`words_popover`). ``content/glossary.md`` explains the
terms a student meets (``## Term`` headings, ``<!-- matches: a | b -->`` naming how pages write it).
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from core.base import measured

CONTENT = Path(__file__).resolve().parent / "content"
SECTION = re.compile(r"^<!-- (\w+) -->\n", re.M)
VALUE = re.compile(r"\{(\w+)\}")


@st.cache_data(show_spinner=False)
def sections(page: str) -> dict[str, str]:
    """Section name → text of ``content/<page>.md``."""
    parts = SECTION.split((CONTENT / f"{page}.md").read_text(encoding="utf-8"))
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2])}


def text(page: str, name: str, **values) -> tuple[str, list[measured.Figure]]:
    """Section ``name`` of ``page``'s content with its figures and ``values`` filled in, and the figures used; a
    figure bench/results.json does not hold (missing, unreadable, or without it) reads 'not measured yet'."""
    filled, figures = measured.fill(sections(page)[name], missing="(not measured yet)")
    return VALUE.sub(lambda m: str(values[m[1]]), filled), figures


def show(page: str, name: str, draw=st.markdown, **values) -> None:
    """Draw a section with ``draw`` (``st.markdown``, ``st.caption``, ``st.info``…); the figures it quotes get a
    details expander saying what each was measured on."""
    body, figures = text(page, name, **values)
    draw(body)
    if figures:
        with st.expander("Where these figures come from"):
            for fig in figures:
                st.caption(f"{fig.text()}: {measured.provenance(fig)} (`{fig.key}` in bench/results.json).")


@st.cache_data(show_spinner=False)
def glossary() -> dict[str, tuple[tuple[str, ...], str]]:
    """Term → (the ways pages write it, its explanation), from ``content/glossary.md``."""
    entries = {}
    for block in re.split(r"^## ", (CONTENT / "glossary.md").read_text(encoding="utf-8"), flags=re.M)[1:]:
        term, _, rest = block.partition("\n")
        found = re.match(r"<!-- matches: (.+?) -->\n", rest)
        spellings = tuple(s.strip() for s in found[1].split("|")) if found else (term.strip(),)
        entries[term.strip()] = (spellings, rest[found.end():].strip() if found else rest.strip())
    return entries


def terms_in(words: str) -> list[str]:
    """The glossary's terms that ``words`` uses (any of their spellings at the start of a word, case aside), in
    glossary order."""
    return [term for term, (spellings, _) in glossary().items()
            if any(re.search(r"(?<!\w)" + re.escape(s), words, re.IGNORECASE) for s in spellings)]


def words_popover(page: str) -> None:
    """A 'Words on this page' popover explaining every glossary term the page's content uses."""
    used = terms_in((CONTENT / f"{page}.md").read_text(encoding="utf-8"))
    if not used:
        return
    with st.popover("Words on this page", icon=":material/menu_book:"):
        for term in used:
            st.markdown(f"**{term}**: {glossary()[term][1]}")
        st.page_link("app_pages/glossary.py", label="The whole glossary", icon=":material/menu_book:")
