/**
 * A TLS front for the test's Temporal server, as an mTLS cluster or Temporal Cloud presents one: it
 * serves a certificate from its own CA, refuses a client without a certificate from that CA,
 * records the `authorization` header each gRPC call carries (an API key), and forwards every call in
 * plain HTTP/2 to the server. `cut()` closes it and drops every connection: Temporal gone.
 */
import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface TlsProxyOptions {
  /** host:port of the plain-text Temporal frontend */
  upstream: string;
  cert: string;
  key: string;
  /** the CA client certificates must come from */
  ca: string;
}

export interface TlsProxy {
  address: string;
  /** what each call presented, in order: its method and its authorization header */
  calls: { path: string; authorization?: string; clientCertSubject?: string }[];
  /** TLS handshakes refused (no client certificate, or one from another CA) */
  refusedHandshakes: number;
  cut(): Promise<void>;
}

/** Headers HTTP/2 forbids a proxy to copy, or that the upstream session sets itself. */
const NOT_COPIED = new Set([':scheme', ':authority']);

export async function startTlsProxy(options: TlsProxyOptions): Promise<TlsProxy> {
  let upstream: ClientHttp2Session | undefined;
  const session = () => {
    if (!upstream || upstream.closed || upstream.destroyed) upstream = http2.connect(`http://${options.upstream}`);
    return upstream;
  };
  const proxy: TlsProxy = { address: '', calls: [], refusedHandshakes: 0, cut: async () => undefined };
  const server = http2.createSecureServer({
    cert: options.cert,
    key: options.key,
    ca: options.ca,
    requestCert: true,
    rejectUnauthorized: true,
    allowHTTP1: false,
  });
  server.on('tlsClientError', () => proxy.refusedHandshakes++);
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    const peer = (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate();
    proxy.calls.push({
      path: String(headers[':path']),
      ...(typeof headers.authorization === 'string' ? { authorization: headers.authorization } : {}),
      ...(peer?.subject?.CN ? { clientCertSubject: String(peer.subject.CN) } : {}),
    });
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([name]) => !NOT_COPIED.has(name)));
    const call = session().request(forwarded);
    let trailers: IncomingHttpHeaders = {};
    call.on('trailers', (t) => (trailers = t));
    call.on('response', (head) => {
      // a trailers-only answer (an error): grpc-status comes with the headers and nothing follows
      if (head['grpc-status'] !== undefined) {
        stream.respond(head, { endStream: true });
        return;
      }
      stream.respond(head, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      call.pipe(stream);
    });
    call.on('error', () => stream.destroy());
    stream.on('error', () => call.destroy());
    stream.pipe(call);
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  proxy.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.cut = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sessions) s.destroy();
    upstream?.destroy();
    await closed;
  };
  return proxy;
}
