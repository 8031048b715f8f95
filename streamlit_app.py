"""GenreLab: a browser lab for music-genre classification and GAN data augmentation.

Run with ``streamlit run streamlit_app.py``. This file only sets up navigation; each page lives
in ``pages/`` and calls :mod:`core`.
"""

import streamlit as st

st.set_page_config(page_title="GenreLab", page_icon="🎛️", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True, url_path="home"),
    st.Page("pages/dataset.py", title="Dataset", icon="🎵", url_path="dataset"),
    st.Page("pages/train.py", title="Train", icon="🏋️", url_path="train"),
    st.Page("pages/gan.py", title="GAN", icon="🧪", url_path="gan"),
    st.Page("pages/compare.py", title="Compare", icon="⚖️", url_path="compare"),
    st.Page("pages/predict.py", title="Predict", icon="🔮", url_path="predict"),
]

st.navigation(PAGES).run()
