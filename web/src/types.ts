/**
 * The shapes the app reads from the service, all derived from the service's contract
 * (src/contract, zod) and the engine's result schema. Type-only imports: nothing of zod reaches
 * the bundle, and a field renamed on the server breaks the web build instead of a screen.
 */
export type {
  AnalysisResult,
  SkinTone,
  Unavailable,
  Score,
} from '../../src/engine/api.ts';
export type {
  AccountDeleted,
  Agreement,
  Analytics,
  HistoryPage,
  LoggedOut,
  PasswordChanged,
  Registered,
  RoleView,
  ScanCreated,
  ScanDeleted,
  ScanResults,
  ScanStatusView,
  Token,
  Trends,
  User,
  VersionStats,
} from '../../src/contract/index.ts';

