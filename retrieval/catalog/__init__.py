"""The catalogue of indexed documents (``tracuu docs``)."""
