"""Reports: the briefings people read on paper (town and scenario, ward, options), drawn with
matplotlib from the core's results. Above the core and the view-state codec; nothing in the
core imports them (tests/test_layers.py)."""
