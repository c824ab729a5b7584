// A bounded pool of SSH connections, each with one SFTP channel. SSH handshakes cost several
// round trips and a key exchange, so connections are kept and reused; a connection that
// failed (reset, timeout, channel closed) is dropped and the next caller dials a new one.
import { DestinationError } from "@ewsvault/destination";
import type { ConnectConfig, SFTPWrapper } from "ssh2";
import ssh2 from "ssh2";
import { isConnectionError, toDestinationError } from "./errors.js";

export interface PooledSftp {
  readonly sftp: SFTPWrapper;
  readonly id: number;
  /**
   * Rejects with DEST_TRANSIENT once the connection is gone. ssh2 fails the requests pending
   * when a channel closes, but a request issued after that is queued and never answered, so
   * every call races against this.
   */
  readonly dead: Promise<never>;
  readonly broken: boolean;
}

interface Connection extends PooledSftp {
  readonly client: ssh2.Client;
  broken: boolean;
}

export interface ConnectionPoolOptions {
  readonly maxConnections: number;
  /** Builds the ssh2 config for one dial; may throw a DestinationError (e.g. DEST_CONFIG). */
  readonly connectConfig: () => ConnectConfig;
  /** Turns a failed dial (made with `config`) into the error callers see (host-key verdicts, auth failures). */
  readonly dialError: (error: unknown, config: ConnectConfig | undefined) => DestinationError;
  readonly description: string;
}

interface Waiter {
  resolve(connection: Connection): void;
  reject(error: unknown): void;
}

export class SftpConnectionPool {
  readonly #options: ConnectionPoolOptions;
  readonly #idle: Connection[] = [];
  readonly #all = new Set<Connection>();
  readonly #waiters: Waiter[] = [];
  #dialing = 0;
  #nextId = 1;
  #closed = false;
  /** Successful dials so far (tests read it to see reuse and re-dialling). */
  dials = 0;

  constructor(options: ConnectionPoolOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#all.size + this.#dialing;
  }

  /** Runs `fn` with exclusive use of one pooled SFTP channel. */
  async use<T>(fn: (connection: PooledSftp) => Promise<T>): Promise<T> {
    const connection = await this.#acquire();
    let broken = false;
    try {
      return await fn(connection);
    } catch (error) {
      broken = isConnectionError(error);
      throw error;
    } finally {
      this.#release(connection, broken);
    }
  }

  #closedError(): DestinationError {
    return new DestinationError("DEST_CLOSED", `${this.#options.description} is closed`);
  }

  #acquire(): Promise<Connection> {
    if (this.#closed) return Promise.reject(this.#closedError());
    for (;;) {
      const idle = this.#idle.pop();
      if (idle === undefined) break;
      if (!idle.broken) return Promise.resolve(idle);
    }
    if (this.size < this.#options.maxConnections) return this.#dial();
    return new Promise<Connection>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #release(connection: Connection, broken: boolean): void {
    if (broken || connection.broken || this.#closed) {
      this.#drop(connection);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve(connection);
    else this.#idle.push(connection);
  }

  #drop(connection: Connection): void {
    connection.broken = true;
    const index = this.#idle.indexOf(connection);
    if (index !== -1) this.#idle.splice(index, 1);
    if (this.#all.delete(connection)) connection.client.end();
    // The freed slot goes to a waiter, which dials afresh.
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) this.#dial().then(waiter.resolve, waiter.reject);
  }

  #dial(): Promise<Connection> {
    this.#dialing++;
    return this.#connect().then(
      (connection) => {
        this.#dialing--;
        this.dials++;
        if (this.#closed) {
          connection.client.end();
          throw this.#closedError();
        }
        this.#all.add(connection);
        return connection;
      },
      (error: unknown) => {
        this.#dialing--;
        // Every waiter would hit the same wall; fail them now rather than queueing them behind
        // dials that are bound to fail the same way.
        const waiters = this.#waiters.splice(0);
        for (const waiter of waiters) waiter.reject(error);
        throw error;
      },
    );
  }

  #connect(): Promise<Connection> {
    let config: ConnectConfig;
    try {
      config = this.#options.connectConfig();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Connection>((resolve, reject) => {
      const client = new ssh2.Client();
      let settled = false;
      let connection: Connection | undefined;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(this.#options.dialError(error, config));
      };
      client.on("error", (error: unknown) => {
        if (connection !== undefined) connection.broken = true;
        fail(error);
      });
      client.on("close", () => {
        if (connection !== undefined) {
          connection.broken = true;
          const index = this.#idle.indexOf(connection);
          if (index !== -1) this.#idle.splice(index, 1);
          this.#all.delete(connection);
        }
        fail(new DestinationError("DEST_TRANSIENT", `${this.#options.description}: connection closed`));
      });
      client.on("ready", () => {
        client.sftp((error, sftp) => {
          if (error !== undefined && error !== null) {
            fail(toDestinationError(error, "open sftp channel on", this.#options.description));
            return;
          }
          let kill: (error: DestinationError) => void = () => undefined;
          const dead = new Promise<never>((_, reject) => {
            kill = reject;
          });
          dead.catch(() => undefined);
          connection = { client, sftp, id: this.#nextId++, broken: false, dead };
          const current = connection;
          const die = () => {
            current.broken = true;
            kill(new DestinationError("DEST_TRANSIENT", `${this.#options.description}: connection lost`));
          };
          sftp.on("close", die);
          sftp.on("error", die);
          client.on("close", die);
          client.on("error", die);
          settled = true;
          resolve(connection);
        });
      });
      try {
        client.connect(config);
      } catch (error) {
        // ssh2 validates the private key synchronously; its message names the problem
        // ("Cannot parse privateKey: ...") but never the key or passphrase.
        const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
        fail(new DestinationError("DEST_CONFIG", `${this.#options.description}: ${reason}`));
        return;
      }
      // SFTP is request/response; Nagle's algorithm plus delayed ACKs would add ~40 ms to
      // every small request.
      client.setNoDelay(true);
    });
  }

  /** Ends every connection; pending and later acquisitions fail with DEST_CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#closedError());
    for (const connection of this.#all) {
      connection.broken = true;
      connection.client.end();
    }
    this.#all.clear();
    this.#idle.length = 0;
  }
}
