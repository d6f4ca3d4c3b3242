"""bgpmesh: a BGP speaker driven by programs.

The packages under ``bgpmesh/`` are sans-IO: bytes in, typed values out, time
passed in as ``now``.  Sockets, processes and ZeroMQ live in
``bgpmesh.supervisor`` and ``bgpmesh.workers``.
"""

__version__ = "0.1.0"
