"""Run under ``mpirun -n N``: rank 1 raises while the others wait in a collective
(``raise``) or rank 1 skips a collective (``skip``, with a short CHAINRULE_DIST_TIMEOUT).
Either way the job must end, with an error naming the rank, instead of hanging."""
import sys
import time

import chainrule as cr
import chainrule.distributed as dist

dist.init_process_group(backend="mpi")
mode = sys.argv[1]
if dist.get_rank() == 1:
    if mode == "raise":
        raise ValueError("deliberate failure on rank 1")
    time.sleep(30)  # never reaches the all_reduce: the others time out
dist.all_reduce(cr.ones(3))
dist.all_reduce(cr.ones(3))
print("unreachable: the job should have been aborted", flush=True)
