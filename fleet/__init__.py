"""Fleet patch compliance: inventories, scans, policy, scores, history, exports.

Qt-free; never imports remote or tickets (desktop joins them).
"""
