"""The SQL read model: its tables (:mod:`.tables`, the one catalogue of table and column
names the API reads too), row changes coalesced into a batch (:mod:`.batch`), the SQL for
SQLite and PostgreSQL (:mod:`.sqlgen`) and the writer/reader (:mod:`.store`)."""
