"""User text (run names, uploaded file and folder names) shown as the characters it is: never Markdown, HTML or a link.

Streamlit reads Markdown in headings, captions, alert boxes, spinners, widget and metric labels, toasts and
``st.table`` cells: a run renamed ``![p](http://host/x.png)`` would make every visitor's browser fetch that image.
Every piece of user text goes through :func:`as_markdown` before it joins Markdown, so it shows as typed and
fetches nothing. (HTML reports escape with :func:`html.escape`; charts show runs by their short keys.)
"""

from __future__ import annotations

import re

_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
_MARKDOWN = re.compile(r"[\\`*\[\]{}<>#|~$]|:(?=\S)|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])")
"""What starts Markdown, Streamlit's extensions (``:red[…]``, ``:material/…:``, ``$…$``) or an HTML entity:
backslash-escaped, which Markdown shows as the character itself. Harmless text stays as it is, so names read the
same in the page's source: a colon before a space, ``&`` in ``R&B``, an underscore inside a word (``hidden_size``)."""
_AUTOLINK = re.compile(r"(?=://)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
"""Where GitHub-flavoured Markdown turns plain text into a link (``http://``, ``www.``, ``a@b.c``). It finds them
in the text after escapes are undone, so an invisible word joiner (U+2060) goes there instead."""
WORD_JOINER = "\u2060"


def as_markdown(text: str) -> str:
    """``text`` escaped to appear literally inside Streamlit Markdown (with invisible word joiners where it would
    become a link); line breaks become spaces."""
    text = _AUTOLINK.sub(WORD_JOINER, _LINE_BREAKS.sub(" ", str(text)))
    return _MARKDOWN.sub(lambda m: "\\" + m.group(0), text)
