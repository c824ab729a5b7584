// Everything a command needs from its options, built once: the destination and repository,
// the EWS client, the index directory. Passwords are read here and nowhere else.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { type MailboxSource, type MailboxTarget, openRepository, type Repository } from "@ewsvault/core";
import type { Destination } from "@ewsvault/destination";
import {
  type ConcurrencyGate,
  createClientCredentialsTokenSupplier,
  createEwsClient,
  discoverMailboxes,
  type EwsAuth,
  type EwsClient,
  type ResponseInfo,
} from "@ewsvault/ews";
import { openDestination } from "./destinations.js";
import { CliError, ExitCode } from "./errors.js";
import { discoverMailboxesLdap } from "./ldap-discovery.js";
import type { MailboxDirectory } from "./mailbox-list.js";
import { readPassword } from "./secrets.js";

export interface RepoOptions {
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly repo?: string;
  readonly passwordFile?: string;
  readonly passwordCommand?: string;
  readonly cacheDir?: string;
}

export interface EwsOptions {
  readonly ewsUrl?: string;
  readonly username?: string;
  readonly ewsPasswordFile?: string;
  readonly ewsPasswordCommand?: string;
  /** Windows domain of the account (`--domain`, EWS_DOMAIN, config `ews.domain`); see ewsDomain(). */
  readonly domain?: string;
  readonly auth?: "basic" | "ntlm" | "negotiate" | "bearer" | "client-credentials";
  readonly tokenUrl?: string;
  readonly clientId?: string;
  /** AD FS: the resource to ask a token for (sent as `resource` instead of `scope`). */
  readonly tokenResource?: string;
  readonly tokenScope?: string;
  readonly insecureTls?: boolean;
  /** PEM file of an extra trusted CA certificate for the EWS endpoint. */
  readonly caFile?: string;
  /** Send Basic credentials or a bearer token over plain http. */
  readonly allowInsecureBasic?: boolean;
  readonly impersonation?: boolean;
  readonly ewsConcurrency?: string;
  /** Called after every HTTP response (check's latency and throttling report). */
  readonly onResponse?: (info: ResponseInfo) => void;
}

export function repositoryLocation(options: RepoOptions): string {
  const location = options.repo ?? process.env.EWSVAULT_REPOSITORY;
  if (location === undefined || location === "") {
    throw new CliError("REPO_REQUIRED", "--repo (or EWSVAULT_REPOSITORY) is required", ExitCode.usage);
  }
  return location;
}

export function cacheDirectory(options: RepoOptions): string {
  return (
    options.cacheDir ??
    process.env.EWSVAULT_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "ewsvault")
  );
}

export async function repositoryPassword(
  options: RepoOptions,
  prompt = "repository password: ",
): Promise<string> {
  return readPassword({
    envName: "EWSVAULT_PASSWORD",
    ...(options.passwordFile === undefined ? {} : { file: options.passwordFile }),
    ...(options.passwordCommand === undefined ? {} : { command: options.passwordCommand }),
    prompt,
  });
}

function fromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The EWS endpoint: `--ews-url`, EWS_URL, or the config file's `ews.url`. */
export function ewsUrl(options: EwsOptions): string | undefined {
  return options.ewsUrl ?? fromEnv("EWS_URL");
}

/** The EWS account: `--username`, EWS_USERNAME, or the config file's `ews.username`. */
export function ewsUsername(options: EwsOptions): string | undefined {
  return options.username ?? fromEnv("EWS_USERNAME");
}

/** The account's Windows domain (NTLM/Negotiate): `--domain`, EWS_DOMAIN, or `ews.domain`. */
export function ewsDomain(options: EwsOptions): string | undefined {
  return options.domain ?? fromEnv("EWS_DOMAIN");
}

export interface OpenedRepository {
  readonly destination: Destination;
  readonly repository: Repository;
  readonly cacheDir: string;
  close(): Promise<void>;
}

