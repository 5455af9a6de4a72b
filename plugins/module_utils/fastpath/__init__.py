# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fast paths of a large flow table, a layer of their own.

Each gives exactly what the plain path gives (each is checked against it,
or proves what it reuses), only sooner; each stays because ``make bench``
shows it pays on a 100k-flow table in the sandbox:

* printer.py: ``state: gathered`` and the before/after texts printed
  straight from the dump's replies, memoised per mask, a reply laid out as
  the last one read in one step. dump+print: 0.52 s, against 1.03 s
  without the reply lines, and about 50 us a flow for the model path
  (decode, then format).
* line_templates.py: a src file's lines encoded by template after the
  first two of a kind: 1.5 s for 100k lines on the host against 7.8 s
  parsed in full (the install row).
* flowcache.py: the parse of each src line kept on the host, so a run
  that cannot use the table snapshot parses only lines it has not seen:
  the "no-change, snapshot lost" row, 10.5 s against 12.7 s when the
  cache is gone too ("nothing kept"; best of four).
* tablesnapshot.py: the table a src run left, as a digest of a key-less
  dump, so a re-run compares digests instead of parsing and planning:
  the no-change row, 2.1 s against 6.1 s when the snapshot is lost.

They sit behind one contract method of the datapath interface,
``DpifProvider.flow_dump_replies``, and above the flow language (``odp``),
which knows nothing of them. Nothing here is imported at this package's
import: the parse cache's code stamp reads these files through it.
"""
