"""The document catalogue: documents as first-class records (metadata, year, province, links, series);
``tracuu docs`` prints it."""
