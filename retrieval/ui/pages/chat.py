"""Page script: the chat (app.py's navigation runs it)."""

from retrieval.ui.chat import main
from retrieval.ui.state import guarded, page_context

guarded(main, *page_context())
