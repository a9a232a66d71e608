"""Fleet patch compliance: inventories, scans, policy and scores, history, exports (Qt-free; never imports remote or tickets)."""
