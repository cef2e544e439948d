#!/bin/sh
# Runs once, on an empty data volume: one database and one owner each for the application and for MLflow.
set -eu
psql -v ON_ERROR_STOP=1 -U postgres <<SQL
CREATE USER smartinspect PASSWORD '${SMARTINSPECT_DB_PASSWORD}';
CREATE DATABASE smartinspect OWNER smartinspect;
CREATE USER mlflow PASSWORD '${MLFLOW_DB_PASSWORD}';
CREATE DATABASE mlflow OWNER mlflow;
SQL
