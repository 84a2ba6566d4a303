/**
 * Touchpoints in the period, by touchpoint of the map: done, failed, skipped, unconfirmed; and for calls and
 * training sessions, who attended and who did not show (the meeting's start in the period).
 */
import type { Queryable } from '../db/database';
import type { AnalyticsScope } from './filters';
import { rate, SCOPE_SQL, scopeParams } from './scope';

export interface TouchpointFigures {
  touchpoint: string;
  name: string | null;
  action: string | null;
  done: number;
  failed: number;
  skipped: number;
  unconfirmed: number;
  /** Share of those performed or attempted (done + failed + unconfirmed) that were done. */
  doneRate: number | null;
  /** Calls and training sessions only: attendance recorded for their bookings. */
  meetings?: { attended: number; noShow: number; attendanceRate: number | null };
}

interface TouchpointRow {
  touchpoint: string;
  name: string | null;
  action: string | null;
  done: number | null;
  failed: number | null;
  skipped: number | null;
  unconfirmed: number | null;
  attended: number | null;
  no_show: number | null;
}

// A booking names the touchpoint occurrence it came from (its key, "<touchpoint>#<n>"): the occurrence's fact
// of the same journey and term says which touchpoint that is.
const TOUCHPOINTS_SQL = `
  WITH ${SCOPE_SQL},
  results AS (
    SELECT coalesce(detail ->> 'touchpointId', subject) AS touchpoint,
      max(detail ->> 'name') AS name, max(detail ->> 'action') AS action,
      count(*) FILTER (WHERE kind = 'touchpoint.done')::int AS done,
      count(*) FILTER (WHERE kind = 'touchpoint.failed')::int AS failed,
      count(*) FILTER (WHERE kind = 'touchpoint.skipped')::int AS skipped,
      count(*) FILTER (WHERE kind = 'touchpoint.unconfirmed')::int AS unconfirmed
    FROM scoped_facts
    WHERE kind IN ('touchpoint.done', 'touchpoint.failed', 'touchpoint.skipped', 'touchpoint.unconfirmed')
    GROUP BY 1
  ),
  meetings AS (
    SELECT coalesce(t.touchpoint, regexp_replace(m.detail ->> 'touchpointKey', '#[0-9]+$', '')) AS touchpoint,
      max(m.detail ->> 'kind') AS action,
      count(*) FILTER (WHERE m.kind = 'meeting.attended')::int AS attended,
      count(*) FILTER (WHERE m.kind = 'meeting.no-show')::int AS no_show
    FROM scoped_facts m
    LEFT JOIN LATERAL (
      SELECT t.detail ->> 'touchpointId' AS touchpoint FROM journey_facts t
      WHERE t.journey_id = m.journey_id AND t.term = m.term AND t.subject = m.detail ->> 'touchpointKey'
        AND t.kind IN ('touchpoint.done', 'touchpoint.failed', 'touchpoint.skipped', 'touchpoint.unconfirmed')
      LIMIT 1
    ) t ON true
    WHERE m.kind IN ('meeting.attended', 'meeting.no-show')
    GROUP BY 1
  )
  SELECT coalesce(r.touchpoint, m.touchpoint) AS touchpoint, r.name, coalesce(r.action, m.action) AS action,
    r.done, r.failed, r.skipped, r.unconfirmed, m.attended, m.no_show
  FROM results r FULL JOIN meetings m ON m.touchpoint = r.touchpoint
  ORDER BY 1`;

const MEETINGS = ['call', 'training'];

export async function touchpointFigures(db: Queryable, scope: AnalyticsScope): Promise<TouchpointFigures[]> {
  const { rows } = await db.query<TouchpointRow>(TOUCHPOINTS_SQL, scopeParams(scope));
  return rows.map((row) => {
    const [done, failed, skipped, unconfirmed] = [row.done ?? 0, row.failed ?? 0, row.skipped ?? 0, row.unconfirmed ?? 0];
    const attended = row.attended ?? 0;
    const noShow = row.no_show ?? 0;
    const meeting = MEETINGS.includes(row.action ?? '') || attended + noShow > 0;
    return {
      touchpoint: row.touchpoint,
      name: row.name,
      action: row.action,
      done,
      failed,
      skipped,
      unconfirmed,
      doneRate: rate(done, done + failed + unconfirmed),
      ...(meeting ? { meetings: { attended, noShow, attendanceRate: rate(attended, attended + noShow) } } : {}),
    };
  });
}
