// Worker-thread entry: make TypeScript importable (the parent may run under plain node), then start the engine.
import { register } from 'tsx/esm/api';

register();
await import('./pool-worker.ts');
