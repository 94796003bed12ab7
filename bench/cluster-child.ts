import { startClusterInProcess } from './cluster-run.js';

/**
 * startLocalCluster in a process of its own, for the tests (vitest's process is not the tidecast
 * CLI, whose entry startLocalCluster starts the origins with): `node --import tsx
 * bench/cluster-child.ts` prints one JSON line `{"msg":"cluster ready", dir, ports, origins, pids}`
 * and stops the cluster (every process by PID, and its directory) on SIGINT or SIGTERM, or when its
 * parent goes (stdin closes). bench/cluster-run.ts's startClusterChild runs it.
 */

const cluster = await startClusterInProcess();
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await cluster.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
process.stdin.resume();
process.stdin.once('end', () => void stop());
const { dir, rtmpPort, varnishPort, nginxPort, origins } = cluster;
console.log(JSON.stringify({ msg: 'cluster ready', dir, rtmpPort, varnishPort, nginxPort, origins, pids: cluster.pids() }));
