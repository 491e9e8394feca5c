"""Task specs the engine adds to SpiffWorkflow's, and how designers' due dates read."""
