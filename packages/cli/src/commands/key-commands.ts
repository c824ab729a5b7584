// `ewsvault key ...`: password slots, escrow to a service provider's X25519 key, one-time
// recovery codes, and recovery when every password is lost. Key material is only ever
// written wrapped; the escrow private key belongs to the provider and is written 0600.
import { readFile, writeFile } from "node:fs/promises";
import {
  addEscrow,
  addPassword,
  changePassword,
  createRecoveryCode,
  generateEscrowKeyPair,
  listKeys,
  recoverWithCode,
  recoverWithEscrow,
  removeKey,
  type UnlockedKey,
  unlockWithPassword,
} from "@ewsvault/core";
import type { Destination } from "@ewsvault/destination";
import type { Command } from "commander";
import { type RepoOptions, repositoryLocation, repositoryPassword } from "../context.js";
import { openDestination } from "../destinations.js";
import { CliError, ExitCode } from "../errors.js";
import { promptHidden, readPassword } from "../secrets.js";
import { addRepoOptions, type CommandRunner } from "./shared.js";

interface KeyOptions extends RepoOptions {
  newPasswordFile?: string;
}

async function withDestination<T>(
  options: RepoOptions,
  body: (destination: Destination) => Promise<T>,
): Promise<T> {
  const destination = await openDestination(repositoryLocation(options));
  try {
    return await body(destination);
  } finally {
    await destination.close();
  }
}

async function unlock(destination: Destination, options: RepoOptions): Promise<UnlockedKey> {
  return unlockWithPassword(destination, await repositoryPassword(options));
}

async function newPassword(options: KeyOptions): Promise<string> {
  const fromEnv = ["", "_FILE", "_COMMAND"].some((suffix) =>
    Boolean(process.env[`EWSVAULT_NEW_PASSWORD${suffix}`]),
  );
  if (options.newPasswordFile === undefined && !fromEnv && process.stdin.isTTY) {
    const first = await promptHidden("new password: ");
    if ((await promptHidden("repeat new password: ")) !== first) {
      throw new CliError("PASSWORD_MISMATCH", "the passwords differ", ExitCode.usage);
    }
    return first;
  }
  return readPassword({
    envName: "EWSVAULT_NEW_PASSWORD",
    ...(options.newPasswordFile === undefined ? {} : { file: options.newPasswordFile }),
    prompt: "new password: ",
  });
}

