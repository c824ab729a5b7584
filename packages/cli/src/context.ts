// Everything a command needs from its options, built once: the destination and repository,
// the EWS client, the index directory. Passwords are read here and nowhere else.
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  type EngineRepository,
  type MailboxSource,
  type MailboxTarget,
  openRepository,
  type Repository,
} from "@ewsvault/core";
import type { Destination } from "@ewsvault/destination";
import {
  createClientCredentialsTokenSupplier,
  createEwsClient,
  type EwsAuth,
  type EwsClient,
} from "@ewsvault/ews";
import { openDestination } from "./destinations.js";
import { CliError, ExitCode } from "./errors.js";
import { readPassword } from "./secrets.js";

export interface RepoOptions {
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly repo?: string;
  readonly passwordFile?: string;
  readonly cacheDir?: string;
}

export interface EwsOptions {
  readonly ewsUrl?: string;
  readonly username?: string;
  readonly ewsPasswordFile?: string;
  readonly auth?: "basic" | "ntlm" | "negotiate" | "bearer" | "client-credentials";
  /** Windows domain for ntlm/negotiate when the user name carries none. */
  readonly domain?: string;
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
    prompt,
  });
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

/** The engine's view of a repository (structurally the same object). */
export function engineRepository(repository: Repository): EngineRepository {
  return repository;
}

export async function ewsAuth(options: EwsOptions, passwordEnv = "EWS_PASSWORD"): Promise<EwsAuth> {
  const kind = options.auth ?? "basic";
  if (kind === "bearer") {
    const token = process.env.EWS_TOKEN;
    if (!token)
      throw new CliError("EWS_TOKEN_REQUIRED", "--auth bearer needs the token in EWS_TOKEN", ExitCode.usage);
    return {
      kind: "bearer",
      getToken: async () => token,
      ...(options.username ? { username: options.username } : {}),
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
  if (!options.username)
    throw new CliError("EWS_USERNAME_REQUIRED", "--username is required", ExitCode.usage);
  const password = await readPassword({
    envName: passwordEnv,
    ...(options.ewsPasswordFile === undefined ? {} : { file: options.ewsPasswordFile }),
    prompt: `EWS password for ${options.username}: `,
  });
  if (kind === "ntlm" || kind === "negotiate") {
    return {
      kind,
      username: options.username,
      password,
      ...(options.domain ? { domain: options.domain } : {}),
    };
  }
  if (kind !== "basic") {
    throw new CliError(
      "INVALID_ARGUMENT",
      `--auth ${String(kind)}: use basic, ntlm, negotiate, bearer or client-credentials`,
      ExitCode.usage,
    );
  }
  return { kind: "basic", username: options.username, password };
}

export async function ewsClientFromOptions(
  options: EwsOptions,
  passwordEnv = "EWS_PASSWORD",
): Promise<EwsClient> {
  if (!options.ewsUrl) throw new CliError("EWS_URL_REQUIRED", "--ews-url is required", ExitCode.usage);
  const auth = await ewsAuth(options, passwordEnv);
  if (options.insecureTls)
    process.stderr.write("warning: TLS certificate verification is OFF (--insecure-tls)\n");
  const plainHttp = options.ewsUrl.toLowerCase().startsWith("http:");
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
    url: options.ewsUrl,
    auth,
    ...(ca !== undefined ? { ca } : {}),
    ...(options.allowInsecureBasic ? { allowInsecureAuth: true } : {}),
    ...(options.insecureTls ? { allowInsecureTls: true } : {}),
    ...(options.impersonation === undefined ? {} : { impersonation: options.impersonation }),
    ...(options.ewsConcurrency ? { maxConcurrency: Number(options.ewsConcurrency) } : {}),
  });
}

export type { MailboxSource, MailboxTarget };
