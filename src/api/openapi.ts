/**
 * The API described: an OpenAPI 3.1 document generated (@asteasolutions/zod-to-openapi) from the zod schemas
 * the routes parse requests with (request-schemas.ts, the domain's schemas), and from response-schemas.ts for
 * what they answer. Every route of the app is listed here with the scope its key needs; a route that is not
 * fails test/integration/openapi.test.ts. The document is made once, when the app is.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OpenApiGeneratorV31, OpenAPIRegistry, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { analyticsFilterSchema } from '../analytics/filters';
import { experimentQuerySchema } from '../analytics/experiments';
import { mapJourneysQuerySchema } from '../analytics/map-journeys';
import { touchpointEffectSchema } from '../analytics/touchpoint-effect';
import type { Scope } from '../auth/scopes';
import { INBOUND_SIGNATURE_HEADER } from '../auth/webhook-signatures';
import { PROJECT_ROOT } from '../config';
import { ownerSchema, purchaseSchema } from '../journeys/customer';
import { productEventSchema } from '../journeys/events';
import { inboundEventSchema, segmentCall, segmentTrack, stripeEvent } from '../journeys/inbound-events';
import { journeyMapSchema } from '../maps/schema';
import { ANALYTICS_ROUTES } from './analytics-routes';
import { CODEC_BASE_PATH, payloadsBody } from './codec-endpoint';
import { INBOUND_PATH } from './inbound-webhooks';
import * as answer from './response-schemas';
import * as request from './request-schemas';
import * as bulk from './bulk-operation-schemas';

type Method = RouteConfig['method'];
type Body = z.ZodType | { type: string; schema: z.ZodType };
type Status = 200 | 201 | 202 | 204 | 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503;

/** Who may call a route: a key with a scope, anyone, or a sender whose Stripe-Signature verifies. */
type Access = Scope | 'public' | 'signed';

interface Operation {
  method: Method;
  /** As express writes it (/v1/customers/:customerId/journey). */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: Body;
  /** The answers the route itself gives: status → what it is (and its body). */
  answers: Partial<Record<Status, { description: string; body?: Body }>>;
  /** Refusals from the shared error handler (errors.ts): their bodies are its. 401/403 are added for keyed routes, 429 for all but `unlimited`. */
  refusals?: Status[];
  /** Not counted by the rate limits (health checks, the codec's preflight). */
  unlimited?: true;
  /** The body may be left out. */
  bodyOptional?: true;
}

const json = 'application/json';
const content = (body: Body) => (body instanceof z.ZodType ? { [json]: { schema: body } } : { [body.type]: { schema: body.schema } });

const REFUSALS: Partial<Record<Status, ResponseConfig>> = {
  400: { description: 'A field of the request is wrong: each is named.', content: { [json]: { schema: answer.invalidRequestBody } } },
  401: { description: 'No API key, or not a live one (WWW-Authenticate: Bearer).', content: { [json]: { schema: answer.errorBody } } },
  403: { description: 'The key lacks the scope this route needs (x-required-scope).', content: { [json]: { schema: answer.errorBody } } },
  404: { description: 'No such customer\'s journey, task, map or mail.', content: { [json]: { schema: answer.errorBody } } },
  409: { description: 'The journey has ended, or refuses the change (its own checks), or the map version is not newer.', content: { [json]: { schema: answer.errorBody } } },
  413: { description: 'The body is larger than the API reads.', content: { [json]: { schema: answer.errorBody } } },
  429: { description: 'Past the rate limit of this address or key: retry after the Retry-After seconds.', content: { [json]: { schema: answer.errorBody } } },
  503: { description: 'Temporal or the engine database is unreachable; nothing was changed (Retry-After).', content: { [json]: { schema: answer.unavailableBody } } },
};

