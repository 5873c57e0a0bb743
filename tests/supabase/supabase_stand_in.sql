-- The parts of a Supabase project that supabase/migrations relies on, for a bare PostgreSQL:
-- the API roles and the default privileges a project gives them, auth.uid() and friends
-- reading the request's JWT claims as PostgREST sets them, and a realtime.send that records
-- what it would broadcast. Modelled on supabase/postgres's init scripts and the auth and
-- realtime schemas; only what the tests need.

create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit;
grant anon, authenticated, service_role to authenticator;

grant usage on schema public to anon, authenticated, service_role;
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;

-- auth ---------------------------------------------------------------------------------------

create schema auth;
grant usage on schema auth to anon, authenticated, service_role;

create table auth.users (
  id uuid primary key,
  role text,
  is_anonymous bool not null default false,
  created_at timestamptz not null default now()
);

-- PostgREST runs each request as: set local role <role>;
-- select set_config('request.jwt.claims', '<the JWT's claims as JSON>', true)
create function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

create function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

-- realtime -----------------------------------------------------------------------------------

create schema realtime;
grant usage on schema realtime to anon, authenticated, service_role;

create table realtime.messages (
  id uuid primary key default gen_random_uuid(),
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private bool not null default true,
  inserted_at timestamptz not null default clock_timestamp()
);
alter table realtime.messages enable row level security;

-- The real one inserts the same row (Realtime fans it out from the WAL) and turns errors
-- into warnings; this one lets them raise, so a test sees them.
create function realtime.send(payload jsonb, event text, topic text, private bool default true)
returns void
language plpgsql
as $$
begin
  execute format('set local realtime.topic to %L', topic);
  insert into realtime.messages (payload, event, topic, private, extension)
  values (payload, event, topic, private, 'broadcast');
end
$$;

-- A project ships the publication, empty.
create publication supabase_realtime;
