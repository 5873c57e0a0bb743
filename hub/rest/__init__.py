"""The PostgREST subset of docs/data.md under /rest/v1, as postgrest-py calls it."""
