"""Helpers of the Streamlit chat (``app.py``).

Pure modules (no Streamlit import, unit-testable): ``html`` (escaped, highlighted HTML),
``corpus`` (saving uploads, filter options), ``answering`` (the bridge to ``retrieval.answer``).
Streamlit modules: ``views`` (messages, sources, dialogs) and ``sidebar``.
"""
