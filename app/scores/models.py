"""Tables of performance scoring (绩效考评)."""
