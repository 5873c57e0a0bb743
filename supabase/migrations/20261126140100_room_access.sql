-- Who may read and write the room tables through the Data API (PostgREST) and, since Realtime
-- applies the select policies per subscriber, who receives their postgres_changes.
--
-- Identity is auth.uid()::text: Supabase's anonymous sign-in gives every client a uuid user,
-- and the app uses it as user_id. Anonymous users have the role `authenticated`; the role
-- `anon` (a request with only the project's anon key) gets nothing at all.
--
-- The room id is the shared secret, like the web client's link: whoever knows it may join,
-- and nobody can list rooms. Joining is inserting your own room_members row; from then on
-- you read the room, its members and its comments. Details in supabase/README.md.
-- Safe to run again.

-- Helpers for the policies, in a schema that the Data API does not expose (so they cannot
-- be called as /rpc/...). Security definer: they read room_members and rooms without RLS, so
-- a policy on room_members can ask about room_members without recursing into itself.
create schema if not exists watchparty_private;
grant usage on schema watchparty_private to authenticated;

create or replace function watchparty_private.is_room_member(p_room_id text, p_user_id text)
returns bool
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select from public.room_members m
    where m.room_id = p_room_id and m.user_id = p_user_id
  )
$$;

create or replace function watchparty_private.is_room_host(p_room_id text, p_user_id text)
returns bool
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select from public.rooms r
    where r.room_id = p_room_id and r.host_user_id = p_user_id
  )
$$;

-- A host that left (no member row) or stopped writing its row may be replaced. Members write
-- their row at least every 30 s; 90 s lets a live host miss two of those writes and keep
-- the role.
create or replace function watchparty_private.room_host_is_gone(
  p_room_id text,
  p_host_user_id text
)
returns bool
language sql
stable
security definer
set search_path = ''
as $$
  select not exists (
    select from public.room_members m
    where m.room_id = p_room_id
      and m.user_id = p_host_user_id
      and m.last_heartbeat > now() - interval '90 seconds'
  )
$$;

revoke all on function watchparty_private.is_room_member(text, text) from public;
revoke all on function watchparty_private.is_room_host(text, text) from public;
revoke all on function watchparty_private.room_host_is_gone(text, text) from public;
grant execute on function watchparty_private.is_room_member(text, text) to authenticated;
grant execute on function watchparty_private.is_room_host(text, text) to authenticated;
grant execute on function watchparty_private.room_host_is_gone(text, text) to authenticated;

-- last_heartbeat is the server's time of the member's latest write: a client clock that runs
-- slow cannot make a live host look gone, nor one set in the future keep a vanished host.
create or replace function watchparty_private.stamp_member_heartbeat()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.last_heartbeat := now();
  return new;
end
$$;

drop trigger if exists stamp_heartbeat on public.room_members;
create trigger stamp_heartbeat
  before insert or update on public.room_members
  for each row execute function watchparty_private.stamp_member_heartbeat();

-- Privileges. A Supabase project grants everything on new public tables to anon and
-- authenticated by default; take that back and give authenticated only what the app does.
-- RLS then narrows each statement to the rows below.
revoke all on table public.rooms, public.room_members, public.comments from anon, authenticated;
grant all on table public.rooms, public.room_members, public.comments to service_role;

grant select, insert, update on table public.rooms to authenticated;
grant select, insert, update, delete on table public.room_members to authenticated;
-- Comments are never updated or deleted by clients, and seq is the server's.
grant select on table public.comments to authenticated;
grant insert (
  id, anime_id, room_id, episode_number, parent_id, user_id, username, avatar_url, message,
  video_timestamp, is_anchor, is_system_message, created_at
) on table public.comments to authenticated;

alter table public.rooms enable row level security;
alter table public.room_members enable row level security;
alter table public.comments enable row level security;

-- rooms -------------------------------------------------------------------------------------

-- Joining starts with rooms.upsert({room_id}, on_conflict="room_id", ignore_duplicates), that
-- is INSERT ... ON CONFLICT (room_id) DO NOTHING, from someone who is not a member yet. For
-- that statement PostgreSQL checks the proposed row against the SELECT policy (the conflict
-- target is read), so the policy must admit the room the caller names, and only that one:
-- this trigger notes the id for the rest of the transaction (one Data API request). BEFORE
-- row triggers run before the policy checks.
create or replace function watchparty_private.note_named_room()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform set_config('watchparty.named_room', new.room_id, true);
  return new;
end
$$;

drop trigger if exists note_named_room on public.rooms;
create trigger note_named_room
  before insert on public.rooms
  for each row execute function watchparty_private.note_named_room();

-- Members read their room. So do its host, and whoever names it in an insert (above): you see
-- a room whose id you know, and cannot list the others.
drop policy if exists "members read their room" on public.rooms;
create policy "members read their room" on public.rooms
  for select to authenticated
  using (
    watchparty_private.is_room_member(room_id, (select auth.uid())::text)
    or host_user_id = (select auth.uid())::text
    or room_id = current_setting('watchparty.named_room', true)
  );

-- Anyone signed in may create a room (on conflict do nothing when it exists), hostless or
-- hosted by themselves.
drop policy if exists "signed-in users create rooms" on public.rooms;
create policy "signed-in users create rooms" on public.rooms
  for insert to authenticated
  with check (host_user_id is null or host_user_id = (select auth.uid())::text);

-- A member may write the room when they are its host, when it has no host, or when its host
-- is gone; the row they leave must name no host or a member. So a host hands over, a member
-- claims an empty room, and a room whose host vanished gets a new one.
drop policy if exists "the host updates the room" on public.rooms;
create policy "the host updates the room" on public.rooms
  for update to authenticated
  using (
    watchparty_private.is_room_member(room_id, (select auth.uid())::text)
    and (
      host_user_id is null
      or host_user_id = (select auth.uid())::text
      or watchparty_private.room_host_is_gone(room_id, host_user_id)
    )
  )
  with check (host_user_id is null or watchparty_private.is_room_member(room_id, host_user_id));

-- room_members ------------------------------------------------------------------------------

drop policy if exists "members read the room's members" on public.room_members;
create policy "members read the room's members" on public.room_members
  for select to authenticated
  using (
    user_id = (select auth.uid())::text
    or watchparty_private.is_room_member(room_id, (select auth.uid())::text)
  );

drop policy if exists "users add their own member row" on public.room_members;
create policy "users add their own member row" on public.room_members
  for insert to authenticated
  with check (user_id = (select auth.uid())::text);

drop policy if exists "members update their own row" on public.room_members;
create policy "members update their own row" on public.room_members
  for update to authenticated
  using (user_id = (select auth.uid())::text)
  with check (user_id = (select auth.uid())::text);

drop policy if exists "members delete their own row" on public.room_members;
create policy "members delete their own row" on public.room_members
  for delete to authenticated
  using (user_id = (select auth.uid())::text);

-- comments ----------------------------------------------------------------------------------

drop policy if exists "members read the room's comments" on public.comments;
create policy "members read the room's comments" on public.comments
  for select to authenticated
  using (watchparty_private.is_room_member(room_id, (select auth.uid())::text));

-- Members comment as themselves; only the room's host may post a system message (the feed
-- shows those as the room speaking, so they must not be anyone's to forge).
drop policy if exists "members comment as themselves" on public.comments;
create policy "members comment as themselves" on public.comments
  for insert to authenticated
  with check (
    user_id = (select auth.uid())::text
    and watchparty_private.is_room_member(room_id, (select auth.uid())::text)
    and (
      not is_system_message
      or watchparty_private.is_room_host(room_id, (select auth.uid())::text)
    )
  );
