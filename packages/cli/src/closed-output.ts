// `ewsvault ls ... | head -1`: once the reader of our output has gone, every further write
// fails with EPIPE, which Node reports as an 'error' event that, unhandled, crashes the process
// with a stack trace. A closed pipe is the reader saying it has seen enough, so the command ends
// at once, quietly, with exit code 0 (the behaviour of tools killed by SIGPIPE, minus the
// signal's 141, which would make `set -o pipefail` scripts fail on an ordinary `| head`). A
// backup cut short this way resumes on its next run like any interrupted one.

/** Makes EPIPE on stdout or stderr end the process with exit 0; other stream errors still throw. */
export function exitQuietlyWhenOutputCloses(
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): void {
  for (const stream of streams) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }
}
