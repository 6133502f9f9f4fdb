"""Running the system outside containers: start it, benchmark it, break it."""
