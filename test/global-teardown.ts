/** Stops the run's PostgreSQL (its folder is a temporary one). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.testPostgres?.stop();
}
