import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { simpleParser } from 'mailparser';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../src/config';
import { MapRegistry } from '../../src/maps/registry';
import { DAY_MS, purchaseBody } from '../helpers/fixtures';
import { eventually } from '../helpers/eventually';
import { LocalStack, TEMPORAL_UI_URL, startedForTheseTests } from '../helpers/stack';
import { TEST_PAYLOAD_KEYS, testDataConverter } from '../helpers/payloads';

/**
 * The engine end to end on this machine: the real Temporal dev server, a real SMTP server on
 * loopback receiving the real emails, and real HTTP against the express app.
 */
const stack = new LocalStack();

// The relay refuses one mailbox for good (550), as a real one refuses an address that does not exist.
startedForTheseTests(stack, { rejectRecipients: (address) => address.startsWith('nobody@') });

const purchase = purchaseBody;

/** The journeys CLI against this stack, run asynchronously: the worker it needs runs in this very process. */
function cli(...args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const tsx = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
    const child = execFile(
      tsx,
      [path.join(PROJECT_ROOT, 'src', 'cli', 'main.ts'), ...args],
      { env: { ...process.env, TEMPORAL_ADDRESS: stack.devServer!.address, PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }, timeout: 60_000 },
      (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

async function mailTo(address: string) {
  return stack.catcher!.mailbox.list({ to: address });
}

test('a purchase starts the journey and the welcome email reaches the contact', async () => {
  const response = await stack.post('/v1/purchases', purchase('globex'));
  expect(response.status).toBe(201);
  expect(response.body).toEqual({ workflowId: 'journey-globex', created: true, map: { id: 'default', version: 1 } });

  const [welcome] = await eventually(async () => {
    const mail = await mailTo('jo@globex.example');
    expect(mail).toHaveLength(1);
    return mail;
  });
  expect(welcome!.subject).toBe('Welcome to your pro plan, globex Ltd');
  expect(welcome!.text).toContain('Hello Jo Bloggs');
  expect(welcome!.text).toContain('globex Ltd');
  expect(welcome!.text).toContain('Sam Rivera');

  // The API lists the caught mail too, as a person at the local stack would read it.
  const listed = await stack.get('/v1/mail?journey=journey-globex');
  expect(listed.body.mail).toEqual([
    expect.objectContaining({ subject: welcome!.subject, journeyKey: expect.stringMatching(/^journey-globex\/[0-9a-f-]+\/term-1\/welcome-email#1$/) }),
  ]);
  const console = await fetch(`${stack.apiUrl}/`);
  expect(console.headers.get('content-type')).toContain('text/html');
  expect(await console.text()).toContain('<title>Customer journeys</title>');
  // The console's "Temporal UI" link goes where this installation's UI is, not to a fixed port.
  expect((await stack.get('/v1/console/settings')).body).toEqual({ temporalUiUrl: TEMPORAL_UI_URL, namespace: 'default' });

  const journey = await stack.get('/v1/customers/globex/journey');
  expect(journey.status).toBe(200);
  expect(journey.body).toMatchObject({ mapId: 'default', mapVersion: 1, stage: 'onboarding', term: 1, atRisk: false });
  const kickoff = journey.body.touchpoints.find((t: { touchpointId: string }) => t.touchpointId === 'kickoff-call');
  expect(kickoff).toMatchObject({ status: 'pending', owner: { name: 'Sam Rivera' } });
  expect(Date.parse(kickoff.dueAt) - Date.parse(journey.body.stageEnteredAt)).toBe(2 * DAY_MS);
});

test('an address the relay refuses for good fails the welcome, gives the owner a task, and the journey goes on', async () => {
  const body = purchase('bounce', { contact: { name: 'No Body', email: 'nobody@bounce.example' } });
  expect((await stack.post('/v1/purchases', body)).status).toBe(201);
  const journey = await eventually(async () => {
    const state = (await stack.get('/v1/customers/bounce/journey')).body;
    expect(state.tasks).toHaveLength(1);
    return state;
  });
  const welcome = journey.touchpoints.find((t: { touchpointId: string }) => t.touchpointId === 'welcome-email');
  expect(welcome).toMatchObject({ status: 'failed', result: expect.stringContaining('550') });
  expect(journey.tasks[0]).toMatchObject({
    title: expect.stringMatching(/^Do it by hand: Welcome email for bounce Ltd \(email refused: .*550/),
    owner: { email: 'sam.rivera@success.example' },
  });
  expect(journey.status).toBe('RUNNING');
  expect(journey.touchpoints.find((t: { touchpointId: string }) => t.touchpointId === 'kickoff-call')).toMatchObject({ status: 'pending' });
  // The owner hears of it by email; nothing reached the refused address.
  await eventually(async () => expect(await mailTo('sam.rivera@success.example')).toEqual(
    expect.arrayContaining([expect.objectContaining({ subject: expect.stringContaining('Do it by hand: Welcome email') })]),
  ));
  expect(await mailTo('nobody@bounce.example')).toEqual([]);
});

test('the same purchase again answers with the existing journey, never a second one', async () => {
  const first = await stack.post('/v1/purchases', purchase('initech'));
  const again = await stack.post('/v1/purchases', purchase('initech'));
  expect(first.status).toBe(201);
  expect(again.status).toBe(200);
  expect(again.body).toEqual({ workflowId: 'journey-initech', created: false, map: { id: 'default', version: 1 } });
  await eventually(async () => expect(await mailTo('jo@initech.example')).toHaveLength(1));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(await mailTo('jo@initech.example')).toHaveLength(1);
});

test('events change the journey; the same eventId twice counts once; unknown customers are 404', async () => {
  await stack.post('/v1/purchases', purchase('umbrella'));
  const login = { eventId: 'evt-login-1', type: 'user.login', occurredAt: new Date().toISOString() };
  expect((await stack.post('/v1/customers/umbrella/events', login)).status).toBe(202);
  expect((await stack.post('/v1/customers/umbrella/events', login)).status).toBe(202);
  const reports = { eventId: 'evt-reports-1', type: 'feature.used', feature: 'reports' };
  expect((await stack.post('/v1/customers/umbrella/events', reports)).status).toBe(202);

  const journey = await eventually(async () => {
    const { body } = await stack.get('/v1/customers/umbrella/journey');
    expect(body.stage).toBe('adoption');
    return body;
  });
  expect(journey.eventsReceived).toBe(2);
  expect(journey.milestones).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ id: 'first-login', status: 'reached', eventId: 'evt-login-1', reachedAt: login.occurredAt }),
      expect.objectContaining({ id: 'key-feature-used', status: 'reached', eventId: 'evt-reports-1' }),
    ]),
  );

  const unknown = await stack.post('/v1/customers/nobody/events', { eventId: 'e1', type: 'user.login' });
  expect(unknown.status).toBe(404);
  expect(unknown.body.error).toBe('no journey for customer "nobody"');
  expect((await stack.get('/v1/customers/nobody/journey')).status).toBe(404);
});

test('a purchase reported late: the call due since is booked at once with an .ics for both sides, the old welcome skipped', async () => {
  const twoAndAHalfDaysAgo = Date.now() - 2.5 * DAY_MS;
  await stack.post('/v1/purchases', purchase('hooli', { purchaseDate: new Date(twoAndAHalfDaysAgo).toISOString() }));
  const invitation = await eventually(async () => {
    const mail = await mailTo('jo@hooli.example');
    const found = mail.find((m) => m.subject.startsWith('Invitation: Kickoff'));
    expect(found).toBeDefined();
    return found!;
  });
  expect(invitation.to).toEqual(expect.arrayContaining(['jo@hooli.example', 'sam.rivera@success.example']));
  const raw = await stack.catcher!.mailbox.raw(invitation.id);
  const parsed = await simpleParser(raw!);
  // iCalendar folds long lines at 75 octets; unfold before reading.
  const ics = parsed.attachments.find((a) => a.filename === 'invite.ics')!.content.toString().replace(/\r?\n[ \t]/g, '');
  expect(ics).toContain('METHOD:REQUEST');
  expect(ics).toMatch(/ORGANIZER;CN="Sam Rivera":mailto:sam.rivera@success.example/i);
  expect(ics).toMatch(/ATTENDEE;[^\n]*CN="Jo Bloggs":MAILTO:jo@hooli.example/i);

  const start = /DTSTART:(\d{8}T\d{6}Z)/.exec(ics)![1]!;
  const startsAt = Date.parse(start.replace(/(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/, '$1-$2-$3T$4:$5:$6Z'));
  expect(startsAt).toBeGreaterThan(Date.now()); // due yesterday, so booked from now on, never in the past

  const { body } = await stack.get('/v1/customers/hooli/journey');
  expect(body.touchpoints.find((t: { touchpointId: string }) => t.touchpointId === 'welcome-email')).toMatchObject({
    status: 'skipped',
    result: 'due before the journey began',
  });
  expect(await mailTo('jo@hooli.example')).toHaveLength(1); // the invitation only
  expect(body.bookings[0].startsAt).toBe(new Date(startsAt).toISOString());
  expect(body.bookings).toEqual([expect.objectContaining({ kind: 'call', topic: 'Kickoff', timeZone: 'America/New_York' })]);
});

test('invalid bodies get 400 naming the field and the reason', async () => {
  const badEmail = await stack.post('/v1/purchases', purchase('bad1', { contact: { name: 'X', email: 'not-an-email' } }));
  expect(badEmail.status).toBe(400);
  expect(badEmail.body.issues).toEqual([expect.objectContaining({ field: 'contact.email' })]);

  const badZone = await stack.post('/v1/purchases', purchase('bad2', { timeZone: 'Mars/Olympus' }));
  expect(badZone.body.issues).toEqual([{ field: 'timeZone', message: 'must be an IANA time zone such as "Europe/Berlin"' }]);

  const backwards = await stack.post('/v1/purchases', purchase('bad3', { renewalDate: '2020-01-01' }));
  expect(backwards.body.issues).toEqual([{ field: 'renewalDate', message: 'must be between 28 days and 10 years after purchaseDate' }]);
  const typo = await stack.post('/v1/purchases', { ...purchase('bad6'), owner: { name: 'Kim', email: 'kim@x.example' } });
  expect(typo.body.issues).toEqual([{ field: '(top level)', message: 'unknown field(s): owner' }]);

  const { company: _company, ...noCompany } = purchase('bad4');
  const missing = await stack.post('/v1/purchases', noCompany);
  expect(missing.body.issues).toEqual([expect.objectContaining({ field: 'company' })]);

  const unknownMap = await stack.post('/v1/purchases', { ...purchase('bad5'), mapId: 'nope' });
  expect(unknownMap.status).toBe(400);
  expect(unknownMap.body.issues).toEqual([{ field: 'mapId', message: 'no published map "nope" (published: default, enterprise, tech-touch)' }]);

  const notJson = await stack.post('/v1/purchases', '{"customerId": ');
  expect(notJson).toEqual({ status: 400, body: { error: 'invalid request', issues: [{ field: '(body)', message: 'is not valid JSON' }] } });

  await stack.post('/v1/purchases', purchase('wayne'));
  const noType = await stack.post('/v1/customers/wayne/events', { eventId: 'e1' });
  expect(noType.status).toBe(400);
  expect(noType.body.issues).toEqual([expect.objectContaining({ field: 'type' })]);
  const badPath = await stack.post('/v1/customers/bad%20id/events', { eventId: 'e1', type: 'user.login' });
  expect(badPath.status).toBe(400);
  expect(badPath.body.issues).toEqual([expect.objectContaining({ field: 'customerId' })]);

  // Nothing invalid started a journey.
  for (const id of ['bad1', 'bad2', 'bad3', 'bad4', 'bad5', 'bad6']) {
    expect((await stack.get(`/v1/customers/${id}/journey`)).status).toBe(404);
  }
});

test('ops find journeys by segment and stage through the search attributes, named by their company', async () => {
  await stack.post('/v1/purchases', purchase('stark', { segment: 'enterprise-test' }));
  const listed = await eventually(async () => {
    const { body } = await stack.get('/v1/journeys?segment=enterprise-test&stage=onboarding');
    expect(body.journeys).toHaveLength(1);
    // The company comes from the engine database, once the journey has recorded its first facts.
    expect(body.journeys[0].company).toBe('stark Ltd');
    return body.journeys[0];
  });
  expect(listed).toMatchObject({ customerId: 'stark', stage: 'onboarding', atRisk: false, term: 1, map: 'default@1' });
  expect(listed.owners).toEqual(expect.arrayContaining(['sam.rivera@success.example', 'alex.chen@success.example']));
});

test('restarting the worker, the API and the Temporal server keeps every journey where it was', async () => {
  await stack.post('/v1/purchases', purchase('cyberdyne'));
  await stack.post('/v1/customers/cyberdyne/events', { eventId: 'c-login', type: 'user.login' });
  const before = await eventually(async () => {
    const { body } = await stack.get('/v1/customers/cyberdyne/journey');
    expect(body.milestones.find((m: { id: string }) => m.id === 'first-login').status).toBe('reached');
    expect(body.touchpoints.find((t: { touchpointId: string }) => t.touchpointId === 'welcome-email').status).toBe('done');
    return body;
  });

  await stack.stopWorkerAndApi();
  await stack.devServer!.stop();
  await stack.startTemporal();
  await stack.startWorker();
  await stack.startApi();

  const after = await stack.get('/v1/customers/cyberdyne/journey');
  expect(after.body).toEqual(before);
  await stack.post('/v1/customers/cyberdyne/events', { eventId: 'c-reports', type: 'feature.used', feature: 'reports' });
  await eventually(async () => expect((await stack.get('/v1/customers/cyberdyne/journey')).body.stage).toBe('adoption'));
  // The welcome email went out once, before the restart, and not again.
  expect(await mailTo('jo@cyberdyne.example')).toHaveLength(1);
  // Journeys started before the restart are all still there.
  expect((await stack.get('/v1/customers/globex/journey')).body.stage).toBe('onboarding');
}, 120_000);

test('while Temporal is down the API answers 503 with Retry-After, /healthz stays up and /readyz names Temporal', async () => {
  await stack.devServer!.stop();
  const event = await fetch(`${stack.apiUrl}/v1/customers/globex/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...stack.headers },
    body: JSON.stringify({ eventId: 'g-down', type: 'user.login' }),
  });
  expect(event.status).toBe(503);
  expect(event.headers.get('retry-after')).toBe('5');
  expect(await event.json()).toMatchObject({ error: expect.stringContaining('cannot reach Temporal'), dependency: 'temporal' });
  expect((await stack.get('/v1/customers/globex/journey')).status).toBe(503);
  expect((await stack.get('/healthz')).status).toBe(200);
  const readiness = await stack.get('/readyz');
  expect(readiness.status).toBe(503);
  expect(readiness.body).toMatchObject({ status: 'not ready', checks: { temporal: { ok: false, detail: expect.stringMatching(/^unreachable/) } } });

  await stack.startTemporal();
  await eventually(async () => expect((await stack.get('/readyz')).body).toEqual({ status: 'ready', checks: { temporal: { ok: true, detail: 'ok' }, database: { ok: true, detail: 'ok' } } }));
  expect((await stack.post('/v1/customers/globex/events', { eventId: 'g-back', type: 'user.login' })).status).toBe(202);
}, 120_000);

test('publishing a map version is explicit; new journeys start on the latest published version', async () => {
  const v1 = (await stack.get('/v1/maps/default')).body;
  expect(v1.version).toBe(1);
  expect((await stack.get('/v1/maps')).body.maps).toEqual([
    expect.objectContaining({ id: 'default', version: 1, segments: ['emerging', 'scaling'] }),
    expect.objectContaining({ id: 'enterprise', version: 1, segments: ['enterprise'] }),
    expect.objectContaining({ id: 'tech-touch', version: 1, segments: ['startup'] }),
  ]);
  // The purchase picks the map by segment.
  expect((await stack.post('/v1/purchases', purchase('bigcorp', { segment: 'enterprise' }))).body.map).toEqual({ id: 'enterprise', version: 1 });
  expect((await stack.post('/v1/purchases', purchase('tinyco', { segment: 'startup' }))).body.map).toEqual({ id: 'tech-touch', version: 1 });

  const again = await stack.post('/v1/maps', v1);
  expect(again.status).toBe(409);
  expect(again.body.error).toBe('map "default" version 1 is not newer than the published version 1');

  const invalid = await stack.post('/v1/maps', { ...v1, version: 2, stages: [{ ...v1.stages[0], owner: undefined }] });
  expect(invalid.status).toBe(400);
  expect(invalid.body.issues).toEqual(expect.arrayContaining([{ field: 'stages[0].owner', message: 'is required' }]));
  const unstaffed = await stack.post('/v1/maps', { ...v1, version: 2, stages: [{ ...v1.stages[0], owner: 'ghostRole' }, ...v1.stages.slice(1)] });
  expect(unstaffed.status).toBe(400);
  expect(unstaffed.body.issues).toEqual([{ field: 'stages[0].owner', message: expect.stringMatching(/^no one holds role "ghostRole"/) }]);

  const v2 = { ...v1, version: 2, name: 'Default success journey, reviewed' };
  expect(await stack.post('/v1/maps', v2)).toEqual({ status: 201, body: { id: 'default', version: 2 } });
  expect((await stack.get('/v1/maps/default?version=1')).body.name).toBe('Default success journey');

  const started = await stack.post('/v1/purchases', purchase('soylent'));
  expect(started.body.map).toEqual({ id: 'default', version: 2 });
  // Journeys already running keep the version they started with.
  expect((await stack.get('/v1/customers/globex/journey')).body.mapVersion).toBe(1);
});

test('map ids that are names of plain object properties are ordinary ids, and unknown ones are 404', async () => {
  const v1 = (await stack.get('/v1/maps/default')).body;
  expect((await stack.get('/v1/maps/constructor')).status).toBe(404);
  expect((await stack.get('/v1/maps/toString')).status).toBe(404);
  const published = await stack.post('/v1/maps', { ...v1, id: 'constructor', version: 1, segments: [] });
  expect(published).toMatchObject({ status: 201, body: { id: 'constructor', version: 1 } });
  expect((await stack.get('/v1/maps/constructor')).body).toMatchObject({ id: 'constructor', version: 1 });
  expect((await stack.post('/v1/purchases', purchase('maps'))).status).toBe(400);
});

test('a map version published before the map language grew still starts journeys', async () => {
  // As the registry kept it: raw data without the fields (and defaults) the language has gained since.
  const legacy = parse(readFileSync(path.join(PROJECT_ROOT, 'maps', 'default.yaml'), 'utf8'));
  Object.assign(legacy, { id: 'legacy', segments: ['legacy'], delivery: undefined, goals: undefined });
  for (const stage of legacy.stages) for (const milestone of stage.milestones ?? []) delete milestone.onMissed?.then;
  const connection = await Connection.connect({ address: stack.devServer!.address });
  try {
    await new MapRegistry(new Client({ connection, dataConverter: testDataConverter }), 'customer-journeys').publish(legacy);
  } finally {
    await connection.close();
  }
  // Published by another process: the API, which keeps the registry's answer a few seconds, asks again for
  // a map it does not know.
  const started = await stack.post('/v1/purchases', purchase('oldtimer', { segment: 'legacy', mapId: 'legacy' }));
  expect(started).toEqual({ status: 201, body: expect.objectContaining({ map: { id: 'legacy', version: 1 } }) });
  await eventually(async () => expect(await mailTo('jo@oldtimer.example')).toHaveLength(1));
});

test('journeys maps publish publishes a map file to the running engine, and refuses an old version', async () => {
  const file = path.join(stack.dataDir, 'default-v3.yaml');
  writeFileSync(file, readFileSync(path.join(PROJECT_ROOT, 'maps', 'default.yaml'), 'utf8').replace('version: 1', 'version: 3'));
  const published = await cli('maps', 'publish', file);
  expect(published).toEqual({ code: 0, stdout: `${file}: published map "default" version 3\n`, stderr: '' });
  const old = await cli('maps', 'publish', path.join(PROJECT_ROOT, 'maps', 'default.yaml'));
  expect(old.code).toBe(1);
  expect(old.stderr).toContain('maps/default.yaml: map "default" version 1 is not newer than the published version 3');
});

test('migrating journeys in flight: a dry run lists the changes, a stage the new version lacks is refused until mapped', async () => {
  await stack.post('/v1/purchases', purchase('tyrell', { segment: 'migration-test' }));
  await eventually(async () => expect((await stack.get('/v1/journeys?segment=migration-test')).body.journeys).toHaveLength(1));
  const current = (await stack.get('/v1/maps/default')).body;
  const onVersion = (await stack.get('/v1/customers/tyrell/journey')).body.mapVersion;
  // The reviewed map renames onboarding to "getting-started" and adds a checklist email on day 5.
  const renamed = JSON.parse(JSON.stringify(current).replaceAll('"onboarding"', '"getting-started"'));
  renamed.version = current.version + 1;
  renamed.stages[0].touchpoints.push({ id: 'checklist-email', name: 'Checklist email', action: 'email', template: 'welcome', owner: 'successManager', at: { days: 5 } });
  expect((await stack.post('/v1/maps', renamed)).status).toBe(201);
  const order = { mapId: 'default', toVersion: renamed.version, query: 'CustomerSegment = "migration-test"' };

  const refused = await stack.post('/v1/migrations', { ...order, dryRun: true });
  expect(refused.status).toBe(200);
  expect(refused.body.results).toEqual([
    expect.objectContaining({ customerId: 'tyrell', outcome: 'refused', reason: expect.stringContaining('the journey is in stage "onboarding"') }),
  ]);
  expect((await stack.post('/v1/migrations', order)).body.results[0]).toMatchObject({ outcome: 'refused' });

  const mapped = { ...order, stageMapping: { onboarding: 'getting-started' } };
  const dryRun = await stack.post('/v1/migrations', { ...mapped, dryRun: true });
  expect(dryRun.body).toMatchObject({ wouldMigrate: 1, refused: 0 });
  expect(dryRun.body.results[0].plan).toMatchObject({
    from: `default@${onVersion}`,
    to: `default@${renamed.version}`,
    stage: { from: 'onboarding', to: 'getting-started' },
    addedTouchpoints: ['checklist-email'],
  });
  expect((await stack.get('/v1/customers/tyrell/journey')).body.stage).toBe('onboarding'); // a dry run changes nothing

  const migrated = await stack.post('/v1/migrations', mapped);
  expect(migrated.body).toMatchObject({ migrated: 1, refused: 0 });
  const after = (await stack.get('/v1/customers/tyrell/journey')).body;
  expect(after).toMatchObject({ mapVersion: renamed.version, stage: 'getting-started' });
  expect(after.touchpoints.find((t: { touchpointId: string }) => t.touchpointId === 'checklist-email')).toMatchObject({
    status: 'pending',
    trigger: `added by the migration to default@${renamed.version}`,
  });
  expect(after.migrations).toHaveLength(1);
  await eventually(async () =>
    expect((await stack.get('/v1/journeys?segment=migration-test')).body.journeys[0]).toMatchObject({
      map: `default@${renamed.version}`,
      stage: 'getting-started',
    }),
  );
  // Migrating again to the same version finds nothing left to move.
  expect((await stack.post('/v1/migrations', mapped)).body.results).toEqual([]);
});

test('journeys migrate moves journeys from the command line, after a dry run that changes nothing', async () => {
  await stack.post('/v1/purchases', purchase('oscorp', { segment: 'cli-migration' }));
  await eventually(async () => expect((await stack.get('/v1/journeys?segment=cli-migration')).body.journeys).toHaveLength(1));
  const current = (await stack.get('/v1/maps/default')).body;
  const next = { ...current, version: current.version + 1, name: 'Default, next review' };
  expect((await stack.post('/v1/maps', next)).status).toBe(201);
  const args = ['migrate', '--map', 'default', '--to', String(next.version), '--query', 'CustomerSegment = "cli-migration"'];

  const dryRun = await cli(...args, '--dry-run');
  expect(dryRun.stdout).toMatch(new RegExp(`^oscorp\\s+would migrate\\s+default@${current.version} -> default@${next.version}, stage [a-z-]+$`, 'm'));
  expect(dryRun.stdout).toContain('1 journeys: 1 would migrate, 0 refused');
  expect(dryRun.code).toBe(0);

  expect((await stack.get('/v1/customers/oscorp/journey')).body.mapVersion).toBe(current.version);
  const done = await cli(...args);
  expect(done.stdout).toContain('1 journeys: 1 migrated, 0 refused');
  expect((await stack.get('/v1/customers/oscorp/journey')).body.mapVersion).toBe(next.version);

  const badMapping = await cli(...args, '--stage-map', 'onboarding');
  expect(badMapping.code).toBe(1);
  expect(badMapping.stderr).toContain('--stage-map: must be OLD=NEW pairs separated by commas');

  const unpublished = await cli('migrate', '--map', 'default', '--to', '999');
  expect(unpublished).toEqual({
    code: 1,
    stdout: '',
    stderr: 'invalid request {"issues":[{"field":"toVersion","message":"map \\"default\\" version 999 is not published"}]}\n',
  });
});
