#!/bin/sh
# Run once by the postgres image when its data folder is first created: the engine's own database and
# user, beside Temporal's. The engine creates its tables itself (migrations at start).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE USER journeys WITH PASSWORD '${JOURNEYS_DB_PASSWORD}';
CREATE DATABASE journeys OWNER journeys;
SQL
