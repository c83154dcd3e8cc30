/**
 * The set-up the intake suites share, registered as vitest hooks in one call: a harness (worker on
 * the shared dev server) and a real gateway in front of it on the demo route table, a run id that
 * keeps this run's alerts apart from other runs', and the incidents the suite started, cancelled
 * at the end. The fields are filled in before the suite's own beforeAll hooks run.
 */
import { afterAll, beforeAll } from 'vitest';
import type { IntakeConfig } from '../../gateway/intake/config';
import { startHarness, type Harness } from './harness';
import { cancelAll, startIntakeGateway, type IntakeGateway } from './intake';
import { DEMO_ROUTES } from './routes';

export interface IntakeSuite {
  h: Harness;
  gw: IntakeGateway;
  /** ids of the incidents the suite started (or expects to have), cancelled after the suite */
  started: Set<string>;
  /** unique to this run: put into alert labels so that runs and suites never share an incident */
  run: string;
}

export function useIntakeSuite(options: { config?: IntakeConfig } = {}): IntakeSuite {
  const suite = { started: new Set<string>(), run: `${process.pid}${Date.now().toString(36)}` } as IntakeSuite;
  beforeAll(async () => {
    suite.h = await startHarness();
    suite.gw = await startIntakeGateway(suite.h.client, suite.h.taskQueue, {
      routes: DEMO_ROUTES,
      ...(options.config ? { config: options.config } : {}),
    });
  });
  afterAll(async () => {
    await suite.gw?.close();
    if (suite.h) await cancelAll(suite.h.client, suite.started);
    await suite.h?.stop();
  });
  return suite;
}
