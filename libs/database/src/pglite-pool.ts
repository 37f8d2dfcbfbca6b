import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';

type PGliteDb = import('@electric-sql/pglite', { with: { 'resolution-mode': 'import' } }).PGlite;

interface QueryResultLike {
  rows: unknown[];
  rowCount: number;
  command: string;
}

/**
 * A `pg`-compatible pool over one embedded PGlite database.
 *
 * PGlite is a single Postgres session. Handing that session to several TypeORM query runners at once
 * would interleave their transactions (one runner's COMMIT would commit another's work, row locks would
 * lock nothing). So this pool lends its one connection to one query runner at a time and queues the rest:
 * the embedded database is serial, but every transaction keeps Postgres semantics.
 */
export function pglitePoolDriver(options: { dataDir: string; schema: string }) {
  let database: Promise<PGliteDb> | undefined;

  const open = (): Promise<PGliteDb> => {
    database ??= (async () => {
      mkdirSync(options.dataDir, { recursive: true });
      // PGlite ships as ESM with WebAssembly; a dynamic import keeps it out of CommonJS start-up until needed.
      const { PGlite, types } = await import('@electric-sql/pglite');
      const db = await PGlite.create(options.dataDir, {
        // Match node-postgres: int8 and numeric arrive as strings, never as JS numbers.
        parsers: { [types.INT8]: (value: string) => value, [types.NUMERIC]: (value: string) => value },
      });
      await db.exec(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"; SET search_path TO "${options.schema}";`);
      return db;
    })();
    return database;
  };

  class SerialConnection extends EventEmitter {
    constructor(private readonly db: PGliteDb) {
      super();
    }

    async query(sql: string | { text: string; values?: unknown[] }, params?: unknown[]): Promise<QueryResultLike> {
      const text = typeof sql === 'string' ? sql : sql.text;
      const values = typeof sql === 'string' ? params : sql.values;
      const result =
        values && values.length > 0
          ? await this.db.query(text, values)
          : ((await this.db.exec(text)).at(-1) ?? { rows: [], affectedRows: 0 });
      const command = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '';
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length, command };
    }
  }

  class SerialPool extends EventEmitter {
    private connection?: SerialConnection;
    private busy = false;
    private readonly waiting: Array<() => void> = [];
    totalCount = 1;
    idleCount = 1;
    waitingCount = 0;

    constructor(_config?: unknown) {
      super();
    }

    connect(callback?: (err: Error | null, client?: SerialConnection, release?: (err?: Error) => void) => void) {
      const lease = this.acquire();
      if (!callback) return lease.then(([client]) => client);
      lease.then(([client, release]) => callback(null, client, release), (error) => callback(error));
      return undefined;
    }

    async query(sql: string, params?: unknown[]) {
      const [client, release] = await this.acquire();
      try {
        return await client.query(sql, params);
      } finally {
        release();
      }
    }

    end(callback?: (err?: Error) => void) {
      const closing = database ? database.then((db) => db.close()) : Promise.resolve();
      database = undefined;
      closing.then(() => callback?.(), (error) => callback?.(error));
      return closing;
    }

    private async acquire(): Promise<[SerialConnection, (err?: Error) => void]> {
      const db = await open();
      this.connection ??= new SerialConnection(db);
      if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.busy = true;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const next = this.waiting.shift();
        if (next) next();
        else this.busy = false;
      };
      return [this.connection, release];
    }
  }

  return { Pool: SerialPool };
}
