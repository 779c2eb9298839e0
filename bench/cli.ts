/**
 * How a benchmark runs from the command line: `main` runs; when it ends, fails, or the run is interrupted
 * (Ctrl-C, SIGTERM), every server it started is stopped — once — and the process exits with main's code
 * (0 when it returns no number, 1 when it throws, 130/143 on a signal).
 */
export function runCli(main: () => Promise<unknown>, stopServers: () => Promise<unknown>): void {
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await stopServers().catch((e: unknown) => console.error(`stop failed: ${String(e)}`));
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
  main().then(
    (code) => stop(typeof code === 'number' ? code : 0),
    (error: unknown) => {
      console.error(error);
      return stop(1);
    },
  );
}
