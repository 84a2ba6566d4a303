import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DateTime } from 'luxon';
import { findTrainingSlot, loadTrainers, type Trainer } from '../../src/delivery/availability';
import { TRAINERS_FILE } from '../../src/maps/catalog';
import { MAPS_DIR } from '../helpers/fixtures';

const dir = mkdtempSync(path.join(os.tmpdir(), 'trainers-'));
let files = 0;

/** Trainers as a trainers file gives them, through the real loader. */
function trainersFrom(yaml: string): Trainer[] {
  const file = path.join(dir, `trainers-${++files}.yaml`);
  writeFileSync(file, yaml);
  return loadTrainers(file);
}

function problemsOf(yaml: string): string[] {
  try {
    trainersFrom(yaml);
  } catch (err) {
    return (err as Error).message.split('\n');
  }
  return [];
}

const WEEKDAYS_9_TO_5 = '{ mon: "09:00-17:00", tue: "09:00-17:00", wed: "09:00-17:00", thu: "09:00-17:00", fri: "09:00-17:00" }';
const trainer = (name: string, timeZone: string, extra = '') =>
  `  - { name: ${name}, email: ${name.toLowerCase()}@trainers.example, timeZone: ${timeZone}, hours: ${WEEKDAYS_9_TO_5}${extra} }\n`;

/** The slot as "trainer: ccc yyyy-MM-dd HH:mm" in a zone, or "none". */
function slotIn(zone: string, options: Partial<Parameters<typeof findTrainingSlot>[0]> & { trainers: Trainer[] }): string {
  const slot = findTrainingSlot({
    topic: 'Reports',
    customerTimeZone: 'Europe/Berlin',
    notBefore: '2026-11-23T06:00:00Z', // Monday, before anyone's working day
    durationMinutes: 60,
    isTaken: () => false,
    ...options,
  });
  return slot ? `${slot.trainer.name}: ${slot.start.setZone(zone).toFormat('ccc yyyy-MM-dd HH:mm')}` : 'none';
}

test('a Berlin trainer and a New York customer meet only from 15:00 to 17:00 Berlin time', () => {
  const trainers = trainersFrom(`trainers:\n${trainer('Lena', 'Europe/Berlin')}`);
  const taken: DateTime[] = [];
  const isTaken = (_email: string, start: DateTime, end: DateTime) => taken.some((t) => t < end && t.plus({ minutes: 60 }) > start);
  const starts: string[] = [];
  for (let i = 0; i < 4; i += 1) {
    const slot = findTrainingSlot({ trainers, topic: 'Reports', customerTimeZone: 'America/New_York', notBefore: '2026-11-23T06:00:00Z', durationMinutes: 60, isTaken });
    starts.push(`${slot!.start.setZone('Europe/Berlin').toFormat('ccc HH:mm')} Berlin = ${slot!.start.toFormat('HH:mm')} New York`);
    taken.push(slot!.start);
  }
  expect(starts).toEqual([
    'Mon 15:00 Berlin = 09:00 New York',
    'Mon 16:00 Berlin = 10:00 New York',
    'Tue 15:00 Berlin = 09:00 New York',
    'Tue 16:00 Berlin = 10:00 New York',
  ]);
  // Two hours fit the overlap exactly; two and a half never do.
  expect(slotIn('Europe/Berlin', { trainers, customerTimeZone: 'America/New_York', durationMinutes: 120 })).toBe('Lena: Mon 2026-11-23 15:00');
  expect(slotIn('Europe/Berlin', { trainers, customerTimeZone: 'America/New_York', durationMinutes: 150 })).toBe('none');
});

test('the earliest slot of any trainer wins; at the same time, the trainer listed first', () => {
  const trainers = trainersFrom(`trainers:\n${trainer('Marcus', 'America/New_York')}${trainer('Priya', 'Asia/Singapore')}${trainer('Lena', 'Europe/Berlin')}`);
  // Singapore's afternoon is Berlin's morning; New York starts at 15:00 Berlin.
  expect(slotIn('Europe/Berlin', { trainers })).toBe('Priya: Mon 2026-11-23 09:00');
  const lenaFirst = trainersFrom(`trainers:\n${trainer('Lena', 'Europe/Berlin')}${trainer('Priya', 'Asia/Singapore')}`);
  expect(slotIn('Europe/Berlin', { trainers: lenaFirst })).toBe('Lena: Mon 2026-11-23 09:00');
});

