"""Supervision: health endpoints, Prometheus metrics, access log and log format.

docs/MONITORING.md describes the endpoints and every metric.
"""
