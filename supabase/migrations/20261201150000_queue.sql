-- The room's queue (docs/data.md, "queue_items"): the table, the columns that tie the room
-- and its comments to an item, what Realtime needs to stream it, and its rules: members read
-- their room's queue, only the room's host writes it. Needs the two migrations before it
-- (the tables, and watchparty_private.is_room_member / is_room_host). Safe to run again.

create table if not exists public.queue_items (
  -- The host's client generates the id, so a retried insert is stored once.
  id uuid primary key default gen_random_uuid(),
  room_id text not null references public.rooms (room_id) on delete cascade,
  "position" float8 not null default 0,
  source text not null check (char_length(source) between 1 and 2048),
  title text check (char_length(title) <= 512),
  duration float8 check (duration >= 0 and duration < 'infinity'),
  anime_id text,
  episode_number int4,
  added_by text not null,
  created_at timestamptz not null default now()
);

create index if not exists queue_items_room_id_position_idx
  on public.queue_items (room_id, "position");

-- No foreign key on purpose: removing the item that plays leaves the room on it.
alter table public.rooms add column if not exists current_item_id uuid;
alter table public.comments add column if not exists item_id uuid;

-- The column grant of 20261126140100_room_access.sql names every column a client may insert.
grant insert (item_id) on table public.comments to authenticated;

alter table public.queue_items replica identity full;

do $$
begin
  if not exists (
    select from pg_catalog.pg_publication_tables p
    where p.pubname = 'supabase_realtime' and p.schemaname = 'public'
      and p.tablename = 'queue_items'
  ) and not exists (
    select from pg_catalog.pg_publication p where p.pubname = 'supabase_realtime' and p.puballtables
  ) then
    alter publication supabase_realtime add table public.queue_items;
  end if;
end
$$;

revoke all on table public.queue_items from anon, authenticated;
grant all on table public.queue_items to service_role;
grant select, insert, update, delete on table public.queue_items to authenticated;

alter table public.queue_items enable row level security;

drop policy if exists "members read the queue" on public.queue_items;
create policy "members read the queue" on public.queue_items
  for select to authenticated
  using (watchparty_private.is_room_member(room_id, (select auth.uid())::text));

-- Only the room's host adds, moves or removes items; another member's insert is refused
-- (42501), its update or delete matches no row.
drop policy if exists "the host adds to the queue" on public.queue_items;
create policy "the host adds to the queue" on public.queue_items
  for insert to authenticated
  with check (watchparty_private.is_room_host(room_id, (select auth.uid())::text));

drop policy if exists "the host changes the queue" on public.queue_items;
create policy "the host changes the queue" on public.queue_items
  for update to authenticated
  using (watchparty_private.is_room_host(room_id, (select auth.uid())::text))
  with check (watchparty_private.is_room_host(room_id, (select auth.uid())::text));

drop policy if exists "the host removes from the queue" on public.queue_items;
create policy "the host removes from the queue" on public.queue_items
  for delete to authenticated
  using (watchparty_private.is_room_host(room_id, (select auth.uid())::text));
