/**
 * LLM Workbench: make prompt changes safe to ship and LLM runs provable.
 *
 * Prompts are immutable, versioned assets; datasets are sliced into typical,
 * edge, known_failure and adversarial cases; every model call is a receipt;
 * verdicts, gates and bundles are evidence anyone can verify offline.
 *
 * - {@linkcode open} opens (and migrates) the libSQL database.
 * - {@linkcode canonicalize} and {@linkcode contentHash} give content identity.
 * - {@linkcode validateCatalog} checks `prompts/`, `datasets/` and `models.yaml`;
 *   {@linkcode loadCatalog} stores them as immutable versions, read back with
 *   {@linkcode getPromptVersion} and {@linkcode getLatestDataset}.
 * - {@linkcode compare} gives a regression verdict, candidate run against
 *   baseline run; {@linkcode requestGate}, {@linkcode decideGate} and
 *   {@linkcode promote} move an alias such as `production` through an
 *   approved gate, and {@linkcode resolve} reads where it points.
 *
 * @example Open a store
 * ```ts
 * import { open } from "@llm-workbench/workbench";
 * import assert from "node:assert/strict";
 *
 * await using store = await open(":memory:");
 * assert.equal(store.url, ":memory:");
 * ```
 *
 * @module
 */

// Errors
export {
  ConfigError,
  ConflictError,
  FileSyntaxError,
  GateHaltError,
  type Issue,
  NotFoundError,
  StorageError,
  type StorageFailure,
  ValidationError,
} from "./lib/errors.ts";

// Content identity
export { canonicalize } from "./lib/content/canonicalize.ts";
export { contentHash, sha256Hex } from "./lib/content/sha256.ts";
export { newId } from "./lib/content/ids.ts";

// Store
export {
  open,
  type OpenOptions,
  type Store,
  type StoreDialect,
} from "./lib/store/open.ts";

// Catalog
export {
  type Catalog,
  type CatalogPrompt,
  type CatalogTask,
  type CheckConfigIssue,
  type CheckConfigRegistry,
  type CheckConfigSchema,
  readCatalog,
  type ReadCatalogOptions,
} from "./lib/catalog/read_catalog.ts";
export {
  type SliceDistribution,
  type SliceShare,
  validateCatalog,
  type ValidateCatalogOptions,
  type ValidateCatalogResult,
} from "./lib/catalog/validate_catalog.ts";
export {
  loadCatalog,
  type LoadCatalogOptions,
  type LoadCatalogReport,
  type LoadModelConfigReport,
  type LoadStatus,
  type LoadTaskReport,
} from "./lib/catalog/load_catalog.ts";
export {
  catalogJsonSchemas,
  type CatalogSchemaName,
} from "./lib/catalog/json_schemas.ts";
export {
  getLatestDataset,
  getModelConfig,
  getPromptVersion,
  listPromptVersions,
  type StoredModelConfig,
  type StoredPrice,
} from "./lib/store/catalog.ts";
export { type Case, type Dataset } from "./lib/schema/dataset.ts";
export { type ModelsFile } from "./lib/schema/model.ts";
export { type PromptFile, type PromptVersion } from "./lib/schema/prompt.ts";
export type {
  Bounds,
  CheckSpec,
  FakeErrorKind,
  Limits,
  Production,
  Rubric,
  RubricDimension,
  Slice,
  SliceMix,
  Task,
  TaskFake,
  TaskFile,
} from "./lib/schema/task.ts";

// Providers
export {
  type ModelAdapter,
  ProviderError,
  type ProviderErrorKind,
} from "./lib/providers/adapter.ts";
export type {
  ChatMessage,
  FakeHints,
  ModelRequest,
  ModelResponse,
  StructuredOutput,
  Usage,
} from "./lib/schema/model_call.ts";
export {
  createAdapter,
  type CreateAdapterOptions,
} from "./lib/providers/create_adapter.ts";
export {
  createFakeAdapter,
  type FakeEffect,
  type FakeOptions,
} from "./lib/providers/fake.ts";
export {
  type Cost,
  costOf,
  priceAt,
  type PriceAtOptions,
  type PriceRow,
  sumCosts,
} from "./lib/providers/pricing.ts";
export {
  type ModelConfig,
  type Price,
  type Provider,
} from "./lib/schema/model.ts";
export { type ModelParams } from "./lib/schema/prompt.ts";