function hexFile(text: string, what: string): Uint8Array {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(hex))
    throw new CliError("KEY_FILE_INVALID", `${what} must hold 64 hex digits`, ExitCode.usage);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export function registerKeyCommands(program: Command, run: CommandRunner): void {
  const key = program.command("key").description("manage passwords, escrow and recovery");
  const newPasswordOption = (c: Command) =>
    c.option(
      "--new-password-file <file>",
      "read the new password from a file (else EWSVAULT_NEW_PASSWORD, else a prompt)",
    );

  addRepoOptions(key.command("list").description("list key slots")).action(
    (options: KeyOptions & { json?: boolean }) =>
      run(options, (out) =>
        withDestination(options, async (destination) => {
          await unlock(destination, options); // listing needs the same proof as every other command
          for (const slot of await listKeys(destination)) {
            out.event(
              "key",
              { ...slot },
              () => `${slot.keyId}  ${slot.kind.padEnd(13)}  ${slot.createdAt}  ${slot.hostname ?? ""}`,
            );
          }
          return ExitCode.ok;
        }),
      ),
  );

  newPasswordOption(addRepoOptions(key.command("add").description("add a password"))).action(
    (options: KeyOptions) =>
      run(options, (out) =>
        withDestination(options, async (destination) => {
          const unlocked = await unlock(destination, options);
          const keyId = await addPassword(destination, unlocked.masterKey, await newPassword(options));
          out.event("key-added", { keyId }, () => `added password slot ${keyId}`);
          return ExitCode.ok;
        }),
      ),
  );

  addRepoOptions(key.command("remove").description("remove a key slot"))
    .argument("<keyId>", "slot to remove")
    .action((keyId: string, options: KeyOptions) =>
      run(options, (out) =>
        withDestination(options, async (destination) => {
          const unlocked = await unlock(destination, options);
          await removeKey(destination, keyId, unlocked);
          out.event("key-removed", { keyId }, () => `removed key slot ${keyId}`);
          return ExitCode.ok;
        }),
      ),
    );

  newPasswordOption(addRepoOptions(key.command("passwd").description("change the password"))).action(
    (options: KeyOptions) =>
      run(options, (out) =>
        withDestination(options, async (destination) => {
          const unlocked = await unlock(destination, options);
          const keyId = await changePassword(destination, unlocked, await newPassword(options));
          out.event("password-changed", { keyId }, () => `password changed (new slot ${keyId})`);
          return ExitCode.ok;
        }),
      ),
  );

  key
    .command("escrow-keygen")
    .description(
      "(service provider) create an X25519 escrow key pair: <out>.pub to give out, <out>.key to keep offline",
    )
    .requiredOption("--out <prefix>", "file prefix")
    .option("--json", "print JSON")
    .action((options: { out: string; json?: boolean }) =>
      run(options, async (out) => {
        const pair = generateEscrowKeyPair();
        await writeFile(`${options.out}.key`, `${Buffer.from(pair.privateKey).toString("hex")}\n`, {
          mode: 0o600,
          flag: "wx",
        });
        await writeFile(`${options.out}.pub`, `${Buffer.from(pair.publicKey).toString("hex")}\n`, {
          flag: "wx",
        });
        out.event(
          "escrow-keypair",
          { publicKeyFile: `${options.out}.pub`, privateKeyFile: `${options.out}.key` },
          () =>
            `wrote ${options.out}.pub (give to customers) and ${options.out}.key (keep offline, mode 0600)`,
        );
        return ExitCode.ok;
      }),
    );

  addRepoOptions(
    key.command("escrow").description("escrow the master key to a service provider's public key"),
  )
    .requiredOption("--public-key <file>", "the provider's X25519 public key (hex), from escrow-keygen")
    .action((options: KeyOptions & { publicKey: string }) =>
      run(options, (out) =>
        withDestination(options, async (destination) => {
          const publicKey = hexFile(await readFile(options.publicKey, "utf8"), "--public-key");
          const unlocked = await unlock(destination, options);
          const keyId = await addEscrow(destination, unlocked.masterKey, publicKey);
          out.event("escrow-added", { keyId }, () => `master key escrowed in slot ${keyId}`);
          return ExitCode.ok;
        }),
      ),
    );

  addRepoOptions(
    key.command("recovery-code").description("create a one-time recovery code (print it and keep it safe)"),
  ).action((options: KeyOptions) =>
    run(options, (out) =>
      withDestination(options, async (destination) => {
        const unlocked = await unlock(destination, options);
        const { code, keyId } = await createRecoveryCode(destination, unlocked.masterKey);
        // The code is the one secret this tool prints on purpose: it exists nowhere else.
        out.event(
          "recovery-code",
          { keyId, code },
          () =>
            `recovery code (slot ${keyId}):\n\n    ${code}\n\nprint it and store it offline; it is shown only once`,
        );
        return ExitCode.ok;
      }),
    ),
  );

  newPasswordOption(
    addRepoOptions(key.command("recover").description("set a new password when every password is lost")),
  )
    .option("--escrow-private-key <file>", "the provider's X25519 private key (hex)")
    .option("--recovery-code-file <file>", "a file holding the recovery code (else a prompt)")
    .action((options: KeyOptions & { escrowPrivateKey?: string; recoveryCodeFile?: string }) =>
      run(options, (out) =>
        withDestination(options, async (destination) => {
          let unlocked: UnlockedKey;
          if (options.escrowPrivateKey) {
            unlocked = await recoverWithEscrow(
              destination,
              hexFile(await readFile(options.escrowPrivateKey, "utf8"), "--escrow-private-key"),
            );
          } else {
            const code = options.recoveryCodeFile
              ? (await readFile(options.recoveryCodeFile, "utf8")).trim()
              : await promptHidden("recovery code: ");
            unlocked = await recoverWithCode(destination, code);
          }
          const keyId = await addPassword(destination, unlocked.masterKey, await newPassword(options));
          out.event(
            "recovered",
            { keyId, via: unlocked.keyId },
            () => `recovered through slot ${unlocked.keyId}; new password slot ${keyId}`,
          );
          return ExitCode.ok;
        }),
      ),
    );
}
