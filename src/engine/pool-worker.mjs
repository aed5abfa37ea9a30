// Worker-thread entry when the engine runs from its TypeScript sources: make TypeScript importable
// (the parent may have registered tsx only on its own thread), then start the engine. The built
// engine (dist/) starts pool-worker.js directly; see WORKER_ENTRY in pool.ts.
import { register } from 'tsx/esm/api';

register();
await import('./pool-worker.ts');
