"""Running instances: load, step, save; the operations on instances and tasks; timers."""
