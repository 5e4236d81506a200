"""Benchmarks for Needs Map: ``python -m benchmarks`` runs them all and prints the table.

Speed and memory goals are measured here, never in timed unit tests. Each section
returns rows of (measure, value, goal, met) for the README table.
"""
