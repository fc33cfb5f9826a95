"""Page script: the document browser (app.py's navigation runs it)."""

from retrieval.ui.browser import main
from retrieval.ui.state import guarded, page_context

guarded(main, *page_context())
