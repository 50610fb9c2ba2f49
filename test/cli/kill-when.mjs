// Preloaded (`node --import`) into a child process that a test wants killed with SIGKILL at a given
// point of its work: as soon as the file named by SIM2REAL_TEST_KILL_WHEN exists, the process
// SIGKILLs itself. Checked every 5 ms of its own event loop, so the kill lands at the first turn of
// that loop after the file appeared, however loaded the machine: a parent polling from its own
// process could be late by any amount and miss the moment.
import { existsSync } from 'node:fs';

const file = process.env.SIM2REAL_TEST_KILL_WHEN;
if (file) {
  setInterval(() => {
    if (existsSync(file)) process.kill(process.pid, 'SIGKILL');
  }, 5).unref();
}
