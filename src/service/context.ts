/** What the routes and background jobs share: one object, built once in buildApp. */
import type { Analyzer } from '../engine/api.ts';
import type { ServiceConfig } from './config.ts';
import type { JobQueue } from './queue/types.ts';
import type { Db } from './storage/db.ts';
import type { ImageStore } from './storage/images.ts';
import type { ScanRepo } from './storage/scans.ts';
import type { UserRepo } from './storage/users.ts';

export interface ServiceContext {
  config: ServiceConfig;
  db: Db;
  users: UserRepo;
  scans: ScanRepo;
  images: ImageStore;
  queue: JobQueue;
  analyzer: Analyzer;
  clock: () => Date;
}
