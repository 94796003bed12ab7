import { RedisStreamRegistry, type RedisRegistryOptions } from '../../src/cluster/index.js';

/**
 * An origin in a process of its own, for the fault tests: it starts a Redis registry, claims one
 * key, reports a position, prints each event as a JSON line, and then only lives on, refreshing on
 * the registry's timer, until the test SIGKILLs or SIGSTOPs it by its PID.
 *
 * argv[2]: JSON {options: RedisRegistryOptions, key, position: {msn, dseq}}.
 */

interface ChildPlan {
  options: RedisRegistryOptions;
  key: string;
  position: { msn: number; dseq: number };
}

const plan = JSON.parse(process.argv[2] ?? '{}') as ChildPlan;
const say = (line: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(line) + '\n');
const registry = new RedisStreamRegistry(plan.options);
registry.on('lost', (lost) => say({ event: 'lost', ...lost }));
registry.on('degraded', (err) => say({ event: 'degraded', reason: err.message }));
registry.on('restored', () => say({ event: 'restored' }));
await registry.start();
const claim = await registry.claim(plan.key);
const refreshed = await registry.refresh(plan.key, plan.position);
say({ event: 'claimed', ...claim, refreshed });
// The registry's timer is unref'd (a server's own handles keep its process alive): this one keeps the child's.
setInterval(() => undefined, 1 << 30);
