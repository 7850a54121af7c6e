/**
 * Artifact rows: content-addressed, versioned by key, append-only. A new
 * version and its trace event are written in one transaction.
 *
 * @module
 */
import type { Selectable } from "kysely";
import type { TraceEvent } from "../schema/trace_event.ts";
import type { Store } from "./open.ts";
import type { ArtifactsTable } from "./tables.ts";
import { insertTraceEvents } from "./trace.ts";

/** An artifact row. */
export type ArtifactRow = Selectable<ArtifactsTable>;

/** The latest version of a key, if any. */
export async function latestArtifact(
  store: Store,
  key: string,
): Promise<ArtifactRow | undefined> {
  return await store.db.selectFrom("artifacts").selectAll()
    .where("key", "=", key).orderBy("version", "desc").limit(1)
    .executeTakeFirst();
}

/** One version of a key, if it exists. */
export async function artifactVersion(
  store: Store,
  key: string,
  version: number,
): Promise<ArtifactRow | undefined> {
  return await store.db.selectFrom("artifacts").selectAll()
    .where("key", "=", key).where("version", "=", version)
    .executeTakeFirst();
}

/** Every version of a key, oldest first. */
export async function artifactVersions(
  store: Store,
  key: string,
): Promise<ArtifactRow[]> {
  return await store.db.selectFrom("artifacts").selectAll()
    .where("key", "=", key).orderBy("version").execute();
}

/** Writes a new version and its trace event together. */
export async function insertArtifact(
  store: Store,
  row: ArtifactRow,
  events: readonly TraceEvent[],
): Promise<void> {
  await store.db.transaction().execute(async (trx) => {
    await trx.insertInto("artifacts").values(row).execute();
    await insertTraceEvents(trx, events);
  });
}