/** express's `:name` params as OpenAPI's `{name}` (also inside a segment: /v1/mail/{id}.eml). */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function register(registry: OpenAPIRegistry, op: Operation): void {
  const keyed = op.access !== 'public' && op.access !== 'signed';
  const refusals = [...(op.refusals ?? []), ...(keyed ? [401, 403] : []), ...(op.unlimited ? [] : [429])] as Status[];
  const responses: RouteConfig['responses'] = {};
  for (const [status, { description, body }] of Object.entries(op.answers)) responses[status] = { description, ...(body ? { content: content(body) } : {}) };
  for (const status of [...new Set(refusals)].sort()) responses[status] ??= REFUSALS[status]!;
  const needs = keyed ? `Needs an API key with the scope \`${op.access}\`.` : op.access === 'signed' ? `Needs a valid ${INBOUND_SIGNATURE_HEADER} header over the body as sent (no API key).` : 'No API key.';
  registry.registerPath({
    method: op.method,
    path: openApiPath(op.path),
    tags: [op.tag],
    summary: op.summary,
    description: [op.description, needs].filter(Boolean).join('\n\n'),
    security: keyed ? [{ apiKey: [op.access] }] : op.access === 'signed' ? [{ stripeSignature: [] }] : [],
    ...(keyed ? { 'x-required-scope': op.access } : {}),
    request: {
      ...(op.params ? { params: op.params } : {}),
      ...(op.query ? { query: op.query } : {}),
      ...(op.body ? { body: { required: !op.bodyOptional, content: content(op.body) } } : {}),
    },
    responses,
  });
}

// Components: described once, referred to wherever they appear.
const journeyMap = journeyMapSchema.meta({ id: 'JourneyMap', description: 'A journey map (src/maps/schema.ts): stages, milestones, touchpoints, escalations, goals.' });
const purchase = purchaseSchema.meta({ id: 'Purchase', description: 'The customer as billing describes them, optionally the map to run and a demo clock.' });
const productEvent = productEventSchema.meta({ id: 'ProductEvent', description: 'A product or billing event; any other top-level field is a detail milestones can match on.' });

/** Path params the routes take as they come (an unknown one is a 404): described here, checked nowhere else. */
const taskParams = z.object({ taskId: z.string().describe('task-<customerId>-<hash> (a journey\'s) or map-review-<mapId>-<hash> (a map\'s review), from GET /v1/tasks or the journey') });
const mapParams = z.object({ mapId: z.string() });
const mailParams = z.object({ id: z.string() });
const tokenParams = z.object({ token: z.string().describe('the signed token of the email\'s unsubscribe link') });
const operationParams = z.object({ operation: z.enum(['encode', 'decode']) });
const keyOperationParams = operationParams.extend({ key: z.string().describe('an API key with the scope payloads:decode, for a client that cannot send headers') });

/** The change's own fields: the route takes its type from the path. */
const [reschedule, cancel] = request.meetingChange.options;
const changeBody = z.union([reschedule.omit({ type: true }), cancel.omit({ type: true })]);
const unsubscribeForm = z.object({
  'List-Unsubscribe': z.literal('One-Click').optional().describe('a mail client\'s one-click unsubscribe (RFC 8058): answered in JSON'),
  confirm: z.literal('yes').optional().describe('the page\'s button'),
});
const page = { type: 'text/html', schema: z.string() };

