-- rpc("broadcast_room_event", {p_room_id, p_event_type, p_payload}): a broadcast on the room's
-- public channel room:{p_room_id}, sent by the database, for members of that room only.
-- Safe to run again.

create or replace function public.broadcast_room_event(
  p_room_id text,
  p_event_type text,
  p_payload jsonb
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller text := (select auth.uid())::text;
begin
  if caller is null or not watchparty_private.is_room_member(p_room_id, caller) then
    raise exception 'broadcast_room_event: you are not a member of room %', p_room_id
      using errcode = '42501',
            hint = 'Join the room (insert your room_members row) before broadcasting to it.';
  end if;
  if p_event_type is null or char_length(p_event_type) not between 1 and 64 then
    raise exception 'broadcast_room_event: the event type must be 1 to 64 characters'
      using errcode = '22023';
  end if;
  -- Realtime clients (realtime-py among them) drop broadcasts whose payload is not an object.
  if p_payload is null or jsonb_typeof(p_payload) <> 'object' then
    raise exception 'broadcast_room_event: the payload must be a JSON object'
      using errcode = '22023';
  end if;
  -- The payload speaks for its sender: a user_id in it must be the caller's own.
  if p_payload ? 'user_id' and p_payload ->> 'user_id' is distinct from caller then
    raise exception 'broadcast_room_event: the payload''s user_id must be your own'
      using errcode = '42501';
  end if;
  -- private = false: the room's channel is public (the client joins with private: false).
  perform realtime.send(p_payload, p_event_type, 'room:' || p_room_id, false);
end
$$;

-- Functions are executable by PUBLIC, and a Supabase project also grants new public functions
-- to anon by default: only signed-in users may call this one.
revoke all on function public.broadcast_room_event(text, text, jsonb) from public, anon;
grant execute on function public.broadcast_room_event(text, text, jsonb) to authenticated;
