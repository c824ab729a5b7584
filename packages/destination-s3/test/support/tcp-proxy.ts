// A loopback TCP relay that can be cut and restored on the same port: a network partition
// between the destination and its server without losing the server's state, for the shared
// suite's "unreachable destination" case.
import { connect, createServer, type Server, type Socket } from "node:net";
import { freePort } from "@ewsvault/testkit";

export interface TcpProxy {
  readonly port: number;
  /** Closes the listener and resets every open connection; new connections are refused. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const listen = async (): Promise<void> => {
    const next = createServer((client) => {
      const upstream = connect({ port: targetPort, host: "127.0.0.1" });
      sockets.add(client);
      sockets.add(upstream);
      const drop = () => {
        sockets.delete(client);
        sockets.delete(upstream);
        client.destroy();
        upstream.destroy();
      };
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      next.once("error", reject);
      next.listen(port, "127.0.0.1", () => resolve());
    });
    server = next;
  };

  const cut = async (): Promise<void> => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    if (current !== undefined) await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  await listen();
  return { port, cut, restore: listen, close: cut };
}
