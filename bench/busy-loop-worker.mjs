// bench/sweep-bench.ts's control: a fixed amount of plain CPU work in a worker thread.
import { parentPort } from 'node:worker_threads';

let x = 0;
for (let i = 0; i < 3e8; i++) x = (x + i * 7) % 1000003;
parentPort.postMessage(x);
