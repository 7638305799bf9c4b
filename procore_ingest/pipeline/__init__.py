"""What runs the data path: the run context, ingestion, the sync cycle, the daemon, the status reader."""
