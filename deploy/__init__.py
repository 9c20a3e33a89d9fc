"""Running the app beyond one process: a PostgreSQL server on this machine
(:mod:`deploy.postgres`) and several app processes behind HAProxy (:mod:`deploy.replicas`,
``make replicas``)."""
