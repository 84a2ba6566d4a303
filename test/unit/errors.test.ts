import { status as grpcStatus } from '@grpc/grpc-js';
import { ServiceError } from '@temporalio/client';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { errorHandler } from '../../src/api/errors';
import { ConflictError, DomainError, InvalidInputError, NotFoundError, RefusedError } from '../../src/errors';
import { MapProblems } from '../../src/maps/catalog';

/** What the handler answered: a hand-made response that records status, headers and body. */
function answer(err: unknown) {
  const logged: string[] = [];
  const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
  const res = {
    status(code: number) {
      sent.status = code;
      return this;
    },
    set(name: string, value: string) {
      sent.headers[name] = value;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
      return this;
    },
  };
  const handle = errorHandler({ error: (_obj, msg) => logged.push(msg) });
  void handle(err, {} as Request, res as unknown as Response, (() => undefined) as NextFunction);
  return { ...sent, logged };
}

describe('domain errors', () => {
  test('each says what it is and why', () => {
    const err = new ConflictError('the journey of customer "acme" has ended');
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('ConflictError');
    expect(err.message).toBe('the journey of customer "acme" has ended');
  });

  test('an invalid input names one field, or several, with the reason for each', () => {
    const one = new InvalidInputError('mapId', 'no published map "nope"');
    expect(one.issues).toEqual([{ field: 'mapId', message: 'no published map "nope"' }]);
    expect(one.message).toBe('mapId: no published map "nope"');
    const two = new InvalidInputError([
      { field: 'owners.successManager', message: 'needs someone' },
      { field: 'demoClock', message: 'is switched off' },
    ]);
    expect(two.issues).toHaveLength(2);
    expect(two.message).toBe('owners.successManager: needs someone; demoClock: is switched off');
  });
});

describe('the API answers each error', () => {
  test('not found is 404 with what was not found', () => {
    expect(answer(new NotFoundError('no journey for customer "nobody"'))).toEqual({
      status: 404,
      headers: {},
      body: { error: 'no journey for customer "nobody"' },
      logged: [],
    });
  });

  test('a conflict is 409 with what conflicts', () => {
    expect(answer(new ConflictError('map "default" version 1 is not newer than the published version 1'))).toMatchObject({
      status: 409,
      body: { error: 'map "default" version 1 is not newer than the published version 1' },
      logged: [],
    });
  });

  test('a journey refusing a change is 409 with its reason', () => {
    expect(answer(new RefusedError('the call is cancelled'))).toMatchObject({ status: 409, body: { error: 'the call is cancelled' }, logged: [] });
  });

  test('an invalid input is 400 naming each field, as a validation error does', () => {
    expect(answer(new InvalidInputError('toVersion', 'map "default" version 9 is not published'))).toMatchObject({
      status: 400,
      body: { error: 'invalid request', issues: [{ field: 'toVersion', message: 'map "default" version 9 is not published' }] },
      logged: [],
    });
    const issues = [
      { field: 'a', message: 'is wrong' },
      { field: 'b.c', message: 'is wrong too' },
    ];
    expect(answer(new InvalidInputError(issues)).body).toEqual({ error: 'invalid request', issues });
  });

  test('a schema error is 400 naming each field by its path', () => {
    const parsed = z.object({ owners: z.object({ email: z.email() }) }).safeParse({ owners: { email: 'no' } });
    expect(answer(parsed.error)).toMatchObject({
      status: 400,
      body: { error: 'invalid request', issues: [{ field: 'owners.email', message: expect.any(String) }] },
    });
  });

  test('map problems are 400 naming each path in the map', () => {
    expect(answer(new MapProblems([{ path: 'stages[0].id', message: 'is required' }]))).toMatchObject({
      status: 400,
      body: { error: 'invalid map', issues: [{ field: 'stages[0].id', message: 'is required' }] },
    });
  });

  test('a body that is not JSON is 400, and other body-parser refusals keep their status', () => {
    expect(answer(Object.assign(new Error('Unexpected token'), { type: 'entity.parse.failed', status: 400 }))).toMatchObject({
      status: 400,
      body: { error: 'invalid request', issues: [{ field: '(body)', message: 'is not valid JSON' }] },
    });
    expect(answer(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413 }))).toMatchObject({
      status: 413,
      body: { error: 'request entity too large' },
    });
    // A gzip body that does not inflate: the parser's 400 has no type of its own.
    expect(answer(Object.assign(new Error('Bad Request'), { status: 400 }))).toMatchObject({
      status: 400,
      body: { error: 'invalid request', issues: [{ field: '(body)', message: 'could not be read as sent (check its Content-Encoding)' }] },
    });
  });

  test('a path that is not valid percent-encoding is 400 naming the path, as the router finds it', () => {
    const undecodable = Object.assign(new URIError("Failed to decode param '%E0%A4%A'"), { status: 400, statusCode: 400 });
    expect(answer(undecodable)).toMatchObject({
      status: 400,
      body: { error: 'invalid request', issues: [{ field: '(path)', message: expect.stringContaining('percent-encoding') }] },
      logged: [],
    });
  });

  test('Temporal out of reach is 503 with Retry-After, naming the dependency', () => {
    const unreachable = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
      code: grpcStatus.UNAVAILABLE,
      details: 'No connection established',
    });
    expect(answer(new ServiceError('Failed to start Workflow', { cause: unreachable }))).toEqual({
      status: 503,
      headers: { 'Retry-After': '5' },
      body: { error: 'the journey engine cannot reach Temporal right now; nothing was changed, try again shortly', dependency: 'temporal' },
      logged: ['Temporal is unreachable'],
    });
  });

  test('anything else is 500 and says little, but is logged', () => {
    expect(answer(new Error('secret detail'))).toEqual({ status: 500, headers: {}, body: { error: 'internal error' }, logged: ['request failed'] });
  });
});
