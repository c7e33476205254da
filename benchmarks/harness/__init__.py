"""The benchmark harness that ``benchmarks/run`` runs (``python -m harness``).

plan (the seeded data) · seed_rostra (into Rostra, through its comment
service) · servers (Rostra under an ASGI server, Isso, nginx) · procs
(processes and their memory) · wrk (load runs) · fanout (SSE streams) ·
report (tables, targets, JSON).
"""
