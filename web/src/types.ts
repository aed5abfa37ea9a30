/**
 * The shapes the app reads from the service, all derived from the service's contract
 * (src/contract, zod) and the engine's result schema. Type-only imports: nothing of zod reaches
 * the bundle, and a field renamed on the server breaks the web build instead of a screen.
 */
export type {
  AnalysisResult,
  AcneAnalysis,
  ConditionAnalysis,
  SkinTone,
  SkinType,
  Wrinkles,
  DarkCircles,
  Redness,
  QualityIssue,
  Unavailable,
  Score,
  Scores,
  Summary,
} from '../../src/engine/result/schema.ts';
export type {
  AccountDeleted,
  Agreement,
  Analytics,
  ErrorCode,
  HistoryItem,
  HistoryPage,
  LoggedOut,
  PasswordChanged,
  Percentiles,
  Registered,
  RoleView,
  ScanCreated,
  ScanDeleted,
  ScanResults,
  ScanStatus,
  ScanStatusView,
  ScanSummary,
  Token,
  TrendPoint,
  Trends,
  User,
  VersionStats,
} from '../../src/contract/index.ts';

