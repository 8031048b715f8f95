"""Glossary: every term the pages use, explained in plain language (content/glossary.md)."""

import streamlit as st

from app_pages import teaching

st.title("Glossary")
st.caption("The words GenreLab's pages use. Each page also explains its own under \"Words on this page\".")
for term, (_, explanation) in teaching.glossary().items():
    st.subheader(term)
    st.markdown(explanation)
