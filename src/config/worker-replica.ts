/**
 * The audit chain a worker writes when the gateway runs several (config `workers`): one chain per process,
 * since appending to one chain from two processes would need a lock around every record. Named after the
 * gateway's replica, so that replicas sharing a folder keep apart: `pod-a-w1`, `pod-a-w2`, or `w1`, `w2`
 * when no replica is configured.
 */
export function workerReplicaId(replica: string | undefined, worker: number): string {
  return replica === undefined ? `w${worker}` : `${replica}-w${worker}`;
}
