/**
 * The intake bench's gateway process (./gateway-host.ts spawns it): the gateway alone, on its own
 * Temporal connection, as production runs it. Options come in BENCH_GATEWAY (JSON); it posts
 * `{url}` once listening, then answers the bench's requests over IPC (`stats`, `closeIntake`,
 * `close`). It exits when the bench goes away.
 */
import { hostGateway, type GatewayOptions, type GatewayStats } from './gateway-host';

const options = JSON.parse(process.env.BENCH_GATEWAY ?? '') as GatewayOptions;
const send = (m: object) => process.send?.(m);
const gateway = await hostGateway(options);
process.on('disconnect', () => process.exit(0));

process.on('message', (m: { id: number; op: string }) => {
  const work = async (): Promise<unknown> => {
    if (m.op === 'stats') {
      const cpu = process.cpuUsage();
      return { ...(await gateway.stats()), cpuMs: (cpu.user + cpu.system) / 1000 } satisfies GatewayStats;
    }
    if (m.op === 'closeIntake') return gateway.closeIntake();
    if (m.op === 'close') {
      await gateway.close();
      setImmediate(() => process.exit(0));
      return undefined;
    }
    throw new Error(`unknown request ${m.op}`);
  };
  work().then(
    (result) => send({ id: m.id, result }),
    (err: unknown) => send({ id: m.id, error: (err as Error).message }),
  );
});
send({ url: gateway.url });
