/** Edge configurations generated from one description: Varnish, nginx, HAProxy (docs/cluster.md "Edge configurations"). */
export { checkEdgeDescription, edgeTimings, formatHostPort, parseHostPort } from './description.js';
export type { EdgeDescription, EdgeEngine, EdgeTimings, HostPort } from './description.js';
export { varnishVcl, varnishdArgs, ORIGIN_PROBE_PATH } from './varnish.js';
export type { VarnishdRunOptions } from './varnish.js';
export { nginxConf, nginxArgs } from './nginx.js';
export { haproxyCfg, haproxyArgs } from './haproxy.js';
