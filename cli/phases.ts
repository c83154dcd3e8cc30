/**
 * Marks where a call is (TOURNIQUET_PHASES=1, for bench/cli.ts): bin/tourniquet keeps the marks and
 * prints them at exit. Without that variable there is no collector and a mark does nothing.
 */
const COLLECTOR = Symbol.for('tourniquet.phase');

export function phase(label: string): void {
  (globalThis as { [COLLECTOR]?: (label: string) => void })[COLLECTOR]?.(label);
}
