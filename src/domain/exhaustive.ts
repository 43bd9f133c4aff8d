/** A switch that names every case: the compiler refuses one that misses a case; reaching it throws. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

/**
 * The end of a fold's switch over event types: the compiler refuses a fold that does not name every event
 * type (a new type must be handled or named as ignored). An event of a type the code does not know (a newer
 * writer's) leaves the state as it was.
 */
export function unchangedBy<State>(event: never, state: State): State {
  void event;
  return state;
}
