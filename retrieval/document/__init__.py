"""Document-level rules shared by indexing and answering (no heavy imports here)."""
