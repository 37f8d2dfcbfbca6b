// Preloaded into a profiled process with `node -r dist/bench/lib/cpu-profile-hook.js`: the first SIGUSR2
// starts the V8 CPU profiler and a count of the SQL statements sent through `pg`; the second writes the
// profile to BENCH_CPU_PROFILE_FILE and the counts next to it (`.queries.json`). Unlike --cpu-prof it covers
// only the window under load (not boot, seeding or shutdown) and does not depend on how the process exits.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.BENCH_CPU_PROFILE_FILE;
if (file) {
  const statements = new Map<string, number>();
  let counting = false;
  // The same module instance the app loads (one node_modules), so every query of its pool passes here.
  const { Client } = require('pg') as typeof import('pg');
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  (Client.prototype as unknown as { query: unknown }).query = function (this: unknown, ...args: unknown[]) {
    if (counting) {
      const first = args[0] as string | { text?: string };
      const text = (typeof first === 'string' ? first : (first?.text ?? '?')).replace(/\s+/g, ' ').trim().slice(0, 140);
      statements.set(text, (statements.get(text) ?? 0) + 1);
    }
    return query.apply(this, args);
  };

  const session = new Session();
  session.connect();
  let running = false;
  let startedAt = 0;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      counting = true;
      statements.clear();
      startedAt = Date.now();
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')),
      );
      return;
    }
    running = false;
    counting = false;
    const counts = [...statements.entries()].sort((a, b) => b[1] - a[1]).map(([statement, count]) => ({ statement, count }));
    writeFileSync(`${file}.queries.json`, JSON.stringify({ windowMs: Date.now() - startedAt, statements: counts }));
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