// Trace
export {
  type ChainMark,
  type EventInput,
  type GateOptions,
  type StartTraceOptions,
  Tracer,
} from "./lib/trace/tracer.ts";
export {
  type StepGateCheckDecision,
  type StepGateDecision,
  type StepGateState,
  type StepGateStatus,
} from "./lib/trace/step_gate.ts";
export { SecretScrubber } from "./lib/trace/secrets.ts";
export { listTraceEvents } from "./lib/store/trace.ts";
export {
  type ChainProblem,
  GENESIS_HASH,
  hashEvent,
  verifyChain,
} from "./lib/trace/event.ts";
export type { TraceEvent, UnhashedEvent } from "./lib/schema/trace_event.ts";
export {
  type StepGatePolicy,
  type Workflow,
  type WorkflowInput,
  type WorkflowStep,
} from "./lib/trace/workflow.ts";

// Scoring
export { fakeJudge } from "./lib/providers/fake_judge.ts";
export { CHECKS } from "./lib/checks/registry.ts";
export type {
  CheckConfigParser,
  CheckConfigProblem,
  CheckContext,
  CheckDefinition,
} from "./lib/checks/check.ts";
export {
  buildJudgeRequest,
  type BuildJudgeRequestOptions,
  JUDGEMENT_NAME,
} from "./lib/scoring/build_judge_request.ts";
export {
  parseJudgement,
  type ParseJudgementResult,
} from "./lib/scoring/parse_judgement.ts";
export {
  judge,
  type JudgeCall,
  type JudgeOptions,
  type JudgeResult,
} from "./lib/scoring/judge.ts";
export { scoreCell } from "./lib/scoring/score_cell.ts";
export { cellScore } from "./lib/scoring/cell_score.ts";
export { summarizeAttempts } from "./lib/scoring/attempt_summary.ts";
export { wilsonInterval } from "./lib/scoring/wilson_interval.ts";
export { quantileIntervals } from "./lib/scoring/quantile_intervals.ts";
export {
  type PairedCheckDelta,
  pairedCheckDeltas,
} from "./lib/scoring/paired_check_deltas.ts";
export {
  computeScorecard,
  type ComputeScorecardOptions,
  type ScorecardInput,
  type ScorecardRun,
} from "./lib/scoring/compute_scorecard.ts";
export type {
  AttemptSummary,
  BootstrapSettings,
  CheckSummary,
  CostSummary,
  DimensionSummary,
  DistributionSummary,
  FailureSummary,
  InjectionSummary,
  JudgeSummary,
  JuryAgreement,
  JuryDimensionAgreement,
  LatencySummary,
  QuantileInterval,
  RateInterval,
  Scorecard,
  ScorecardRunInfo,
  SliceSummary,
  StepSummary,
  TokenSummary,
  TokenTotals,
  VarianceSummary,
} from "./lib/schema/scorecard.ts";
export {
  bootstrapIntervals,
  bootstrapNested,
  type BootstrapOptions,
  type Interval,
  mulberry32,
  nestedMean,
  type NestedSample,
  nestedSample,
  percentileInterval,
  quantileSorted,
} from "./lib/scoring/bootstrap.ts";
export { scoreRun, type ScoreRunResult } from "./lib/scoring/score_run.ts";
export {
  rescore,
  type RescoreOptions,
  type RescoreResult,
} from "./lib/scoring/rescore.ts";
export {
  leaderboard,
  type LeaderboardEntry,
  type LeaderboardOptions,
  type RankedScorecard,
  rankScorecards,
} from "./lib/scoring/leaderboard.ts";
export {
  latestScorecard,
  listReceipts,
  listResults,
  type StoredScorecard,
} from "./lib/store/scores.ts";

