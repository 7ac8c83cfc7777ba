"""The fold: a decoded public event (:mod:`.envelope`) folded by one small handler per event
type (:mod:`.handlers`) into a group's or program's state (:mod:`.state`) by ``apply``
(:mod:`.apply`). Pure: no clock, no I/O; the lowest floor of the projections."""
