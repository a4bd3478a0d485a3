"""The drafting pipeline: intake of a remiss → retrieval → draft → verification."""
