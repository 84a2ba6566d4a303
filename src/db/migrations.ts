/**
 * The engine database's schema, one migration per change, applied in order at start (Kysely's migrator).
 * A migration that has run is never edited: change the schema with a new one.
 *
 * Each table carries the constraint that makes it safe when many workers write at once, instead of code
 * that checks first and writes after.
 */
import { sql, type Kysely, type Migration } from 'kysely';

/** Runs statements one at a time (a parameterised query may hold only one). */
async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

const quoted = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');
/** The fact kinds when the facts table was made (contracts/facts.ts FACT_KINDS has grown since: later kinds come with later migrations). */
const FIRST_FACT_KINDS = [
  'stage.entered',
  'stage.left',
  'milestone.reached',
  'milestone.missed',
  'touchpoint.done',
  'touchpoint.failed',
  'touchpoint.skipped',
  'touchpoint.unconfirmed',
  'meeting.attended',
  'meeting.no-show',
  'task.opened',
  'task.completed',
  'risk.marked',
  'goal.met',
  'goal.missed',
  'outcome.renewed',
  'outcome.churned',
  'migration',
];
const kinds = quoted(FIRST_FACT_KINDS);
/** Kinds of facts that steering and experiments added: a person paused, resumed or cancelled a journey; an arm assigned. */
const STEERING_FACT_KINDS = ['outcome.cancelled', 'journey.paused', 'journey.resumed', 'experiment.assigned'];
/** The scopes API keys had when their table was made (migrations stay as they ran: later scopes come with later ones). */
const FIRST_SCOPES = ['purchases:write', 'events:write', 'journeys:read', 'journeys:write', 'maps:write'];