const ROUTES: Operation[] = [
  { method: 'get', path: '/healthz', tag: 'operations', summary: 'Liveness: the process answers', access: 'public', unlimited: true, answers: { 200: { description: 'Alive.', body: answer.health } } },
  { method: 'get', path: '/readyz', tag: 'operations', summary: 'Readiness: each dependency answers (load balancers send traffic only then)', access: 'public', unlimited: true, answers: { 200: { description: 'Ready.', body: answer.readiness }, 503: { description: 'A dependency does not answer.', body: answer.readiness } } },
  { method: 'get', path: '/openapi.json', tag: 'API description', summary: 'This document (OpenAPI 3.1)', access: 'public', answers: { 200: { description: 'The document.', body: z.looseObject({ openapi: z.literal('3.1.0') }) } } },
  { method: 'get', path: '/docs', tag: 'API description', summary: 'This document as a page (Swagger UI)', access: 'public', answers: { 200: { description: 'The page.', body: page } } },
  { method: 'get', path: '/metrics', tag: 'operations', summary: 'Prometheus metrics: requests, latency and errors by route pattern; process metrics', access: 'journeys:read', answers: { 200: { description: 'The Prometheus text format.', body: { type: 'text/plain', schema: z.string() } } } },
  { method: 'get', path: '/v1/console/settings', tag: 'operations', summary: 'What the console links to', access: 'journeys:read', answers: { 200: { description: 'The Temporal UI and namespace.', body: answer.consoleSettings } } },
  {
    method: 'post', path: '/v1/purchases', tag: 'journeys', summary: 'Start a customer\'s journey (once: the same purchase again finds it)', access: 'purchases:write', body: purchase,
    answers: { 201: { description: 'Started.', body: answer.startedJourney }, 200: { description: 'The customer already had this journey.', body: answer.startedJourney } },
    refusals: [400, 409, 413, 503],
  },
  { method: 'post', path: '/v1/customers/:customerId/events', tag: 'journeys', summary: 'Deliver a product event to the customer\'s journey (deduplicated by eventId)', access: 'events:write', params: request.customerParams, body: productEvent, answers: { 202: { description: 'Delivered.', body: answer.deliveredEvent } }, refusals: [400, 404, 409, 413, 503] },
  { method: 'get', path: '/v1/customers/:customerId/journey', tag: 'journeys', summary: 'The journey as it stands', access: 'journeys:read', params: request.customerParams, answers: { 200: { description: 'Its state.', body: answer.journeyState } }, refusals: [400, 404, 503] },
  {
    method: 'get', path: '/v1/customers/:customerId/timeline', tag: 'journeys', summary: "The customer's timeline: everything in time order, who owns the moment, what is next, the Temporal UI link", access: 'journeys:read',
    params: request.customerParams, answers: { 200: { description: 'The timeline.', body: answer.timeline } }, refusals: [400, 404, 503],
  },
  {
    method: 'put', path: '/v1/customers/:customerId/owners/:role', tag: 'journeys', summary: 'Someone else holds an owner role from now on (pending touchpoints and open tasks move)', access: 'journeys:write',
    params: request.ownerParams, body: ownerSchema, answers: { 200: { description: 'Reassigned.', body: answer.ownerReassignment } }, refusals: [400, 404, 409, 413, 503],
  },
  {
    method: 'post', path: '/v1/customers/:customerId/pause', tag: 'journeys', summary: 'Pause a journey: nothing is performed and no stage moves until the resume; events are held', access: 'journeys:write',
    params: request.customerParams, body: request.pauseRequest, answers: { 200: { description: 'Paused.', body: answer.pausedJourney } }, refusals: [400, 404, 409, 413, 503],
  },
  {
    method: 'post', path: '/v1/customers/:customerId/resume', tag: 'journeys', summary: 'Resume a paused journey: what fell due happens now, the held events are acted on in order', access: 'journeys:write',
    params: request.customerParams, body: request.resumeRequest, answers: { 200: { description: 'Resumed.', body: answer.resumedJourney } }, refusals: [400, 404, 409, 413, 503],
  },
  {
    method: 'post', path: '/v1/customers/:customerId/cancel', tag: 'journeys', summary: 'End a journey for a reason (not a churn: the customer did not leave)', access: 'journeys:write',
    params: request.customerParams, body: request.cancelRequest, answers: { 200: { description: 'Cancelled: the journey ends.', body: answer.cancelledJourney } }, refusals: [400, 404, 409, 413, 503],
  },
  {
    method: 'post', path: '/v1/customers/:customerId/bookings/:bookingId/:change', tag: 'journeys', summary: 'Reschedule or cancel a booked call or training session', access: 'journeys:write',
    description: 'The body is `{ startsAt }` for `reschedule`, `{ reason }` for `cancel`.', params: request.bookingParams, body: changeBody,
    answers: { 200: { description: 'The booking as changed.', body: answer.booking } }, refusals: [400, 404, 409, 413, 503],
  },
  { method: 'get', path: '/v1/tasks', tag: 'tasks', summary: 'An owner\'s worklist, by due date', access: 'journeys:read', query: request.taskFilter, answers: { 200: { description: 'The tasks.', body: z.object({ tasks: z.array(answer.listedTask) }) } }, refusals: [400, 503] },
  { method: 'post', path: '/v1/tasks/:taskId/complete', tag: 'tasks', summary: 'Complete a task (again: answers the first completion)', access: 'journeys:write', params: taskParams, body: request.taskCompletion, answers: { 200: { description: 'The task as completed.', body: z.union([answer.ownerTask, answer.mapReviewTask]) } }, refusals: [400, 404, 409, 413, 503] },
  { method: 'get', path: '/v1/maps', tag: 'maps', summary: 'Every published map version', access: 'journeys:read', answers: { 200: { description: 'The versions.', body: z.object({ maps: z.array(answer.mapVersion) }) } }, refusals: [503] },
  {
    method: 'get', path: '/v1/maps/:mapId/diagram.svg', tag: 'maps', summary: 'A published map drawn as SVG (what `journeys maps render --format svg` draws): the console\'s live map', access: 'journeys:read',
    description: 'Each stage card carries `data-stage`, each milestone card `data-milestone`, with the id.', params: mapParams, query: request.mapQuery,
    answers: { 200: { description: 'The diagram.', body: { type: 'image/svg+xml', schema: z.string() } } }, refusals: [400, 404, 503],
  },
  { method: 'get', path: '/v1/maps/:mapId', tag: 'maps', summary: 'A published map (the latest version unless asked)', access: 'journeys:read', params: mapParams, query: request.mapQuery, answers: { 200: { description: 'The map.', body: journeyMap } }, refusals: [400, 404, 503] },
  {
    method: 'post', path: '/v1/maps', tag: 'maps', summary: 'Publish a map version (checked against the templates and the team)', access: 'maps:write', body: journeyMap,
    answers: { 201: { description: 'Published.', body: answer.publishedMap } }, refusals: [400, 409, 413, 503],
  },
  {
    method: 'post', path: '/v1/migrations', tag: 'maps', summary: 'Move running journeys to a published map version (or a dry run)', access: 'maps:write', body: request.migrationOrder,
    description: 'Each journey answers for itself: a refusal is a result, not a failure of the request.', answers: { 200: { description: 'What happened to each journey.', body: answer.migrationReport } }, refusals: [400, 413, 503],
  },
  { method: 'get', path: '/v1/suppressions', tag: 'operations', summary: 'Every suppressed address, oldest first', access: 'journeys:read', answers: { 200: { description: 'The suppressions.', body: z.object({ suppressions: z.array(answer.suppression) }) } }, refusals: [503] },
  { method: 'get', path: '/v1/journeys', tag: 'journeys', summary: 'The newest journeys matching the filter (100 at most)', access: 'journeys:read', query: request.journeyFilter, answers: { 200: { description: 'The journeys.', body: z.object({ journeys: z.array(answer.journeySummary) }) } }, refusals: [400, 503] },
  { method: 'get', path: '/v1/mail', tag: 'local mail', summary: 'Mail the local mail catcher caught (only with it)', access: 'journeys:read', query: request.mailFilter, answers: { 200: { description: 'The mail, summarised.', body: z.object({ mail: z.array(answer.caughtMail) }) } }, refusals: [400] },
  { method: 'get', path: '/v1/mail/:id.eml', tag: 'local mail', summary: 'A caught message as sent', access: 'journeys:read', params: mailParams, answers: { 200: { description: 'The raw message.', body: { type: 'message/rfc822', schema: z.string() } } }, refusals: [404] },
  {
    method: 'get', path: '/unsubscribe/:token', tag: 'unsubscribe', summary: 'The unsubscribe link\'s page: asks, changes nothing (mail scanners open links)', access: 'public', params: tokenParams,
    answers: { 200: { description: 'The page with its button, or that the address is unsubscribed.', body: page }, 400: { description: 'A link this engine did not make, or an expired one: a page that says so.', body: page } },
  },
  {
    method: 'post', path: '/unsubscribe/:token', tag: 'unsubscribe', summary: 'Unsubscribe: the page\'s button, or a mail client\'s one-click (RFC 8058)', access: 'public', params: tokenParams,
    body: { type: 'application/x-www-form-urlencoded', schema: unsubscribeForm }, bodyOptional: true,
    answers: { 200: { description: 'Unsubscribed (repeats change nothing).', body: page }, 400: { description: 'A bad or expired link: a page, or for one-click the JSON of a 400.', body: page } },
  },
  ...(['events', 'segment', 'stripe'] as const).map((name): Operation => ({
    method: 'post', path: `${INBOUND_PATH}/${name}`, tag: 'inbound webhooks', access: 'signed',
    summary: { events: 'Our own event for a customer, signed', segment: 'A Segment track call (other calls are ignored)', stripe: 'A Stripe event (its metadata names the customer)' }[name],
    body: { events: inboundEventSchema.extend({ event: productEvent }), segment: z.union([segmentTrack, segmentCall]), stripe: stripeEvent }[name],
    answers: {
      202: { description: 'Delivered to the journey.', body: name === 'events' ? answer.deliveredEvent : answer.inboundMapped },
      200: { description: 'Sound, but not for a journey: ignored (a refusal would only be retried).', body: answer.inboundIgnored },
      401: { description: `No valid, fresh ${INBOUND_SIGNATURE_HEADER}.`, body: answer.errorBody },
      503: { description: 'Inbound webhooks are not configured on this engine (INBOUND_WEBHOOK_SECRETS): the sender retries.', body: answer.errorBody },
    },
    refusals: [400, 404, 409, 413],
  })),
  ...[`${CODEC_BASE_PATH}/:operation`, `${CODEC_BASE_PATH}/:key/:operation`].flatMap((codecPath): Operation[] => [
    {
      method: 'post', path: codecPath, tag: 'codec', summary: 'Temporal\'s remote codec: decrypt (or encrypt) payloads for the Temporal UI and CLI', access: 'payloads:decode',
      description: `Bodies up to 4 MB, and ten times the API's rate limit. ${codecPath.includes(':key') ? 'The key is in the path here, for a client that cannot send headers.' : 'The key as Authorization: Bearer, or in the path (the route below).'}`,
      params: codecPath.includes(':key') ? keyOperationParams : operationParams, body: payloadsBody, answers: { 200: { description: 'The payloads converted, in order.', body: answer.codecPayloads } }, refusals: [400, 413],
    },
    { method: 'options', path: codecPath, tag: 'codec', summary: 'The Temporal UI\'s CORS preflight (its origin only)', access: 'public', unlimited: true, params: codecPath.includes(':key') ? keyOperationParams : operationParams, answers: { 204: { description: 'Allowed methods and headers, for the UI\'s origin.' } } },
  ]),
];