export async function openRepositoryFromOptions(options: RepoOptions): Promise<OpenedRepository> {
  const destination = await openDestination(repositoryLocation(options));
  try {
    const password = await repositoryPassword(options);
    const cacheDir = cacheDirectory(options);
    const repository = await openRepository({
      destination,
      password,
      cacheDir: join(cacheDir, "repository"),
    });
    return {
      destination,
      repository,
      cacheDir,
      async close() {
        await repository.close();
        await destination.close();
      },
    };
  } catch (error) {
    await destination.close().catch(() => {});
    throw error;
  }
}

/** One password read per options object: discovery and the client share it (a command runs once). */
const authCache = new WeakMap<EwsOptions, Promise<EwsAuth>>();

export function ewsAuth(options: EwsOptions, passwordEnv = "EWS_PASSWORD"): Promise<EwsAuth> {
  let auth = authCache.get(options);
  if (auth === undefined) {
    auth = readEwsAuth(options, passwordEnv);
    authCache.set(options, auth);
  }
  return auth;
}

export interface LdapOptions {
  readonly ldapUrl?: string;
  readonly ldapBase?: string;
  readonly ldapBindDn?: string;
  readonly ldapCaFile?: string;
  readonly ldapPasswordFile?: string;
  readonly ldapPasswordCommand?: string;
}

/**
 * Every mailbox the account can see: Active Directory when `--ldap-url` (or `ldap.url`) is
 * given, else the EWS address book (see @ewsvault/ews discoverMailboxes).
 */
export async function discoverFromOptions(options: EwsOptions & LdapOptions): Promise<MailboxDirectory> {
  if (options.ldapUrl) {
    const bindDn = options.ldapBindDn ?? ewsUsername(options);
    if (!bindDn)
      throw new CliError(
        "EWS_USERNAME_REQUIRED",
        "--ldap-bind-dn (or --username) is required",
        ExitCode.usage,
      );
    const password = await readPassword({
      envName: "EWSVAULT_LDAP_PASSWORD",
      ...(options.ldapPasswordFile === undefined ? {} : { file: options.ldapPasswordFile }),
      ...(options.ldapPasswordCommand === undefined ? {} : { command: options.ldapPasswordCommand }),
      prompt: `LDAP password for ${bindDn}: `,
    });
    return discoverMailboxesLdap({
      url: options.ldapUrl,
      bindDn,
      password,
      ...(options.ldapBase ? { base: options.ldapBase } : {}),
      ...(options.ldapCaFile ? { caFile: options.ldapCaFile } : {}),
      ...(options.insecureTls ? { insecureTls: true } : {}),
    });
  }
  const url = ewsUrl(options);
  if (!url) throw new CliError("EWS_URL_REQUIRED", "--ews-url (or EWS_URL) is required", ExitCode.usage);
  return discoverMailboxes({
    url,
    auth: await ewsAuth(options),
    ...(options.insecureTls ? { allowInsecureTls: true } : {}),
    ...(options.allowInsecureBasic ? { allowInsecureAuth: true } : {}),
    ...(options.caFile ? { ca: await readFile(options.caFile, "utf8") } : {}),
  });
}

