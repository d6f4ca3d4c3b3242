"""Wrappers that run real BGP daemons on loopback for the interop and system tests.

Each daemon gets its own directory, config, control socket, pid file and
127.x.y.z address, is started in the foreground by the test and stopped by the
pid the test started, so tests run side by side under ``pytest -n auto``.
"""