// Scoring: judge calibration against human labels
export {
  agreement,
  type AgreementOptions,
  type AgreementSummary,
  confusionMatrix,
  kendallTauB,
  type Leaning,
  spearmanRho,
  weightedKappa,
} from "./lib/scoring/agreement.ts";
export {
  addLabels,
  type AddLabelsResult,
  type Label,
  type LabelLine,
  parseLabels,
  type ParseLabelsOptions,
} from "./lib/scoring/labels.ts";
export {
  calibrate,
  type CalibrateOptions,
  type Calibration,
  type Disagreement,
  type UnmatchedLabel,
  type UnmatchedReason,
} from "./lib/scoring/calibrate.ts";
export {
  type DimensionCalibration,
  type JudgeCalibration,
  judgeCalibration,
  type JudgeCalibrationOptions,
  WEAK_RHO,
} from "./lib/scoring/judge_calibration.ts";
export {
  judgeByJury,
  type Juror,
  type JurorScore,
  type Jury,
  juryKey,
  juryMedian,
  krippendorffAlpha,
  makeJury,
  parseJuryKey,
} from "./lib/scoring/jury.ts";

// Experiment
export { experiment, resumeExperiment } from "./lib/experiment/experiment.ts";
export { type PlannedRuns, planRuns } from "./lib/experiment/plan_runs.ts";
export {
  runWorker,
  type WorkerOptions,
  type WorkerSummary,
} from "./lib/experiment/run_worker.ts";
export {
  type CacheMode,
  type ExperimentOptions,
  type RunnerOptions,
} from "./lib/experiment/options.ts";
export {
  type PipelineRun,
  runPipeline,
  type RunPipelineOptions,
} from "./lib/experiment/run_pipeline.ts";
export type {
  Pipeline,
  PipelineCallRequest,
  PipelineContext,
  PipelineGateCheck,
  PipelineStep,
} from "./lib/experiment/pipeline.ts";
export type {
  ExperimentResult,
  RunSummary,
} from "./lib/experiment/run_summary.ts";
export {
  extendRun,
  type ExtendRunOptions,
} from "./lib/experiment/extend_run.ts";
export {
  cacheKey,
  type CacheKeyConfig,
  type CacheKeyRequest,
} from "./lib/experiment/cache_key.ts";
export { type RenderedPrompt, renderPrompt } from "./lib/experiment/render.ts";
export type { RetryPolicy } from "./lib/experiment/call_model.ts";
export type {
  LimiterClock,
  RateLimits,
} from "./lib/experiment/rate_limiter.ts";
export {
  type JupyterBroadcast,
  jupyterProgress,
  type JupyterProgressOptions,
  type ProgressSink,
  type ProgressUpdate,
} from "./lib/experiment/progress.ts";
export {
  getRun,
  listRuns,
  listRunsBrief,
  type NewRun,
  type RunBrief,
  type RunRecord,
  type RunStatus,
} from "./lib/store/runs.ts";
export type { RunSettings } from "./lib/schema/run_settings.ts";
export type {
  AttemptFailure,
  CallError,
  CallPurpose,
  Receipt,
  ReceiptFigures,
  RecordedRequest,
} from "./lib/schema/receipt.ts";
export type {
  CellResult,
  CellStatus,
  CheckResult,
  RubricScore,
  ScoredCell,
} from "./lib/schema/result.ts";

// Compare
export {
  compare,
  type CompareOptions,
  type CompareResult,
  DEFAULT_COMPARE_MODE,
  DEFAULT_SETTLE_SHARE,
  type SettleBudget,
  type SettleOptions,
  type SettleRunnerOptions,
} from "./lib/compare/compare.ts";
export { DEFAULT_LIMITS, resolveLimits } from "./lib/compare/limits.ts";
export { comparisonMarkdown } from "./lib/compare/comparison_markdown.ts";
export { loadComparison } from "./lib/compare/load_comparison.ts";
export {
  type SimulatedScenario,
  simulateVerdicts,
  type SimulateVerdictsOptions,
  type SimulateVerdictsResult,
  type SimulationRow,
} from "./lib/compare/simulate_verdicts.ts";
export {
  type AppliedLimits,
  type CheckOutcome,
  COMPARE_MODES,
  type ComparedRun,
  type CompareLimits,
  type CompareMode,
  type Comparison,
  type ComparisonBody,
  type ComparisonInference,
  type ComparisonJudge,
  type DeltaCheck,
  type DeltaKind,
  type LimitStatus,
  type SettleLook,
  type SettleRecord,
  type Verdict,
  VERDICTS,
} from "./lib/compare/verdict.ts";
export { MIN_CASES_FOR_INTERVAL } from "./lib/scoring/small_sample.ts";