test('a slot starts on the half hour, at least an hour after notBefore', () => {
  const trainers = trainersFrom(`trainers:\n${trainer('Lena', 'Europe/Berlin')}`);
  expect(slotIn('Europe/Berlin', { trainers, notBefore: '2026-11-23T09:10:00+01:00' })).toBe('Lena: Mon 2026-11-23 10:30');
  expect(slotIn('Europe/Berlin', { trainers, notBefore: '2026-11-23T09:30:00+01:00' })).toBe('Lena: Mon 2026-11-23 10:30');
  expect(slotIn('Europe/Berlin', { trainers, notBefore: '2026-11-23T09:31:00+01:00' })).toBe('Lena: Mon 2026-11-23 11:00');
});

test('a training due at the weekend goes to Monday morning', () => {
  // The trainer would work at the weekend; the customer does not.
  const trainers = trainersFrom(
    'trainers:\n  - { name: Lena, email: lena@trainers.example, timeZone: Europe/Berlin, hours: { sat: "09:00-17:00", sun: "09:00-17:00", mon: "09:00-17:00" } }\n',
  );
  expect(slotIn('Europe/Berlin', { trainers, notBefore: '2026-11-28T10:00:00+01:00' })).toBe('Lena: Mon 2026-11-30 09:00');
});

test("the trainer's hours hold in the trainer's time zone: a short Friday ends the week early", () => {
  const trainers = trainersFrom(`trainers:\n  - { name: Lena, email: lena@trainers.example, timeZone: Europe/Berlin, hours: { fri: "09:00-13:00", mon: "09:00-17:00" } }\n`);
  expect(slotIn('Europe/Berlin', { trainers, notBefore: '2026-11-27T11:00:00+01:00' })).toBe('Lena: Fri 2026-11-27 12:00');
  expect(slotIn('Europe/Berlin', { trainers, notBefore: '2026-11-27T11:31:00+01:00' })).toBe('Lena: Mon 2026-11-30 09:00');
});

test('holidays are skipped: a date covers its whole day in the trainer zone, a date-time range just its hours', () => {
  const days = trainersFrom(`trainers:\n${trainer('Lena', 'Europe/Berlin', ', unavailable: [{ from: 2026-11-23, to: 2026-11-24, reason: Holiday }]')}`);
  expect(days[0]!.unavailable).toEqual([{ from: '2026-11-22T23:00:00.000Z', to: '2026-11-24T23:00:00.000Z', reason: 'Holiday' }]);
  expect(slotIn('Europe/Berlin', { trainers: days })).toBe('Lena: Wed 2026-11-25 09:00');
  const hours = trainersFrom(`trainers:\n${trainer('Lena', 'Europe/Berlin', ', unavailable: [{ from: "2026-11-23T09:00:00+01:00", to: "2026-11-23T12:30:00+01:00" }]')}`);
  expect(slotIn('Europe/Berlin', { trainers: hours })).toBe('Lena: Mon 2026-11-23 12:30');
  // A holiday of the first trainer hands the slot to the next one.
  const two = trainersFrom(`trainers:\n${trainer('Lena', 'Europe/Berlin', ', unavailable: [{ from: 2026-11-23, to: 2026-11-23 }]')}${trainer('Jonas', 'Europe/Berlin')}`);
  expect(slotIn('Europe/Berlin', { trainers: two })).toBe('Jonas: Mon 2026-11-23 09:00');
});

test('taken slots are skipped, trainer by trainer', () => {
  const trainers = trainersFrom(`trainers:\n${trainer('Lena', 'Europe/Berlin')}${trainer('Jonas', 'Europe/Berlin')}`);
  const nineToTen = (start: DateTime) => start.setZone('Europe/Berlin').hour === 9;
  expect(slotIn('Europe/Berlin', { trainers, isTaken: (email, start) => email === 'lena@trainers.example' && nineToTen(start) })).toBe(
    'Jonas: Mon 2026-11-23 09:00',
  );
  expect(slotIn('Europe/Berlin', { trainers, isTaken: (_email, start) => nineToTen(start) })).toBe('Lena: Mon 2026-11-23 10:00');
  // The check sees the whole session: a 60-minute session at 09:30 runs into a taken 10:00.
  const seen: string[] = [];
  findTrainingSlot({
    trainers: trainers.slice(0, 1),
    topic: 'Reports',
    customerTimeZone: 'Europe/Berlin',
    notBefore: '2026-11-23T07:00:00Z',
    durationMinutes: 60,
    isTaken: (_email, start, end) => {
      seen.push(`${start.setZone('Europe/Berlin').toFormat('HH:mm')}-${end.setZone('Europe/Berlin').toFormat('HH:mm')}`);
      return seen.length < 3;
    },
  });
  expect(seen).toEqual(['09:00-10:00', '09:30-10:30', '10:00-11:00']);
});