/** GET /v1/analytics/*: figures over journey facts, each with the filter it was taken over (src/analytics). */
const ANALYTICS: Operation[] = ANALYTICS_ROUTES.map((name) => ({
  method: 'get',
  path: `/v1/analytics/${name}`,
  tag: 'analytics',
  summary: {
    funnel: 'The stage funnel: journeys that entered each stage, and moved on',
    milestones: 'Milestone attainment: reached, missed, and how soon',
    touchpoints: 'Touchpoints done, skipped and failed, by touchpoint',
    outcomes: 'Terms renewed and churned',
    'touchpoint-effect': 'How often a milestone is reached with and without a touchpoint',
    experiment: "An experiment's arms compared on a milestone and on renewal, each against the control with a 95 % confidence interval",
    journeys: 'The journeys behind the live map\'s numbers: those in a stage now, or where each stands on a milestone (500 at most)',
  }[name],
  access: 'journeys:read',
  // The effect's comparison is read from the same query as the filter (the route parses it with both schemas).
  query: { 'touchpoint-effect': z.object({ ...analyticsFilterSchema.shape, ...touchpointEffectSchema.shape }), experiment: z.object({ ...analyticsFilterSchema.shape, ...experimentQuerySchema.shape }), journeys: z.object({ ...analyticsFilterSchema.shape, ...mapJourneysQuerySchema.shape }) }[name as string] ?? analyticsFilterSchema,
  answers: { 200: { description: `The figures (src/analytics, JourneyAnalytics.${name === 'touchpoint-effect' ? 'touchpointEffect' : name}) and the filter they were taken over.`, body: z.looseObject({ filter: z.looseObject({ mapId: z.string() }) }) } },
  refusals: [400, 503],
}));

