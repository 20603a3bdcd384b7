// A worker thread does not inherit the main thread's tsx hooks on this Node: register them here,
// then load the TypeScript worker (see runner.ts).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
