"""The engine's route layer: its REST routes (`routes`), the route helpers domains share
(`deps`, re-exported by the face) and the access rules on engine tables (`access`); the one part of
the engine that may use identity."""
