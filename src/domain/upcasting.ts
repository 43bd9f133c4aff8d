/** What upcasting needs of a stored event: its type, the schema version it was written in, and its data. */
export interface VersionedEvent {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: Record<string, unknown>;
}

/**
 * Turns the stored data of one event type written in `fromVersion` into the shape of `fromVersion + 1`. Pure
 * and total: it never throws on data it does not expect (the event guard then refuses what comes out). Personal
 * data is stored encrypted, so an upcaster may move or rename a personal-data field but never read or change
 * its value.
 */
export interface Upcaster {
  readonly type: string;
  readonly fromVersion: number;
  upcast(data: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/**
 * Upcasters keyed by event type and schema version, checked once when built: each type whose current version
 * is n > 1 has exactly one upcaster from each of 1..n-1, so any stored version reaches the current one through
 * the chain (v1 -> v2 -> v3 ...).
 */
export class UpcasterChain {
  private readonly steps = new Map<string, Map<number, Upcaster>>();

  /** @param currentVersion the version each type is written in today (the event catalog's). */
  constructor(
    upcasters: readonly Upcaster[],
    readonly currentVersion: (type: string) => number,
  ) {
    for (const upcaster of upcasters) {
      const { type, fromVersion } = upcaster;
      const current = currentVersion(type);
      if (!Number.isSafeInteger(fromVersion) || fromVersion < 1 || fromVersion >= current) {
        throw new Error(
          `upcaster ${type} v${fromVersion} -> v${fromVersion + 1}: ${type} is written in v${current}, so upcasters run from v1 to v${current - 1}`,
        );
      }
      const ofType = this.steps.get(type) ?? new Map<number, Upcaster>();
      if (ofType.has(fromVersion)) throw new Error(`two upcasters for ${type} v${fromVersion}`);
      this.steps.set(type, ofType.set(fromVersion, upcaster));
    }
  }

  /** Checks that every version of every type below its current one has its upcaster. */
  assertComplete(types: readonly string[]): void {
    for (const type of types) {
      for (let version = 1; version < this.currentVersion(type); version++) {
        if (!this.steps.get(type)?.has(version)) {
          throw new Error(
            `${type} is written in v${this.currentVersion(type)} but no upcaster turns v${version} into v${version + 1}`,
          );
        }
      }
    }
  }

  /**
   * The event in its type's current version: the same object when there is nothing to do (current, of a type
   * without upcasters, or what this code cannot read: a newer version, no positive integer, data that is no
   * object; the event guard refuses those); otherwise a copy with the upcast data and the current schemaVersion. Everything else of the
   * event (ids, hashes, metadata) is kept as stored.
   */
  upcast<Event extends VersionedEvent>(event: Event): Event {
    const ofType = this.steps.get(event.type);
    if (!ofType || !Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 1) return event;
    if (!isPlainObject(event.data)) return event;
    const current = this.currentVersion(event.type);
    if (event.schemaVersion >= current) return event;
    let data = event.data;
    for (let version = event.schemaVersion; version < current; version++)
      data = ofType.get(version)!.upcast(data);
    return { ...event, schemaVersion: current, data };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
