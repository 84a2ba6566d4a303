import { ApiKeys } from '../auth/api-keys';
import { isScope, SCOPES, type Scope } from '../auth/scopes';
import { requireDatabaseUrl, type Config } from '../config';
import { openDatabase } from '../db/database';
import { UsageError } from './usage';

export const KEYS_USAGE = `  journeys keys create --name NAME --scopes SCOPE,...
                                                 make an API key (printed once, keep it): scopes are
                                                 ${SCOPES.join(', ')}
  journeys keys list                             every key: id, name, scopes, made, revoked
  journeys keys revoke ID                        refuse the key from now on`;

/** `journeys keys ...`: API keys in the engine database (DATABASE_URL). */
export async function keysCommand(config: Config, command: string | undefined, rest: string[], values: { name?: string; scopes?: string }): Promise<number> {
  const run = async <T>(work: (keys: ApiKeys) => Promise<T>): Promise<T> => {
    const db = await openDatabase(requireDatabaseUrl(config), { max: 1 });
    try {
      return await work(new ApiKeys(db));
    } finally {
      await db.end();
    }
  };
  if (command === 'create') {
    const name = values.name?.trim();
    if (!name) throw new UsageError('keys create: --name: say whose key it is (e.g. billing)');
    const scopes = scopesOf(values.scopes);
    const { key, apiKey } = await run((keys) => keys.create(name, scopes));
    console.error(`API key ${apiKey.id} "${apiKey.name}" with ${apiKey.scopes.join(', ')}; it is shown only now:`);
    console.log(key);
    return 0;
  }
  if (command === 'list') {
    const all = await run((keys) => keys.list());
    for (const key of all) {
      console.log(`${key.id}  ${key.name}  ${key.scopes.join(',')}  made ${key.createdAt}${key.revokedAt ? `  revoked ${key.revokedAt}` : ''}`);
    }
    if (all.length === 0) console.error('no API keys yet: journeys keys create --name NAME --scopes SCOPE,...');
    return 0;
  }
  if (command === 'revoke') {
    if (rest.length !== 1) throw new UsageError('keys revoke: name one key id (journeys keys list shows them)');
    if (!(await run((keys) => keys.revoke(rest[0]!)))) throw new UsageError(`keys revoke: no API key "${rest[0]}"`);
    console.log(`API key ${rest[0]} revoked`);
    return 0;
  }
  throw new UsageError(`keys: unknown command "${command ?? ''}"\n\n${KEYS_USAGE}`);
}

function scopesOf(list: string | undefined): Scope[] {
  const given = (list ?? '').split(',').map((scope) => scope.trim()).filter(Boolean);
  if (given.length === 0) throw new UsageError(`keys create: --scopes: name at least one of ${SCOPES.join(', ')}`);
  const unknown = given.filter((scope) => !isScope(scope));
  if (unknown.length > 0) throw new UsageError(`keys create: --scopes: no scope ${unknown.map((s) => `"${s}"`).join(', ')} (the scopes are ${SCOPES.join(', ')})`);
  return given as Scope[];
}
