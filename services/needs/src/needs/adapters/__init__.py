"""Mongo repositories and Kafka publishing."""
