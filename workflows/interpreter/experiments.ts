/**
 * Which arm of each experiment a customer falls in: by weight, from a hash of the experiment and customer ids,
 * so the same customer lands in the same arm on every replay, run, term and worker, with nothing to store
 * but the answer (kept in the state so a later map version that reweighs the arms moves nobody).
 */
import type { Experiment } from '../../contracts/map';
import { iso, type Journey } from './journey';

/**
 * FNV-1a, 32 bits, over the UTF-16 code units, then MurmurHash3's finaliser: FNV alone leaves the last
 * characters in the top bits (ids customer-1 ... customer-199 would all land in one arm).
 */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** The arm this customer falls in: each arm gets its weight's share of the hash range. */
export function armFor(customerId: string, experiment: Experiment): string {
  const total = experiment.arms.reduce((sum, arm) => sum + arm.weight, 0);
  let point = Math.floor((hash32(`${experiment.id}\u0000${customerId}`) / 2 ** 32) * total);
  for (const arm of experiment.arms) {
    if (point < arm.weight) return arm.id;
    point -= arm.weight;
  }
  return experiment.arms.at(-1)!.id; // unreachable: point < total
}

/** Assigns the customer to every experiment of the journey's map it is not in yet (a new journey, a migration). */
export function assignArms(j: Journey): void {
  if (j.map.experiments.length === 0) return;
  const arms = (j.s.experimentArms ??= {});
  for (const experiment of j.map.experiments) {
    if (Object.hasOwn(arms, experiment.id)) continue;
    arms[experiment.id] = { arm: armFor(j.customer.customerId, experiment), assignedAt: iso(j.env.now()) };
  }
}
