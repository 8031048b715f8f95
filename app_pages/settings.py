"""Settings a page reads from widgets and keeps in the URL: a preset, hyperparameters and a seed.

A shared link (``?preset=…&epochs=5``) opens a page with the same settings; every change from the preset is marked.
"""

from __future__ import annotations

import streamlit as st

from core.base import config, form
from core.base.usertext import as_markdown


def query_default(key: str, options: list[str], fallback: str) -> str:
    """A widget default taken from the URL (shared links) when it names a valid option."""
    value = st.query_params.get(key)
    return value if value in options else fallback


def config_from_url(cfg):
    """``cfg`` with the fields a shared link sets (``?epochs=5&lr=0.001``); a bad value is ignored with a warning."""
    names = {f.name for f in config.fields(cfg)}
    shared = {k: v for k, v in st.query_params.items() if k in names}
    try:
        return config.with_overrides(cfg, shared)
    except config.ConfigError as err:
        st.warning(f"Ignoring the settings in this link: {as_markdown(str(err))}")
        return cfg


def config_to_url(cfg, default) -> None:
    """Put the fields that differ from ``default`` into the URL, so the link reproduces the settings."""
    for f in config.fields(cfg):
        if getattr(cfg, f.name) != getattr(default, f.name):
            st.query_params[f.name] = str(getattr(cfg, f.name))
        elif f.name in st.query_params:
            del st.query_params[f.name]


def field_widget(cfg, name: str, key: str):
    """One widget for config field ``name``, as :func:`core.base.form.widget` describes it."""
    w, value, wkey = form.widget(cfg, name), getattr(cfg, name), f"{key}-{name}"
    if w.kind == "select":
        return st.selectbox(w.label, w.options, index=w.options.index(value), help=w.help, key=wkey)
    if w.kind == "checkbox":
        return st.checkbox(w.label, value, help=w.help, key=wkey)
    if w.kind == "steps":
        return st.select_slider(w.label, w.options, value, format_func=form.plain, help=w.help, key=wkey)
    kind = type(value)
    draw = st.number_input if w.kind == "number" else st.slider
    return draw(w.label, kind(w.lo), kind(w.hi), value, step=kind(w.step), format=w.fmt, help=w.help, key=wkey)


def config_widgets(cfg, key: str, skip: tuple[str, ...] = ("seed",), preset=None):
    """Widgets for the config's fields in three columns (data and framing / model / optimisation); returns the
    edited config.

    Fields that do not apply to the chosen framing or model are not shown (:func:`core.base.form.groups`);
    with ``preset`` each field that differs from it is marked with its preset value.
    """
    values: dict = {}
    groups = form.groups(cfg, skip)
    for column, title in zip(st.columns(len(groups)), groups):
        column.markdown(f"**{title}**")
        with column:
            for name in groups[title]:
                if not form.applies(config.with_overrides(cfg, values), name):
                    continue  # e.g. first frames after the framing was switched to segments
                was = getattr(preset, name) if preset is not None else None
                values[name] = field_widget(cfg, name, key)
                if preset is not None and values[name] != was:
                    st.caption(f":orange[● changed: preset {form.plain(was)}]")
    return config.with_overrides(cfg, values)


def _reset(default, key: str) -> None:
    """Back to the preset: forget every edited widget of form ``key`` and the settings in the URL."""
    for f in config.fields(default):
        st.session_state.pop(f"{key}-{f.name}", None)
        if f.name in st.query_params:
            del st.query_params[f.name]


def settings_form(default, key: str, skip: tuple[str, ...] = ()):
    """Hyperparameter widgets and a seed, starting from a shared link and written back into it.

    Every change from the preset ``default`` is marked and listed, and one button resets them all.
    """
    shared = config_from_url(default)
    with st.expander("Hyperparameters", expanded=bool(form.changes(shared, default))):
        cfg = config_widgets(shared, key=key, skip=("seed", *skip), preset=default)
    seed = st.number_input("Seed", 0, 2**31 - 1, int(shared.seed), key=f"{key}-seed",
                           help="Same seed, same data and settings: the same result.")
    cfg = config.with_overrides(cfg, {"seed": seed})
    changes = {k: v for k, v in form.changes(cfg, default).items() if k not in skip}
    if changes:
        left, right = st.columns([4, 1])
        left.caption("Changed from the preset: " + ", ".join(f"{form.label(cfg, k)} {form.plain(a)} → {form.plain(b)}"
                                                             for k, (a, b) in changes.items()))
        right.button("Reset to the preset", key=f"{key}-reset", on_click=_reset, args=(default, key))
    config_to_url(cfg, default)
    return cfg


def preset_picker(presets: dict, labels: dict[str, str], default: str, key: str) -> str:
    """A horizontal preset choice, defaulting to the link's ``?preset=`` and written back into it."""
    names = list(presets)
    name = st.radio("Preset", names, horizontal=True, key=key, format_func=labels.get,
                    index=names.index(query_default("preset", names, default)))
    st.query_params["preset"] = name
    return name
