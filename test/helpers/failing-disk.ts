/**
 * An audit disk that fails on demand (chmod tricks do not work as root): the writer's file-ops seam
 * with every fdatasync failing with EIO while `failing` is set, as a full or failing disk makes it fail.
 */
import { nodeFileOps, type AuditFileOps } from '../../src/audit/file-ops';

export interface FailingDisk {
  ops: AuditFileOps;
  failing: boolean;
}

export function failingDisk(): FailingDisk {
  const disk: FailingDisk = {
    failing: false,
    ops: {
      ...nodeFileOps,
      fdatasync: async (fd) => {
        if (disk.failing) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        return nodeFileOps.fdatasync(fd);
      },
    },
  };
  return disk;
}
