import { lookup } from 'node:dns/promises';
import { HostNotFoundError } from '../domain/webhook-url.ts';
import type { HostResolver } from '../use-cases/ports.ts';

/** DNS answers that mean "this name has no address", as opposed to a resolver that failed. */
const NO_ADDRESS = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA']);

/**
 * A host name's addresses as the operating system resolves them (getaddrinfo: `/etc/hosts`, then DNS),
 * every A and AAAA record, in the resolver's order. Bounded by `timeoutMs`: a name that takes longer is
 * reported as not resolvable now.
 */
export class DnsHostResolver implements HostResolver {
  constructor(
    private readonly timeoutMs = 3000,
    private readonly look: typeof lookup = lookup,
  ) {}

  async resolve(hostname: string): Promise<readonly string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new HostNotFoundError(`host name could not be resolved within ${this.timeoutMs / 1000} s; try again`)),
        this.timeoutMs,
      );
    });
    try {
      const answers = await Promise.race([this.look(hostname, { all: true, verbatim: true }), timeout]);
      return answers.map((answer) => answer.address);
    } catch (error) {
      if (error instanceof HostNotFoundError) throw error;
      const code = (error as { code?: string }).code;
      if (code !== undefined && NO_ADDRESS.has(code)) throw new HostNotFoundError();
      if (code === 'EAI_AGAIN') throw new HostNotFoundError('host name could not be resolved right now (temporary DNS failure); try again');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
