"""Hostile inputs for gatecheck, made by code at test time (nothing large or dangerous is
committed): ``cases`` builds each case, ``runner`` runs it through the CLI in a fresh process
and measures it. Used by tests/test_adversarial.py and benchmarks/bench_adversarial.py."""
