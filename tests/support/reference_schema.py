"""The reference server's tables, as its Sequelize models create them on PostgreSQL (v1.7.42).

Written here from the model definitions (`packages/core/models/*.ts`): quoted camelCase names,
`STRING` as `VARCHAR(255)`, `DATE` as `TIMESTAMP WITH TIME ZONE`, and the `createdAt`/`updatedAt`
columns Sequelize adds to every model. The same text runs on SQLite (it accepts these type names),
so the foreign-database guard is tested on both backends.
"""

from __future__ import annotations

_TS = '"createdAt" TIMESTAMP WITH TIME ZONE NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL'

REFERENCE_DDL: tuple[str, ...] = (
    'CREATE TABLE "users" ("id" VARCHAR(255) PRIMARY KEY, "rcAccountId" VARCHAR(255), '
    '"hostname" VARCHAR(255), "timezoneName" VARCHAR(255), "timezoneOffset" VARCHAR(255), '
    '"platform" VARCHAR(255), "accessToken" VARCHAR(2500), "refreshToken" VARCHAR(2500), '
    '"tokenExpiry" TIMESTAMP WITH TIME ZONE, "platformAdditionalInfo" JSON, '
    f'"hashedRcExtensionId" VARCHAR(255), "userSettings" JSON, {_TS})',
    'CREATE TABLE "callLogs" ("id" VARCHAR(255), "sessionId" VARCHAR(255), '
    "\"extensionNumber\" VARCHAR(255) NOT NULL DEFAULT '', "
    "\"hashedExtensionId\" VARCHAR(255) NOT NULL DEFAULT '', "
    '"platform" VARCHAR(255), "thirdPartyLogId" VARCHAR(255), "userId" VARCHAR(255), '
    f'"contactId" VARCHAR(255), {_TS}, '
    'PRIMARY KEY ("id", "sessionId", "extensionNumber", "hashedExtensionId"))',
    'CREATE TABLE "messageLogs" ("id" VARCHAR(255) PRIMARY KEY, "platform" VARCHAR(255), '
    '"conversationId" VARCHAR(255), "conversationLogId" VARCHAR(255), '
    f'"thirdPartyLogId" VARCHAR(255), "userId" VARCHAR(255), {_TS})',
    'CREATE INDEX "message_logs_conversation_log_id" ON "messageLogs" ("conversationLogId")',
    'CREATE TABLE "adminConfigs" ("id" VARCHAR(255) PRIMARY KEY, "userSettings" JSON, '
    '"customAdapter" JSON, "adminAccessToken" VARCHAR(512), "adminRefreshToken" VARCHAR(512), '
    f'"adminTokenExpiry" TIMESTAMP WITH TIME ZONE, "userMappings" JSON, {_TS})',
    'CREATE TABLE "cache" ("id" VARCHAR(255) PRIMARY KEY, "status" VARCHAR(255), '
    '"userId" VARCHAR(255), "cacheKey" VARCHAR(255), "data" JSON, '
    f'"expiry" TIMESTAMP WITH TIME ZONE, {_TS})',
    'CREATE TABLE "accountData" ("rcAccountId" VARCHAR(255), "platformName" VARCHAR(255), '
    f'"dataKey" VARCHAR(255), "data" JSON, {_TS}, '
    'PRIMARY KEY ("rcAccountId", "platformName", "dataKey"))',
    'CREATE TABLE "callDownLists" ("id" VARCHAR(255) PRIMARY KEY, "userId" VARCHAR(255), '
    '"contactId" VARCHAR(255), "contactType" VARCHAR(255), "status" VARCHAR(255), '
    f'"scheduledAt" TIMESTAMP WITH TIME ZONE, "lastCallAt" TIMESTAMP WITH TIME ZONE, {_TS})',
    'CREATE TABLE "llmSessions" ("id" VARCHAR(255) PRIMARY KEY, "jwtToken" VARCHAR(2500), '
    f'"expiry" TIMESTAMP WITH TIME ZONE, {_TS})',
)

REFERENCE_TABLES = (
    "users",
    "callLogs",
    "messageLogs",
    "adminConfigs",
    "cache",
    "accountData",
    "callDownLists",
    "llmSessions",
)
