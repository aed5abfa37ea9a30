/** The image store the configuration names: the local disk (default) or the shared database. */
import path from 'node:path';
import type { ServiceConfig } from '../config.ts';
import { DatabaseImageStore } from './db-images.ts';
import type { Db } from './db.ts';
import { LocalImageStore, type ImageStore } from './images.ts';

export function createImageStore(config: ServiceConfig, db: Db): ImageStore {
  return config.imageStore === 'postgres' ? new DatabaseImageStore(db) : new LocalImageStore(path.join(config.dataDir, 'images'));
}
