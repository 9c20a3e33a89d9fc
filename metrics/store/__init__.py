"""The store: the only package that holds SQL and imports DuckDB. It persists records the
services have already decided and reads in the shape of the pages: the connection and its
transactions (:mod:`.connection`), the schema's migrations (:mod:`.schema`), reads
(:mod:`.reads`) and writes (:mod:`.writes`), one module per area. It imports nothing above
:mod:`metrics.core`. The record is a DuckDB file, or a PostgreSQL database
(:mod:`.postgres`, imported here so that ``Store(url)`` finds it).
"""

from metrics.store import postgres as postgres