/** /v1/bulk-operations: one action over the journeys a visibility query selects, run as a Temporal workflow. */
const BULK_OPERATIONS: Operation[] = [
  {
    method: 'post', path: '/v1/bulk-operations', tag: 'bulk operations', summary: 'Start a bulk operation: pause, resume, cancel, reassign an owner or migrate every running journey a query selects', access: 'journeys:write',
    description: 'It runs on as a Temporal workflow (surviving restarts), at most 10 journeys at a time, one result per journey; the selection is taken once, at the start. A migration also needs the scope `maps:write` (403 without it).',
    body: bulk.bulkOrder, answers: { 202: { description: 'Started: follow links.self for its progress.', body: bulk.bulkOperationStarted } }, refusals: [400, 413, 503],
  },
  { method: 'get', path: '/v1/bulk-operations', tag: 'bulk operations', summary: 'The newest bulk operations, each with its counts', access: 'journeys:read', query: bulk.bulkOperationFilter, answers: { 200: { description: 'The operations.', body: z.object({ operations: z.array(bulk.bulkOperationSummary) }) } }, refusals: [400, 503] },
  {
    method: 'get', path: '/v1/bulk-operations/:operationId', tag: 'bulk operations', summary: 'Where a bulk operation stands: its counts, whether it finished, one result per journey', access: 'journeys:read',
    params: bulk.bulkOperationParams, answers: { 200: { description: 'Its progress.', body: bulk.bulkOperationReport } }, refusals: [400, 404, 503],
  },
];

