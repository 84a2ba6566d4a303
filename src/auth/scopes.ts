/**
 * What an API key may do. Each route of the API needs one scope; a key holds those its holder needs:
 * billing `purchases:write`, the product `events:write`, ops `journeys:read` and `journeys:write`, map
 * authors `maps:write`, whoever reads journeys' payloads in the Temporal UI or CLI `payloads:decode` (the
 * codec endpoint decrypts everything Temporal keeps, customers' contacts included).
 */
export const SCOPES = ['purchases:write', 'events:write', 'journeys:read', 'journeys:write', 'maps:write', 'payloads:decode'] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
