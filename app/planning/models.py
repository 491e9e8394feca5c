"""Tables of planning: the annual supervision plan, its items, and unplanned activity proposals."""