export const migrations: Record<string, Migration> = {
  '0001-engine-tables': {
    up: (db) =>
      run(db, [
        'CREATE EXTENSION IF NOT EXISTS btree_gist',

        // One row per side effect (an email, a booking, a task notice): its idempotency key taken before the
        // side effect starts (intent), its result written when it is done.
        `CREATE TABLE deliveries (
          key text PRIMARY KEY,
          started_at timestamptz NOT NULL DEFAULT now(),
          delivered_at timestamptz,
          result jsonb,
          CHECK ((delivered_at IS NULL) = (result IS NULL))
        )`,
        'CREATE INDEX deliveries_by_time ON deliveries (started_at)',

        `CREATE TABLE suppressions (
          email text PRIMARY KEY CHECK (email = lower(email) AND email <> ''),
          customer_id text NOT NULL,
          at timestamptz NOT NULL,
          source text NOT NULL CHECK (source IN ('link', 'one-click', 'api'))
        )`,

        // A person's busy time: no two bookings of one person overlap, whoever writes them.
        `CREATE TABLE bookings (
          booking_id text PRIMARY KEY,
          person text NOT NULL CHECK (person = lower(person)),
          during tstzrange NOT NULL CHECK (NOT isempty(during) AND lower_inc(during) AND NOT upper_inc(during)),
          CONSTRAINT bookings_no_overlap EXCLUDE USING gist (person WITH =, during WITH &&)
        )`,

        // Append-only: a fact, once recorded, is never changed or removed (but with its journey's data, by an operator).
        `CREATE TABLE journey_facts (
          fact_key text PRIMARY KEY,
          journey_id text NOT NULL,
          customer_id text NOT NULL,
          kind text NOT NULL CHECK (kind IN (${kinds})),
          subject text NOT NULL,
          at timestamptz NOT NULL,
          term integer NOT NULL CHECK (term >= 1),
          map_id text NOT NULL,
          map_version integer NOT NULL,
          segment text NOT NULL,
          plan text NOT NULL,
          detail jsonb NOT NULL DEFAULT '{}',
          recorded_at timestamptz NOT NULL DEFAULT now()
        )`,
        'CREATE INDEX journey_facts_by_journey ON journey_facts (journey_id, at)',
        'CREATE INDEX journey_facts_by_map ON journey_facts (map_id, kind, at)',
        // Owners' done tasks (GET /v1/tasks?status=done): a task.completed fact holds the task, owner and all.
        `CREATE INDEX journey_facts_completed_tasks_by_owner ON journey_facts ((lower(detail -> 'owner' ->> 'email')))
          WHERE kind = 'task.completed'`,
        `CREATE FUNCTION journey_facts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'journey facts are append-only'; END $$`,
        `CREATE TRIGGER journey_facts_append_only BEFORE UPDATE ON journey_facts
          FOR EACH ROW EXECUTE FUNCTION journey_facts_append_only()`,

        // Each journey as it stands (written with its facts): stage counts and filters without a query per journey.
        `CREATE TABLE journeys (
          journey_id text PRIMARY KEY,
          customer_id text NOT NULL,
          company text NOT NULL,
          map_id text NOT NULL,
          map_version integer NOT NULL,
          segment text NOT NULL,
          plan text NOT NULL,
          term integer NOT NULL,
          stage text NOT NULL,
          at_risk boolean NOT NULL,
          status text NOT NULL CHECK (status IN ('running', 'churned')),
          started_at timestamptz NOT NULL,
          sequence integer NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`,
        'CREATE INDEX journeys_by_map ON journeys (map_id, stage)',

        // Every open task of every journey, by owner: an owner's worklist is one query.
        `CREATE TABLE open_tasks (
          task_id text PRIMARY KEY,
          journey_id text NOT NULL REFERENCES journeys ON DELETE CASCADE,
          customer_id text NOT NULL,
          owner_email text NOT NULL CHECK (owner_email = lower(owner_email)),
          due_at timestamptz NOT NULL,
          task jsonb NOT NULL
        )`,
        'CREATE INDEX open_tasks_by_owner ON open_tasks (owner_email, due_at)',
        'CREATE INDEX open_tasks_by_journey ON open_tasks (journey_id)',
      ]),
  },
  '0002-api-keys': {
    // Who may call the API: a key's secret is kept only as its SHA-256 (src/auth/api-keys.ts).
    up: (db) =>
      run(db, [
        `CREATE TABLE api_keys (
          id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
          name text NOT NULL CHECK (name <> ''),
          scopes text[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY[${quoted(FIRST_SCOPES)}]::text[]),
          secret_hash bytea NOT NULL CHECK (length(secret_hash) = 32),
          created_at timestamptz NOT NULL DEFAULT now(),
          revoked_at timestamptz
        )`,
      ]),
  },

  '0003-points-of-no-return': {
    // A delivery's attempt and when it passed its point of no return (src/delivery/ledger.ts). Intents from
    // before had none: each counts as past it, as the engine treated it then.
    up: (db) =>
      run(db, [
        'ALTER TABLE deliveries ADD COLUMN attempt text, ADD COLUMN committed_at timestamptz',
        'UPDATE deliveries SET committed_at = started_at',
        'ALTER TABLE deliveries ADD CHECK (delivered_at IS NULL OR committed_at IS NOT NULL)',
        // Keys that may read the payloads Temporal keeps (the codec endpoint the Temporal UI decodes with).
        'ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check',
        `ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY[${quoted([...FIRST_SCOPES, 'payloads:decode'])}]::text[])`,
      ]),
  },

  '0004-steering-and-experiments': {
    // Journeys a person paused, resumed or cancelled (their facts, and a journey that ended cancelled), and the
    // arm of an experiment each customer fell in.
    up: (db) =>
      run(db, [
        'ALTER TABLE journey_facts DROP CONSTRAINT journey_facts_kind_check',
        `ALTER TABLE journey_facts ADD CONSTRAINT journey_facts_kind_check CHECK (kind IN (${quoted([...FIRST_FACT_KINDS, ...STEERING_FACT_KINDS])}))`,
        'ALTER TABLE journeys DROP CONSTRAINT journeys_status_check',
        "ALTER TABLE journeys ADD CONSTRAINT journeys_status_check CHECK (status IN ('running', 'churned', 'cancelled'))",
      ]),
  },

  '0005-journey-day-length': {
    // How long a day lasts on each journey's clock (less on a demo clock), so analytics count journey days:
    // the journeys recorded before ran on real days unless on a demo clock, which their next batch corrects.
    up: (db) => run(db, ['ALTER TABLE journeys ADD COLUMN day_ms bigint NOT NULL DEFAULT 86400000 CHECK (day_ms > 0)']),
  },

  '0006-map-review-tasks': {
    // The owners' yearly map review tasks (src/facts/map-review-tasks.ts): a map's, not a journey's, so neither
    // open_tasks (each row a journey's, replaced with its facts) nor journey_facts; open and done in one row.
    // The task id (from the map and the due date) is the key: a retried or replayed activity opens it once.
    up: (db) =>
      run(db, [
        `CREATE TABLE map_review_tasks (
          task_id text PRIMARY KEY,
          map_id text NOT NULL,
          map_version integer NOT NULL,
          title text NOT NULL,
          owner jsonb NOT NULL,
          owner_email text NOT NULL CHECK (owner_email = lower(owner_email)),
          due_at timestamptz NOT NULL,
          opened_at timestamptz NOT NULL DEFAULT now(),
          completed_at timestamptz,
          outcome text,
          notes text,
          CHECK ((completed_at IS NULL) = (outcome IS NULL))
        )`,
        'CREATE INDEX map_review_tasks_by_owner ON map_review_tasks (owner_email, due_at)',
      ]),
  },
  '0007-record-journey-batch': {
    // A batch of journey facts in one round trip (src/facts/journey-facts.ts calls it): the benchmark's profile
    // showed the worker's main thread busiest on sockets to PostgreSQL, and a batch took five or six (BEGIN,
    // facts, journey, open tasks, COMMIT). The same statements in the same order, in one function: it runs in
    // the caller's transaction, and each statement sees what committed before it (READ COMMITTED, volatile), as
    // the statements of the transaction it replaces did. Returns the keys of the facts this batch added.
    up: (db) =>
      run(db, [
        `CREATE FUNCTION record_journey_batch(
           batch_facts jsonb, batch_journey_id text, batch_customer_id text, batch_segment text, batch_plan text,
           batch_sequence integer, batch_snapshot jsonb, batch_open_tasks jsonb
         ) RETURNS text[] LANGUAGE plpgsql VOLATILE AS $$
         DECLARE
           added text[];
         BEGIN
           -- Sorted by key, so two writers of the same facts take their index locks in the same order.
           WITH inserted AS (
             INSERT INTO journey_facts (fact_key, journey_id, customer_id, kind, subject, at, term, map_id, map_version, segment, plan, detail)
             SELECT f.key, batch_journey_id, batch_customer_id, f.kind, f.subject, f.at, f.term, f."mapId", f."mapVersion", batch_segment, batch_plan, f.detail
             FROM jsonb_to_recordset(batch_facts) AS f(key text, kind text, subject text, at timestamptz, term integer, "mapId" text, "mapVersion" integer, detail jsonb)
             ORDER BY f.key
             ON CONFLICT (fact_key) DO NOTHING
             RETURNING fact_key
           )
           SELECT coalesce(array_agg(fact_key), '{}') INTO added FROM inserted;
           IF batch_snapshot IS NULL THEN RETURN added; END IF;

           -- Only a newer batch replaces the journey's row, and then its open tasks.
           INSERT INTO journeys AS j (journey_id, customer_id, company, map_id, map_version, segment, plan, term, stage, at_risk, status, started_at, sequence, day_ms)
           SELECT batch_journey_id, s."customerId", s.company, s."mapId", s."mapVersion", s.segment, s.plan, s.term, s.stage, s."atRisk", s.status, s."startedAt", batch_sequence, s."dayMs"
           FROM jsonb_to_record(batch_snapshot) AS s("customerId" text, company text, "mapId" text, "mapVersion" integer, segment text, plan text, term integer,
             stage text, "atRisk" boolean, status text, "startedAt" timestamptz, "dayMs" bigint)
           ON CONFLICT (journey_id) DO UPDATE SET
             customer_id = EXCLUDED.customer_id, company = EXCLUDED.company, map_id = EXCLUDED.map_id, map_version = EXCLUDED.map_version,
             segment = EXCLUDED.segment, plan = EXCLUDED.plan, term = EXCLUDED.term, stage = EXCLUDED.stage, at_risk = EXCLUDED.at_risk,
             status = EXCLUDED.status, started_at = EXCLUDED.started_at, sequence = EXCLUDED.sequence, day_ms = EXCLUDED.day_ms, updated_at = now()
           WHERE j.sequence < EXCLUDED.sequence;
           IF NOT FOUND OR batch_open_tasks IS NULL THEN RETURN added; END IF;

           -- The journey's row stays locked by the upsert until commit: no other batch of it writes its tasks meanwhile.
           -- A task id belongs to one journey (made from its run id): a conflict is a row of this same journey.
           DELETE FROM open_tasks WHERE journey_id = batch_journey_id;
           INSERT INTO open_tasks (task_id, journey_id, customer_id, owner_email, due_at, task)
           SELECT t.task ->> 'taskId', batch_journey_id, batch_customer_id, lower(t.task -> 'owner' ->> 'email'), (t.task ->> 'dueAt')::timestamptz, t.task
           FROM jsonb_array_elements(batch_open_tasks) AS t(task)
           ON CONFLICT (task_id) DO UPDATE SET journey_id = EXCLUDED.journey_id, customer_id = EXCLUDED.customer_id,
             owner_email = EXCLUDED.owner_email, due_at = EXCLUDED.due_at, task = EXCLUDED.task;
           RETURN added;
         END $$`,
      ]),
  },
};
