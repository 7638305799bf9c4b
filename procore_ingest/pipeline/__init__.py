"""What runs the data path: the run context, building documents (in worker processes too), ingestion, the sync cycle, the daemon, the status reader."""
