"""Page script: administration (server mode, administrators only; app.py's navigation runs it)."""

from retrieval.ui.admin import main
from retrieval.ui.state import guarded, page_context

settings, _, _ = page_context()  # logs in first (the page stops at the login form until then)
guarded(main, settings)
