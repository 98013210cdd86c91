"""
Results: adding up the answers in SQL (selectors.py) with their statistics
(stats.py), publishing them as frozen snapshots (services.py, whose shape
snapshot.py declares), and the public pages, charts and exports that read
those snapshots (views.py, charts.py), cached as cache.py says.
"""
