"""The room tables of docs/data.md in SQLite: schema, values, filters, the store."""