const packageSchema = z.object({ name: z.string(), version: z.string(), description: z.string() });

/** The routes an app may lack (the local mail catcher's, the analytics, the timeline): the document lists only those it has. */
export interface OptionalRoutes {
  mail: boolean;
  analytics: boolean;
  timeline: boolean;
  bulkOperations?: boolean;
}

/** The OpenAPI 3.1 document of the app's routes. */
export function openApiDocument({ mail, analytics, timeline, bulkOperations }: OptionalRoutes): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`journeys keys create`), sent as `Authorization: Bearer <key>`. Each route needs one scope (its `x-required-scope`, also listed in its security requirement); a key holds those its holder needs.',
  });
  registry.registerComponent('securitySchemes', 'stripeSignature', {
    type: 'apiKey',
    in: 'header',
    name: INBOUND_SIGNATURE_HEADER,
    description: 'Stripe\'s scheme: t=<unix seconds>,v1=<HMAC-SHA256 of "<t>.<body>"> with one of INBOUND_WEBHOOK_SECRETS; lately signed.',
  });
  const present = (op: (typeof ROUTES)[number]) => (mail || !op.path.startsWith('/v1/mail')) && (timeline || !op.path.endsWith('/timeline'));
  for (const op of [...ROUTES, ...(analytics ? ANALYTICS : []), ...(bulkOperations ? BULK_OPERATIONS : [])]) if (present(op)) register(registry, op);
  const pkg = packageSchema.parse(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: pkg.name,
      version: pkg.version,
      description: `${pkg.description}\n\nErrors are \`{ "error": "..." }\`; a 400 also names each bad field (\`issues\`). The console is at /, this page at /docs.`,
    },
  });
}
