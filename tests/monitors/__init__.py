"""Tests of the bundled monitors, one module per monitor module."""
