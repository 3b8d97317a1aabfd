// Decisions as one short line each ("down SERVER CAUSE", "attempt SERVER CLIENT", ...), for
// tests that compare sequences of decisions.
import type { Decision } from '../../src/engine/decisions';

export function summary(d: Decision): string {
  const client = 'client' in d && d.client !== undefined ? ` ${d.client}` : '';
  const cause = 'cause' in d ? ` ${d.cause}` : '';
  const flap = d.event === 'down' && d.flap ? ' flap' : '';
  return `${d.event} ${d.server}${client}${cause}${flap}`;
}

/** The decisions of one kind (narrowed), in order. */
export function only<E extends Decision['event']>(decisions: readonly Decision[], event: E): Extract<Decision, { event: E }>[] {
  return decisions.filter((d): d is Extract<Decision, { event: E }> => d.event === event);
}
