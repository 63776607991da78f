# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""How many copies a forked worker's own Private_Dirty allows, for the suites
that compare cowtrace with it (stacks, examples).

Right after fork() the worker maps nothing private, so at its end
Private_Dirty = the pages it copied (and still maps) + the new pages it
touched.  Its Rss growth bounds the new pages only where it freed none (a
worker whose collector hands arenas back to the kernel grows less than it
touched); cowtrace also counts copies after the worker's last look (os.write,
os._exit: a handful).  So, within 2% + 32 pages:  pd - new <= copies <= pd.
"""


def copy_bounds(pd, new):
    """(lowest, highest, tolerance) of the copies a worker's Private_Dirty pd and Rss growth new allow, in pages."""
    tol = 0.02 * pd + 32
    return pd - new - tol, pd + tol, tol
