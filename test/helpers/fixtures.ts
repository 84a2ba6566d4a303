import path from 'node:path';
import type { Database } from '../../src/db/database';
import { PROJECT_ROOT } from '../../src/config';
import { EmailTemplates } from '../../src/delivery/templates';
import type { Customer } from '../../src/journeys/customer';
import type { ProductEvent } from '../../src/journeys/events';
import { loadMapFile, MapCatalog, TRAINERS_FILE } from '../../src/maps/catalog';
import { loadTrainers } from '../../src/delivery/availability';
import type { ActivityDeps } from '../../activities';
import { buildActivityDeps, databaseStores, nonSendingMailer, type ActivityDepsSettings, type Mailer } from '../../src/worker/activity-deps';

export const MAPS_DIR = path.join(PROJECT_ROOT, 'maps');
export const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates', 'emails');
export const templates = EmailTemplates.load(TEMPLATES_DIR);
export const defaultMap = loadMapFile(path.join(MAPS_DIR, 'default.yaml'), templates);
export const catalog = MapCatalog.load(MAPS_DIR, templates);
export const trainers = loadTrainers(path.join(MAPS_DIR, TRAINERS_FILE));

import { DAY_MS } from '../../contracts/time';

export { DAY_MS };

/**
 * The activities' dependencies as the worker builds them, with the tests' addresses and secrets: the stores in
 * the given engine database, the shipped templates and trainers, and a mailer that sends nothing, unless given.
 */
export function testActivityDeps(
  db: Database,
  options: Partial<ActivityDepsSettings> & { smtpUrl?: string; mailer?: Mailer } = {},
): ActivityDeps {
  const { smtpUrl, mailer, ...settings } = options;
  return buildActivityDeps({
    ...(smtpUrl === undefined ? { mailer: mailer ?? nonSendingMailer() } : { smtpUrl }),
    stores: databaseStores(db),
    templates,
    team: catalog.team,
    mailFrom: 'Customer Success <success@journeys.test>',
    trainers,
    unsubscribeSecret: 'test-unsubscribe-secret',
    publicUrl: 'http://journeys.test',
    webhookSecret: 'test-webhook-secret',
    // The tests' receivers listen on loopback.
    webhookAllowedHosts: ['127.0.0.1', 'localhost'],
    ...settings,
  });
}

/** A customer who bought at `purchasedAt` with a one-year term, staffed by the team's defaults. */
export function customerFixture(purchasedAt: number, overrides: Partial<Customer> = {}): Customer {
  return {
    customerId: 'acme',
    company: 'Acme Analytics',
    contact: { name: 'Ana Lopez', email: 'ana@acme.example' },
    plan: 'pro',
    segment: 'scaling',
    timeZone: 'Europe/Berlin',
    purchaseDate: new Date(purchasedAt).toISOString(),
    renewalDate: new Date(purchasedAt + 365 * DAY_MS).toISOString(),
    owners: { ...catalog.team },
    attributes: {},
    ...overrides,
  };
}

/** A product event as the product would send it, with a fresh eventId. */
export function productEvent(type: string, fields: Record<string, string> = {}, occurredAt = Date.now()): ProductEvent {
  return { eventId: `${type}-${Math.random().toString(36).slice(2)}`, type, occurredAt: new Date(occurredAt).toISOString(), ...fields };
}

/** A purchase as a client POSTs it to /v1/purchases: bought now, one-year term. */
export function purchaseBody(customerId: string, overrides: Record<string, unknown> = {}) {
  const now = Date.now();
  return {
    customerId,
    company: `${customerId} Ltd`,
    contact: { name: 'Jo Bloggs', email: `jo@${customerId}.example` },
    plan: 'pro',
    segment: 'scaling',
    timeZone: 'America/New_York',
    purchaseDate: new Date(now).toISOString(),
    renewalDate: new Date(now + 365 * DAY_MS).toISOString(),
    ...overrides,
  };
}
