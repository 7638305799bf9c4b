"""Where documents go: the sink protocol, Vespa over HTTP, JSONL feed files, Vespa's text rules."""
