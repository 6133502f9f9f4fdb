"""`make bench`: sagas per second and latency of the real system, against what this machine can do."""
