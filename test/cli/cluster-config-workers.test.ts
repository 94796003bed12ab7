import { describe, expect, it } from 'vitest';
import { clusterOptions } from '../../src/cli/cluster-config.js';
import type { StreamRegistry } from '../../src/cluster/index.js';

/** The `cluster` section behind HTTP workers: other origins are given the public port, never the media server's internal one. */
describe('cluster options with --http-workers', () => {
  const section = { redisUrl: 'redis://127.0.0.1:1', originId: 'o1' };
  const registryFor = (config: Parameters<typeof clusterOptions>[0], internal: string): StreamRegistry => {
    const make = clusterOptions(config).cluster!.registry as (baseUrl: string) => StreamRegistry;
    return make(internal);
  };
  const baseUrlOf = (registry: StreamRegistry): string => registry.origins().get(registry.originId)!.baseUrl;

  it('names the public port with workers, the bound one without', async () => {
    const withWorkers = registryFor({ cluster: section, host: '10.0.0.5', httpPort: 8080, httpWorkers: 2 }, 'http://127.0.0.1:41234');
    expect(baseUrlOf(withWorkers)).toBe('http://10.0.0.5:8080');
    const alone = registryFor({ cluster: section, host: '10.0.0.5', httpPort: 8080, httpWorkers: 0 }, 'http://10.0.0.5:8080');
    expect(baseUrlOf(alone)).toBe('http://10.0.0.5:8080');
    const portZero = registryFor({ cluster: section, host: '0.0.0.0', httpPort: 0, httpWorkers: 2 }, 'http://127.0.0.1:41234');
    expect(baseUrlOf(portZero)).toBe('http://127.0.0.1:41234');
    const given = registryFor({ cluster: { ...section, baseUrl: 'http://origin-1.example:80' }, host: '0.0.0.0', httpPort: 8080, httpWorkers: 2 }, 'http://127.0.0.1:41234');
    expect(baseUrlOf(given)).toBe('http://origin-1.example:80');
    await Promise.all([withWorkers, alone, portZero, given].map((r) => r.close()));
  });
});