test('topics match either way round, ignoring case; a trainer without topics trains anything', () => {
  const trainers = trainersFrom(
    'trainers:\n' +
      trainer('Dana', 'Europe/Berlin', ', topics: [Dashboards]') +
      trainer('Remy', 'Europe/Berlin', ', topics: [Reports deep dive, Exports]') +
      trainer('Gale', 'Europe/Berlin'),
  );
  const who = (topic: string) => slotIn('Europe/Berlin', { trainers, topic }).split(':')[0];
  expect(who('Reports')).toBe('Remy');
  expect(who('reports DEEP dive')).toBe('Remy');
  expect(who('Dashboards for managers')).toBe('Dana');
  expect(who('Integrations')).toBe('Gale');
  const specialists = trainers.slice(0, 2);
  expect(slotIn('Europe/Berlin', { trainers: specialists, topic: 'Integrations' })).toBe('none');
});

test('no free slot within the search window is no slot', () => {
  const trainers = trainersFrom(`trainers:\n${trainer('Lena', 'Europe/Berlin', ', unavailable: [{ from: 2026-11-23, to: 2026-11-29 }]')}`);
  expect(slotIn('Europe/Berlin', { trainers, searchDays: 7 })).toBe('none');
  expect(slotIn('Europe/Berlin', { trainers, searchDays: 8 })).toBe('Lena: Mon 2026-11-30 09:00');
});

test('the shipped trainers file loads', () => {
  const shipped = loadTrainers(path.join(MAPS_DIR, TRAINERS_FILE));
  expect(shipped.map((t) => t.timeZone)).toEqual(['Europe/Berlin', 'America/New_York', 'Asia/Singapore']);
});

test('mistakes in a trainers file name the file and the path in it', () => {
  const file = path.join(dir, `trainers-${files + 1}.yaml`);
  const problems = problemsOf(
    [
      'trainers:',
      '  - { name: Ana, email: ana@trainers.example, timeZone: Europe/Berln, hours: { mon: "09:00-17:00" } }',
      '  - { name: Bo, email: bo@trainers.example, timeZone: Europe/Berlin, hours: { mon: "9-17", tue: "17:00-09:00", sunday: "09:00-12:00" } }',
      '  - name: Cy',
      '    email: ANA@trainers.example',
      '    timeZone: Asia/Singapore',
      '    hours: { fri: "10:00-16:00" }',
      '    unavailable: [{ from: 2026-12-24, to: 2026-12-20 }, { from: "2026-12-24T10:00:00Z", to: "2026-12-24T10:00:00Z" }, { from: soon, to: 2027-01-01 }]',
    ].join('\n'),
  );
  expect(problems).toEqual([
    `${file}: trainers[0].timeZone: must be an IANA time zone such as "Europe/Berlin"`,
    `${file}: trainers[1].hours.mon: must be HH:MM-HH:MM`,
    `${file}: trainers[1].hours.tue: must close after it opens`,
    `${file}: trainers[1].hours: unknown field(s): sunday`,
    `${file}: trainers[2].unavailable[2].from: must be an ISO date (2026-12-24) or date-time with offset (2026-12-24T13:00:00+01:00)`,
    `${file}: trainers[2].email: duplicate trainer email "ANA@trainers.example"`,
  ]);
  // Once the dates parse, their order is checked too.
  const ordered = problemsOf(
    'trainers:\n  - { name: Cy, email: cy@trainers.example, timeZone: Asia/Singapore, hours: { fri: "10:00-16:00" },\n' +
      '      unavailable: [{ from: 2026-12-24, to: 2026-12-20 }, { from: "2026-12-24T10:00:00Z", to: "2026-12-24T10:00:00Z" }, { from: 2026-12-24, to: 2026-12-24 }] }\n',
  );
  expect(ordered).toEqual([
    expect.stringMatching(/trainers-\d+\.yaml: trainers\[0\]\.unavailable\[0\]\.to: must be after from$/),
    expect.stringMatching(/trainers-\d+\.yaml: trainers\[0\]\.unavailable\[1\]\.to: must be after from$/),
  ]);
  expect(problemsOf(`trainers:\n${trainer('Lena', 'Europe/Berlin')}${trainer('Lena', 'Asia/Singapore')}`)).toEqual([
    expect.stringMatching(/trainers\[1\]\.email: duplicate trainer email "lena@trainers.example"$/),
  ]);
  expect(problemsOf('trainers: []\n')).toEqual([expect.stringMatching(/trainers: /)]);
  expect(problemsOf('trainers:\n  - { name: Al, email: al@trainers.example, timeZone: UTC, hours: {} }\n')).toEqual([
    expect.stringMatching(/trainers\[0\]\.hours: must open on at least one day$/),
  ]);
});
