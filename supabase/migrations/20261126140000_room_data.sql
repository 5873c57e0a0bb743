-- The room's three tables, as docs/data.md defines them, and what Realtime needs to stream
-- their changes (postgres_changes): REPLICA IDENTITY FULL and the supabase_realtime publication.
-- Safe to run again: every statement skips what is already there.

create table if not exists public.rooms (
  room_id text primary key check (char_length(room_id) between 1 and 64),
  host_user_id text,
  -- "< 'infinity'" also refuses NaN, which PostgreSQL sorts above every number.
  "current_time" float8 not null default 0
    check ("current_time" >= 0 and "current_time" < 'infinity'),
  is_playing bool not null default false,
  media_url text,
  anime_id text,
  episode_number int4,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table if not exists public.room_members (
  id uuid primary key default gen_random_uuid(),
  room_id text not null references public.rooms (room_id) on delete cascade,
  user_id text not null,
  username text not null check (char_length(username) between 1 and 64),
  avatar_url text,
  is_host bool not null default false,
  is_synced bool not null default true,
  "current_time" float8 not null default 0,
  last_heartbeat timestamptz not null default now(),
  joined_at timestamptz not null default now(),
  unique (room_id, user_id)
);

create table if not exists public.comments (
  -- The client generates the id, so a retried insert (on conflict (id) do nothing) is stored once.
  id uuid primary key default gen_random_uuid(),
  seq int8 generated always as identity,
  anime_id text,
  room_id text not null references public.rooms (room_id) on delete cascade,
  episode_number int4,
  parent_id uuid references public.comments (id) on delete set null,
  user_id text not null,
  username text not null check (char_length(username) between 1 and 64),
  avatar_url text,
  message text not null check (char_length(message) between 1 and 2000),
  video_timestamp float8 check (video_timestamp >= 0 and video_timestamp < 'infinity'),
  is_anchor bool not null default false,
  is_system_message bool not null default false,
  created_at timestamptz not null default now()
);

-- The comment window pages back by seq within a room.
create index if not exists comments_room_id_seq_idx on public.comments (room_id, seq desc);

-- Whole rows in the WAL, so UPDATE and DELETE frames carry the full old_record and
-- DELETE filters on room_id work.
alter table public.rooms replica identity full;
alter table public.room_members replica identity full;
alter table public.comments replica identity full;

-- A Supabase project ships the (empty) supabase_realtime publication; a bare PostgreSQL
-- does not.
do $$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;

-- "alter publication ... add table" fails on a table already published (or on a publication
-- FOR ALL TABLES, which publishes these already), so add only what is missing.
do $$
declare
  table_name text;
begin
  foreach table_name in array array['rooms', 'room_members', 'comments'] loop
    if not exists (
      select from pg_catalog.pg_publication_tables p
      where p.pubname = 'supabase_realtime' and p.schemaname = 'public' and p.tablename = table_name
    ) then
      execute format('alter publication supabase_realtime add table public.%I', table_name);
    end if;
  end loop;
end
$$;
