/**
 * @opendray/core — the opendray gateway as a library.
 *
 * @example
 * import { createGateway } from '@opendray/core';
 * const gateway = await createGateway({ auth: { adminToken: process.env.ADMIN_TOKEN } });
 * await gateway.listen(8770);
 */
export { createGateway, type Gateway } from './gateway.js';
export type { GatewayOptions, AuthOptions } from './options.js';
export { GatewayError, STATUS_BY_CODE, ERROR_CODES, type ErrorCode } from './errors.js';
export type { Principal, AdminPrincipal, IntegrationPrincipal } from './auth/principal.js';
export { scopeGrants, hasScope } from './auth/scopes.js';
export { resetAdminPassword, resolveAdminCredentials, writeAdminKeyFile, type AdminCredentialSource, type ResolvedAdminCredentials } from './auth/admin-key-file.js';
export type { AdminCredentials } from './auth/admin.js';
export type { EventBus, BusEvent, BusListener, Replay, PublishMeta, PublishData, TopicEvent } from './bus/types.js';
export { isTopic } from './bus/types.js';
export { topicMatches } from './bus/topics.js';
export type { Clock } from './clock.js';
export { createLogger, silentLogger, type Logger, type LogLevel } from './log.js';
export type { PtyBackend, PtyProcess, PtySpawnOptions } from './pty/types.js';
export type { Route, RouteAccess, RequestContext, Reply } from './http/route.js';
export type { PipelineHooks, ResponseInfo } from './http/pipeline.js';
export type * from './stores/types.js';
export type { StorageOption } from './stores/keyv/open.js';
export type { ProviderManifest, ProviderDefinition, ConfigField, ResumeSpec } from './sessions/providers/types.js';
export type {
  ChannelAdapter,
  ChannelAdapterFactory,
  ChannelAdapterContext,
  InboundMessage,
  OutboundMessage,
  DeliveryResult,
  WebhookRequest,
  ChannelWebhookReceiver,
} from './channels/types.js';
export { CORE_VERSION } from './defaults.js';
export { runStoreContract, type ContractHarness, type StoreContractOptions } from './stores/store-contract.js';
export { buildOpenApiDocument, type OpenApiDocument } from './openapi/document.js';
export { buildAsyncApiDocument, type AsyncApiDocument } from './asyncapi/document.js';
export type { UpgradeEndpoint, UpgradeContext } from './ws/upgrade.js';
