import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayApp, type GatewayDeps } from './app';

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayDeps & { host: string; port: number }): Promise<RunningGateway> {
  const { host: _host, port: _port, ...deps } = options;
  const app = createGatewayApp(deps);
  // Alerts go straight to the intake router (also mounted in the app), skipping the app's per-request set-up.
  const intake = deps.intake;
  const server = createServer(
    intake ? (req, res) => (req.url?.startsWith('/alerts') ? intake.direct(req, res, () => app(req, res)) : app(req, res)) : app,
  );
  server.listen(options.port, options.host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw new Error(`gateway cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`);
    }),
  ]);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
      // then deliver the repeat counts still in the coalescing window
      await options.intake?.close();
    },
  };
}
