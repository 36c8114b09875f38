import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of a real server, for outages the server itself cannot stage mid-run:
 * `down()` resets every open connection and stops listening (connection refused, as when the server
 * process is gone), `hang()` keeps accepting but never passes a byte either way (a partition, or a
 * hung server: pooled connections stall mid-query), `up()` relays again on the same port.
 */
export interface TcpSwitch {
  port: number;
  mode: 'up' | 'down' | 'hang';
  up(): Promise<void>;
  down(): Promise<void>;
  hang(): void;
  close(): Promise<void>;
}

export async function tcpSwitch(target: { host: string; port: number }): Promise<TcpSwitch> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let mode: TcpSwitch['mode'] = 'up';
  const dropAll = () => {
    for (const p of pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    pairs.clear();
  };
  const onConnection = (client: Socket) => {
    client.on('error', () => {});
    if (mode === 'hang') {
      client.on('data', () => {}); // accepted, read, never answered
      pairs.add({ client, upstream: client });
      return;
    }
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    const pair = { client, upstream };
    pairs.add(pair);
    // While hanging, bytes are swallowed in both directions: nothing reaches either side.
    client.on('data', (d) => mode === 'up' && upstream.write(d));
    upstream.on('data', (d) => mode === 'up' && client.write(d));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  };
  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const a = server.address();
        resolve(a && typeof a !== 'string' ? a.port : port);
      });
    });
  const port = await listen(0);
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    port,
    get mode() {
      return mode;
    },
    async up() {
      if (mode === 'hang') dropAll(); // stalled streams are out of step: the partition heals with resets
      if (mode === 'down') {
        server = createServer(onConnection);
        await listen(port);
      }
      mode = 'up';
    },
    async down() {
      if (mode === 'down') return;
      mode = 'down';
      dropAll();
      await stop();
    },
    hang() {
      mode = 'hang';
    },
    async close() {
      dropAll();
      if (mode !== 'down') await stop();
      mode = 'down';
    },
  };
}