async function readEwsAuth(options: EwsOptions, passwordEnv: string): Promise<EwsAuth> {
  const kind = options.auth ?? "basic";
  if (kind === "bearer") {
    const token = process.env.EWS_TOKEN;
    if (!token)
      throw new CliError("EWS_TOKEN_REQUIRED", "--auth bearer needs the token in EWS_TOKEN", ExitCode.usage);
    return {
      kind: "bearer",
      getToken: async () => token,
      ...(ewsUsername(options) ? { username: ewsUsername(options) } : {}),
    };
  }
  if (kind === "client-credentials") {
    const secret = process.env.EWS_CLIENT_SECRET;
    if (!options.tokenUrl || !options.clientId || !secret) {
      throw new CliError(
        "EWS_OAUTH_CONFIG",
        "--auth client-credentials needs --token-url, --client-id and EWS_CLIENT_SECRET",
        ExitCode.usage,
      );
    }
    const supplier = createClientCredentialsTokenSupplier({
      tokenUrl: options.tokenUrl,
      clientId: options.clientId,
      clientSecret: secret,
      ...(options.tokenResource ? { resource: options.tokenResource } : {}),
      ...(options.tokenScope ? { scope: options.tokenScope } : {}),
      ...(options.insecureTls ? { allowInsecureTls: true } : {}),
    });
    // Pass the supplier itself: the client calls its invalidate() to refresh after a 401.
    return { kind: "bearer", getToken: supplier };
  }
  // EWS_USERNAME is the source server's account; a restore target names its own.
  const username = passwordEnv === "EWS_PASSWORD" ? ewsUsername(options) : options.username;
  if (!username)
    throw new CliError("EWS_USERNAME_REQUIRED", "--username (or EWS_USERNAME) is required", ExitCode.usage);
  const password = await readPassword({
    envName: passwordEnv,
    ...(options.ewsPasswordFile === undefined ? {} : { file: options.ewsPasswordFile }),
    ...(options.ewsPasswordCommand === undefined ? {} : { command: options.ewsPasswordCommand }),
    prompt: `EWS password for ${username}: `,
  });
  if (kind === "ntlm" || kind === "negotiate") {
    const domain = passwordEnv === "EWS_PASSWORD" ? ewsDomain(options) : options.domain;
    return { kind, username, password, ...(domain ? { domain } : {}) };
  }
  if (kind !== "basic") {
    throw new CliError(
      "INVALID_ARGUMENT",
      `--auth ${String(kind)}: use basic, ntlm, negotiate, bearer or client-credentials`,
      ExitCode.usage,
    );
  }
  return { kind: "basic", username, password };
}

export async function ewsClientFromOptions(
  options: EwsOptions,
  passwordEnv = "EWS_PASSWORD",
  shared: { gate?: ConcurrencyGate } = {},
): Promise<EwsClient> {
  const url = passwordEnv === "EWS_PASSWORD" ? ewsUrl(options) : options.ewsUrl;
  if (!url) throw new CliError("EWS_URL_REQUIRED", "--ews-url (or EWS_URL) is required", ExitCode.usage);
  const auth = await ewsAuth(options, passwordEnv);
  if (options.insecureTls)
    process.stderr.write("warning: TLS certificate verification is OFF (--insecure-tls)\n");
  const plainHttp = url.toLowerCase().startsWith("http:");
  if (plainHttp && (auth.kind === "basic" || auth.kind === "bearer")) {
    if (!options.allowInsecureBasic) {
      throw new CliError(
        "EWS_INSECURE_AUTH",
        `--auth ${options.auth ?? "basic"} over plain http would send the ${auth.kind === "basic" ? "password" : "token"} readably: use https, or --allow-insecure-basic`,
        ExitCode.usage,
      );
    }
    // Said explicitly: no further word (error output stays one line per failure).
  }
  let ca: string | undefined;
  if (options.caFile) {
    try {
      ca = await readFile(options.caFile, "utf8");
    } catch {
      throw new CliError("INVALID_ARGUMENT", `--ca-file ${options.caFile}: cannot read it`, ExitCode.usage);
    }
  }
  return createEwsClient({
    url,
    auth,
    ...(ca !== undefined ? { ca } : {}),
    ...(options.allowInsecureBasic ? { allowInsecureAuth: true } : {}),
    ...(options.insecureTls ? { allowInsecureTls: true } : {}),
    ...(options.impersonation === undefined ? {} : { impersonation: options.impersonation }),
    ...(options.ewsConcurrency ? { maxConcurrency: Number(options.ewsConcurrency) } : {}),
    ...(options.onResponse ? { onResponse: options.onResponse } : {}),
    ...(shared.gate === undefined ? {} : { gate: shared.gate }),
  });
}

export type { MailboxSource, MailboxTarget };
