// @ewsvault/destination-sftp — stores repository objects as files on an SFTP server (built
// for OpenSSH) over a small pool of SSH connections, with mandatory host-key verification
// (known_hosts or a pinned SHA256 fingerprint), and turns `sftp:` repository URLs plus
// EWSVAULT_SFTP_* environment variables into a configured destination.

export {
  entryMatchesHost,
  type HostKeyVerdict,
  type KnownHostEntry,
  knownHostsName,
  parseKnownHosts,
  sha256Fingerprint,
  verifyAgainstKnownHosts,
} from "./known-hosts.js";
export { createSftpDestination, SftpDestination } from "./sftp-destination.js";
export type { SftpDestinationOptions } from "./sftp-options.js";
export { createSftpDestinationFromUrl, parseSftpUrl, type SftpUrl } from "./url.js";
