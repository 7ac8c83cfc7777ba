"""Onboarding a program from files or forms: rows become ingest messages (decision 0021).

:mod:`.rows` reads the four CSV kinds (programs, coordinators, groups, rosters) into
validated payloads, one per row, with a per-row error naming the column; :mod:`.plan`
says what each would change against what peerpulse knows (create / change / unchanged /
leave) and which ingest message says it. The CLI (``peerpulse onboard``) and the API
(``PUT /v1/programs/...``) share both, and apply through the one ingest path.
"""
