"""Where documents go: the sink protocol (`sink`), Vespa's document API (`http`), JSONL feed
files (`feedfile`), `targets.open_sink` for a URL, and Vespa's text rules (`text`)."""