// Gate
export {
  requestGate,
  type RequestGateOptions,
} from "./lib/gate/request_gate.ts";
export { decideGate, type DecideGateOptions } from "./lib/gate/decide_gate.ts";
export { evaluateGate } from "./lib/gate/evaluate_gate.ts";
export {
  decideStepGate,
  type DecideStepGateOptions,
  listStepGates,
} from "./lib/gate/step_gates.ts";
export {
  type AliasMove,
  promote,
  type PromoteOptions,
} from "./lib/gate/promote.ts";
export { resolve, type ResolvedAlias } from "./lib/gate/resolve.ts";
export {
  DEFAULT_GATE_POLICY,
  type GatePolicy,
  type GatePolicyInput,
  parseGatePolicy,
} from "./lib/gate/policy.ts";
export type {
  Gate,
  GateComparisonSubject,
  GateDecision,
  GateDecisionKind,
  GateEvaluation,
  GateRunSubject,
  GateStatus,
  GateSubject,
} from "./lib/gate/gate.ts";

// Trace: users' own pipelines
export {
  type CallFailure,
  type CallResponse,
  type CallUsage,
  recordCall,
  type RecordCallInput,
  type RecordedCall,
} from "./lib/trace/record_call.ts";
export {
  type AnthropicLike,
  wrapAnthropic,
  type WrapClientOptions,
} from "./lib/trace/wrap_anthropic.ts";
export { type OpenAILike, wrapOpenAI } from "./lib/trace/wrap_openai.ts";
export {
  type Artifact,
  type DiffArtifactOptions,
  diffArtifactVersions,
  editArtifact,
  type EditArtifactInput,
  getArtifact,
  type GetArtifactOptions,
  listArtifactVersions,
  writeArtifact,
  type WriteArtifactInput,
} from "./lib/trace/artifacts.ts";
export {
  type AliasPointer,
  type PromptHistory,
  promptHistory,
  type PromptHistoryEntry,
  type VersionVerdict,
} from "./lib/gate/prompt_history.ts";
export {
  type Correction,
  correctOutput,
  type CorrectOutputInput,
} from "./lib/trace/correct_output.ts";
export {
  type CorrectionRecord,
  correctionsOf,
  listCorrections,
} from "./lib/trace/list_corrections.ts";

// Production: scoring traced calls, drift, new cases from real traffic
export {
  type InvalidInput,
  type ScoredWindow,
  scoreTraces,
  type ScoreTracesOptions,
  type ScoreTracesResult,
} from "./lib/production/score_traces.ts";
export {
  type LabelledCase,
  leaveOneOutAgreement,
  type Neighbour,
  type SliceAgreement,
  SliceIndex,
  type SliceIndexOptions,
  type SliceSuggestion,
} from "./lib/production/slice_index.ts";
export {
  isWindowId,
  type TimeWindow,
  type WindowKind,
  windowOf,
} from "./lib/production/windows.ts";
export {
  drift,
  type DriftOptions,
  type DriftResult,
  type DriftSide,
  type Moved,
  type SliceMove,
} from "./lib/compare/drift.ts";
export {
  type CaseProposal,
  suggestCases,
  type SuggestCasesOptions,
  type SuggestCasesResult,
} from "./lib/production/suggest_cases.ts";
export {
  acceptCases,
  type AcceptCasesOptions,
  type AcceptCasesResult,
  type AcceptedCase,
} from "./lib/production/accept_cases.ts";
export { validateTaskInput } from "./lib/catalog/validate_input.ts";
export {
  type ProductionWindow,
  productionWindows,
} from "./lib/production/production_windows.ts";

