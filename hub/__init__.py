"""The embedded hub: a local server speaking the Supabase Realtime protocol."""
