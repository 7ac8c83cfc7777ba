"""The risk model (decision 0017): ``assess(state, now, policy)`` (:mod:`.assess`) estimates
the probability that a group goes dormant within the next 3 cadence periods with a
logistic model (:mod:`.model`) over features judged against the group's own history
(:mod:`.signals`, :mod:`.rhythm`), and derives its level with persistence (:mod:`.levels`);
the policy and its fitted defaults live in :mod:`.thresholds` and :mod:`.fitted`;
:mod:`.schedule` says when a group must be judged again. Pure; reads only the fold's state."""