// Bundle
export {
  bundle,
  type BundleOptions,
  type BundleResult,
} from "./lib/bundle/bundle.ts";
export type { BundleSection } from "./lib/store/bundle.ts";
export { BUNDLE_FORMAT, BUNDLE_VERSION } from "./lib/bundle/format.ts";
export {
  type BundleProblem,
  type BundleSource,
  verifyBundle,
  type VerifyBundleOptions,
  type VerifyResult,
} from "./lib/bundle/verify_bundle.ts";
export {
  type DifferingRow,
  importBundle,
  type ImportBundleOptions,
  type ImportResult,
} from "./lib/bundle/import_bundle.ts";
export {
  type BundleJwk,
  type BundleKeyPair,
  generateKeyPair,
} from "./lib/bundle/keys.ts";
export {
  type BundleChange,
  type BundleDiff,
  diffBundles,
} from "./lib/bundle/diff_bundles.ts";
export {
  exportOtel,
  type ExportOtelOptions,
  type ExportOtelResult,
} from "./lib/bundle/export_otel.ts";
export {
  type FigureChange,
  replayBundle,
  type ReplayBundleOptions,
  type ReplayedRun,
  type ReplayResult,
} from "./lib/bundle/replay_bundle.ts";
export { bundleJsonSchema } from "./lib/bundle/bundle_json_schema.ts";
export {
  rerunBundle,
  type RerunBundleOptions,
  type RerunResult,
  type RerunRun,
} from "./lib/bundle/rerun_bundle.ts";

// Report: plots, Jupyter views, the HTML report and Markdown summaries
export { escapeHtml } from "./lib/report/escape_html.ts";
export { Figure } from "./lib/report/figure.ts";
export { View } from "./lib/report/view.ts";
export {
  type JupyterDisplay,
  show,
  type ShowOptions,
} from "./lib/report/show.ts";
export {
  plotSlices,
  type PlotSlicesOptions,
} from "./lib/report/plot_slices.ts";
export {
  plotDimensions,
  type PlotDimensionsOptions,
} from "./lib/report/plot_dimensions.ts";
export {
  plotComparison,
  type PlotComparisonOptions,
} from "./lib/report/plot_comparison.ts";
export { plotLeaderboard } from "./lib/report/plot_leaderboard.ts";
export {
  plotDrift,
  type PlotDriftOptions,
  type WindowCard,
} from "./lib/report/plot_drift.ts";
export {
  plotLatency,
  type PlotReceiptsOptions,
  type PlottedReceipt,
} from "./lib/report/plot_latency.ts";
export { plotCost } from "./lib/report/plot_cost.ts";
export {
  viewExperiment,
  type ViewExperimentOptions,
} from "./lib/report/view_experiment.ts";
export {
  viewScorecard,
  type ViewScorecardOptions,
} from "./lib/report/view_scorecard.ts";
export {
  viewComparison,
  type ViewComparisonOptions,
} from "./lib/report/view_comparison.ts";
export { viewGate, type ViewGateOptions } from "./lib/report/view_gate.ts";
export { viewStepGate } from "./lib/report/view_step_gate.ts";
export {
  viewPipelineCell,
  type ViewPipelineCellOptions,
} from "./lib/report/view_pipeline_cell.ts";
export { viewLeaderboard } from "./lib/report/view_leaderboard.ts";
export {
  viewBundle,
  type ViewBundleOptions,
} from "./lib/report/view_bundle.ts";
export { viewPromptHistory } from "./lib/report/view_prompt_history.ts";
export { viewTrace } from "./lib/report/view_trace.ts";
export {
  renderReport,
  type RenderReportOptions,
  type RenderReportResult,
} from "./lib/report/render_report.ts";
export {
  bundleMarkdown,
  type BundleMarkdownOptions,
} from "./lib/report/bundle_markdown.ts";
