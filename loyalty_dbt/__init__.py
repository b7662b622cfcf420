"""Python that dbt itself loads or runs before it (not the ML package): the dbt-duckdb plugins
that hand the PII key to each DuckDB connection without it ever entering SQL text (`pii_key`)
and keep the warehouse and dbt's artifacts owner-only (`owner_only`), and the seed CSV check
that names a bad file and line before dbt reads it (`check_seeds`)."""
