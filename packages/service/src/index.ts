// @ewsvault/service: backup sets on cron schedules and mailbox jobs run by workers on many
// machines, through BullMQ on Redis.

export { claimQueueName, DEFAULT_AFFINITY_WAIT_MS, preferredWorkers } from "./affinity.js";
export { isServiceError, SERVICE_ERROR_CODES, ServiceError, type ServiceErrorCode } from "./errors.js";
export {
  dueTimeOf,
  JOB_NAMES,
  type MailboxJobData,
  type MailboxJobResult,
  type MaintenanceJobData,
  type MaintenanceJobResult,
  type MaintenanceTask,
  mailboxJobId,
  maintenanceSchedulerId,
  type RunJobData,
  runJobId,
  type SetRunJobData,
  setSchedulerId,
} from "./jobs.js";
export {
  logRecordOf,
  type ServiceLogger,
  type ServiceLogLevel,
  type ServiceLogRecord,
} from "./log-records.js";
export { type DeferralOptions, MaintenanceGate } from "./maintenance-gate.js";
export { type MaintenanceSchedule, maintenanceSchedules, readDataSubsetOf } from "./maintenance-schedules.js";
export { type MaintenanceStatus, maintenanceStatus } from "./maintenance-status.js";
export {
  type MaintenanceEvent,
  type MaintenanceWorkerOptions,
  type RunningMaintenanceWorker,
  startMaintenanceWorker,
} from "./maintenance-worker.js";
export {
  createServiceMetrics,
  type EwsGateSnapshot,
  type MetricsServerOptions,
  type RunningMetricsServer,
  type ServiceMetrics,
  startMetricsServer,
} from "./metrics.js";
export {
  assertRedisReachable,
  bullConnection,
  DEFAULT_PREFIX,
  QUEUES,
  type RedisLocation,
  redactedUrl,
  redisAnswers,
} from "./redis.js";
export { DEFAULT_KEEP_FINISHED_SECONDS, enqueueRun, type RunJobOptions } from "./run-enqueue.js";
export {
  type RunningScheduler,
  type SchedulerEvent,
  type SchedulerOptions,
  startScheduler,
} from "./scheduler.js";
export {
  assertValidSchedule,
  assertValidTimezone,
  type RetentionConfig,
  resolveMailboxes,
  type ScheduleConfig,
  type ScheduledSet,
  type ServiceSetConfig,
  scheduledSets,
  type VerifyConfig,
} from "./set-config.js";
export { engineOptionsOf, type SetEngineOptions } from "./set-selection.js";
export {
  openSharedGate,
  SharedConcurrencyGate,
  type SharedGateOptions,
  sharedThrottleKey,
} from "./shared-throttle/redis-gate.js";
export {
  type JobState,
  type MailboxStatus,
  type RunStatus,
  type ServiceStatus,
  type StatusOptions,
  serviceStatus,
} from "./status.js";
export {
  createWebhookNotifier,
  type RunFailure,
  type WebhookEvent,
  type WebhookNotifier,
  type WebhookOptions,
  type WebhookPayload,
} from "./webhook.js";
export { type RunningWorker, startWorker, type WorkerEvent, type WorkerOptions } from "./worker.js";
