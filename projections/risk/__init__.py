"""The risk model: ``assess(state, now, policy)`` (:mod:`.assess`) judges a group against its
own rhythm (:mod:`.rhythm`) from the reasons its signals give (:mod:`.signals`), with the
program's thresholds (:mod:`.thresholds`); :mod:`.schedule` says when a group must be judged
again. Pure; reads only the fold's state."""
