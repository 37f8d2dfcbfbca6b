// Preloaded into a profiled process with `node -r dist/bench/lib/cpu-profile-hook.js`: the first SIGUSR2
// starts the V8 CPU profiler, the second writes the profile to BENCH_CPU_PROFILE_FILE and stops it. Unlike
// --cpu-prof it needs no clean exit (Nest re-raises SIGTERM, which skips the exit-time write) and it covers
// only the window under load.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.BENCH_CPU_PROFILE_FILE;
if (file) {
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')),
      );
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
