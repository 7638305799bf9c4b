"""Rows -> documents, pure: lossless value rendering, content text, record and schema documents."""
