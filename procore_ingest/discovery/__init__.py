"""Schema discovery: catalog queries, relationship inference, file-reference detection, reports."""
