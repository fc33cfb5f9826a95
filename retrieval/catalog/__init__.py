"""The document catalogue: documents as first-class records (metadata, year, province, links)."""
