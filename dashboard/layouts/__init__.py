"""Layout builders: one module per page; each returns Dash components and holds no logic."""
