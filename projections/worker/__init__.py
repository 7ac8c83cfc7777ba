"""The projection worker's runtime: the faust app (:mod:`.app`) feeding the
:class:`~projections.engine.Projector` through :mod:`.runner` (decode, project, write one
batch per transaction; the partitions it owns, claimed and fenced, decision 0025), topic
serialisation (:mod:`.wire`), metrics (:mod:`.observe`), the consumer-group offsets
``rebuild`` sets to the rebuilt checkpoint (:mod:`.group_offsets`) and ``peerpulse rebuild``
(:mod:`.rebuild`, one :mod:`.rebuild_feed` per partition)."""
