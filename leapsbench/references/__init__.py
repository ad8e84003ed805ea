"""Reference values shipped with leapsbench: ``<benchmark>.json`` per benchmark (package data).

Read by :mod:`leapsbench.harness.reference_lookup` with :mod:`importlib.resources`; keys and
provenance in docs/CONTRACTS.md.  ``leapsbench reference`` writes new ones to a user folder.
"""
