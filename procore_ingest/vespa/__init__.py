"""Where documents go: the sink protocol (`sink`), Vespa's document API (`http`, feeding
through the streaming client in `feed/` with the adaptive in-flight limit of `throttle`), JSONL
feed files (`feedfile`), `targets.open_sink` for a URL, and Vespa's text rules (`text`)."""
